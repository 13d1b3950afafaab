import { createServer, type Server } from 'node:http';
import type { DeadLetterCode } from '../core/errors.js';

/**
 * The stages a record goes through in a processor: decoding the Avro bytes,
 * checking its values, reading back the rows of windows it needs (restore),
 * applying it to its window (dedup and sums), making and encoding the rows
 * due (encode), inserting them, and committing the offsets they cover.
 */
export const STAGES = ['decode', 'validate', 'restore', 'window', 'encode', 'insert', 'commit'] as const;
export type Stage = (typeof STAGES)[number];

/** Time spent in a stage: CPU of the processor's JavaScript thread while in it, and wall-clock time. */
export interface StageTime {
  cpuMicros: number;
  wallMicros: number;
}

/** CPU time of the JavaScript thread so far (µs): Node 22's older releases lack threadCpuUsage, so the whole process's there. */
export const threadCpu: () => number =
  typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === 'function'
    ? () => {
        const { user, system } = (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();
        return user + system;
      }
    : () => {
        const { user, system } = process.cpuUsage();
        return user + system;
      };

/**
 * Upper bounds (seconds) of the buckets of the window close → row queryable
 * histogram: fine around the flush interval, where the latency of a healthy
 * processor lies.
 */
export const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 30, 60, 120, 300] as const;

/** Counts of observations per bucket (the last one: above every bound), with their sum. */
export class Histogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  count = 0;
  sum = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i += 1;
    this.counts[i]! += 1;
    this.count += 1;
    this.sum += seconds;
  }

  /** The q-quantile, interpolated within its bucket as Prometheus' histogram_quantile does; undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = q * this.count;
    let below = 0;
    for (const [i, n] of this.counts.entries()) {
      if (below + n >= rank && n > 0) {
        const lower = i === 0 ? 0 : LATENCY_BUCKETS[i - 1]!;
        if (i === LATENCY_BUCKETS.length) return lower;
        return lower + (LATENCY_BUCKETS[i]! - lower) * ((rank - below) / n);
      }
      below += n;
    }
    return LATENCY_BUCKETS.at(-1);
  }

  /** Share of observations at or below `seconds`, which must be a bucket bound. */
  shareWithin(seconds: number): number {
    const bound = LATENCY_BUCKETS.indexOf(seconds as (typeof LATENCY_BUCKETS)[number]);
    if (bound < 0) throw new RangeError(`${seconds} s is not a bucket bound`);
    return this.count === 0 ? 1 : this.counts.slice(0, bound + 1).reduce((a, b) => a + b, 0) / this.count;
  }
}

/**
 * Counters of a processor process, exposed in Prometheus' text format on
 * /metrics (KPI_METRICS_PORT) and summarised in the log.
 */
export class ProcessorMetrics {
  /** Input records by outcome: counted, repeated, dead-lettered as too late, dead-lettered for any other reason. */
  readonly records = { accepted: 0, duplicate: 0, tooLate: 0, invalid: 0 };
  /** Dead letters by code (KPI_ERR_TOO_LATE included). */
  readonly deadLetters = new Map<DeadLetterCode, number>();
  /** Repeated event ids whose bytes differ from the first copy's (counted once, like every duplicate). */
  conflictingDuplicates = 0;
  /** Rows the window store refused for their content; their windows' records went to the dead letters. */
  refusedRows = 0;
  /** Partitions read again from the last commit after a refused row. */
  rewinds = 0;
  rowsWritten = 0;
  inserts = 0;
  commits = 0;
  restoredWindows = 0;
  openWindows = 0;
  assignedPartitions = 0;
  readonly startedAt = Date.now();
  /** Time per stage since start. */
  readonly stages = Object.fromEntries(STAGES.map((stage) => [stage, { cpuMicros: 0, wallMicros: 0 }])) as Record<Stage, StageTime>;
  /** From a window closing (or a closed window changing) to its row acknowledged by the store, so queryable (seconds). */
  readonly closeToQueryable = new Histogram();

  /** Runs synchronous work as a stage, adding its CPU and wall time. */
  timed<T>(stage: Stage, work: () => T): T {
    const cpu = threadCpu();
    const wall = performance.now();
    try {
      return work();
    } finally {
      const time = this.stages[stage];
      time.cpuMicros += threadCpu() - cpu;
      time.wallMicros += (performance.now() - wall) * 1000;
    }
  }

  /** Awaits I/O as a stage: its wall time only (other work runs on the thread while it waits). */
  async waited<T>(stage: Stage, work: () => Promise<T>): Promise<T> {
    const wall = performance.now();
    try {
      return await work();
    } finally {
      this.stages[stage].wallMicros += (performance.now() - wall) * 1000;
    }
  }

  deadLetter(code: DeadLetterCode): void {
    this.deadLetters.set(code, (this.deadLetters.get(code) ?? 0) + 1);
    if (code === 'KPI_ERR_TOO_LATE') this.records.tooLate += 1;
    else this.records.invalid += 1;
  }

  get processed(): number {
    const r = this.records;
    return r.accepted + r.duplicate + r.tooLate + r.invalid;
  }

  render(): string {
    const lines = [
      '# HELP kpi_records_total Input records processed, by outcome.',
      '# TYPE kpi_records_total counter',
      ...Object.entries(this.records).map(([outcome, n]) => `kpi_records_total{outcome="${outcome}"} ${n}`),
      '# HELP kpi_dead_letters_total Records sent to the dead-letter topic, by error class.',
      '# TYPE kpi_dead_letters_total counter',
      ...[...this.deadLetters].map(([code, n]) => `kpi_dead_letters_total{class="${code}"} ${n}`),
      '# TYPE kpi_conflicting_duplicates_total counter',
      `kpi_conflicting_duplicates_total ${this.conflictingDuplicates}`,
      '# TYPE kpi_refused_rows_total counter',
      `kpi_refused_rows_total ${this.refusedRows}`,
      '# TYPE kpi_rows_written_total counter',
      `kpi_rows_written_total ${this.rowsWritten}`,
      '# TYPE kpi_inserts_total counter',
      `kpi_inserts_total ${this.inserts}`,
      '# TYPE kpi_offset_commits_total counter',
      `kpi_offset_commits_total ${this.commits}`,
      '# TYPE kpi_windows_restored_total counter',
      `kpi_windows_restored_total ${this.restoredWindows}`,
      '# TYPE kpi_open_windows gauge',
      `kpi_open_windows ${this.openWindows}`,
      '# TYPE kpi_assigned_partitions gauge',
      `kpi_assigned_partitions ${this.assignedPartitions}`,
      '# HELP kpi_stage_cpu_seconds_total CPU time of the JavaScript thread per processing stage (decode, validate, window, encode; the I/O stages wait).',
      '# TYPE kpi_stage_cpu_seconds_total counter',
      ...STAGES.map((stage) => `kpi_stage_cpu_seconds_total{stage="${stage}"} ${this.stages[stage].cpuMicros / 1e6}`),
      '# HELP kpi_stage_seconds_total Wall-clock time per processing stage.',
      '# TYPE kpi_stage_seconds_total counter',
      ...STAGES.map((stage) => `kpi_stage_seconds_total{stage="${stage}"} ${this.stages[stage].wallMicros / 1e6}`),
      '# HELP kpi_window_close_to_queryable_seconds From a window closing (or a closed window changing) to its row acknowledged by ClickHouse.',
      '# TYPE kpi_window_close_to_queryable_seconds histogram',
      ...LATENCY_BUCKETS.map(
        (bound, i) => `kpi_window_close_to_queryable_seconds_bucket{le="${bound}"} ${this.closeToQueryable.counts.slice(0, i + 1).reduce((a, b) => a + b, 0)}`,
      ),
      `kpi_window_close_to_queryable_seconds_bucket{le="+Inf"} ${this.closeToQueryable.count}`,
      `kpi_window_close_to_queryable_seconds_sum ${this.closeToQueryable.sum}`,
      `kpi_window_close_to_queryable_seconds_count ${this.closeToQueryable.count}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  /** Serves /metrics on 127.0.0.1:port (0 = a free port). */
  serve(port: number): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === '/metrics') res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(this.render());
      else res.writeHead(404).end();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  }
}
