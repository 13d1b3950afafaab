import { servicesUp } from '../../services/index.js';
import { migrate } from '../../sinks/clickhouse/migrate.js';
import { ClickHouseMetricsSink, batchToken } from '../../sinks/clickhouse/metricsSink.js';
import { createClickHouseClient } from '../../sinks/clickhouse/client.js';
import { applyEvent, newEmployeeWindow, toRow } from '../../processors/employeeWindow.js';
import { TumblingWindows } from '../../processors/windows.js';
import { EventCodec } from '../../topics/codec.js';
import { inputTopic, topicDefinitions } from '../../topics/definitions.js';
import { createKafka, createProducer, ensureTopics } from '../../topics/kafka.js';
import { createRegistry, registerInputSchemas } from '../../topics/registry.js';
import type { Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the main job end to end on the local services',
  usage: `Usage: kpi-stream demo

Starts the local services (downloading them on first use), creates the topics,
registers the schemas, migrates ClickHouse, sends one ProductionReported event
through Kafka, decodes and aggregates it, writes its row to ClickHouse and
reads it back from kpi.employee_window_metrics_current.`,
  async run(_args, { config, log }) {
    await servicesUp(config, log);
    const kafka = createKafka(config, 'kpi-stream-demo', log);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topicDefinitions(config), log);
    await admin.disconnect();
    const registry = createRegistry(config);
    const codec = new EventCodec(registry, await registerInputSchemas(registry, config, log));
    await migrate(config, log);

    const topic = inputTopic(config, 'production');
    const now = Date.now();
    const event = {
      event_id: `demo-${now}`,
      employee_id: 'demo-employee',
      station_id: 'demo-station',
      work_order_id: 'wo-demo',
      product_code: 'P-DEMO',
      event_time: now,
      units: 42,
      standard_seconds_per_unit: 30,
    };
    const producer = createProducer(kafka);
    await producer.connect();
    const [sent] = await producer.send({ topic, acks: -1, messages: [{ key: event.employee_id, value: codec.encode('production', event) }] });
    await producer.disconnect();
    log.info({ topic, partition: sent?.partition, offset: sent?.baseOffset }, 'sent one ProductionReported event');

    const consumer = kafka.consumer({ groupId: `${config.groupId}-demo` });
    await consumer.connect();
    await consumer.subscribe({ topic });
    const received = new Promise<{ value: Buffer | null; partition: number; offset: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          if (message.key?.toString() === event.employee_id) resolve({ value: message.value, partition, offset: message.offset });
        },
      });
    });
    consumer.seek({ topic, partition: sent!.partition, offset: sent!.baseOffset! });
    const message = await received;
    await consumer.disconnect();

    const { tagged } = await codec.decode('production', message.value);
    const window = TumblingWindows.of(config.windowSize, config.timeZone).windowFor(event.event_time);
    const state = newEmployeeWindow(event.employee_id, window, message.partition);
    applyEvent(state, tagged, Number(message.offset));
    const row = toRow(state);
    const sink = new ClickHouseMetricsSink(createClickHouseClient(config), log);
    await sink.write([row], batchToken([row]));
    await sink.close();

    const client = createClickHouseClient(config);
    const result = await client.query({
      query: 'SELECT employee_id, window_start, units, standard_hours FROM employee_window_metrics_current WHERE employee_id = {employee:String} ORDER BY window_start DESC LIMIT 1',
      query_params: { employee: event.employee_id },
      format: 'JSONEachRow',
    });
    const [current] = await result.json<Record<string, unknown>>();
    await client.close();
    process.stdout.write(`${JSON.stringify(current)}\n`);
    return current ? 0 : 1;
  },
};
