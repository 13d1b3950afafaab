import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Config } from '../../core/config.js';
import type { CheckResult } from '../../core/health.js';

/**
 * What a processor process's main thread and its worker threads tell each
 * other (processors/kafka/workers.ts, workerThread.ts), and the pure rules
 * that make one process's view out of its workers': totals, readiness and
 * metrics.
 */

/** What a worker thread is started with (its workerData). */
export interface WorkerStart {
  /** 0 … workers − 1, in its log lines as `worker`. */
  readonly index: number;
  readonly workers: number;
  /** `run --exit-when-idle`: the worker stops on its own once idle and the group has read everything. */
  readonly exitWhenIdleMs?: number;
}

/** The totals a processor logs (`run`'s lines every 10 s and at the end): ProcessorMetrics has them, a pool sums its workers'. */
export interface ProcessorTotals {
  readonly processed: number;
  readonly records: { readonly accepted: number; readonly duplicate: number; readonly tooLate: number; readonly invalid: number };
  readonly rowsWritten: number;
  readonly inserts: number;
  readonly openWindows: number;
}

/** A worker's metrics as prom-client's getMetricsAsJSON gives them: plain data, so they cross threads. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** One /readyz check's answer with its name. */
export interface NamedCheckResult extends CheckResult {
  readonly name: string;
}

/** Messages from a worker thread to its main thread. */
export type WorkerMessage =
  /** Its clients are connected: it joins the group when told to (`join`), with its siblings. */
  | { readonly type: 'connected' }
  /** Connected and consuming: its /readyz checks can be asked. */
  | { readonly type: 'started' }
  /** Joined the group with these partitions; null: a rebalance began, it holds none until it joins again. */
  | { readonly type: 'assignment'; readonly partitions: readonly number[] | null }
  | { readonly type: 'totals'; readonly totals: ProcessorTotals }
  | { readonly type: 'answer'; readonly id: number; readonly metrics?: MetricsJson; readonly checks?: readonly NamedCheckResult[] }
  /** Stopped (asked to, idle, or failed; a failure logged by the worker), its last totals and metrics: the thread ends next. */
  | { readonly type: 'stopped'; readonly exitCode: number; readonly totals: ProcessorTotals; readonly metrics: MetricsJson };

/** Messages from the main thread to a worker thread. */
export type MainMessage =
  /** Every worker is connected: join the group now. */
  | { readonly type: 'join' }
  /** Every worker holds its share of the partitions (joinedTogether): process the batches. */
  | { readonly type: 'process' }
  | { readonly type: 'stop' }
  | { readonly type: 'ask'; readonly id: number; readonly what: 'metrics' | 'checks' };

export const NO_TOTALS: ProcessorTotals = {
  processed: 0,
  records: { accepted: 0, duplicate: 0, tooLate: 0, invalid: 0 },
  rowsWritten: 0,
  inserts: 0,
  openWindows: 0,
};

/** A worker's copy of the totals (ProcessorMetrics' live fields, as plain data). */
export function totalsOf(totals: ProcessorTotals): ProcessorTotals {
  const { processed, records, rowsWritten, inserts, openWindows } = totals;
  return { processed, records: { ...records }, rowsWritten, inserts, openWindows };
}

/** The process's totals: its workers' summed. */
export function sumTotals(totals: readonly ProcessorTotals[]): ProcessorTotals {
  const sum = (pick: (t: ProcessorTotals) => number) => totals.reduce((n, t) => n + pick(t), 0);
  return {
    processed: sum((t) => t.processed),
    records: {
      accepted: sum((t) => t.records.accepted),
      duplicate: sum((t) => t.records.duplicate),
      tooLate: sum((t) => t.records.tooLate),
      invalid: sum((t) => t.records.invalid),
    },
    rowsWritten: sum((t) => t.rowsWritten),
    inserts: sum((t) => t.inserts),
    openWindows: sum((t) => t.openWindows),
  };
}

/**
 * A worker's configuration: the process's, with the memory bounds shared out
 * so the process as a whole keeps them. KPI_MAX_OPEN_WINDOWS and
 * KPI_CLOSED_WINDOW_CACHE bound what a processor process holds; each of `workers`
 * workers holds its share.
 */
export function workerConfig(config: Config, workers: number): Config {
  if (workers <= 1) return config;
  return Object.freeze({
    ...config,
    maxOpenWindows: Math.max(1, Math.floor(config.maxOpenWindows / workers)),
    closedWindowCache: Math.floor(config.closedWindowCache / workers),
  });
}

/**
 * Whether a process's workers have settled in the group at start-up: each has
 * joined (its partitions known, none of them rebalancing) and no partition is
 * held by two (one that joined alone first and still holds everything has not
 * rejoined yet). Until then the workers hold their batches.
 */
export function joinedTogether(assignments: readonly (readonly number[] | undefined)[]): boolean {
  if (assignments.some((partitions) => partitions === undefined)) return false;
  const held = assignments.flatMap((partitions) => partitions!);
  return new Set(held).size === held.length;
}

/**
 * One /readyz check of the process from its workers' answers to it: ready when
 * every worker is. The detail names each worker (only the failing ones when
 * not ready), e.g. `worker 0: member of group g with 3 partitions; worker 1: …`.
 * A worker without an answer (starting, or gone) is not ready.
 */
export function combineCheck(name: string, answers: readonly (readonly NamedCheckResult[] | string)[]): CheckResult {
  const results = answers.map((answer, index) => {
    const result = typeof answer === 'string' ? { ok: false, detail: answer } : (answer.find((r) => r.name === name) ?? { ok: false, detail: 'no answer' });
    return { index, ...result };
  });
  const ok = results.every((r) => r.ok);
  const shown = ok ? results : results.filter((r) => !r.ok);
  return { ok, detail: shown.map((r) => `worker ${r.index}: ${r.detail}`).join('; ') };
}

/**
 * What a stopped worker leaves in the process's /metrics: its counters and
 * histograms, so the process's stay monotonic, and none of its gauges (it
 * holds no partition, window or lag any more).
 */
export function countsOfStopped(metrics: MetricsJson): MetricsJson {
  // prom-client's types say an enum; its metrics say 'counter', 'gauge', 'histogram'.
  return metrics.filter((metric) => (metric.type as unknown) !== 'gauge');
}

/**
 * The process's /metrics from the main thread's registry (prom-client's
 * process and Node.js metrics, kpi_build_info) and its workers' metrics:
 * the workers' counters, histograms and gauges summed by name and labels
 * (each worker holds other partitions, so per-partition series do not
 * overlap, and per-process gauges add up). Workers register no default
 * metrics: a name in both would be an error, never counted twice.
 */
export function mergeMetrics(main: Registry, workers: readonly MetricsJson[]): Registry {
  return Registry.merge([main, AggregatorRegistry.aggregate([...workers])]);
}
