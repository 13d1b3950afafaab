import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { freePort } from '../core/net.js';
import { distFile } from '../core/paths.js';
import { createClickHouseClient } from '../sinks/clickhouse/client.js';
import { WINDOW_METRICS_VIEW } from '../sinks/clickhouse/queries/windowMetrics.js';

/** Processors in separate processes sharing one consumer group on the plant's records. */
export interface ScaleOutResult {
  readonly processes: number;
  /** Worker threads of each process (KPI_WORKERS). */
  readonly workers: number;
  /** The last process started once the first had processed this share of the records (0: all at once). */
  readonly joinAt: number;
  readonly records: number;
  /** From starting the processes until records flow (the first counted). */
  readonly startupSeconds: number;
  /** From then until every record was processed. */
  readonly seconds: number;
  readonly perSecond: number;
  /** From starting the processes until every one has exited, its rows written (includes `--exit-when-idle 2s`). */
  readonly drainSeconds: number;
  /** From the last process starting until the group settled: every process holds partitions, all of them, and records flow again (null: the records ran out first). */
  readonly settleSeconds: number | null;
  /** Records each process handled (records read again after a rebalance count again). */
  readonly perProcess: readonly number[];
}

/** A processor's counters, read from its /metrics. */
interface Snapshot {
  processed: number;
  partitions: number;
}

async function scrape(port: number): Promise<Snapshot | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let processed = 0;
    let partitions = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('kpi_records_total')) processed += Number(line.split(' ').at(-1));
      else if (line.startsWith('kpi_assigned_partitions ')) partitions = Number(line.split(' ').at(-1));
    }
    return { processed, partitions };
  } catch {
    return undefined; // not serving yet, or gone
  }
}

/**
 * Runs `processes` processors (`kpi-stream run --exit-when-idle 2s`, each its
 * own Node process with `workers` worker threads and its /metrics on a free port) in a consumer group and
 * database of their own, and follows them through their metrics every 100
 * ms. With `joinAt` > 0 the last one starts only once the others processed
 * that share of the records, so the settle time is a rebalance mid-stream.
 * The processes' output goes to `logDir`.
 */
export async function measureScaleOut(
  config: Config,
  env: NodeJS.ProcessEnv,
  options: { processes: number; workers: number; records: number; windows: number; joinAt: number; logDir: string; partitions: number },
): Promise<ScaleOutResult> {
  mkdirSync(options.logDir, { recursive: true });
  const children: { child: ChildProcess; port: number; exited: Promise<void>; logged: Promise<void>; last?: Snapshot }[] = [];
  const start = async (index: number) => {
    const port = await freePort();
    const log = createWriteStream(join(options.logDir, logName(options, index)));
    const child = spawn(process.execPath, [distFile('cli/main.js'), 'run', '--exit-when-idle', '2s'], {
      env: { ...env, KPI_METRICS_PORT: String(port), KPI_WORKERS: String(options.workers) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const logged = new Promise<void>((resolve) => child.once('close', () => log.end(resolve)));
    const exited = new Promise<void>((resolve, reject) =>
      child.once('exit', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`processor ${index} exited with ${code ?? signal}; see ${options.logDir}`)),
      ),
    );
    exited.catch(() => undefined);
    children.push({ child, port, exited, logged });
  };
  const poll = async () => {
    for (const c of children) c.last = (await scrape(c.port)) ?? c.last;
    const live = children.map((c) => c.last ?? { processed: 0, partitions: 0 });
    return { processed: live.reduce((n, s) => n + s.processed, 0), partitions: live.map((s) => s.partitions) };
  };

  try {
    const began = performance.now();
    const early = options.joinAt > 0 ? options.processes - 1 : options.processes;
    for (let i = 0; i < early; i += 1) await start(i);
    let firstRecord = 0;
    let lastStarted = began;
    let settled = 0;
    let processedAtSettle = 0;
    let allProcessed = 0;
    for (;;) {
      const { processed, partitions } = await poll();
      const now = performance.now();
      // Not when the first holds partitions: a process's workers hold their batches until all have joined (processors/kafka/workers.ts).
      if (firstRecord === 0 && processed > 0) firstRecord = now;
      if (children.length < options.processes && processed >= options.joinAt * options.records) {
        lastStarted = performance.now();
        await start(children.length);
        continue;
      }
      const spread = children.length === options.processes && partitions.every((p) => p > 0) && partitions.reduce((a, b) => a + b, 0) === options.partitions;
      if (settled === 0 && spread) {
        if (processedAtSettle === 0) processedAtSettle = Math.max(processed, 1);
        else if (processed > processedAtSettle) settled = now;
      }
      if (!spread) processedAtSettle = 0;
      if (processed >= options.records && allProcessed === 0) allProcessed = now;
      const exited = children.every((c) => c.child.exitCode !== null || c.child.signalCode !== null);
      if (allProcessed > 0 && (settled > 0 || exited)) break;
      if (exited) {
        await Promise.all(children.map((c) => c.exited)); // one failed: throws its exit code
        throw new Error(`the processors exited after ${processed} of ${options.records} records; see ${options.logDir}`);
      }
      await sleep(100);
    }
    await Promise.all(children.map((c) => c.exited));
    const done = performance.now();
    await Promise.all(children.map((c) => c.logged));
    const queryable = await countQueryable(config);
    if (queryable !== options.windows) {
      throw new Error(`${options.processes} processors left ${queryable} windows queryable; the simulator expects ${options.windows}: not a valid measurement`);
    }
    return {
      processes: options.processes,
      workers: options.workers,
      joinAt: options.joinAt,
      records: options.records,
      startupSeconds: round((firstRecord - began) / 1000),
      seconds: round((allProcessed - firstRecord) / 1000),
      perSecond: Math.round(options.records / ((allProcessed - firstRecord) / 1000)),
      drainSeconds: round((done - began) / 1000),
      settleSeconds: settled > 0 ? round((settled - lastStarted) / 1000) : null,
      perProcess: children.map((_, i) => recordsInLog(join(options.logDir, logName(options, i)))),
    };
  } finally {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  }
}

const round = (x: number) => Number(x.toFixed(3));

const logName = (options: { processes: number; workers: number }, index: number) => `processor-${options.processes}x${options.workers}-${index}.log`;

/** The records a processor says it handled when it stopped ("stopped after N records"). */
function recordsInLog(file: string): number {
  const match = /stopped after (\d+) records/.exec(readFileSync(file, 'utf8'));
  return match ? Number(match[1]) : 0;
}

async function countQueryable(config: Config): Promise<number> {
  const client = createClickHouseClient(config);
  try {
    const result = await client.query({ query: `SELECT count() AS n FROM ${WINDOW_METRICS_VIEW}`, format: 'JSONEachRow' });
    return Number((await result.json<{ n: number }>())[0]!.n);
  } finally {
    await client.close();
  }
}
