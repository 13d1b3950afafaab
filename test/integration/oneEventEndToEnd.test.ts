import avro from 'avsc';
import type { EachMessagePayload } from 'kafkajs';
import { createClickHouseClient } from '../../sinks/clickhouse/client.js';
import { migrate } from '../../sinks/clickhouse/migrate.js';
import { ClickHouseWindowStore } from '../../sinks/clickhouse/windowStore.js';
import { KpiCatalog } from '../../kpis/catalog.js';
import { batchToken } from '../../processors/checkpoint.js';
import { toClickHouseTime } from '../../sinks/clickhouse/time.js';
import { applyEvent, newEmployeeWindow, toRow } from '../../processors/employeeWindow.js';
import { TumblingWindows } from '../../processors/windows.js';
import type { ProductionReported } from '../../schemas/events.js';
import { schemaOf } from '../../schemas/avro.js';
import { EventCodec, frame } from '../../topics/codec.js';
import { inputTopic, valueSubject } from '../../topics/definitions.js';
import { createKafka, createProducer, ensureDeploymentTopics } from '../../topics/kafka.js';
import { createRegistry, registerSchema, writerSchemas } from '../../topics/registry.js';
import { dropTestResources, testContext } from './support/context.js';

const ctx = testContext('one_event');
const { config, log } = ctx;
const topic = inputTopic(config, 'production');
const registry = createRegistry(config);
const kafka = createKafka(config, 'one-event-test', log);
const catalog = KpiCatalog.of();

const event: ProductionReported = {
  event_id: 'evt-0001',
  employee_id: 'emp-42',
  station_id: 'st-7',
  work_order_id: 'wo-1001',
  product_code: 'P-100',
  event_time: Date.UTC(2026, 10, 2, 9, 30, 0, 250),
  units: 120,
  standard_seconds_per_unit: 45.5,
};

let schemaId: number;

beforeAll(async () => {
  await ensureDeploymentTopics(kafka, config, log);
  await migrate(config, log, catalog);
  schemaId = await registerSchema(registry, valueSubject(topic), schemaOf('production'));
});

afterAll(async () => {
  await dropTestResources(ctx);
});

test('wire format: bytes built with avsc alone decode with the registry client, and the client encodes the same bytes', async () => {
  const byHand = frame(schemaId, avro.Type.forSchema(schemaOf('production') as avro.Schema).toBuffer(event));
  expect(byHand[0]).toBe(0);
  expect(byHand.readUInt32BE(1)).toBe(schemaId);
  expect(await registry.decode(byHand)).toEqual(event);
  expect(await registry.encode(schemaId, event)).toEqual(byHand);
  expect((await new EventCodec(writerSchemas(registry)).decode('production', byHand)).tagged.event).toEqual(event);
});

test('one ProductionReported event: registry → Kafka → processor → ClickHouse → parameterised query', async () => {
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: event.employee_id, value: await registry.encode(schemaId, event) }] });
  await producer.disconnect();

  // Consume and decode the event as the processors do.
  const codec = new EventCodec(writerSchemas(registry));
  const consumer = kafka.consumer({ groupId: config.groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = new Promise<EachMessagePayload>((resolve) => {
    void consumer.run({ eachMessage: async (payload) => resolve(payload) });
  });
  const { message } = await received;
  await consumer.disconnect();
  const decoded = await codec.decode('production', message.value);
  expect(decoded.schemaId).toBe(schemaId);
  expect(decoded.tagged.event).toEqual(event);

  // Aggregate it into its day window and write the row through the sink.
  const window = TumblingWindows.of(config.windowSize, config.timeZone).windowFor(event.event_time);
  const state = newEmployeeWindow(catalog, event.employee_id, window);
  applyEvent(catalog, state, decoded.tagged, 0, Date.UTC(2026, 10, 2, 9));
  const row = toRow(catalog, state);
  const writer = createClickHouseClient(config);
  const store = new ClickHouseWindowStore(writer, catalog, log);
  await store.write([row], batchToken([row]));
  await store.write([row], batchToken([row])); // a retried batch is deduplicated
  expect(await store.current([{ employeeId: event.employee_id, windowStart: window.start }])).toEqual([row]);
  await writer.close();

  const client = createClickHouseClient(config);
  const result = await client.query({
    query: `SELECT employee_id, window_start, window_end, units, standard_hours, run_hours, efficiency, station_id, version
            FROM employee_window_metrics_current
            WHERE employee_id = {employee:String} AND window_start = {start:DateTime64(3, 'UTC')}`,
    query_params: { employee: event.employee_id, start: toClickHouseTime(window.start) },
    format: 'JSONEachRow',
  });
  const rows = await result.json<Record<string, unknown>>();
  const raw = await client.query({ query: 'SELECT count() AS n FROM employee_window_metrics', format: 'JSONEachRow' });
  const [counted] = await raw.json<{ n: number }>();
  await client.close();

  expect(rows).toEqual([
    {
      employee_id: 'emp-42',
      window_start: '2026-11-02 00:00:00.000',
      window_end: '2026-11-03 00:00:00.000',
      units: 120,
      standard_hours: (120 * 45_500) / 3_600_000,
      run_hours: 0,
      efficiency: null,
      station_id: 'st-7',
      version: 1,
    },
  ]);
  expect(Number(counted?.n)).toBe(1);
});
