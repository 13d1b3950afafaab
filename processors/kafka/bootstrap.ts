import type { DeadLetter, DeadLetterStore } from '../../contract/ports.js';
import { Registry } from 'prom-client';
import type { Config } from '../../core/config.js';
import { TopicMismatchError } from '../../core/errors.js';
import { startHealthServer, type HealthServer } from '../../core/health.js';
import type { Logger } from '../../core/logger.js';
import { packageVersion } from '../../core/paths.js';
import type { KpiCatalog } from '../../kpis/catalog.js';
import { loadCatalog } from '../../kpis/extensions.js';
import { EVENT_KINDS, type EventKind } from '../../schemas/kinds.js';
import { clickhouseReachable, createClickHouseClient, withRetries, type ClickHouseClient } from '../../sinks/clickhouse/client.js';
import { migrate } from '../../sinks/clickhouse/migrate.js';
import { insertDeadLetters } from '../../sinks/clickhouse/queries/deadLetters.js';
import { ClickHouseWindowStore } from '../../sinks/clickhouse/windowStore.js';
import { EventCodec } from '../../topics/codec.js';
import { DeadLetterWriter } from '../../topics/deadLetters.js';
import { deadLetterTopic, inputTopic, kindOfTopic } from '../../topics/definitions.js';
import { createKafka, ensureDeploymentTopics, withKafkaRetries } from '../../topics/kafka.js';
import { kafkaClient } from '../../topics/client/client.js';
import type { KafkaAdmin } from '../../topics/client/port.js';
import { createRegistry, writerSchemas } from '../../topics/registry.js';
import { liveWindowsTo } from '../../topics/liveWindows.js';
import { AssignmentReader } from './assignments.js';
import { PlantWindows } from '../plants.js';
import { ProcessorMetrics } from '../metrics.js';
import { KafkaOffsetStore } from './offsets.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';
import { ProcessorReadiness } from './readiness.js';
import { writeIsolatingRefusals } from '../checkpoint.js';
import { StreamRunner, runnerSettingsOf, type InputTopics } from '../runner.js';

/**
 * Starts a processor: serves /metrics, /healthz and /readyz when asked (not
 * ready until it has joined the group), creates missing topics and checks them
 * (the input topics must be co-partitioned), migrates ClickHouse, wires the
 * Kafka and ClickHouse adapters to the stream runner, joins the consumer group
 * and starts consuming, with the reader of the organisation's assignments beside it.
 */
export async function startPipeline(config: Config, log: Logger, options: PipelineOptions = {}): Promise<Pipeline> {
  const registry = options.registry ?? new Registry();
  const readiness = new ProcessorReadiness(config.groupId, config.stallTimeout);
  const client = createClickHouseClient(config, { application: 'kpi-stream-processor' });
  let health: HealthServer | undefined;
  const kafkaClients: { disconnect(): Promise<void> }[] = [];
  try {
    if (options.health) {
      health = await startHealthServer({ registry, ...options.health, log, checks: [...readiness.checks(), clickhouseReachable(client, config)] });
    }
    return await connectPipeline(config, log, options, { registry, readiness, client, health, kafkaClients });
  } catch (error) {
    // Nothing may keep a process that failed to start alive: an open connection would, its exit code never reached.
    await Promise.all(kafkaClients.map((kafkaClient) => kafkaClient.disconnect().catch(() => undefined)));
    await health?.close();
    await client.close();
    throw error;
  }
}

/**
 * What a process does once before its processors consume: creates missing
 * topics and checks them (the input topics must be co-partitioned), and
 * migrates ClickHouse. Returns the input topics' partition count.
 */
export async function prepareTopicsAndTables(config: Config, log: Logger, admin: KafkaAdmin, catalog: KpiCatalog): Promise<number> {
  const inputTopics = EVENT_KINDS.map((kind) => inputTopic(config, kind));
  // Topics are created and checked with kafkajs' admin whichever client consumes (start-up only).
  await ensureDeploymentTopics(createKafka(config, 'kpi-stream-processor', log), config, log);
  const counts = await withKafkaRetries('reading input topic metadata', log, () => admin.partitionCounts(inputTopics));
  if (new Set(counts.values()).size !== 1) {
    throw new TopicMismatchError(
      `the input topics must have equal partition counts (an employee's events share a partition number); found ${[...counts].map(([name, n]) => `${name}=${n}`).join(', ')}`,
    );
  }
  await migrate(config, log, catalog);
  return [...counts.values()][0]!;
}

/** prepareTopicsAndTables with an admin client of its own, for a process that starts its processors in worker threads. */
export async function prepareProcessing(config: Config, log: Logger): Promise<number> {
  const admin = kafkaClient(config, 'kpi-stream-processor', log).admin();
  await admin.connect();
  try {
    return await prepareTopicsAndTables(config, log, admin, await loadCatalog(config.extensions));
  } finally {
    await admin.disconnect();
  }
}

async function connectPipeline(
  config: Config,
  log: Logger,
  options: PipelineOptions,
  {
    registry,
    readiness,
    client,
    health,
    kafkaClients,
  }: {
    registry: Registry;
    readiness: ProcessorReadiness;
    client: ClickHouseClient;
    health: HealthServer | undefined;
    /** Every Kafka client as it is made, for the caller to disconnect if start-up fails. */
    kafkaClients: { disconnect(): Promise<void> }[];
  },
): Promise<Pipeline> {
  const settings = runnerSettingsOf(config, await loadCatalog(config.extensions));
  const inputTopics = EVENT_KINDS.map((kind) => inputTopic(config, kind));
  const kafka = kafkaClient(config, 'kpi-stream-processor', log);
  log.info({ client: kafka.name }, `Kafka client: ${kafka.name} (KPI_KAFKA_CLIENT)`);
  const admin = kafka.admin();
  kafkaClients.push(admin);
  await admin.connect();
  if (!options.prepared) await prepareTopicsAndTables(config, log, admin, settings.catalog);

  const consumer = kafka.groupConsumer({ groupId: config.groupId, coPartitioned: true });
  const producer = kafka.producer();
  kafkaClients.push(consumer, producer);
  await producer.connect();
  await consumer.connect();

  const abort = new AbortController();
  const sinkLog = log.child({ component: 'sink' });
  const writer = new DeadLetterWriter(producer, deadLetterTopic(config), packageVersion());
  const deadLetters: DeadLetterStore = {
    send: (letters) => writer.send(letters),
    // The topic is the record of truth: a letter the table refuses for its content is left out of the table, not lost.
    record: async (letters) => {
      const insert = (batch: readonly DeadLetter[]) =>
        withRetries(`inserting ${batch.length} rows into dead_letters`, sinkLog, abort.signal, () => insertDeadLetters(client, batch, packageVersion()));
      for (const letter of await writeIsolatingRefusals(letters, insert)) {
        sinkLog.error(
          { topic: letter.topic, partition: letter.partition, offset: letter.offset, code: letter.code },
          `kpi.dead_letters refused this dead letter's content; it is in ${deadLetterTopic(config)} only`,
        );
      }
    },
  };
  const codec = new EventCodec(writerSchemas(createRegistry(config)));
  const assignments = new AssignmentReader({
    config,
    log: log.child({ component: 'assignments' }),
    kafka,
    admin,
    client,
    codec,
    deadLetters,
    signal: abort.signal,
    ...(settings.windows instanceof PlantWindows ? { plants: settings.windows } : {}),
  });
  kafkaClients.push(assignments);
  await assignments.start();
  const topics: InputTopics = { topicOf: (kind: EventKind) => inputTopic(config, kind), kindOf: (topic) => kindOfTopic(config, topic) };
  const metrics = new ProcessorMetrics(registry);
  const runner = new StreamRunner(
    settings,
    {
      store: new ClickHouseWindowStore(client, settings.catalog, sinkLog, abort.signal),
      deadLetters,
      offsets: new KafkaOffsetStore(admin, consumer, config.groupId, inputTopics, log),
      codec,
      topics,
      rewind: async (partition, points) => {
        const offsets = new Map<string, number>();
        for (const topic of inputTopics) {
          offsets.set(topic, points.get(topic)?.offset ?? (await admin.topicOffsets(topic)).find((p) => p.partition === partition)?.low ?? 0);
        }
        // All topics of the partition at once: no batch may slip in between (a batch under way of a sought partition no longer counts).
        for (const [topic, offset] of offsets) consumer.seek(topic, partition, offset);
      },
      clock: Date.now,
      // Live alerting judges the windows as each batch changes them: published only when there are rules to judge.
      ...(config.alertRules ? { liveWindows: liveWindowsTo(producer, config) } : {}),
    },
    metrics,
    log,
  );
  const pipeline = new Pipeline({
    config,
    log,
    options,
    admin,
    consumer,
    producer,
    inputTopics,
    runner,
    metrics,
    readiness,
    health,
    abort,
    assignments,
    close: () => client.close(),
  });
  // Connected: the worker threads of a process join the group together, so it settles in one rebalance.
  await options.beforeJoin?.();
  await pipeline.run();
  return pipeline;
}
