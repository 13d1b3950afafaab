import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { projectRoot } from '../core/paths.js';
import { createClickHouseClient } from '../sinks/clickhouse/client.js';
import { avscDecode, clientConsume, consumerPerfTest, kafkaStreams, kafkajsConsume, type StageResult } from './baselines.js';
import { KAFKA_CLIENTS, type KafkaClientName } from '../topics/client/port.js';
import { load1, machine, type Machine } from './machine.js';
import { measurePipeline, type PipelineResult } from './pipelineThroughput.js';
import { benchConfig, deleteTopics, preloadPlant, type PlantSize, type PreloadedPlant } from './preload.js';
import { measureScaleOut, type ScaleOutResult } from './scaleOut.js';
import { measureStateMemoryApart, type StateMemoryResult } from './stateMemory.js';

/** What `npm run bench` measures, at full size or quick. */
export interface BenchPlan {
  readonly kind: 'full' | 'quick';
  readonly plant: PlantSize;
  /** Processes of the scale-out runs (all started at once), and of the run whose last process joins mid-stream. */
  readonly scaleOut: readonly number[];
  readonly joinMidStream: number | undefined;
  /** Open windows of the memory curve. */
  readonly memoryWindows: readonly number[];
  /** Worker threads of the one process measured with its workers (KPI_WORKERS; the cores by default). */
  readonly workers: number;
}

/** About 5.1 million records (4,600 employees × 30 days) and the memory curve to a million windows. */
export const FULL_PLAN: BenchPlan = {
  kind: 'full',
  plant: { employees: 4600, days: 30 },
  scaleOut: [2, 3],
  joinMidStream: 2,
  memoryWindows: [10_000, 100_000, 1_000_000],
  workers: availableParallelism(),
};
/** About a minute (after the first run built the Java baselines and preloaded the plant). */
export const QUICK_PLAN: BenchPlan = {
  kind: 'quick',
  plant: { employees: 300, days: 10 },
  scaleOut: [2],
  joinMidStream: undefined,
  memoryWindows: [10_000],
  workers: availableParallelism(),
};

/** A stage's figures with the 1-minute load average when it began and ended (the machine is shared). */
export type Measured<T> = T & { readonly load: readonly [number, number] };

export interface BenchResult {
  readonly kind: 'full' | 'quick';
  readonly date: string;
  readonly commit: string;
  readonly command: string;
  readonly machine: Machine;
  readonly plant: PreloadedPlant;
  readonly throughput: {
    readonly consumerPerfTest: Measured<StageResult>;
    readonly kafkajs: Measured<StageResult>;
    readonly avsc: Measured<StageResult>;
    readonly kafkaStreams: Measured<StageResult>;
    /** One worker alone: the processors in the bench's own thread. */
    readonly pipeline: Measured<PipelineResult>;
    /** One `kpi-stream run` process with its worker threads. */
    readonly workers: Measured<ScaleOutResult>;
  };
  /** Each Kafka client (KPI_KAFKA_CLIENT) through the client port: consuming only, and the processors end to end. */
  readonly clients: readonly ClientResult[];
  readonly scaleOut: readonly Measured<ScaleOutResult>[];
  readonly memory: readonly Measured<StateMemoryResult>[];
  readonly seconds: number;
}

/** One Kafka client's figures. */
export interface ClientResult {
  readonly client: KafkaClientName;
  readonly consume: Measured<StageResult>;
  readonly pipeline: Measured<PipelineResult>;
}

export async function measured<T>(log: Logger, what: string, work: () => Promise<T>): Promise<Measured<T>> {
  const before = load1();
  log.info(`${what} (load ${before})`);
  const result = await work();
  return { ...result, load: [before, load1()] };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function dropDatabase(config: Config): Promise<void> {
  const client = createClickHouseClient(config, { withDatabase: false });
  try {
    await client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouseDatabase}` });
  } finally {
    await client.close();
  }
}

/**
 * The processors end to end alone, on a preloaded plant (simulated first if
 * missing), in a consumer group and database of their own: the quick way to
 * compare two builds on the full plant (`bench pipeline`).
 */
export async function runPipelineAlone(base: Config, log: Logger, size: PlantSize): Promise<Measured<PipelineResult>> {
  const plant = await preloadPlant(base, log, size);
  return measureProcessors(benchConfig(base, plant.prefix, `bench_${Date.now().toString(36)}`), log, plant);
}

/** The processors end to end on the plant's records, in `config`'s group and database; the database is dropped afterwards. */
async function measureProcessors(config: Config, log: Logger, plant: PreloadedPlant): Promise<Measured<PipelineResult>> {
  try {
    return await measured(log, 'kpi-stream processors end to end', () => measurePipeline(config, log, plant.records, plant.windows));
  } finally {
    await dropDatabase(config);
  }
}

/**
 * Runs every stage on one preloaded plant, one after the other: Kafka's
 * consumer performance tool, kafkajs consuming, avsc decoding, Kafka
 * Streams, kpi-stream's processors end to end, each Kafka client consuming
 * and end to end, the processors in 2 and 3 processes, and the memory per
 * open window. Each run works in consumer
 * groups and databases of its own, removed afterwards; the plant's topics
 * are kept for the next run.
 */
export async function runBenchmark(base: Config, log: Logger, plan: BenchPlan, command: string): Promise<BenchResult> {
  const began = performance.now();
  const runId = `bench_${Date.now().toString(36)}`;
  const plant = await preloadPlant(base, log, plan.plant);
  const config = benchConfig(base, plant.prefix, runId);

  const perfTest = await measured(log, 'kafka-consumer-perf-test: the broker delivering the records to one Java consumer', () => consumerPerfTest(config, log));
  const { sample, ...kafkajs } = await measured(log, 'kafkajs consuming the records, nothing else', () =>
    kafkajsConsume(config, log, plant.records).then(({ result, sample }) => ({ ...result, sample })),
  );
  const avsc = await measured(log, `avsc decoding ${sample.length} records, nothing else`, async () => avscDecode(sample));
  sample.length = 0;
  const streams = await measured(log, 'Kafka Streams decoding and window-aggregating the records (one stream thread)', () =>
    kafkaStreams(config, log, plant.records),
  );
  const pipeline = await measureProcessors(config, log, plant);
  const workers = await measureProcesses(base, log, plant, `${runId}_workers`, {
    processes: 1,
    workers: plan.workers,
    joinAt: 0,
    partitions: config.topicPartitions,
    what: `one processor process with ${plan.workers} worker threads`,
  });
  const clients: ClientResult[] = [];
  for (const client of KAFKA_CLIENTS) {
    const consume = await measured(log, `${client} consuming the records through the client port, nothing else`, () =>
      clientConsume(config, log, plant.records, client),
    );
    // Every client after the run above, in a group and database of its own: the first run in a process also
    // compiles the engine's hot paths, which would count against whichever client came first.
    const own = await measureProcessors(benchConfig(base, plant.prefix, `${runId}_${client}`, { KPI_KAFKA_CLIENT: client }), log, plant);
    clients.push({ client, consume, pipeline: own });
  }

  const scaleOut: Measured<ScaleOutResult>[] = [];
  const runs = [
    ...plan.scaleOut.map((processes) => ({ processes, joinAt: 0 })),
    ...(plan.joinMidStream ? [{ processes: plan.joinMidStream, joinAt: 0.25 }] : []),
  ];
  // Processes of one worker each: scale-out across processes, as measured before there were workers.
  for (const [i, { processes, joinAt }] of runs.entries()) {
    scaleOut.push(
      await measureProcesses(base, log, plant, `${runId}_scale${i}`, {
        processes,
        workers: 1,
        joinAt,
        partitions: config.topicPartitions,
        what: `${processes} processor processes${joinAt > 0 ? `, the last joining after ${joinAt * 100}% of the records` : ''}`,
      }),
    );
  }
  await deleteTopics(config, log, `${plant.prefix}kpi.`).catch(() => undefined);

  const memory: Measured<StateMemoryResult>[] = [];
  for (const windows of plan.memoryWindows) memory.push(await measured(log, `memory with ${windows} open windows`, () => measureStateMemoryApart(windows)));

  return {
    kind: plan.kind,
    date: new Date().toISOString(),
    commit: gitCommit(),
    command,
    machine: machine(),
    plant,
    throughput: { consumerPerfTest: perfTest, kafkajs, avsc, kafkaStreams: streams, pipeline, workers },
    clients,
    scaleOut,
    memory,
    seconds: Math.round((performance.now() - began) / 1000),
  };
}

/** `kpi-stream run` processes (with `workers` threads each) on the plant's records, in group and database `id` of their own, dropped afterwards. */
async function measureProcesses(
  base: Config,
  log: Logger,
  plant: PreloadedPlant,
  id: string,
  run: { processes: number; workers: number; joinAt: number; partitions: number; what: string },
): Promise<Measured<ScaleOutResult>> {
  const config = benchConfig(base, plant.prefix, id);
  const env = { ...process.env, KPI_TOPIC_PREFIX: plant.prefix, CLICKHOUSE_DATABASE: id, KPI_GROUP_ID: id, LOG_LEVEL: 'info' };
  try {
    return await measured(log, run.what, () =>
      measureScaleOut(config, env, { ...run, records: plant.records, windows: plant.windows, logDir: join(base.servicesPath, 'bench', 'logs', id) }),
    );
  } finally {
    await dropDatabase(config);
  }
}

/** Writes a result as bench/results/<date>-<kind>.json; returns the path. */
export function saveResult(result: BenchResult): string {
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.date.replace(/[:.]/g, '-')}-${result.kind}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
