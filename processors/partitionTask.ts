import { EVENT_KINDS, type EventKind, type KindedEvent } from '../schemas/kinds.js';
import { applyEvent, fromRow, newEmployeeWindow, toRow, type EmployeeWindow, type EmployeeWindowRow } from './employeeWindow.js';
import { observedTimeOf, windowTimeOf } from './eventTime.js';
import type { TimeWindow, TumblingWindows } from './windows.js';

export interface TaskSettings {
  readonly windows: TumblingWindows;
  /** A window closes when the watermark (latest observed time − this) passes its end. */
  readonly allowedLateness: number;
  /** Events for windows that ended longer than this before the partition's clock are too late. */
  readonly correctionHorizon: number;
  /** After this long (wall clock) without events, every open window closes. */
  readonly idleClose: number;
  /** 'final': a row when a window closes; 'update': also whenever it changed. */
  readonly emitMode: 'final' | 'update';
}

/** One decoded input record. */
export interface InputRecord {
  readonly kind: EventKind;
  readonly offset: number;
  readonly tagged: KindedEvent;
}

export type Outcome = 'accepted' | 'duplicate' | 'too-late';

export interface WindowKey {
  readonly employeeId: string;
  readonly windowStart: number;
}

/** Where to resume a topic-partition: the offset to read next and the clock just before it. */
export interface ResumePoint {
  readonly offset: number;
  readonly clock: number | null;
}

interface OpenWindow {
  readonly state: EmployeeWindow;
  /** Changed since its last row. */
  dirty: boolean;
  /** The drain that last returned its row. */
  drainedIn: number;
  /** Per kind, the first record applied since the last row, and the clock before it. */
  unwritten: Partial<Record<EventKind, ResumePoint>>;
}

const keyOf = (employeeId: string, windowStart: number) => `${windowStart}\u0000${employeeId}`;

/**
 * The processor of one partition number: the records of all five input topics
 * whose key (the employee) hashes to it. Pure and synchronous, like a Kafka
 * Streams task: records in, rows out, time passed in.
 *
 * - Each topic-partition has a clock, the latest time its source observed
 *   (production time, interval end, inspection time, feedback time, submit
 *   time). The watermark is the latest clock minus the allowed lateness.
 * - A record belongs to the window of its production or period time; if that
 *   window ended more than the correction horizon before its partition's
 *   clock, the record is too late. Otherwise it is applied to the window's
 *   aggregate, unless that aggregate already holds its event_id.
 * - Windows stay in memory while open. A record for a window not in memory
 *   (closed earlier, or written before a restart) needs that window's current
 *   row first: `missing()` names them, `restore()` takes them.
 * - `drain()` returns the rows due: closed windows that changed (and, in
 *   'update' mode, every window that changed); closed windows whose rows
 *   were written leave memory.
 * - `resumePoints()` says where a restart must read from so that nothing not
 *   yet in a drained row is lost: the earliest unwritten record per topic.
 */
export class PartitionTask {
  private readonly clocks = new Map<EventKind, number>();
  private readonly positions = new Map<EventKind, number>();
  private readonly open = new Map<string, OpenWindow>();
  /** Keys restore() confirmed have no row yet. */
  private readonly confirmedNew = new Set<string>();
  private lastRecordAt: number;
  private drains = 0;

  constructor(
    readonly partition: number,
    private readonly settings: TaskSettings,
    now: number,
  ) {
    this.lastRecordAt = now;
  }

  /** Restores a topic-partition's clock from where a previous owner committed. */
  resume(kind: EventKind, point: ResumePoint): void {
    if (point.clock !== null) this.clocks.set(kind, point.clock);
    this.positions.set(kind, point.offset);
  }

  windowOf(tagged: KindedEvent): TimeWindow {
    return this.settings.windows.windowFor(windowTimeOf(tagged));
  }

  /**
   * The windows these records need that are not in memory. Starts a batch:
   * what an earlier restore() confirmed new may have been written since.
   */
  missing(records: readonly InputRecord[]): WindowKey[] {
    this.confirmedNew.clear();
    const keys = new Map<string, WindowKey>();
    for (const { tagged } of records) {
      const windowStart = this.windowOf(tagged).start;
      const key = keyOf(tagged.event.employee_id, windowStart);
      if (!this.open.has(key)) keys.set(key, { employeeId: tagged.event.employee_id, windowStart });
    }
    return [...keys.values()];
  }

  /** Takes the current rows of windows `missing()` named; the keys without a row are new windows. */
  restore(looked: readonly WindowKey[], rows: readonly EmployeeWindowRow[]): void {
    for (const row of rows) {
      const key = keyOf(row.employee_id, row.window_start);
      if (!this.open.has(key)) this.open.set(key, { state: fromRow(row), dirty: false, drainedIn: -1, unwritten: {} });
    }
    for (const { employeeId, windowStart } of looked) {
      const key = keyOf(employeeId, windowStart);
      if (!this.open.has(key)) this.confirmedNew.add(key);
    }
  }

  process(record: InputRecord, now: number): Outcome {
    const { kind, offset, tagged } = record;
    const clockBefore = this.clocks.get(kind) ?? null;
    const clock = Math.max(clockBefore ?? Number.NEGATIVE_INFINITY, observedTimeOf(tagged));
    this.clocks.set(kind, clock);
    this.positions.set(kind, offset + 1);
    this.lastRecordAt = now;

    const window = this.windowOf(tagged);
    if (window.end + this.settings.correctionHorizon < clock) return 'too-late';

    const employeeId = tagged.event.employee_id;
    const key = keyOf(employeeId, window.start);
    let entry = this.open.get(key);
    if (!entry) {
      if (!this.confirmedNew.delete(key)) throw new Error(`window ${key} was neither restored nor confirmed new: call missing() and restore() first`);
      entry = { state: newEmployeeWindow(employeeId, window), dirty: false, drainedIn: -1, unwritten: {} };
      this.open.set(key, entry);
    }
    if (!applyEvent(entry.state, tagged)) return 'duplicate';
    entry.dirty = true;
    entry.unwritten[kind] ??= { offset, clock: clockBefore };
    return 'accepted';
  }

  /** The next offset this task reads on a kind's topic-partition, once it has a position there. */
  position(kind: EventKind): number | undefined {
    return this.positions.get(kind);
  }

  /** Records a record that was not processed (it went to the dead letters), so resuming skips it. */
  skip(kind: EventKind, offset: number): void {
    this.positions.set(kind, offset + 1);
  }

  /** The latest clock minus the allowed lateness; −∞ before any record. */
  watermark(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const clock of this.clocks.values()) latest = Math.max(latest, clock);
    return latest - this.settings.allowedLateness;
  }

  /**
   * The rows due now. A closed window leaves memory one drain after its last
   * row: the caller drains again only once that row is written, so a record
   * for the window meanwhile finds it here rather than reading a row still on
   * its way to ClickHouse.
   */
  drain(now: number): EmployeeWindowRow[] {
    const drain = ++this.drains;
    const idle = now - this.lastRecordAt >= this.settings.idleClose;
    const watermark = idle ? Number.POSITIVE_INFINITY : this.watermark();
    const rows: EmployeeWindowRow[] = [];
    for (const [key, entry] of this.open) {
      const closed = entry.state.window.end <= watermark;
      if (entry.dirty && (closed || this.settings.emitMode === 'update')) {
        rows.push(toRow(entry.state));
        entry.dirty = false;
        entry.drainedIn = drain;
        entry.unwritten = {};
      } else if (closed && !entry.dirty && entry.drainedIn !== drain) {
        this.open.delete(key);
      }
    }
    return rows;
  }

  /**
   * Per topic-partition seen, where a restart must resume: the earliest record
   * not yet in a drained row, or else the next record.
   */
  resumePoints(): Map<EventKind, ResumePoint> {
    const points = new Map<EventKind, ResumePoint>();
    for (const kind of EVENT_KINDS) {
      const position = this.positions.get(kind);
      if (position === undefined) continue;
      let earliest: ResumePoint = { offset: position, clock: this.clocks.get(kind) ?? null };
      for (const entry of this.open.values()) {
        const unwritten = entry.unwritten[kind];
        if (unwritten && unwritten.offset < earliest.offset) earliest = unwritten;
      }
      points.set(kind, earliest);
    }
    return points;
  }

  /** Windows in memory (open, or closed and not yet drained). */
  get openWindows(): number {
    return this.open.size;
  }
}
