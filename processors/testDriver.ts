import type { DeadLetter, ResumePoint, WindowStore } from '../contract/ports.js';
import type { WindowKey, WindowRow } from '../contract/windowRow.js';
import type { LiveWindows } from '../contract/windowSnapshot.js';
import { DecodeError, SinkError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { defaultConfig } from '../core/config.js';
import { KpiCatalog } from '../kpis/catalog.js';
import { avroTypeOf } from '../schemas/avro.js';
import { INPUTS } from '../schemas/inputs.js';
import { EVENT_KINDS, type EventKind, type RecordOfKind } from '../schemas/kinds.js';
import type { RecordLimits } from '../schemas/validate.js';
import { EventCodec, encodeEvent } from '../topics/codec.js';
import { ProcessorMetrics } from './metrics.js';
import { windowKeyOf } from './partitionTask.js';
import type { RecordOutcome } from './outcome.js';
import { StreamRunner, runnerSettingsOf, type RunnerPorts, type RunnerSettings, type SourceRecord } from './runner.js';
import type { WindowAssigner } from './windows.js';

export interface TestDriverOptions {
  windowSize?: number;
  timeZone?: string;
  /** Windows of another kind (plant days from a day start, a shift calendar); in place of windowSize and timeZone. */
  windows?: WindowAssigner;
  allowedLateness?: number;
  correctionHorizon?: number;
  idleClose?: number;
  emitMode?: 'final' | 'update';
  /** Closed windows kept in memory after their rows (KPI_CLOSED_WINDOW_CACHE); 0 here unless set, so rows are read back as a processor does once its cache is full. */
  closedWindowCache?: number;
  /** KPI_MAX_OPEN_WINDOWS and KPI_MAX_WINDOW_EVENTS; their defaults unless set. */
  maxOpenWindows?: number;
  maxWindowEvents?: number;
  limits?: Partial<RecordLimits>;
  catalog?: KpiCatalog;
  /** Initial wall-clock time (ms). */
  now?: number;
  /** Rows the in-memory store refuses as a ClickHouse would refuse their content. */
  refuse?: (row: WindowRow) => boolean;
  /** Where the windows each batch changed are published (live alerting), as the pipeline's port. */
  liveWindows?: LiveWindows;
}

/** Where and how a record is piped: its partition, Kafka key (default: the event's employee_id) and Kafka timestamp. */
export interface PipeOptions {
  partition?: number;
  key?: Buffer | string | null;
  /** The record's Kafka timestamp (ms): the producer's clock (CreateTime); default: the driver's wall clock. */
  timestamp?: number;
  /** Records left on the topic-partition after this one (the consumer's lag), as a Kafka source reports it; default: not said. */
  recordsLeft?: number;
}

/** Schema ids of the in-memory registry: one per kind, the kind's contract. */
export const TEST_SCHEMA_IDS: Readonly<Record<EventKind, number>> = Object.fromEntries(EVENT_KINDS.map((kind, i) => [kind, i + 1])) as Record<
  EventKind,
  number
>;

/**
 * Runs the processors' own StreamRunner without Kafka or ClickHouse, like
 * Kafka Streams' TopologyTestDriver runs the real task: records are encoded
 * into the Confluent wire format and kept in an in-memory log per
 * topic-partition, decoded through an in-memory registry, and the rows land in
 * an in-memory table that keeps the highest version of each. Move the wall
 * clock, flush, read the rows, and `crash()` to replay from the last commit
 * exactly as a restarted processor would.
 */
export class TopologyTestDriver {
  /** Every row written, in order, all versions. */
  readonly written: WindowRow[] = [];
  /** Every record dead-lettered, in order (a replay may dead-letter a record again, as the pipeline would). */
  readonly deadLetters: DeadLetter[] = [];
  /** Its own registry; watermark lags are measured against the driver's wall clock. */
  readonly metrics = new ProcessorMetrics(undefined, () => this.now);
  readonly settings: RunnerSettings;
  /** Every record piped, in the order piped: per topic-partition offsets, and the interleaving a replay follows. */
  private readonly log: { kind: EventKind; partition: number; record: SourceRecord }[] = [];
  private readonly offsets = new Map<string, number>();
  private readonly table = new Map<string, WindowRow>();
  private readonly committed = new Map<string, ResumePoint>();
  private readonly rewinds = new Map<number, ReadonlyMap<string, ResumePoint>>();
  private readonly ports: RunnerPorts;
  private runner: StreamRunner;
  private now: number;

  constructor(
    private readonly options: TestDriverOptions = {},
    logger: Logger = createLogger('silent'),
  ) {
    // The settings' defaults (core/config.ts) with the options given, but for two: no closed-window cache, and no clock skew limit, unless set.
    const configured = runnerSettingsOf(
      {
        ...defaultConfig(),
        ...definedOf({
          windowSize: options.windowSize,
          timeZone: options.timeZone,
          allowedLateness: options.allowedLateness,
          correctionHorizon: options.correctionHorizon,
          idleClose: options.idleClose,
          emitMode: options.emitMode,
          maxOpenWindows: options.maxOpenWindows,
          maxWindowEvents: options.maxWindowEvents,
        }),
        closedWindowCache: options.closedWindowCache ?? 0,
      },
      options.catalog ?? KpiCatalog.of(),
    );
    this.settings = {
      ...configured,
      windows: options.windows ?? configured.windows,
      limits: { ...configured.limits, maxClockSkew: Number.MAX_SAFE_INTEGER / 2, ...options.limits },
    };
    this.now = options.now ?? Date.UTC(2026, 11, 1);
    const schemas = new Map(EVENT_KINDS.map((kind) => [TEST_SCHEMA_IDS[kind], avroTypeOf(kind)]));
    this.ports = {
      store: this.store(),
      deadLetters: { send: async (letters) => void this.deadLetters.push(...letters), record: async () => undefined },
      offsets: {
        committed: async (partition) =>
          new Map([...this.committed].filter(([tp]) => tp.endsWith(`:${partition}`)).map(([tp, point]) => [tp.slice(0, tp.lastIndexOf(':')), point])),
        commit: async (points) => {
          for (const { topic, partition, point } of points) this.committed.set(`${topic}:${partition}`, point);
          return points.length > 0;
        },
      },
      codec: new EventCodec(async (schemaId) => {
        const type = schemas.get(schemaId);
        if (!type) throw new DecodeError('KPI_ERR_DECODE_UNKNOWN_SCHEMA', `schema id ${schemaId} is not in the registry`, { schemaId });
        return type;
      }),
      topics: { topicOf: (kind) => INPUTS[kind].topic, kindOf: (topic) => EVENT_KINDS.find((kind) => INPUTS[kind].topic === topic) },
      rewind: async (partition, points) => void this.rewinds.set(partition, points),
      clock: () => this.now,
      ...(options.liveWindows ? { liveWindows: options.liveWindows } : {}),
    };
    this.runner = new StreamRunner(this.settings, this.ports, this.metrics, logger);
  }

  /** Appends an event to its topic-partition and processes it at once; resolves with what became of it. */
  pipe<K extends EventKind>(kind: K, event: RecordOfKind[K], options: PipeOptions = {}): Promise<RecordOutcome> {
    return this.pipeBytes(kind, encodeEvent(kind, TEST_SCHEMA_IDS[kind], event), { key: event.employee_id, ...options });
  }

  /** Appends raw bytes (anything a producer could send) to a kind's topic-partition and processes them. */
  async pipeBytes(kind: EventKind, value: Buffer | null, options: PipeOptions = {}): Promise<RecordOutcome> {
    const partition = options.partition ?? 0;
    const topicPartition = `${INPUTS[kind].topic}:${partition}`;
    const offset = this.offsets.get(topicPartition) ?? 0;
    this.offsets.set(topicPartition, offset + 1);
    const key = options.key === undefined || options.key === null ? null : Buffer.from(options.key);
    const record: SourceRecord = { offset, key, value, timestamp: options.timestamp ?? this.now };
    this.log.push({ kind, partition, record });
    const outcomes = await this.process(kind, partition, [record], options.recordsLeft);
    return outcomes![0]!;
  }

  /** The runner itself, for what the Kafka host asks of it between batches (positions, rows due, topics to pause). */
  get streamRunner(): StreamRunner {
    return this.runner;
  }

  advanceWallClock(ms: number): void {
    this.now += ms;
  }

  /** Writes the rows due to the table and commits; resolves with the rows written. Partitions whose rows were refused are read again. */
  async flush(): Promise<WindowRow[]> {
    const before = this.written.length;
    await this.runner.flush();
    for (const [partition, points] of [...this.rewinds]) {
      this.rewinds.delete(partition);
      await this.replay(partition, points);
    }
    return this.written.slice(before);
  }

  /** Loses every task's memory, then replays each topic-partition from its last commit, as a restart would. */
  async crash(): Promise<void> {
    this.runner = new StreamRunner(this.settings, this.ports, this.metrics, createLogger('silent'));
    const partitions = new Set(this.log.map((entry) => entry.partition));
    for (const partition of partitions) await this.replay(partition, await this.ports.offsets.committed(partition));
  }

  /** The current row of every window, ordered by window then employee. */
  rows(): WindowRow[] {
    return [...this.table.values()].sort((a, b) => a.window_start - b.window_start || a.employee_id.localeCompare(b.employee_id));
  }

  row(employeeId: string, windowStart: number): WindowRow | undefined {
    return this.table.get(windowKeyOf(employeeId, windowStart));
  }

  /** Reads a partition's records again from resume points, in the order they were piped. */
  private async replay(partition: number, points: ReadonlyMap<string, ResumePoint>): Promise<void> {
    for (const entry of this.log) {
      if (entry.partition !== partition || entry.record.offset < (points.get(INPUTS[entry.kind].topic)?.offset ?? 0)) continue;
      await this.process(entry.kind, partition, [entry.record]);
    }
  }

  private async process(kind: EventKind, partition: number, records: SourceRecord[], recordsLeft?: number): Promise<readonly RecordOutcome[] | undefined> {
    const context = { heartbeat: async () => undefined, live: () => true, ...(recordsLeft === undefined ? {} : { recordsLeft }) };
    const result = await this.runner.processBatch(INPUTS[kind].topic, partition, records, context);
    return result?.outcomes;
  }

  private store(): WindowStore {
    return {
      current: async (keys: readonly WindowKey[]) => keys.flatMap((k) => this.table.get(windowKeyOf(k.employeeId, k.windowStart)) ?? []),
      latestWindowStart: async () =>
        [...this.table.values()].reduce<number | null>((latest, row) => Math.max(latest ?? row.window_start, row.window_start), null),
      write: async (rows: readonly WindowRow[]) => {
        const refused = rows.filter((row) => this.options.refuse?.(row));
        if (refused.length > 0) throw new SinkError(`refused ${refused.length} of ${rows.length} rows`, { rejected: true });
        for (const row of rows) {
          const key = windowKeyOf(row.employee_id, row.window_start);
          const current = this.table.get(key);
          if (!current || row.version >= current.version) this.table.set(key, row);
        }
        this.written.push(...rows);
      },
    };
  }
}

/** The entries of `values` that are set. */
function definedOf<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
