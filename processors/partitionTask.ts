import type { ResumePoint, WindowStore } from '../contract/ports.js';
import type { WindowKey, WindowRow } from '../contract/windowRow.js';
import type { WindowSnapshot } from '../contract/windowSnapshot.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { observedTimeOf, windowTimeOf } from '../schemas/inputs.js';
import { EVENT_KINDS, type EventKind, type KindedEvent } from '../schemas/kinds.js';
import {
  applyEvent,
  contributionProblem,
  eventKey,
  fromRow,
  newEmployeeWindow,
  measuresOf,
  primaryStation,
  repeatOf,
  releaseCells,
  reportOf,
  toRow,
  versionOf,
  EmployeeWindow,
} from './employeeWindow.js';
import type { RecordOutcome, Repeat } from './outcome.js';
import { WindowArena } from './windowArena.js';
import type { PlantWindow, WindowAssigner } from './windows.js';

export interface TaskSettings {
  readonly windows: WindowAssigner;
  readonly catalog: KpiCatalog;
  /** A window closes when the watermark (latest observed time − this) passes its end. */
  readonly allowedLateness: number;
  /** Events for windows that ended longer than this before the partition's clock are too late. */
  readonly correctionHorizon: number;
  /** After this long (wall clock) without events, every open window closes. */
  readonly idleClose: number;
  /** 'final': a row when a window closes; 'update': also whenever it changed. */
  readonly emitMode: 'final' | 'update';
  /** Keep the windows each batch changed for `takeChanged` (live alerting); off, nothing is kept. */
  readonly trackChanged?: boolean;
  /** Most events one employee-window takes (KPI_MAX_WINDOW_EVENTS): a record past it is dead-lettered (KPI_ERR_TOO_MANY_EVENTS), never held. */
  readonly maxWindowEvents: number;
  /**
   * Whether the process has room for one more open window (KPI_MAX_OPEN_WINDOWS, across its tasks): a record that
   * would open a window without it is dead-lettered (KPI_ERR_TOO_MANY_WINDOWS), so a flood of new employee ids cannot exhaust memory.
   */
  readonly roomForWindow?: () => boolean;
}

/** A decoded, checked record of one topic-partition. */
export interface InputRecord {
  readonly tagged: KindedEvent;
  /** 16-bit digest of the record's bytes: tells a retried copy from a different event reusing its id. */
  readonly digest: number;
}

/** One record of a batch: a decoded event, or a record that went to the dead letters (only its offset matters here). */
export interface BatchItem {
  readonly offset: number;
  readonly record?: InputRecord;
}

/**
 * What the task made of a record: counted, a repeat, or dead-lettered as too
 * late (KPI_ERR_TOO_LATE), as overflowing its window's exact sums
 * (KPI_ERR_OUT_OF_RANGE), as belonging to a window whose row the store
 * refused (KPI_ERR_SINK_REJECTED: nothing more is added to it), as opening a
 * window when the process holds as many as it may (KPI_ERR_TOO_MANY_WINDOWS,
 * TaskSettings.roomForWindow) or as adding to a window that holds as many
 * events as it may (KPI_ERR_TOO_MANY_EVENTS, TaskSettings.maxWindowEvents).
 */
export type TaskOutcome = Extract<
  RecordOutcome,
  'accepted' | Repeat | 'KPI_ERR_TOO_LATE' | 'KPI_ERR_OUT_OF_RANGE' | 'KPI_ERR_SINK_REJECTED' | 'KPI_ERR_TOO_MANY_WINDOWS' | 'KPI_ERR_TOO_MANY_EVENTS'
>;

export interface RecordResult {
  readonly outcome: TaskOutcome;
  /** The record's window. */
  readonly window: PlantWindow;
  /** Why, for outcomes that dead-letter the record. */
  readonly message?: string;
}

/** A window in a task's memory: its numbers and the task's bookkeeping of it, one object. */
class OpenWindow extends EmployeeWindow {
  /** The drain that last returned its row. */
  drainedIn = -1;
  /** While changed since its last row, its place in the task's `dirtyWindows` (and its numbers' in `unwritten`); else -1. */
  dirtyAt = -1;
  /** The same employee's next window in memory: an employee's windows form a list. */
  next: OpenWindow | undefined = undefined;
  /** In the task's `changed` list (took an event since the last `takeChanged`). */
  changed = false;
}

/** Each kind's place among a window's resume points in `unwritten`. */
const KIND_INDEX = Object.fromEntries(EVENT_KINDS.map((kind, i) => [kind, i])) as Record<EventKind, number>;
/** Numbers per changed window in `unwritten`: an offset and a clock per kind, then the wall-clock time of its first change since its last row. */
const RESUME_WORDS = 2 * EVENT_KINDS.length;
const CHANGED_AT = RESUME_WORDS;
const POINT_WORDS = RESUME_WORDS + 1;

export const windowKeyOf = (employeeId: string, windowStart: number): string => `${windowStart}\u0000${employeeId}`;

/**
 * The processor of one partition number: the records of all five input topics
 * whose key (the employee) hashes to it. Like a Kafka Streams task: records
 * in, rows out, time passed in; its only I/O is reading, through the window
 * store port, the rows of windows that are not in memory.
 *
 * - Each topic-partition has a clock, the latest time its source observed
 *   (production time, interval end, inspection time, feedback time, submit
 *   time). The watermark is the latest clock minus the allowed lateness,
 *   capped, while topics still have records to read, by the earliest of
 *   their clocks (`noteBacklog`, `kindsAhead`).
 * - A record belongs to the window of its production or period time; if that
 *   window ended more than the correction horizon before its partition's
 *   clock, the record is too late. Otherwise it is applied to the window's
 *   aggregate, unless that aggregate already holds its kind and event_id.
 * - Windows stay in memory while open. `processBatch` first reads the current
 *   rows of the windows its records need that are not in memory (closed
 *   earlier, or written before a restart), then applies the records. It reads
 *   only windows that can have a row (`storedThrough`, below): a backfill or
 *   a day's first events create their windows without a round trip.
 * - `drain()` returns the rows due: closed windows that changed (and, in
 *   'update' mode, every window that changed); closed windows whose rows
 *   were written leave memory.
 * - `resumePoints()` says where a restart must resume: the earliest unwritten
 *   record per topic.
 */
export class PartitionTask {
  private readonly clocks = new Map<EventKind, number>();
  private readonly positions = new Map<EventKind, number>();
  /** Kinds whose topic-partition had records left to read after its last batch, with that batch's wall-clock time. */
  private readonly backlogged = new Map<EventKind, number>();
  /** Windows in memory by employee: the first of the employee's list. */
  private readonly open = new Map<string, OpenWindow>();
  private windowCount = 0;
  /** The windows changed since their last row (each once), in the order they changed: what a drain looks at, rather than every window in memory. */
  private dirtyWindows: OpenWindow[] = [];
  /**
   * Per changed window (aligned with `dirtyWindows`), per kind (in EVENT_KINDS order): the offset of the first
   * record applied since its last row and the clock before it (NaN: a null clock), NaN offsets where none. Numbers
   * of the task rather than objects of each window: resume points as objects held about 350 bytes per window.
   */
  private unwritten = new Float64Array(POINT_WORDS * 64);
  /** Windows in memory not changed since their last row (or read back, or opened by a refused record), counted by window end. */
  private readonly cleanByEnd = new Map<number, number>();
  /** The numbers of every window in memory: its cells are blocks of the task's arena. */
  private readonly arena = new WindowArena();
  /** Closed windows whose rows were written, kept at the last drain for corrections (KPI_CLOSED_WINDOW_CACHE). */
  private cachedClosed = 0;
  /** With `trackChanged`: the windows that took an event since the last `takeChanged`, each once. */
  private changed: OpenWindow[] = [];
  private lastRecordAt: number;
  private drains = 0;
  /**
   * The latest start of a window that can have a row in the store that this
   * task must read: the store's latest window when the task began
   * (`WindowStore.latestWindowStart`), raised by every row the task drains.
   * A window that starts later is new. Why no row can be missed that way:
   * every record before the committed resume points is in a row written
   * before that commit, hence before the task began, so a window that starts
   * after the store's latest has no such record. A row of it written since
   * (by a crashed or lingering previous owner, after its last commit) holds
   * only records from the resume points on, which this task reads again:
   * the task counts each once and its later rows supersede (versions count
   * events), exactly as when such a row lands while the window is in memory.
   */
  private storedThrough: number;
  /** (wall time, watermark) each time a batch raised the watermark since the last drain, after the last one before it. */
  private watermarkHistory: number[] = [];
  /** When the rows of the last drain became due (wall clock, ms), aligned with them: for the close → queryable latency. */
  dueAt: number[] = [];
  /** The windows of the batch under way, settled when it began (`restore`): its records all fall by the same plant clocks. */
  private windows: WindowAssigner;

  /**
   * @param resume where the previous owner committed, per kind
   * @param refused keys of windows whose rows the store refused: records that would change them are refused too
   * @param storedThrough the store's latest window start when the task began (null: no rows); unknown (+∞) reads every window not in memory
   */
  constructor(
    readonly partition: number,
    private readonly settings: TaskSettings,
    now: number,
    resume: ReadonlyMap<EventKind, ResumePoint> = new Map(),
    private readonly refused: ReadonlySet<string> = new Set(),
    storedThrough: number | null = Number.POSITIVE_INFINITY,
  ) {
    this.storedThrough = storedThrough ?? Number.NEGATIVE_INFINITY;
    this.windows = settings.windows.settled();
    this.lastRecordAt = now;
    for (const [kind, point] of resume) {
      if (point.clock !== null) this.clocks.set(kind, point.clock);
      this.positions.set(kind, point.offset);
    }
  }

  windowOf(tagged: KindedEvent): PlantWindow {
    return this.windows.windowFor(windowTimeOf(tagged), tagged.event.employee_id);
  }

  /**
   * Processes one batch of one topic-partition, in offset order: reads the
   * windows it needs from `store`, then applies every record. Items without a
   * record (dead letters) only move the position past them.
   */
  async processBatch(kind: EventKind, items: readonly BatchItem[], now: number, store: Pick<WindowStore, 'current'>): Promise<(RecordResult | undefined)[]> {
    await this.restore(items, store);
    return this.apply(kind, items, now);
  }

  /** The first half of processBatch: reads from `store` the windows the items need that can have a row and are not in memory. */
  async restore(items: readonly BatchItem[], store: Pick<WindowStore, 'current'>): Promise<void> {
    this.windows = this.settings.windows.settled();
    let missing: Map<string, WindowKey> | undefined;
    for (const { record } of items) {
      if (!record) continue;
      const windowStart = this.windowOf(record.tagged).start;
      if (windowStart > this.storedThrough) continue;
      const employeeId = record.tagged.event.employee_id;
      if (this.find(employeeId, windowStart)) continue;
      (missing ??= new Map()).set(windowKeyOf(employeeId, windowStart), { employeeId, windowStart });
    }
    if (!missing) return;
    const restored = await store.current([...missing.values()]);
    for (const row of restored) {
      // A window may have come into memory meanwhile only through this task, which runs one batch at a time.
      // Without room, it stays out, and its records are refused as they would open it (`process`).
      if (!this.find(row.employee_id, row.window_start) && this.hasRoom())
        this.add(row.employee_id, fromRow(this.settings.catalog, row, this.arena, OpenWindow));
    }
    this.restoredCount += restored.length;
  }

  /** The second half of processBatch: applies the items, in offset order (synchronous). */
  apply(kind: EventKind, items: readonly BatchItem[], now: number): (RecordResult | undefined)[] {
    const results = new Array<RecordResult | undefined>(items.length);
    let clock = this.clocks.get(kind) ?? null;
    for (let i = 0; i < items.length; i += 1) {
      const { offset, record } = items[i]!;
      if (record) {
        const clockBefore = clock;
        clock = Math.max(clock ?? Number.NEGATIVE_INFINITY, observedTimeOf(record.tagged));
        results[i] = this.process(kind, offset, record, clockBefore, clock, now);
      }
    }
    if (items.length > 0) this.positions.set(kind, items[items.length - 1]!.offset + 1);
    if (clock !== null) {
      this.clocks.set(kind, clock);
      this.noteWatermark(now);
    }
    return results;
  }

  /** Windows read back from the store so far. */
  restoredCount = 0;

  /** The earliest end of a window changed since its last row (+∞: none). */
  private dirtyEnd = Number.POSITIVE_INFINITY;

  /**
   * Whether a drain now would return rows: a changed window has closed (the
   * watermark passed it, or it was closed already and took a correction). The
   * runner flushes then rather than at the next interval, so a closed
   * window's row is written as soon as the one before it is.
   */
  get rowsDue(): boolean {
    return this.dirtyEnd <= this.watermark();
  }

  private process(kind: EventKind, offset: number, { tagged, digest }: InputRecord, clockBefore: number | null, clock: number, now: number): RecordResult {
    this.lastRecordAt = now;
    const time = windowTimeOf(tagged);
    const employeeId = tagged.event.employee_id;
    const window = this.windows.windowFor(time, employeeId);
    if (window.end + this.settings.correctionHorizon < clock) return { outcome: 'KPI_ERR_TOO_LATE', window };

    let entry = this.find(employeeId, window.start);
    if (!entry) {
      if (!this.hasRoom()) return { outcome: 'KPI_ERR_TOO_MANY_WINDOWS', window };
      entry = this.add(employeeId, newEmployeeWindow(this.settings.catalog, employeeId, window, this.arena, OpenWindow));
    }
    if (versionOf(entry) >= this.settings.maxWindowEvents)
      return { outcome: repeatOf(this.settings.catalog, entry, eventKey(tagged), digest) ?? 'KPI_ERR_TOO_MANY_EVENTS', window };
    const problem = contributionProblem(this.settings.catalog, entry, tagged);
    if (problem) return { outcome: 'KPI_ERR_OUT_OF_RANGE', window, message: problem };
    if (this.refused.size > 0 && this.refused.has(windowKeyOf(employeeId, window.start))) {
      return {
        outcome: repeatOf(this.settings.catalog, entry, eventKey(tagged), digest) ?? 'KPI_ERR_SINK_REJECTED',
        window,
        message: "the window store refused this window's row, so nothing more is added to it",
      };
    }
    const outcome = applyEvent(this.settings.catalog, entry, tagged, digest, this.windows.hourOf(time, employeeId));
    if (outcome !== 'accepted') return { outcome, window };
    if (entry.dirtyAt < 0) {
      if (window.end < this.dirtyEnd) this.dirtyEnd = window.end;
      entry.dirtyAt = this.dirtyWindows.length;
      this.dirtyWindows.push(entry);
      if (this.unwritten.length < POINT_WORDS * this.dirtyWindows.length) this.resizeUnwritten(Math.ceil(1.25 * this.dirtyWindows.length));
      this.unwritten.fill(Number.NaN, POINT_WORDS * entry.dirtyAt, POINT_WORDS * (entry.dirtyAt + 1));
      this.unwritten[POINT_WORDS * entry.dirtyAt + CHANGED_AT] = now;
      this.countClean(window.end, -1);
    }
    const at = POINT_WORDS * entry.dirtyAt + 2 * KIND_INDEX[kind];
    if (Number.isNaN(this.unwritten[at]!)) {
      this.unwritten[at] = offset;
      this.unwritten[at + 1] = clockBefore ?? Number.NaN;
    }
    if (this.settings.trackChanged && !entry.changed) {
      entry.changed = true;
      this.changed.push(entry);
    }
    return { outcome, window };
  }

  /**
   * The windows that took an event since the last call (with `trackChanged`),
   * as they stand now: what live alerting judges. One snapshot per changed
   * window, however many of its events the batches since carried.
   */
  takeChanged(now: number): WindowSnapshot[] {
    const { catalog } = this.settings;
    const snapshots = new Array<WindowSnapshot>(this.changed.length);
    for (const [i, entry] of this.changed.entries()) {
      const report = reportOf(entry);
      entry.changed = false;
      snapshots[i] = {
        employee_id: entry.employeeId,
        window_start: entry.window.start,
        window_end: entry.window.end,
        station_id: primaryStation(catalog, entry),
        version: versionOf(entry),
        measures: catalog.named(measuresOf(catalog, entry)),
        report: report && { units: report.units, run_hours: report.runHours, defective_units: report.defectiveUnits, self_score: report.selfScore },
        observed_at: now,
      };
    }
    this.changed = [];
    return snapshots;
  }

  private hasRoom(): boolean {
    return this.settings.roomForWindow?.() ?? true;
  }

  /** The employee's window in memory that starts at `windowStart`. */
  private find(employeeId: string, windowStart: number): OpenWindow | undefined {
    for (let entry = this.open.get(employeeId); entry; entry = entry.next) if (entry.window.start === windowStart) return entry;
    return undefined;
  }

  private add(employeeId: string, entry: OpenWindow): OpenWindow {
    this.countClean(entry.window.end, 1);
    let last = this.open.get(employeeId);
    if (!last) this.open.set(employeeId, entry);
    else {
      while (last.next) last = last.next;
      last.next = entry;
    }
    this.windowCount += 1;
    return entry;
  }

  /**
   * Remembers when the watermark rose, for the moments windows become due. A
   * watermark that fell (a topic reported records left to read) undoes the
   * rises above it: the windows past it are not due after all, until it rises
   * past them again.
   */
  private noteWatermark(now: number): void {
    const watermark = this.watermark();
    const history = this.watermarkHistory;
    while (history.length > 2 && history[history.length - 1]! > watermark) history.length -= 2;
    if (history.length === 2 && history[1]! > watermark) history[1] = watermark;
    if (history.length === 0 || watermark > history[history.length - 1]!) history.push(now, watermark);
  }

  /** The next offset this task reads on a kind's topic-partition, once it has a position there. */
  position(kind: EventKind): number | undefined {
    return this.positions.get(kind);
  }

  /**
   * Whether the kind's topic-partition has records left to read after the
   * batch just applied (the consumer's lag there; the test driver never says).
   */
  noteBacklog(kind: EventKind, recordsLeft: number, now: number): void {
    if (recordsLeft > 0) this.backlogged.set(kind, now);
    else this.backlogged.delete(kind);
    this.noteWatermark(now);
  }

  /**
   * Forgets the records left that batches before `before` (wall clock)
   * reported: a topic whose batches stopped (its last records aborted or
   * still in an open transaction, which the consumer skips while the lag
   * counts them; a stalled fetch) must not hold the watermark back.
   */
  forgetBacklog(before = Number.POSITIVE_INFINITY): void {
    for (const [kind, at] of this.backlogged) if (at < before) this.backlogged.delete(kind);
  }

  /** The earliest clock of the topics with records left to read; +∞ when none. */
  private backlogClock(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const kind of this.backlogged.keys()) earliest = Math.min(earliest, this.clocks.get(kind) ?? Number.POSITIVE_INFINITY);
    return earliest;
  }

  /**
   * The latest clock minus the allowed lateness; −∞ before any record. While
   * topics have records left to read (a backfill, a replay, a consumer that
   * fell behind), the earliest of their clocks caps the latest: a window
   * closes once every topic still catching up has passed it, not when the
   * sparsest topic (weeks of customer feedback in one fetch) has.
   */
  watermark(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const clock of this.clocks.values()) latest = Math.max(latest, clock);
    return Math.min(latest, this.backlogClock()) - this.settings.allowedLateness;
  }

  /**
   * Topics that ran ahead while catching up: records left to read and a clock
   * more than the allowed lateness past the earliest clock of such topics.
   * The consumer pauses them until the others catch up (processors/kafka/pacing.ts),
   * so a backfill reads its topics side by side in event time rather than
   * one far ahead of the others; the topic with the earliest clock is never
   * among them.
   */
  kindsAhead(): EventKind[] {
    const limit = this.backlogClock() + this.settings.allowedLateness;
    return [...this.backlogged.keys()].filter((kind) => (this.clocks.get(kind) ?? Number.NEGATIVE_INFINITY) > limit);
  }

  /**
   * The rows due now. A closed window whose row was written may leave memory
   * from the drain after its last row on: the caller drains again only once
   * that row is written, so a record for the window meanwhile finds it here
   * rather than reading a row still on its way to the store. Up to
   * `keepClosed` of them stay (those of the latest windows), so that
   * corrections to them need no read; the rest leave. `dueAt` then says when
   * each row became due: when the watermark passed its window's end (or the
   * partition went idle), or when it changed, if later.
   */
  drain(now: number, keepClosed = 0): WindowRow[] {
    const drain = ++this.drains;
    const idle = now - this.lastRecordAt >= this.settings.idleClose;
    const watermark = idle ? Number.POSITIVE_INFINITY : this.watermark();
    const rows: WindowRow[] = [];
    const dueAt: number[] = [];
    // Only the windows changed since their last row can have one due: the others are counted by end (cleanByEnd).
    const stillDirty: OpenWindow[] = [];
    /** Closed windows whose rows this drain returns, by end: they stay until the next drain (their rows are on their way). */
    const drainedNow = new Map<number, number>();
    let dirtyEnd = Number.POSITIVE_INFINITY;
    for (const entry of this.dirtyWindows) {
      const end = entry.window.end;
      const closed = end <= watermark;
      const at = entry.dirtyAt;
      if (closed || this.settings.emitMode === 'update') {
        rows.push(toRow(this.settings.catalog, entry));
        // Its numbers in `unwritten` are still in place: the windows before it moved only to places before its own.
        const changedAt = this.unwritten[POINT_WORDS * at + CHANGED_AT]!;
        dueAt.push(closed ? Math.max(changedAt, idle && end > this.watermark() ? this.lastRecordAt + this.settings.idleClose : this.passedAt(end)) : changedAt);
        if (entry.window.start > this.storedThrough) this.storedThrough = entry.window.start;
        entry.drainedIn = drain;
        entry.dirtyAt = -1;
        this.countClean(end, 1);
        if (closed) drainedNow.set(end, (drainedNow.get(end) ?? 0) + 1);
      } else {
        // Its resume points move down with it (never up: it keeps its place or takes one a drained window left).
        entry.dirtyAt = stillDirty.length;
        if (entry.dirtyAt !== at) this.unwritten.copyWithin(POINT_WORDS * entry.dirtyAt, POINT_WORDS * at, POINT_WORDS * (at + 1));
        stillDirty.push(entry);
        if (end < dirtyEnd) dirtyEnd = end;
      }
    }
    this.dirtyWindows = stillDirty;
    this.dirtyEnd = dirtyEnd;
    // After a backfill's windows close, the room for their resume points goes.
    if (this.unwritten.length > POINT_WORDS * Math.max(64, 4 * stillDirty.length)) this.resizeUnwritten(Math.max(64, 2 * stillDirty.length));
    // Closed windows written before this drain, counted by window end: the latest stay, up to keepClosed.
    const written = new Map<number, number>();
    let total = 0;
    for (const [end, count] of this.cleanByEnd) {
      if (end > watermark) continue;
      const before = count - (drainedNow.get(end) ?? 0);
      if (before > 0) {
        written.set(end, before);
        total += before;
      }
    }
    this.cachedClosed = Math.min(total, keepClosed);
    if (total > keepClosed) this.evict((entry) => entry.window.end <= watermark && entry.dirtyAt < 0 && entry.drainedIn !== drain, written, keepClosed);
    const history = this.watermarkHistory;
    if (history.length > 2) this.watermarkHistory = history.slice(-2);
    this.dueAt = dueAt;
    return rows;
  }

  /** `unwritten` with room for `windows` changed windows, those it holds kept. */
  private resizeUnwritten(windows: number): void {
    const resized = new Float64Array(POINT_WORDS * windows);
    resized.set(this.unwritten.subarray(0, Math.min(this.unwritten.length, POINT_WORDS * this.dirtyWindows.length)));
    this.unwritten = resized;
  }

  private countClean(end: number, delta: number): void {
    const count = (this.cleanByEnd.get(end) ?? 0) + delta;
    if (count === 0) this.cleanByEnd.delete(end);
    else this.cleanByEnd.set(end, count);
  }

  /** Removes the windows `evictable` picks beyond the `keep` latest (by window end; `counts` says how many there are per end). */
  private evict(evictable: (entry: OpenWindow) => boolean, counts: ReadonlyMap<number, number>, keep: number): void {
    // Windows ending after `boundary` stay; of those ending at it, the first `partial` met stay.
    let boundary = Number.POSITIVE_INFINITY;
    let partial = 0;
    let room = keep;
    for (const end of [...counts.keys()].sort((a, b) => b - a)) {
      boundary = end;
      partial = Math.min(room, counts.get(end)!);
      room -= partial;
      if (room === 0) break;
    }
    for (const [employeeId, first] of this.open) {
      let kept: OpenWindow | undefined;
      let last: OpenWindow | undefined;
      for (let entry: OpenWindow | undefined = first; entry; entry = entry.next) {
        if (evictable(entry)) {
          const end = entry.window.end;
          if (end < boundary || (end === boundary && partial-- <= 0)) {
            this.windowCount -= 1;
            this.countClean(end, -1);
            releaseCells(this.settings.catalog, entry);
            continue;
          }
        }
        if (last) last.next = entry;
        else kept = entry;
        last = entry;
      }
      if (last) last.next = undefined;
      if (!kept) this.open.delete(employeeId);
      else if (kept !== first) this.open.set(employeeId, kept);
    }
  }

  /** When the watermark first passed `end` (wall clock), as far back as the drain before last; −∞ when before that. */
  private passedAt(end: number): number {
    const history = this.watermarkHistory;
    for (let i = 0; i < history.length; i += 2) if (history[i + 1]! >= end) return i === 0 ? Number.NEGATIVE_INFINITY : history[i]!;
    return Number.NEGATIVE_INFINITY;
  }

  /**
   * Per topic-partition seen, where a restart must resume: the earliest record
   * not yet in a drained row, or else the next record.
   */
  resumePoints(): Map<EventKind, ResumePoint> {
    // One pass, for every kind at once, over the windows changed since their last row (not every window in memory: up to KPI_CLOSED_WINDOW_CACHE more).
    const earliest = new Float64Array(RESUME_WORDS).fill(Number.NaN);
    // Only windows changed since their last row hold unwritten records.
    const unwritten = this.unwritten;
    for (let i = 0; i < POINT_WORDS * this.dirtyWindows.length; i += POINT_WORDS) {
      for (let at = 0; at < RESUME_WORDS; at += 2) {
        if (unwritten[i + at]! < earliest[at]! || Number.isNaN(earliest[at]!)) {
          earliest[at] = unwritten[i + at]!;
          earliest[at + 1] = unwritten[i + at + 1]!;
        }
      }
    }
    const points = new Map<EventKind, ResumePoint>();
    for (const kind of EVENT_KINDS) {
      const position = this.positions.get(kind);
      if (position === undefined) continue;
      const at = 2 * KIND_INDEX[kind];
      const offset = earliest[at]!;
      if (offset < position) {
        const clock = earliest[at + 1]!;
        points.set(kind, { offset, clock: Number.isNaN(clock) ? null : clock });
      } else points.set(kind, { offset: position, clock: this.clocks.get(kind) ?? null });
    }
    return points;
  }

  /** Windows in memory that are open, or closed and not yet written (as of the last drain: the closed-window cache aside). */
  get openWindows(): number {
    return this.windowCount - this.cachedClosed;
  }

  /** Windows in memory, the closed-window cache included. */
  get windowsInMemory(): number {
    return this.windowCount;
  }
}
