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
  primaryStation,
  repeatOf,
  toRow,
  type EmployeeWindow,
} from './employeeWindow.js';
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

export type Outcome =
  | 'accepted'
  | 'duplicate'
  /** The same kind and event_id as an event applied before, with other bytes: counted once, and counted in a metric. */
  | 'conflicting-duplicate'
  | 'too-late'
  /** It would overflow the window's exact sums. */
  | 'out-of-range'
  /** Its window's row was refused by the store; nothing more is added to it. */
  | 'refused-window';

export interface RecordResult {
  readonly outcome: Outcome;
  /** The record's window. */
  readonly window: PlantWindow;
  /** Why, for outcomes that dead-letter the record. */
  readonly message?: string;
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

export const windowKeyOf = (employeeId: string, windowStart: number): string => `${windowStart}\u0000${employeeId}`;

/**
 * The processor of one partition number: the records of all five input topics
 * whose key (the employee) hashes to it. Like a Kafka Streams task: records
 * in, rows out, time passed in; its only I/O is reading, through the window
 * store port, the rows of windows that are not in memory.
 *
 * - Each topic-partition has a clock, the latest time its source observed
 *   (production time, interval end, inspection time, feedback time, submit
 *   time). The watermark is the latest clock minus the allowed lateness.
 * - A record belongs to the window of its production or period time; if that
 *   window ended more than the correction horizon before its partition's
 *   clock, the record is too late. Otherwise it is applied to the window's
 *   aggregate, unless that aggregate already holds its kind and event_id.
 * - Windows stay in memory while open. `processBatch` first reads the current
 *   rows of the windows its records need that are not in memory (closed
 *   earlier, or written before a restart), then applies the records.
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
  /** Windows that took an event since the last `takeChanged`. */
  private readonly changed = new Set<string>();
  private lastRecordAt: number;
  private drains = 0;

  /**
   * @param resume where the previous owner committed, per kind
   * @param refused keys of windows whose rows the store refused: records that would change them are refused too
   */
  constructor(
    readonly partition: number,
    private readonly settings: TaskSettings,
    now: number,
    resume: ReadonlyMap<EventKind, ResumePoint> = new Map(),
    private readonly refused: ReadonlySet<string> = new Set(),
  ) {
    this.lastRecordAt = now;
    for (const [kind, point] of resume) {
      if (point.clock !== null) this.clocks.set(kind, point.clock);
      this.positions.set(kind, point.offset);
    }
  }

  windowOf(tagged: KindedEvent): PlantWindow {
    return this.settings.windows.windowFor(windowTimeOf(tagged));
  }

  /**
   * Processes one batch of one topic-partition, in offset order: reads the
   * windows it needs from `store`, then applies every record. Items without a
   * record (dead letters) only move the position past them.
   */
  async processBatch(kind: EventKind, items: readonly BatchItem[], now: number, store: WindowStore): Promise<(RecordResult | undefined)[]> {
    const missing = new Map<string, WindowKey>();
    for (const { record } of items) {
      if (!record) continue;
      const windowStart = this.windowOf(record.tagged).start;
      const key = windowKeyOf(record.tagged.event.employee_id, windowStart);
      if (!this.open.has(key)) missing.set(key, { employeeId: record.tagged.event.employee_id, windowStart });
    }
    const restored = missing.size > 0 ? await store.current([...missing.values()]) : [];
    for (const row of restored) {
      const key = windowKeyOf(row.employee_id, row.window_start);
      // A window may have come into memory meanwhile only through this task, which runs one batch at a time.
      if (!this.open.has(key)) this.open.set(key, { state: fromRow(this.settings.catalog, row), dirty: false, drainedIn: -1, unwritten: {} });
    }
    this.restoredCount += restored.length;
    return items.map((item) => (item.record ? this.process(kind, item.offset, item.record, now) : this.skip(kind, item.offset)));
  }

  /** Windows read back from the store so far. */
  restoredCount = 0;

  private skip(kind: EventKind, offset: number): undefined {
    this.positions.set(kind, offset + 1);
    return undefined;
  }

  private process(kind: EventKind, offset: number, { tagged, digest }: InputRecord, now: number): RecordResult {
    const clockBefore = this.clocks.get(kind) ?? null;
    const clock = Math.max(clockBefore ?? Number.NEGATIVE_INFINITY, observedTimeOf(tagged));
    this.clocks.set(kind, clock);
    this.positions.set(kind, offset + 1);
    this.lastRecordAt = now;

    const window = this.windowOf(tagged);
    if (window.end + this.settings.correctionHorizon < clock) return { outcome: 'too-late', window };

    const employeeId = tagged.event.employee_id;
    const key = windowKeyOf(employeeId, window.start);
    let entry = this.open.get(key);
    if (!entry) {
      entry = { state: newEmployeeWindow(this.settings.catalog, employeeId, window), dirty: false, drainedIn: -1, unwritten: {} };
      this.open.set(key, entry);
    }
    const problem = contributionProblem(this.settings.catalog, entry.state, tagged);
    if (problem) return { outcome: 'out-of-range', window, message: problem };
    if (this.refused.has(key)) {
      return {
        outcome: repeatOf(entry.state, eventKey(tagged), digest) ?? 'refused-window',
        window,
        message: "the window store refused this window's row, so nothing more is added to it",
      };
    }
    const outcome = applyEvent(this.settings.catalog, entry.state, tagged, digest, this.settings.windows.hourOf(windowTimeOf(tagged)));
    if (outcome !== 'accepted') return { outcome, window };
    entry.dirty = true;
    entry.unwritten[kind] ??= { offset, clock: clockBefore };
    this.changed.add(key);
    return { outcome, window };
  }

  /** The windows that took an event since the last call, as they stand now (for live alerting). */
  takeChanged(now: number): WindowSnapshot[] {
    const snapshots: WindowSnapshot[] = [];
    for (const key of this.changed) {
      const state = this.open.get(key)?.state;
      if (!state) continue;
      snapshots.push({
        employee_id: state.employeeId,
        window_start: state.window.start,
        window_end: state.window.end,
        station_id: primaryStation(state),
        version: state.version,
        measures: this.settings.catalog.named(state.measures),
        report:
          state.report === null
            ? null
            : { units: state.report.units, run_hours: state.report.runHours, defective_units: state.report.defectiveUnits, self_score: state.report.selfScore },
        observed_at: now,
      });
    }
    this.changed.clear();
    return snapshots;
  }

  /** The next offset this task reads on a kind's topic-partition, once it has a position there. */
  position(kind: EventKind): number | undefined {
    return this.positions.get(kind);
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
   * its way to the store.
   */
  drain(now: number): WindowRow[] {
    const drain = ++this.drains;
    const idle = now - this.lastRecordAt >= this.settings.idleClose;
    const watermark = idle ? Number.POSITIVE_INFINITY : this.watermark();
    const rows: WindowRow[] = [];
    for (const [key, entry] of this.open) {
      const closed = entry.state.window.end <= watermark;
      if (entry.dirty && (closed || this.settings.emitMode === 'update')) {
        rows.push(toRow(this.settings.catalog, entry.state));
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
