import { Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Config } from '../../core/config.js';
import { EXIT_CODES, messageOf } from '../../core/errors.js';
import { startHealthServer, type HealthCheck, type HealthServer, type MetricsSource } from '../../core/health.js';
import type { Logger } from '../../core/logger.js';
import { clickhouseReachable, createClickHouseClient } from '../../sinks/clickhouse/client.js';
import { prepareProcessing, startPipeline } from './bootstrap.js';
import {
  NO_TOTALS,
  combineCheck,
  countsOfStopped,
  joinedTogether,
  mergeMetrics,
  sumTotals,
  type MainMessage,
  type MetricsJson,
  type NamedCheckResult,
  type ProcessorTotals,
  type WorkerMessage,
  type WorkerStart,
} from './workerProtocol.js';

export interface WorkerPoolOptions {
  /** Each worker stops on its own once no record arrived for this long and the group has read every partition (`run --exit-when-idle`). */
  exitWhenIdleMs?: number;
  /** The process's registry (core/metrics.ts), served on /metrics with the workers' metrics summed in. */
  registry: Registry;
  /** Serve /metrics, /healthz and /readyz here, from the start of start-up on. */
  health?: { host: string; port: number };
}

/** A worker that stopped with a non-zero exit code, or died: the process exits with its code after stopping the others. */
export class WorkerFailure extends Error {
  constructor(
    readonly worker: number,
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerFailure';
  }
}

/** How long the main thread waits for a worker's answer (metrics, readiness) before doing without it. */
const ANSWER_TIMEOUT_MS = 4_000;

interface WorkerState {
  readonly index: number;
  readonly thread: Worker;
  /** Its clients are connected; it waits for `join`. */
  connected: boolean;
  started: boolean;
  /** Its partitions since it last joined the group; undefined while it holds none for sure (starting, rebalancing, stopped). */
  partitions: readonly number[] | undefined;
  totals: ProcessorTotals;
  /** Its metrics as last answered: a stopped worker's counters stay in the process's /metrics. */
  metrics: MetricsJson;
  /** Its exit code once it stopped (by message or by exiting). */
  exitCode: number | undefined;
  exited: boolean;
}

/**
 * A processor process that uses its cores: KPI_WORKERS worker threads, each
 * a full processor (processors/kafka/workerThread.ts) and a member of the
 * consumer group, so Kafka spreads the partitions over them and each keeps
 * the guarantees of a processor process (rows written before offsets are
 * committed past them, replay from the commit after a rebalance or a crash).
 * The main thread creates the topics and migrates ClickHouse once, serves
 * the process's /metrics (the workers' summed), /healthz and /readyz (ready
 * when every worker is), logs what the process holds, and stops them all:
 * when asked, or when one fails (the process then exits with its code).
 */
export class WorkerPool {
  /** Resolves once every worker has stopped cleanly; rejects with the first WorkerFailure once all have stopped. */
  readonly done: Promise<void>;

  private readonly workers: WorkerState[] = [];
  private readonly answers = new Map<number, (message: WorkerMessage & { type: 'answer' }) => void>();
  private nextAsk = 0;
  private failure: WorkerFailure | undefined;
  /** The workers were told to process: they settled in the group together (joinedTogether). */
  private processing = false;
  private preparing = true;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private readonly started: Promise<void>;
  private markStarted!: { resolve: () => void; reject: (error: unknown) => void };
  /** Readiness asked of every worker at once: the checks of one /readyz share it. */
  private readinessAsked: Promise<(readonly NamedCheckResult[] | string)[]> | undefined;

  private constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly options: WorkerPoolOptions,
    private readonly close: () => Promise<void>,
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined);
    this.started = new Promise((resolve, reject) => (this.markStarted = { resolve, reject }));
    this.started.catch(() => undefined);
  }

  /**
   * Starts the process's workers: serves /metrics and the probes when asked,
   * prepares topics and tables, starts `config.workers` threads and resolves
   * once each consumes. A worker that fails to start stops the others; the
   * promise then rejects with its WorkerFailure.
   */
  static async start(config: Config, log: Logger, options: WorkerPoolOptions): Promise<WorkerPool> {
    const client = createClickHouseClient(config, { application: 'kpi-stream-processor' });
    let health: HealthServer | undefined;
    const pool = new WorkerPool(config, log, options, async () => {
      await health?.close();
      await client.close();
    });
    try {
      if (options.health) {
        health = await startHealthServer({
          registry: pool.metricsSource(),
          ...options.health,
          log,
          checks: [...pool.checks(), clickhouseReachable(client, config)],
        });
      }
      const partitions = await prepareProcessing(config, log);
      if (config.workers > partitions) {
        log.warn(
          `KPI_WORKERS=${config.workers} but the input topics have ${partitions} partitions: ${config.workers - partitions} workers stay idle (standbys of the group)`,
        );
      }
    } catch (error) {
      await pool.close();
      throw error;
    }
    pool.preparing = false;
    for (let index = 0; index < config.workers; index += 1) pool.spawn(index);
    try {
      await pool.started;
    } catch (error) {
      await pool.done.catch(() => undefined); // every other worker stopped, the server closed
      throw error;
    }
    log.info(`${config.workers} workers consuming as members of group ${config.groupId}`);
    return pool;
  }

  /** The process's totals: what its workers reported last, summed. */
  get metrics(): ProcessorTotals {
    return sumTotals(this.workers.map((w) => w.totals));
  }

  /** Stops every worker cleanly (each finishes its batch, writes the rows due, commits, leaves the group). */
  stop(): Promise<void> {
    for (const worker of this.workers) this.send(worker, { type: 'stop' });
    return this.done;
  }

  private spawn(index: number): void {
    const start: WorkerStart = {
      index,
      workers: this.config.workers,
      ...(this.options.exitWhenIdleMs === undefined ? {} : { exitWhenIdleMs: this.options.exitWhenIdleMs }),
    };
    const thread = new Worker(new URL('./workerThread.js', import.meta.url), { workerData: start, name: `kpi-worker-${index}` });
    const state: WorkerState = {
      index,
      thread,
      connected: false,
      started: false,
      partitions: undefined,
      totals: NO_TOTALS,
      metrics: [],
      exitCode: undefined,
      exited: false,
    };
    this.workers.push(state);
    thread.on('message', (message: WorkerMessage) => this.receive(state, message));
    thread.on('error', (error) => {
      this.log.fatal({ err: error, worker: index }, `worker ${index} failed: ${messageOf(error)}`);
      this.failed(state, 1, `worker ${index} failed: ${messageOf(error)}`);
    });
    thread.on('exit', (code) => {
      state.exited = true;
      state.partitions = undefined;
      if (state.exitCode === undefined) this.failed(state, code === 0 ? 1 : code, `worker ${index} ended without stopping (exit code ${code})`);
      this.settleWhenAllExited();
    });
  }

  private receive(state: WorkerState, message: WorkerMessage): void {
    switch (message.type) {
      case 'connected':
        state.connected = true;
        // All at once: the group settles in one rebalance.
        if (this.workers.length === this.config.workers && this.workers.every((w) => w.connected)) {
          for (const worker of this.workers) this.send(worker, { type: 'join' });
        }
        break;
      case 'started':
        state.started = true;
        if (this.workers.length === this.config.workers && this.workers.every((w) => w.started)) this.markStarted.resolve();
        break;
      case 'assignment':
        state.partitions = message.partitions ?? undefined;
        if (message.partitions) this.logAssignment(state, message.partitions);
        if (!this.processing && this.workers.length === this.config.workers && joinedTogether(this.workers.map((w) => w.partitions))) {
          this.processing = true;
          for (const worker of this.workers) this.send(worker, { type: 'process' });
        }
        break;
      case 'totals':
        state.totals = message.totals;
        break;
      case 'answer':
        this.answers.get(message.id)?.(message);
        break;
      case 'stopped':
        state.totals = message.totals;
        state.metrics = countsOfStopped(message.metrics);
        state.partitions = undefined;
        if (message.exitCode === 0) state.exitCode = 0;
        else this.failed(state, message.exitCode, `worker ${state.index} stopped with exit code ${message.exitCode}`);
        break;
    }
  }

  /** One line per join: the worker's partitions, and what the whole process holds now (the line tests and people read). */
  private logAssignment(state: WorkerState, own: readonly number[]): void {
    // A union: while a rebalance moves a partition, the worker that gave it up may not have said so yet.
    const held = [...new Set(this.workers.flatMap((w) => w.partitions ?? []))].sort((a, b) => a - b);
    this.log.info(
      { partitions: held.join(','), worker: state.index },
      `worker ${state.index} joined group ${this.config.groupId} with ${own.length} partitions (${own.join(',') || 'none'}): the process holds ${held.length}`,
    );
  }

  private failed(state: WorkerState, exitCode: number, message: string): void {
    state.exitCode ??= exitCode;
    if (this.failure) return;
    this.failure = new WorkerFailure(state.index, exitCode, message);
    this.markStarted.reject(this.failure);
    const others = this.workers.filter((w) => w !== state && w.exitCode === undefined);
    if (others.length > 0) this.log.error(`${message}: stopping the other workers`);
    for (const other of others) this.send(other, { type: 'stop' });
  }

  private settleWhenAllExited(): void {
    if (!this.workers.every((w) => w.exited)) return;
    void this.close().finally(() => (this.failure ? this.settle.reject(this.failure) : this.settle.resolve()));
  }

  private send(state: WorkerState, message: MainMessage): void {
    if (!state.exited) state.thread.postMessage(message);
  }

  /** Asks a worker; undefined when it does not answer in time or is gone. */
  private ask(state: WorkerState, what: 'metrics' | 'checks'): Promise<(WorkerMessage & { type: 'answer' }) | undefined> {
    if (state.exited || state.exitCode !== undefined) return Promise.resolve(undefined);
    const id = (this.nextAsk += 1);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.answers.delete(id);
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS);
      this.answers.set(id, (answer) => {
        clearTimeout(timer);
        this.answers.delete(id);
        resolve(answer);
      });
      this.send(state, { type: 'ask', id, what });
    });
  }

  /** /metrics: the main thread's registry with every worker's metrics summed in (a worker that does not answer: its last ones). */
  private metricsSource(): MetricsSource {
    return {
      contentType: this.options.registry.contentType,
      metrics: async () => {
        const answers = await Promise.all(this.workers.map((w) => this.ask(w, 'metrics')));
        const metrics = this.workers.map((w, i) => {
          w.metrics = answers[i]?.metrics ?? w.metrics;
          return w.metrics;
        });
        return mergeMetrics(this.options.registry, metrics).metrics();
      },
    };
  }

  /** /readyz's consumer-group and progress checks, each combined over the workers. */
  private checks(): HealthCheck[] {
    const answers = (): Promise<(readonly NamedCheckResult[] | string)[]> => {
      this.readinessAsked ??= Promise.all(
        this.workers.map(async (w) => {
          if (w.exitCode !== undefined) return 'stopped';
          if (!w.started) return `starting: joining group ${this.config.groupId}`;
          return (await this.ask(w, 'checks'))?.checks ?? `no answer within ${ANSWER_TIMEOUT_MS / 1000}s`;
        }),
      ).finally(() => (this.readinessAsked = undefined));
      return this.readinessAsked;
    };
    const combined = (name: string): HealthCheck => ({
      name,
      check: async () => {
        if (this.preparing) return { ok: false, detail: `starting: creating topics, migrating ClickHouse, joining group ${this.config.groupId}` };
        return combineCheck(name, await answers());
      },
    });
    return [combined('consumer-group'), combined('progress')];
  }
}

/** The processors of one process: what `kpi-stream run` starts and stops. */
export interface Processors {
  readonly metrics: ProcessorTotals;
  /** Resolves when they have stopped cleanly; rejects with what stopped them (failureExitCode gives the process's exit code). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a process's processors: KPI_WORKERS worker threads (WorkerPool), or
 * with KPI_WORKERS=1 one processor in this thread (startPipeline), as before
 * there were workers.
 */
export async function startProcessors(config: Config, log: Logger, options: WorkerPoolOptions): Promise<Processors> {
  if (config.workers <= 1) return startPipeline(config, log, options);
  return WorkerPool.start(config, log, options);
}

/** The exit code of a process whose processors failed: a worker's own (78 for its configuration, say), else 1. */
export function failureExitCode(error: unknown): number {
  return error instanceof WorkerFailure ? error.exitCode : EXIT_CODES.failure;
}
