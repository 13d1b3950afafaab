import type { DeadLetter, DeadLetterStore, EventDecoder, OffsetStore, ResumePoint, WindowStore } from '../contract/ports.js';
import type { WindowRow } from '../contract/windowRow.js';
import type { LiveWindows, WindowSnapshot } from '../contract/windowSnapshot.js';
import { DecodeError, RegistryUnavailableError, type DeadLetterCode } from '../core/errors.js';
import { digest16 } from '../core/hash.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { retrying } from '../core/retry.js';
import { serializer } from '../core/serialize.js';
import { formatTime } from '../core/time.js';
import type { EventKind } from '../schemas/kinds.js';
import { recordLimitsOf, recordProblem, type RecordLimits } from '../schemas/validate.js';
import { windowAssignerOf } from './windowing.js';
import type { ProcessorMetrics } from './metrics.js';
import type { RecordOutcome } from './outcome.js';
import { PartitionTask, windowKeyOf, type BatchItem, type RecordResult, type TaskSettings } from './partitionTask.js';
import { completeCheckpoint, type Capture, type CheckpointPorts } from './checkpoint.js';

/**
 * Changed windows are published at most this often (and at every flush):
 * under load, a window that changes in many batches is published once per
 * interval, as it stands then; at low load, at the end of the batch.
 */
const LIVE_WINDOWS_INTERVAL_MS = 100;

export interface RunnerSettings extends Omit<TaskSettings, 'roomForWindow'> {
  readonly limits: RecordLimits;
  /** Closed windows the tasks keep in memory after writing them, together (KPI_CLOSED_WINDOW_CACHE). */
  readonly closedWindowCache: number;
  /** Open windows the tasks hold together at most (KPI_MAX_OPEN_WINDOWS); records that would open more are dead-lettered. */
  readonly maxOpenWindows: number;
}

/** The settings a configuration gives the runner, with the deployment's KPIs. */
export function runnerSettingsOf(
  config: Pick<Config, 'allowedLateness' | 'correctionHorizon' | 'idleClose' | 'emitMode' | 'closedWindowCache' | 'maxOpenWindows' | 'maxWindowEvents'> &
    Parameters<typeof windowAssignerOf>[0] &
    Parameters<typeof recordLimitsOf>[0],
  catalog: KpiCatalog,
): RunnerSettings {
  return {
    windows: windowAssignerOf(config),
    catalog,
    allowedLateness: config.allowedLateness,
    correctionHorizon: config.correctionHorizon,
    idleClose: config.idleClose,
    emitMode: config.emitMode,
    closedWindowCache: config.closedWindowCache,
    maxOpenWindows: config.maxOpenWindows,
    maxWindowEvents: config.maxWindowEvents,
    limits: recordLimitsOf(config),
  };
}

/** The input topics, by kind and back. */
export interface InputTopics {
  topicOf(kind: EventKind): string;
  kindOf(topic: string): EventKind | undefined;
}

export interface RunnerPorts {
  readonly store: WindowStore;
  readonly deadLetters: DeadLetterStore;
  readonly offsets: OffsetStore;
  readonly codec: EventDecoder;
  readonly topics: InputTopics;
  /**
   * Makes the consumer read a partition again from these resume points (the
   * store refused a row: its records are read again, and those of the refused
   * window go to the dead letters). Called while no batch runs.
   */
  readonly rewind: (partition: number, points: ReadonlyMap<string, ResumePoint>) => Promise<void>;
  /** The wall clock (ms): time is passed in, so the test driver can move it. */
  readonly clock: () => number;
  /** Where the windows each batch changed are published for live alerting (when alerting is on). */
  readonly liveWindows?: LiveWindows;
}

/** The offset of a batch's last record and what became of each record. */
export interface BatchResult {
  readonly lastOffset: number;
  readonly outcomes: readonly RecordOutcome[];
}

/** Dead-letters the batch's record at `index`. */
type Letter = (index: number, code: DeadLetterCode, message: string, schemaId?: number) => void;

/** A Kafka record as the runner reads it. */
export interface SourceRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Kafka timestamp, ms. */
  readonly timestamp: number;
}

/** What a batch's caller needs to go on: heartbeats while waiting, and whether the batch still counts. */
export interface BatchContext {
  readonly heartbeat: () => Promise<void>;
  /** False once the batch was abandoned (a rebalance or a rewind took its partition). */
  readonly live: () => boolean;
  readonly signal?: AbortSignal;
  /** Records left on the topic-partition after this batch (the consumer's lag), when the source knows it: see PartitionTask.noteBacklog. */
  readonly recordsLeft?: number;
}

/**
 * The one processing path, shared by the pipeline (Kafka and ClickHouse
 * adapters) and the test driver (in-memory ports): decodes and checks the
 * records of a batch, hands them to the partition's task, dead-letters what
 * cannot be counted, and, on flush, writes the rows due and commits what they
 * cover. Batches and flush snapshots run one at a time.
 */
export class StreamRunner {
  private readonly tasks = new Map<number, PartitionTask>();
  private readonly taskStarts = new Map<number, Promise<PartitionTask>>();
  /** Keys of windows whose rows the store refused, per partition: they take no more events. */
  private readonly refused = new Map<number, Set<string>>();
  private readonly pendingLetters: DeadLetter[] = [];
  /** Live-window publishes under way: the next flush waits for them before it commits past their records. */
  private publishing: Promise<void>[] = [];
  /** Changed windows not yet published, the latest snapshot of each. */
  private readonly unpublished = new Map<string, WindowSnapshot>();
  private publishedAt = Number.NEGATIVE_INFINITY;
  private readonly exclusive = serializer();
  private flushing: Promise<void> = Promise.resolve();
  private queuedFlush: Promise<void> | null = null;
  /** The first flush that failed, if one did. */
  private flushFailure: { error: unknown } | undefined;
  /** Records accepted since the last flush snapshot: drives early flushes and backpressure. */
  acceptedSinceFlush = 0;

  /** The tasks' settings, with the room they share for open windows. */
  private readonly taskSettings: TaskSettings;
  private readonly checkpointPorts: CheckpointPorts;

  constructor(
    private readonly settings: RunnerSettings,
    private readonly ports: RunnerPorts,
    private readonly metrics: ProcessorMetrics,
    private readonly log: Logger,
  ) {
    this.taskSettings = {
      ...settings,
      // They keep the windows each batch changed only when there is somewhere to publish them.
      trackChanged: ports.liveWindows !== undefined,
      roomForWindow: () => this.openWindows < settings.maxOpenWindows,
    };
    this.checkpointPorts = { ...ports, topicOf: (kind) => ports.topics.topicOf(kind), rewindRefused: (refused) => this.rewindRefused(refused) };
  }

  /** Forgets every task: after a rebalance every partition resumes from its committed offsets. */
  reset(): void {
    this.tasks.clear();
    this.taskStarts.clear();
  }

  /** The next offset read on a topic-partition, when this process holds it. */
  position(topic: string, partition: number): number | undefined {
    const kind = this.ports.topics.kindOf(topic);
    return kind ? this.tasks.get(partition)?.position(kind) : undefined;
  }

  get openWindows(): number {
    let open = 0;
    for (const task of this.tasks.values()) open += task.openWindows;
    return open;
  }

  /** Whether a task holds rows due: a changed window closed (PartitionTask.rowsDue). */
  get rowsDue(): boolean {
    for (const task of this.tasks.values()) if (task.rowsDue) return true;
    return false;
  }

  /** Windows in memory, the closed ones kept for corrections included. */
  get windowsInMemory(): number {
    let windows = 0;
    for (const task of this.tasks.values()) windows += task.windowsInMemory;
    return windows;
  }

  /** The input topics of a partition that ran ahead of its slowest topic still catching up (PartitionTask.kindsAhead). */
  topicsAhead(partition: number): string[] {
    return (
      this.tasks
        .get(partition)
        ?.kindsAhead()
        .map((kind) => this.ports.topics.topicOf(kind)) ?? []
    );
  }

  /** Forgets the records left that batches before `before` reported, in every task (PartitionTask.forgetBacklog). */
  forgetBacklog(before: number): void {
    for (const task of this.tasks.values()) task.forgetBacklog(before);
  }

  /**
   * Processes one batch of one topic-partition. Resolves with the offset of
   * the last record handled (undefined when the batch was abandoned), once the
   * batch's dead letters are durable.
   */
  processBatch(topic: string, partition: number, records: readonly SourceRecord[], context: BatchContext): Promise<BatchResult | undefined> {
    return this.exclusive(() => this.processBatchNow(topic, partition, records, context));
  }

  private async processBatchNow(topic: string, partition: number, records: readonly SourceRecord[], context: BatchContext): Promise<BatchResult | undefined> {
    const kind = this.ports.topics.kindOf(topic);
    if (!kind) throw new Error(`received a record of ${topic}, which is not an input topic`);
    if (records.length === 0) return undefined;
    const batchDone = this.metrics.timeBatch(topic);
    const task = await this.taskFor(partition);
    const failures = await this.prepareSchemas(kind, topic, partition, records, context);
    if (!failures || !context.live() || this.tasks.get(partition) !== task) return undefined;

    const now = this.ports.clock();
    const letters: DeadLetter[] = [];
    const outcomes: RecordOutcome[] = records.map(() => 'accepted');
    const letter: Letter = (index, code, message, schemaId) => {
      const record = records[index]!;
      letters.push({
        topic,
        partition,
        offset: record.offset,
        timestamp: record.timestamp,
        key: record.key,
        value: record.value,
        code,
        message,
        ...(schemaId === undefined ? {} : { schemaId }),
      });
      outcomes[index] = code;
      this.log.warn({ topic, partition, offset: record.offset, code }, `dead letter: ${message}`);
    };
    const decoded = this.metrics.timed('decode', () =>
      records.map((record, index) => {
        try {
          return this.ports.codec.decodePrepared(kind, record.value, failures);
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          letter(index, error.code as DeadLetterCode, error.message, error.schemaId);
          return undefined;
        }
      }),
    );
    const items: BatchItem[] = this.metrics.timed('validate', () =>
      records.map((record, index) => {
        const event = decoded[index];
        if (!event) return { offset: record.offset };
        const problem = recordProblem(event.tagged, this.settings.limits, now) ?? keyProblem(record.key, event.tagged.event.employee_id);
        if (problem) {
          letter(index, problem.code, problem.message, event.schemaId);
          return { offset: record.offset };
        }
        return { offset: record.offset, record: { tagged: event.tagged, digest: digest16(record.value!) } };
      }),
    );

    const restoredBefore = task.restoredCount;
    await this.metrics.waited('restore', () => task.restore(items, this.ports.store));
    const results = this.metrics.timed('window', () => task.apply(kind, items, now));
    if (context.recordsLeft !== undefined) task.noteBacklog(kind, context.recordsLeft, now);
    if (this.ports.liveWindows) {
      this.metrics.timed('encode', () => {
        for (const snapshot of task.takeChanged(now)) this.unpublished.set(windowKeyOf(snapshot.employee_id, snapshot.window_start), snapshot);
        if (now - this.publishedAt >= LIVE_WINDOWS_INTERVAL_MS) this.publishLiveWindows(now);
      });
    }
    for (const [i, result] of results.entries()) {
      if (!result) continue;
      outcomes[i] = result.outcome;
      this.count(result, i, records[i]!, items[i]!, letter);
    }
    // Dead letters are durable before the offsets that pass them can be committed.
    await this.ports.deadLetters.send(letters);
    this.pendingLetters.push(...letters);
    this.metrics.countBatch(topic, outcomes);
    this.metrics.windowsRestored(task.restoredCount - restoredBefore);
    this.metrics.watermark(partition, task.watermark());
    this.metrics.windowState(this.openWindows, this.windowsInMemory, this.acceptedSinceFlush);
    batchDone();
    return { lastOffset: records.at(-1)!.offset, outcomes };
  }

  /**
   * Publishes the windows changed since the last publish, each once, as it
   * stands now. Not awaited, so alerting adds no latency to a batch; a failure
   * fails the next flush, before its commit.
   */
  private publishLiveWindows(now: number): void {
    this.publishedAt = now;
    if (this.unpublished.size === 0) return;
    const published = this.ports.liveWindows!.publish([...this.unpublished.values()]);
    this.unpublished.clear();
    published.catch(() => undefined);
    this.publishing.push(published);
  }

  private count(result: RecordResult, index: number, record: SourceRecord, item: BatchItem, letter: Letter): void {
    const event = item.record!.tagged;
    switch (result.outcome) {
      case 'accepted':
        this.acceptedSinceFlush += 1;
        return;
      case 'duplicate':
        return;
      case 'conflicting-duplicate':
        this.log.warn(
          { offset: record.offset, kind: event.kind },
          `${event.kind} ${event.event.event_id} repeats an event_id with other content; the first copy counts`,
        );
        return;
      case 'KPI_ERR_TOO_LATE':
        letter(
          index,
          result.outcome,
          `too late: ${event.kind} ${event.event.event_id} belongs to the window from ${formatTime(result.window.start)}, which ended more than the correction horizon (KPI_CORRECTION_HORIZON) before this partition's clock`,
        );
        return;
      case 'KPI_ERR_OUT_OF_RANGE':
        letter(index, result.outcome, result.message!);
        return;
      case 'KPI_ERR_SINK_REJECTED':
        letter(index, result.outcome, `${result.message!} (employee ${event.event.employee_id}, window from ${formatTime(result.window.start)})`);
        return;
      case 'KPI_ERR_TOO_MANY_WINDOWS':
        letter(
          index,
          result.outcome,
          `the processor holds ${this.settings.maxOpenWindows} open employee-windows (KPI_MAX_OPEN_WINDOWS): the window of employee ${event.event.employee_id} from ${formatTime(result.window.start)} is not opened`,
        );
        return;
      case 'KPI_ERR_TOO_MANY_EVENTS':
        letter(
          index,
          result.outcome,
          `the window of employee ${event.event.employee_id} from ${formatTime(result.window.start)} holds ${this.settings.maxWindowEvents} events (KPI_MAX_WINDOW_EVENTS): no more are added to it`,
        );
        return;
    }
  }

  /** Fetches the schemas a batch names, waiting while the registry is down. Undefined when the batch was abandoned meanwhile. */
  private async prepareSchemas(kind: EventKind, topic: string, partition: number, records: readonly SourceRecord[], context: BatchContext) {
    const values = records.map((r) => r.value);
    try {
      return await retrying(
        async () => {
          if (!context.live()) return undefined;
          return this.ports.codec.prepare(kind, values);
        },
        {
          what: `fetching schemas for ${topic}[${partition}] at offset ${records[0]!.offset}`,
          log: this.log,
          retriable: (error) => error instanceof RegistryUnavailableError,
          signal: context.signal,
          onRetry: () => context.heartbeat(),
        },
      );
    } catch (error) {
      if (!context.live()) return undefined;
      throw error;
    }
  }

  /** The task of a partition, created on its first batch from the resume points its last owner committed. */
  private taskFor(partition: number): Promise<PartitionTask> {
    let start = this.taskStarts.get(partition);
    if (!start) {
      start = (async () => {
        const committed = await this.ports.offsets.committed(partition);
        const resume = new Map<EventKind, ResumePoint>();
        for (const [topic, point] of committed) {
          const kind = this.ports.topics.kindOf(topic);
          if (kind) resume.set(kind, point);
        }
        const storedThrough = await this.ports.store.latestWindowStart();
        const task = new PartitionTask(partition, this.taskSettings, this.ports.clock(), resume, this.refusedKeys(partition), storedThrough);
        this.log.debug({ partition, resume: JSON.stringify([...resume]) }, `partition ${partition}: task resumes from the committed offsets`);
        this.tasks.set(partition, task);
        return task;
      })();
      this.taskStarts.set(partition, start);
      start.catch(() => this.taskStarts.delete(partition));
    }
    return start;
  }

  private refusedKeys(partition: number): Set<string> {
    let keys = this.refused.get(partition);
    if (!keys) this.refused.set(partition, (keys = new Set()));
    return keys;
  }

  /**
   * Runs a checkpoint (processors/checkpoint.ts): writes the rows due (every
   * open window when `closeAll`) and the dead letters' table rows, then
   * commits what they cover. Checkpoints run one at a time; a call while one
   * is queued and not yet started joins it.
   */
  flush(closeAll = false): Promise<void> {
    if (this.queuedFlush && !closeAll) return this.queuedFlush;
    const run: Promise<void> = this.flushing.then(() => {
      if (this.queuedFlush === run) this.queuedFlush = null;
      return this.flushOnce(closeAll);
    });
    this.queuedFlush = run;
    this.flushing = run.catch((error: unknown) => {
      this.flushFailure ??= { error };
    });
    return run;
  }

  private async flushOnce(closeAll: boolean): Promise<void> {
    // A flush that failed drained rows it did not write: no later flush may commit past them (the process stops and resumes from the last commit).
    if (this.flushFailure) throw this.flushFailure.error;
    const capture = await this.exclusive(async () => this.capture(closeAll));
    await completeCheckpoint(capture, this.checkpointPorts, this.metrics);
  }

  /** A checkpoint's first half (processors/checkpoint.ts), between two batches. */
  private capture(closeAll: boolean): Capture {
    const wall = this.ports.clock();
    const now = closeAll ? Number.POSITIVE_INFINITY : wall;
    const keepClosed = Math.floor(this.settings.closedWindowCache / Math.max(1, this.tasks.size));
    const partitions = this.metrics.timed('encode', () =>
      [...this.tasks.entries()].map(([partition, task]) => ({
        partition,
        rows: task.drain(now, keepClosed),
        dueAt: task.dueAt.map((due) => Math.min(due, wall)),
        points: task.resumePoints(),
      })),
    );
    const letters = this.pendingLetters.splice(0);
    if (this.ports.liveWindows) this.metrics.timed('encode', () => this.publishLiveWindows(wall));
    const publishes = this.publishing.splice(0);
    this.acceptedSinceFlush = 0;
    this.metrics.windowState(this.openWindows, this.windowsInMemory, 0);
    return { partitions, letters, publishes };
  }

  /**
   * The store refused these rows' content for good: their windows take no
   * more events, and their partitions are read again from the last commit, so
   * that every record of those windows not yet in an accepted row goes to the
   * dead letters with its original bytes (and every other record counts as it
   * would have).
   */
  private rewindRefused(refused: readonly { row: WindowRow; partition: number }[]): Promise<Set<number>> {
    return this.exclusive(async () => {
      const partitions = new Set<number>();
      for (const { row, partition } of refused) {
        this.refusedKeys(partition).add(windowKeyOf(row.employee_id, row.window_start));
        partitions.add(partition);
        this.metrics.rowRefused();
        this.log.error(
          { employee: row.employee_id, windowStart: formatTime(row.window_start), partition },
          'the window store refused this row for good; its records go to the dead letters',
        );
      }
      for (const partition of partitions) {
        const points = await this.ports.offsets.committed(partition);
        this.tasks.delete(partition);
        this.taskStarts.delete(partition);
        this.log.info({ partition, points: JSON.stringify([...points]) }, `partition ${partition}: reading again from the last commit`);
        await this.ports.rewind(partition, points);
        this.metrics.partitionRewound();
      }
      return partitions;
    });
  }
}

/** Whether `key` holds `text` in UTF-8 (ASCII, the usual case, compared in place). */
function keyIs(key: Buffer, text: string): boolean {
  if (key.length === text.length) {
    let ascii = true;
    for (let i = 0; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      if (key[i] !== c) return false;
    }
    if (ascii) return true;
  }
  return key.equals(Buffer.from(text, 'utf8'));
}

/** A record whose Kafka key is not its employee_id would be counted in the wrong partition's task. */
export function keyProblem(key: Buffer | null, employeeId: string): { code: DeadLetterCode; message: string } | undefined {
  if (key !== null && keyIs(key, employeeId)) return undefined;
  const shown = key === null ? 'null' : JSON.stringify(key.toString('utf8').slice(0, 200));
  return {
    code: 'KPI_ERR_KEY_MISMATCH',
    message: `the record's key ${shown} is not its employee_id ${JSON.stringify(employeeId.slice(0, 200))}: an employee's events must share a key (and so a partition)`,
  };
}
