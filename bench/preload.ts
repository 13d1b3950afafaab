import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig, type Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { EVENT_KINDS } from '../schemas/kinds.js';
import { OUTPUT_FILES } from '../simulator/output.js';
import { simulatePlant } from '../simulator/run.js';
import { inputTopic } from '../topics/definitions.js';
import { createKafka } from '../topics/kafka.js';

/** The simulated plant a benchmark runs on. */
export interface PlantSize {
  readonly employees: number;
  readonly days: number;
}

/** A plant's records kept in topics of their own, reused by every run of the same size. */
export interface PreloadedPlant extends PlantSize {
  /** Topic prefix of the plant's topics (`bench.<employees>x<days>.`). */
  readonly prefix: string;
  /** Records in its five input topics. */
  readonly records: number;
  /** Employee-windows the simulator expects: the rows of employee_window_metrics_current once all is written. */
  readonly windows: number;
  /** Whether this run produced them (false: an earlier run did). */
  readonly produced: boolean;
  /** The simulator's own producing rate when it produced them. */
  readonly produce: { readonly seconds: number; readonly perSecond: number };
}

/** Every benchmark topic begins with this: `npm run bench -- clear` deletes them. */
export const BENCH_TOPIC_PREFIX = 'bench.';
const SEED = 1;

export const plantPrefix = (size: PlantSize): string => `${BENCH_TOPIC_PREFIX}${size.employees}x${size.days}.`;

/** The configuration of everything a run does on a plant: its topics, and a consumer group and database of the run's own. */
export function benchConfig(base: Config, prefix: string, runId: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    KPI_TOPIC_PREFIX: prefix,
    CLICKHOUSE_DATABASE: runId,
    KPI_GROUP_ID: runId,
    LOG_LEVEL: base.logLevel,
    ...overrides,
  });
}

function markerFile(config: Config, prefix: string): string {
  return join(config.servicesPath, 'bench', 'preload', `${prefix}json`);
}

/** Records in a prefix's input topics now (high minus low watermarks: retention may have removed some). */
async function recordsIn(config: Config, log: Logger): Promise<number | undefined> {
  const admin = createKafka(config, 'kpi-stream-bench', log).admin();
  await admin.connect();
  try {
    const topics = new Set(await admin.listTopics());
    let records = 0;
    for (const kind of EVENT_KINDS) {
      const topic = inputTopic(config, kind);
      if (!topics.has(topic)) return undefined;
      for (const { high, low } of await admin.fetchTopicOffsets(topic)) records += Number(high) - Number(low);
    }
    return records;
  } finally {
    await admin.disconnect();
  }
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const _ of createInterface({ input: createReadStream(path) })) lines += 1;
  return lines;
}

/**
 * The plant's records in the broker: reused when an earlier run left them
 * complete (its marker file under KPI_SERVICES_DIR/bench/preload names their
 * count, and the topics hold exactly that many), else simulated afresh into
 * topics of their own (deleted first if a partial preload left some).
 */
export async function preloadPlant(base: Config, log: Logger, size: PlantSize): Promise<PreloadedPlant> {
  const prefix = plantPrefix(size);
  const config = benchConfig(base, prefix, 'bench_preload');
  const marker = markerFile(config, prefix);
  if (existsSync(marker)) {
    const kept = JSON.parse(readFileSync(marker, 'utf8')) as PreloadedPlant;
    const found = await recordsIn(config, log);
    if (found === kept.records) {
      log.info(`reusing the plant in ${prefix}* (${kept.records} records, ${kept.windows} windows) from an earlier run`);
      return { ...kept, produced: false };
    }
    log.info(`the plant in ${prefix}* is incomplete (${found ?? 'no'} records of ${kept.records}): simulating it again`);
  }
  await deleteTopics(config, log, prefix);
  const out = mkdtempSync(join(tmpdir(), 'kpi-bench-'));
  try {
    log.info(`simulating ${size.employees} employees for ${size.days} days into ${prefix}* (kept for later runs)`);
    const simulation = await simulatePlant({ employees: size.employees, days: size.days, seed: SEED, duplicateRate: 0.01, out }, config, log);
    const plant: PreloadedPlant = {
      ...size,
      prefix,
      records: simulation.sent,
      windows: await countLines(join(out, OUTPUT_FILES.expected)),
      produced: true,
      produce: { seconds: simulation.elapsedMs / 1000, perSecond: simulation.recordsPerSecond },
    };
    mkdirSync(join(config.servicesPath, 'bench', 'preload'), { recursive: true });
    writeFileSync(marker, `${JSON.stringify(plant, null, 2)}\n`);
    return plant;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Deletes every topic under `prefix`. */
export async function deleteTopics(config: Config, log: Logger, prefix: string): Promise<string[]> {
  const admin = createKafka(config, 'kpi-stream-bench-cleanup', log).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    return topics;
  } finally {
    await admin.disconnect();
  }
}

/** `bench clear`: deletes every benchmark topic and preload marker. */
export async function clearPreloads(base: Config, log: Logger): Promise<string[]> {
  const deleted = await deleteTopics(base, log, BENCH_TOPIC_PREFIX);
  rmSync(join(base.servicesPath, 'bench', 'preload'), { recursive: true, force: true });
  return deleted;
}
