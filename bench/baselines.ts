import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { ServiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { projectRoot } from '../core/paths.js';
import { avroTypeOf } from '../schemas/avro.js';
import { EVENT_KINDS, type EventKind } from '../schemas/kinds.js';
import { mavenRepository } from '../services/layout.js';
import { run } from '../services/processes.js';
import { findJava, runMaven } from '../services/tooling.js';
import { inputTopic, kindOfTopic } from '../topics/definitions.js';
import { createKafka } from '../topics/kafka.js';
import { kafkaClient } from '../topics/client/client.js';
import type { KafkaClientName } from '../topics/client/port.js';
import { deleteTopics } from './preload.js';

/**
 * A stage's figures: its start-up (connecting, joining the consumer group,
 * creating topics and tables) apart from its steady work, which runs from
 * the moment it holds its partitions until the last record is done.
 */
export interface StageResult {
  readonly records: number;
  readonly startupSeconds: number;
  readonly seconds: number;
  readonly perSecond: number;
}

export const stageResult = (records: number, startupSeconds: number, seconds: number): StageResult => ({
  records,
  startupSeconds: round(startupSeconds, 3),
  seconds: round(seconds, 3),
  perSecond: Math.round(records / seconds),
});

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Records kept for the decode baseline: the first ones consumed, up to this many. */
export const DECODE_SAMPLE = 1_000_000;

/**
 * kafkajs consuming the plant's records and nothing else, configured as the
 * processors' consumer is (one batch at a time, the same fetch sizes), in a
 * consumer group of its own. Keeps the first `sampleLimit` values for the
 * decode baseline.
 */
export async function kafkajsConsume(
  config: Config,
  log: Logger,
  records: number,
  sampleLimit = DECODE_SAMPLE,
): Promise<{ result: StageResult; sample: { kind: EventKind; value: Buffer }[] }> {
  const started = performance.now();
  const consumer = createKafka(config, 'kpi-stream-bench', log).consumer({ groupId: `${config.groupId}.kafkajs`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topics: EVENT_KINDS.map((kind) => inputTopic(config, kind)), fromBeginning: true });
  const sample: { kind: EventKind; value: Buffer }[] = [];
  let consumed = 0;
  let first = 0;
  let last = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    first ||= performance.now();
  });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch }) => {
          const kind = kindOfTopic(config, batch.topic)!;
          for (const m of batch.messages) {
            if (sample.length < sampleLimit) sample.push({ kind, value: m.value! });
            consumed += 1;
          }
          if (consumed >= records) {
            last = performance.now();
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return { result: stageResult(consumed, (first - started) / 1000, (last - first) / 1000), sample };
}

/**
 * A Kafka client consuming the plant's records and nothing else, through the
 * client port (topics/client/) as the processors' consumer does: one
 * co-partitioned group member of its own group, batches one at a time,
 * each handed over and its position moved on, nothing committed.
 */
export async function clientConsume(config: Config, log: Logger, records: number, client: KafkaClientName): Promise<StageResult> {
  const started = performance.now();
  const consumer = kafkaClient(config, 'kpi-stream-bench', log, client).groupConsumer({ groupId: `${config.groupId}.consume-${client}`, coPartitioned: true });
  await consumer.connect();
  let consumed = 0;
  let first = 0;
  let last = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      consumer
        .run(
          EVENT_KINDS.map((kind) => inputTopic(config, kind)),
          async ({ records: batch }) => {
            consumed += batch.length;
            if (consumed >= records && last === 0) {
              last = performance.now();
              resolve();
            }
            return true;
          },
          {
            joined: () => {
              first ||= performance.now();
            },
            crashed: (error, restarting) => {
              if (!restarting) reject(error instanceof Error ? error : new Error(String(error)));
            },
          },
        )
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return stageResult(consumed, (first - started) / 1000, (last - first) / 1000);
}

/** avsc decoding the sample's values (the Avro body after the 5-byte Confluent header) and nothing else. */
export function avscDecode(sample: readonly { kind: EventKind; value: Buffer }[]): StageResult {
  const types = new Map(EVENT_KINDS.map((kind) => [kind, avroTypeOf(kind)]));
  const started = performance.now();
  let decoded = 0;
  for (const { kind, value } of sample) {
    if (types.get(kind)!.fromBuffer(value.subarray(5)) !== undefined) decoded += 1;
  }
  return stageResult(decoded, 0, (performance.now() - started) / 1000);
}

/** Builds bench/kafka-streams (the Kafka Streams baseline and Kafka's consumer performance tool) with Maven on first use; returns Java and its classpath. */
async function javaBaselines(config: Config): Promise<{ java: string; classpath: string }> {
  const pom = join(projectRoot(), 'bench', 'kafka-streams', 'pom.xml');
  // Built where it is read: under KPI_SERVICES_DIR, whatever it names.
  const target = join(config.servicesPath, 'bench', 'kafka-streams');
  await runMaven('kafka-streams', mavenRepository(config), ['-f', pom, `-Dkpi.build.dir=${target}`, 'package'], 'building the Java baselines');
  return { java: await findJava('kafka-streams', 17), classpath: `${join(target, 'kafka-streams-baseline-1.jar')}:${join(target, 'lib', '*')}` };
}

/** The Java baselines connect without TLS or SASL: they are for the local broker. */
function requirePlaintext(config: Config): void {
  if (config.kafka.ssl !== false || config.kafka.sasl) {
    throw new ServiceError(
      'kafka-streams',
      'the Java baselines connect without TLS or SASL: run the benchmark on the local services (unset KAFKA_SSL and KAFKA_SASL_MECHANISM)',
    );
  }
}

/**
 * Kafka's own consumer performance tool (kafka-consumer-perf-test, main class
 * org.apache.kafka.tools.ConsumerPerformance, one Java consumer), over each
 * input topic in turn in one JVM: what the broker can deliver on this
 * machine. Its fetch time leaves out joining the group; start-up is the rest
 * of the JVM's time.
 */
export async function consumerPerfTest(config: Config, log: Logger): Promise<StageResult> {
  requirePlaintext(config);
  const { java, classpath } = await javaBaselines(config);
  const admin = createKafka(config, 'kpi-stream-bench', log).admin();
  await admin.connect();
  const topics: { topic: string; messages: number }[] = [];
  try {
    for (const kind of EVENT_KINDS) {
      const topic = inputTopic(config, kind);
      const messages = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      if (messages > 0) topics.push({ topic, messages });
    }
  } finally {
    await admin.disconnect();
  }
  const started = performance.now();
  const result = await run(java, [
    '-Xmx512m',
    '-cp',
    classpath,
    'io.kpistream.bench.ConsumerPerfTopics',
    config.kafka.brokers.join(','),
    `${config.groupId}.perf-test`,
    ...topics.map(({ topic, messages }) => `${topic}=${messages}`),
  ]);
  const wallMs = performance.now() - started;
  // Per topic: start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = result.stdout.split('\n').filter((l) => /^\d{4}-/.test(l));
  const fields = lines.map((l) => l.split(',').map((f) => f.trim()));
  const records = fields.reduce((n, f) => n + Number(f[4]), 0);
  const expected = topics.reduce((n, t) => n + t.messages, 0);
  if (result.code !== 0 || lines.length !== topics.length || records !== expected) {
    throw new ServiceError(
      'kafka-streams',
      `kafka-consumer-perf-test failed (exit ${result.code}, ${records} of ${expected} records):\n${(result.stdout + result.stderr).slice(-1500)}`,
    );
  }
  const fetchMs = fields.reduce((n, f) => n + Number(f[7]), 0);
  return stageResult(records, (wallMs - fetchMs) / 1000, fetchMs / 1000);
}

/**
 * Kafka Streams doing the windowed aggregation on the same records (one
 * stream thread, like the one JavaScript thread of a processor), in an
 * application of its own whose internal topics are deleted afterwards.
 */
export async function kafkaStreams(config: Config, log: Logger, records: number): Promise<StageResult> {
  requirePlaintext(config);
  const { java, classpath } = await javaBaselines(config);
  const applicationId = `${config.topicPrefix}${config.groupId}.streams`;
  const state = mkdtempSync(join(tmpdir(), 'kpi-streams-'));
  try {
    const result = await run(java, [
      '-Xmx1g',
      '-cp',
      classpath,
      'io.kpistream.bench.StreamsBaseline',
      config.kafka.brokers.join(','),
      config.topicPrefix,
      join(projectRoot(), 'schemas'),
      String(records),
      state,
      applicationId,
    ]);
    const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
    if (result.code !== 0 || !line)
      throw new ServiceError('kafka-streams', `the baseline failed (exit ${result.code}):\n${result.stderr.split('\n').slice(-15).join('\n')}`);
    const figures = JSON.parse(line) as { records: number; startupSeconds: number; seconds: number };
    if (figures.records < records) throw new ServiceError('kafka-streams', `the baseline processed ${figures.records} of ${records} records in 10 minutes`);
    return stageResult(figures.records, figures.startupSeconds, figures.seconds);
  } finally {
    rmSync(state, { recursive: true, force: true });
    await deleteTopics(config, log, applicationId);
  }
}
