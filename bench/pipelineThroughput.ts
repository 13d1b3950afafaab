import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { startPipeline } from '../processors/bootstrap.js';
import { avroTypeOf } from '../schemas/avro.js';
import { EVENT_KINDS } from '../schemas/kinds.js';
import { createClickHouseClient } from '../sinks/clickhouse/client.js';
import { simulatePlant } from '../simulator/run.js';
import { inputTopic, kindOfTopic } from '../topics/definitions.js';
import { createKafka } from '../topics/kafka.js';
import { kafkaStreamsBaseline } from './kafkaStreamsBaseline.js';

export interface ThroughputResult {
  records: number;
  produce: { seconds: number; perSecond: number };
  rawConsume: { seconds: number; perSecond: number };
  rawDecode: { seconds: number; perSecond: number };
  kafkaStreams: { seconds: number; perSecond: number };
  pipeline: { seconds: number; perSecond: number; rows: number; inserts: number; rowsPerInsert: number; insertsPerSecond: number };
}

const rate = (records: number, ms: number) => ({ seconds: ms / 1000, perSecond: Math.round(records / (ms / 1000)) });

/**
 * The processors' throughput on a simulated plant in the local broker, with
 * baselines measured in the same run on the same records: kafkajs consuming
 * them and nothing else, avsc decoding them and nothing else, and Kafka
 * Streams doing the windowed aggregation (one stream thread, like the one
 * JavaScript thread of a processor).
 */
export async function measureThroughput(base: Config, log: Logger, options: { employees: number; days: number }): Promise<ThroughputResult> {
  const id = `bench_${Date.now().toString(36)}`;
  const config = loadConfig({
    ...process.env,
    KPI_TOPIC_PREFIX: `${id}.`,
    CLICKHOUSE_DATABASE: id,
    KPI_GROUP_ID: id,
    KPI_IDLE_CLOSE: '1s',
    LOG_LEVEL: base.logLevel,
  });
  const out = mkdtempSync(join(tmpdir(), 'kpi-bench-'));
  const quiet = log.child({ component: 'bench' });
  try {
    quiet.info(`simulating ${options.employees} employees for ${options.days} days into ${config.topicPrefix}*`);
    const simulation = await simulatePlant({ employees: options.employees, days: options.days, duplicateRate: 0.01, out }, config, quiet);
    const records = simulation.sent;

    quiet.info('baseline: kafkajs consuming the records, nothing else');
    const kafka = createKafka(config, 'kpi-stream-bench', quiet);
    const consumer = kafka.consumer({ groupId: `${id}.raw`, maxBytesPerPartition: 1 << 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: EVENT_KINDS.map((kind) => inputTopic(config, kind)), fromBeginning: true });
    const values: { topic: string; value: Buffer }[] = [];
    const consumeStart = Date.now();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) values.push({ topic: batch.topic, value: m.value! });
          if (values.length >= records) resolve();
        },
      });
    });
    const consumeMs = Date.now() - consumeStart;
    await consumer.disconnect();

    quiet.info('baseline: avsc decoding the records, nothing else');
    const types = new Map(EVENT_KINDS.map((kind) => [inputTopic(config, kind), avroTypeOf(kind)]));
    const decodeStart = process.hrtime.bigint();
    let decoded = 0;
    for (const { topic, value } of values) {
      types.get(topic)!.fromBuffer(value.subarray(5));
      decoded += kindOfTopic(config, topic) ? 1 : 0;
    }
    const decodeMs = Number(process.hrtime.bigint() - decodeStart) / 1e6;

    quiet.info('baseline: Kafka Streams decoding and window-aggregating the same records');
    const streams = await kafkaStreamsBaseline(config, records);

    quiet.info('kpi-stream processors on the same records');
    const pipelineStart = Date.now();
    const pipeline = await startPipeline(config, quiet, {});
    while (pipeline.metrics.processed < records) await sleep(20);
    const pipelineMs = Date.now() - pipelineStart;
    await pipeline.stop(true);
    const m = pipeline.metrics;

    return {
      records,
      produce: rate(records, simulation.elapsedMs),
      rawConsume: rate(records, consumeMs),
      rawDecode: rate(decoded, decodeMs),
      kafkaStreams: rate(streams.records, streams.seconds * 1000),
      pipeline: {
        ...rate(records, pipelineMs),
        rows: m.rowsWritten,
        inserts: m.inserts,
        rowsPerInsert: Math.round(m.rowsWritten / Math.max(1, m.inserts)),
        insertsPerSecond: Number((m.inserts / (pipelineMs / 1000)).toFixed(2)),
      },
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
    const admin = createKafka(config, 'kpi-stream-bench-cleanup', quiet).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(config.topicPrefix)) }).catch(() => undefined);
    await admin.disconnect();
    const client = createClickHouseClient(config, { withDatabase: false });
    await client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouseDatabase}` }).catch(() => undefined);
    await client.close();
  }
}
