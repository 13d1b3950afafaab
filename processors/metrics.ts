import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeadLetterCode } from '../core/errors.js';
import { DURATION_BUCKETS } from '../core/metrics.js';
import type { RecordOutcome } from './outcome.js';

/** The tables the processors insert into, as the `table` label names them. */
export type SinkTable = 'employee_window_metrics' | 'dead_letters';

/** A topic-partition's consumer lag: records in the broker that this process has not processed yet. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

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

/** Counts of observations per latency bucket (the last one: above every bound), with their sum: quantiles for the bench and the log. */
export class LatencyHistogram {
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
 * What a processor process counts, in two forms: Prometheus metrics in the
 * process's registry (README "Metrics" lists them), and plain totals since
 * start for the log and for tests. Counters move once per batch and outcome,
 * never per record, to keep the hot path cheap.
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
  /** Time per stage since start. */
  readonly stages = Object.fromEntries(STAGES.map((stage) => [stage, { cpuMicros: 0, wallMicros: 0 }])) as Record<Stage, StageTime>;
  /** From a window closing (or a closed window changing) to its row acknowledged by the store, so queryable (seconds). */
  readonly closeToQueryable = new LatencyHistogram();

  private readonly recordsTotal: Counter<'topic' | 'outcome'>;
  private readonly deadLettersTotal: Counter<'topic' | 'code'>;
  private readonly duplicatesTotal: Counter<'topic' | 'content'>;
  private readonly rowsWrittenTotal: Counter;
  private readonly refusedRowsTotal: Counter;
  private readonly rewindsTotal: Counter;
  private readonly restoredTotal: Counter;
  private readonly batchSeconds: Histogram<'topic'>;
  private readonly insertSeconds: Histogram<'table'>;
  private readonly commitSeconds: Histogram;
  private readonly openWindowsGauge: Gauge;
  private readonly windowsInMemoryGauge: Gauge;
  private readonly pendingGauge: Gauge;
  private readonly pausedGauge: Gauge;
  private readonly assignedGauge: Gauge;
  private readonly consumerLagGauge: Gauge<'topic' | 'partition'>;
  private readonly stageCpuTotal: Counter<'stage'>;
  private readonly stageWallTotal: Counter<'stage'>;
  private readonly closeToQueryableSeconds: Histogram;
  /** Each partition's watermark (event time, ms), turned into a lag when scraped: it grows while a partition is quiet. */
  private readonly watermarks = new Map<number, number>();

  /**
   * @param registry the process's registry (core/metrics.ts); a private one when not given
   * @param clock the wall clock (ms) that watermark lags are measured against
   */
  constructor(
    readonly registry: Registry = new Registry(),
    private readonly clock: () => number = Date.now,
  ) {
    const registers = [registry];
    this.recordsTotal = new Counter({
      name: 'kpi_records_total',
      help: 'Input records processed, by topic and outcome: accepted (counted in a window), duplicate (an event_id counted before), too_late or invalid (dead-lettered).',
      labelNames: ['topic', 'outcome'],
      registers,
    });
    this.deadLettersTotal = new Counter({
      name: 'kpi_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by source topic and error code (KPI_ERR_…).',
      labelNames: ['topic', 'code'],
      registers,
    });
    this.duplicatesTotal = new Counter({
      name: 'kpi_duplicates_total',
      help: 'Repeated event ids, counted once, by topic and content: identical (a producer retry) or conflicting (other bytes; the first copy counts).',
      labelNames: ['topic', 'content'],
      registers,
    });
    this.rowsWrittenTotal = new Counter({
      name: 'kpi_rows_written_total',
      help: 'Employee-window rows (new windows and new versions of corrected ones) acknowledged by ClickHouse.',
      registers,
    });
    this.refusedRowsTotal = new Counter({
      name: 'kpi_refused_rows_total',
      help: "Employee-window rows ClickHouse refused for their content; their windows' records went to the dead letters.",
      registers,
    });
    this.rewindsTotal = new Counter({
      name: 'kpi_partition_rewinds_total',
      help: 'Partitions read again from their last commit after a refused row.',
      registers,
    });
    this.restoredTotal = new Counter({
      name: 'kpi_windows_restored_total',
      help: 'Employee-windows read back from ClickHouse to take a late record or a replay (closed earlier, or written before a restart).',
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'kpi_batch_duration_seconds',
      help: 'Time to process one fetched batch of a topic-partition: decode, check, window, and make its dead letters durable (waits for the registry included).',
      labelNames: ['topic'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.insertSeconds = new Histogram({
      name: 'kpi_clickhouse_insert_duration_seconds',
      help: 'Time of one insert into a ClickHouse table, retries of a busy or unreachable ClickHouse included.',
      labelNames: ['table'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'kpi_offset_commit_duration_seconds',
      help: 'Time of one offset commit to the consumer group (made after ClickHouse acknowledged the rows it covers).',
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.openWindowsGauge = new Gauge({
      name: 'kpi_open_windows',
      help: 'Employee-windows in memory that are open, or closed and not yet written (closed windows kept for corrections, up to KPI_CLOSED_WINDOW_CACHE, not counted).',
      registers,
    });
    this.windowsInMemoryGauge = new Gauge({
      name: 'kpi_windows_in_memory',
      help: 'Employee-windows in memory: the open and not yet written ones, and the closed ones kept for corrections (KPI_CLOSED_WINDOW_CACHE); about 1.5 KB each.',
      registers,
    });
    this.pausedGauge = new Gauge({
      name: 'kpi_topic_partitions_paused',
      help: 'Input topic-partitions whose reading waits for a slower topic of the same partition to catch up in event time (a backfill or replay; 0 when caught up).',
      registers,
    });
    this.pendingGauge = new Gauge({
      name: 'kpi_sink_pending_records',
      help: 'Records accepted since the last write to ClickHouse began; a write starts early at KPI_SINK_MAX_ROWS, consumption waits at twice that.',
      registers,
    });
    this.assignedGauge = new Gauge({
      name: 'kpi_assigned_partitions',
      help: 'Partition numbers this process owns in the consumer group (each covers that partition of every input topic); 0 for a standby.',
      registers,
    });
    this.consumerLagGauge = new Gauge({
      name: 'kpi_consumer_lag_records',
      help: "Records in the broker that this process has not processed yet, per owned topic-partition: the broker's high watermark minus the next offset to read (read every 10s).",
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.stageCpuTotal = new Counter({
      name: 'kpi_stage_cpu_seconds_total',
      help: 'CPU time of the JavaScript thread per processing stage (decode, validate, window, encode; restore, insert and commit wait on I/O).',
      labelNames: ['stage'],
      registers,
    });
    this.stageWallTotal = new Counter({
      name: 'kpi_stage_seconds_total',
      help: 'Wall-clock time per processing stage.',
      labelNames: ['stage'],
      registers,
    });
    this.closeToQueryableSeconds = new Histogram({
      name: 'kpi_window_close_to_queryable_seconds',
      help: 'From a window closing (or a closed window changing) to its row acknowledged by ClickHouse, so queryable.',
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    const watermarks = this.watermarks;
    const now = this.clock;
    new Gauge({
      name: 'kpi_watermark_lag_seconds',
      help: "Wall clock minus the partition's watermark (latest event time seen, held back by topics still catching up, minus KPI_ALLOWED_LATENESS): how far behind real time windows close.",
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset();
        const at = now();
        for (const [partition, watermark] of watermarks) this.set({ partition: String(partition) }, (at - watermark) / 1000);
      },
    });
  }

  get processed(): number {
    const r = this.records;
    return r.accepted + r.duplicate + r.tooLate + r.invalid;
  }

  /** Counts what became of a batch's records: one increment per outcome and code, not one per record. */
  countBatch(topic: string, outcomes: readonly RecordOutcome[]): void {
    const tally = new Map<RecordOutcome, number>();
    for (const outcome of outcomes) tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    for (const [outcome, n] of tally) {
      if (outcome === 'accepted') {
        this.records.accepted += n;
        this.recordsTotal.inc({ topic, outcome: 'accepted' }, n);
      } else if (outcome === 'duplicate' || outcome === 'conflicting-duplicate') {
        const conflicting = outcome === 'conflicting-duplicate';
        this.records.duplicate += n;
        if (conflicting) this.conflictingDuplicates += n;
        this.recordsTotal.inc({ topic, outcome: 'duplicate' }, n);
        this.duplicatesTotal.inc({ topic, content: conflicting ? 'conflicting' : 'identical' }, n);
      } else {
        const tooLate = outcome === 'KPI_ERR_TOO_LATE';
        if (tooLate) this.records.tooLate += n;
        else this.records.invalid += n;
        this.deadLetters.set(outcome, (this.deadLetters.get(outcome) ?? 0) + n);
        this.recordsTotal.inc({ topic, outcome: tooLate ? 'too_late' : 'invalid' }, n);
        this.deadLettersTotal.inc({ topic, code: outcome }, n);
      }
    }
  }

  /** Runs synchronous work as a stage, adding its CPU and wall time. */
  timed<T>(stage: Stage, work: () => T): T {
    const cpu = threadCpu();
    const wall = performance.now();
    try {
      return work();
    } finally {
      this.addStageTime(stage, threadCpu() - cpu, (performance.now() - wall) * 1000);
    }
  }

  /** Awaits I/O as a stage: its wall time only (other work runs on the thread while it waits). */
  async waited<T>(stage: Stage, work: () => Promise<T>): Promise<T> {
    const wall = performance.now();
    try {
      return await work();
    } finally {
      this.addStageTime(stage, 0, (performance.now() - wall) * 1000);
    }
  }

  private addStageTime(stage: Stage, cpuMicros: number, wallMicros: number): void {
    const time = this.stages[stage];
    time.cpuMicros += cpuMicros;
    time.wallMicros += wallMicros;
    if (cpuMicros > 0) this.stageCpuTotal.inc({ stage }, cpuMicros / 1e6);
    this.stageWallTotal.inc({ stage }, wallMicros / 1e6);
  }

  /** A row acknowledged by the store, `seconds` after its window closed or changed. */
  rowQueryable(seconds: number): void {
    this.closeToQueryable.observe(seconds);
    this.closeToQueryableSeconds.observe(seconds);
  }

  /** Starts timing a batch; call the result when it is done. */
  timeBatch(topic: string): () => void {
    const end = this.batchSeconds.startTimer({ topic });
    return () => void end();
  }

  /** Runs one insert, timing it. */
  async timeInsert<T>(table: SinkTable, insert: () => Promise<T>): Promise<T> {
    const end = this.insertSeconds.startTimer({ table });
    try {
      return await insert();
    } finally {
      end();
    }
  }

  /** Runs an offset commit; times it and counts it when it committed something. */
  async timeCommit(commit: () => Promise<boolean>): Promise<boolean> {
    const end = this.commitSeconds.startTimer();
    const committed = await commit();
    if (committed) {
      end();
      this.commits += 1;
    }
    return committed;
  }

  /** A write of employee-window rows: how many ClickHouse acknowledged, in how many inserts. */
  rowsAcknowledged(rows: number): void {
    if (rows === 0) return;
    this.rowsWritten += rows;
    this.inserts += 1;
    this.rowsWrittenTotal.inc(rows);
  }

  rowRefused(): void {
    this.refusedRows += 1;
    this.refusedRowsTotal.inc();
  }

  partitionRewound(): void {
    this.rewinds += 1;
    this.rewindsTotal.inc();
  }

  windowsRestored(windows: number): void {
    if (windows === 0) return;
    this.restoredWindows += windows;
    this.restoredTotal.inc(windows);
  }

  /** The runner's state after a batch or a flush snapshot. */
  windowState(openWindows: number, windowsInMemory: number, pendingRecords: number): void {
    this.openWindows = openWindows;
    this.openWindowsGauge.set(openWindows);
    this.windowsInMemoryGauge.set(windowsInMemory);
    this.pendingGauge.set(pendingRecords);
  }

  /** Input topic-partitions paused by the read pacer (processors/kafka/pacing.ts). */
  topicsPaused(count: number): void {
    this.pausedGauge.set(count);
  }

  /** A partition's watermark after a batch (ignored before its first record, while it is −∞). */
  watermark(partition: number, watermark: number): void {
    if (Number.isFinite(watermark)) this.watermarks.set(partition, watermark);
  }

  /** A rebalance: the partitions held until now may belong to another member. */
  assigned(partitions: number): void {
    this.assignedPartitions = partitions;
    this.assignedGauge.set(partitions);
    this.watermarks.clear();
    this.consumerLagGauge.reset();
  }

  /** The consumer lag of every owned topic-partition; undefined when the broker could not say (no value is better than a stale one). */
  consumerLag(lags: readonly PartitionLag[] | undefined): void {
    this.consumerLagGauge.reset();
    for (const { topic, partition, lag } of lags ?? []) this.consumerLagGauge.set({ topic, partition: String(partition) }, lag);
  }
}
