/** A half-open interval of event time [start, end), in epoch milliseconds. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** A window with what the plant calls it: its plant day, and the shift and crew when windows follow a shift calendar. */
export interface PlantWindow extends TimeWindow {
  /** The local date the window's plant day starts on (YYYY-MM-DD). */
  readonly plantDay: string;
  /** The shift, '' for windows that are not shifts (day windows, time between shifts is 'unscheduled'). */
  readonly shift: string;
  /** The crew working the shift, '' when the calendar names none. */
  readonly crew: string;
}

/**
 * Places an employee's instant in its window; pure, like Kafka Streams'
 * `windowsFor`. The employee matters only where plants keep different clocks
 * (processors/plants.ts).
 */
export interface WindowAssigner {
  windowFor(ts: number, employeeId: string): PlantWindow;
  /** The start of the local hour containing `ts`: the grain measured figures are also kept at. */
  hourOf(ts: number, employeeId: string): number;
  /**
   * The assigner as it stands now, for one batch: whatever it learns later
   * (a plant's new members) does not move the windows of a batch under way.
   */
  settled(): WindowAssigner;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Every real time zone changes its offset only at quarter hours, so the offset is constant within one. */
const OFFSET_BUCKET = 15 * MINUTE;
const CACHE_LIMIT = 100_000;

/**
 * Local time in the plant's time zone, for plant days that begin at a local
 * time of day (KPI_DAY_START, midnight by default). Days are numbered from
 * 1970-01-01; a plant day is named by the local date it begins on.
 */
export class PlantClock {
  private readonly offsets = new Map<number, number>();
  private readonly dayStarts = new Map<number, number>();
  private readonly formatter: Intl.DateTimeFormat | undefined;

  /** Throws RangeError for an unknown zone or a day start outside 0..24 h. */
  constructor(
    readonly timeZone = 'UTC',
    /** When a plant day begins, as time after local midnight (ms). */
    readonly dayStart = 0,
  ) {
    if (!Number.isInteger(dayStart) || dayStart < 0 || dayStart >= DAY)
      throw new RangeError(`a day start is a time of day (00:00 to 23:59), got ${dayStart} ms`);
    new Intl.DateTimeFormat('en-US', { timeZone }); // throws RangeError for an unknown zone
    this.formatter =
      timeZone === 'UTC'
        ? undefined
        : new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /** The zone's offset from UTC at `ts`, in milliseconds. */
  offsetAt(ts: number): number {
    if (!this.formatter) return 0;
    const bucket = Math.floor(ts / OFFSET_BUCKET);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      const at = bucket * OFFSET_BUCKET;
      const parts = Object.fromEntries(this.formatter.formatToParts(at).map((p) => [p.type, p.value]));
      const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
      offset = wall - at;
      if (this.offsets.size >= CACHE_LIMIT) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    return offset;
  }

  /** Local wall-clock time at `ts`, as if it were UTC (ms). */
  wallOf(ts: number): number {
    return ts + this.offsetAt(ts);
  }

  /** The start of the local hour containing `ts` (an hour boundary of the zone: :30 past in UTC+05:30). */
  hourOf(ts: number): number {
    return ts - (((this.wallOf(ts) % HOUR) + HOUR) % HOUR);
  }

  /** The plant day `ts` falls in (days since 1970-01-01, counted from the day start). */
  plantDayOf(ts: number): number {
    const day = Math.floor((this.wallOf(ts) - this.dayStart) / DAY);
    // Plant days never go back as time advances, though local clocks do: when they go back over the day start
    // (a day start at 02:30, the night summer time ends), the day has begun at the first 02:30.
    return this.formatter && ts >= this.startOf(day + 1) ? day + 1 : day;
  }

  /**
   * The first instant of a plant day: the first time the local clock shows
   * its day start, or, when the clocks skip the day start, the instant they
   * jump over it.
   */
  startOf(plantDay: number): number {
    let start = this.dayStarts.get(plantDay);
    if (start === undefined) {
      const wall = plantDay * DAY + this.dayStart;
      start = this.instantOf(wall);
      if (this.wallOf(start) !== wall) {
        // Skipped: the jump lies between where the offsets after and before the change put the day start.
        let lo = wall - this.offsetAt(wall + 14 * HOUR);
        let hi = start;
        while (hi - lo > MINUTE) {
          const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
          if (this.wallOf(mid) >= wall) hi = mid;
          else lo = mid;
        }
        start = hi;
      }
      if (this.dayStarts.size >= CACHE_LIMIT) this.dayStarts.clear();
      this.dayStarts.set(plantDay, start);
    }
    return start;
  }

  /**
   * The first instant whose local time is `wall` (local wall-clock ms, as if
   * UTC). A time the clocks skip (spring forward) is where the offset before
   * the change puts it (02:30 is 03:30 summer time); a time they pass twice
   * (fall back) is its first occurrence.
   */
  instantOf(wall: number): number {
    if (!this.formatter) return wall;
    const candidates = [...new Set([this.offsetAt(wall - 14 * HOUR), this.offsetAt(wall), this.offsetAt(wall + 14 * HOUR)])]
      .map((offset) => wall - offset)
      .filter((t) => this.wallOf(t) === wall)
      .sort((a, b) => a - b);
    if (candidates.length > 0) return candidates[0]!;
    // Skipped: the instant after the gap, where the earlier offset would put this wall time.
    return wall - this.offsetAt(wall - 14 * HOUR);
  }

  /** The local date (YYYY-MM-DD) a plant day begins on. */
  /** The plant day an instant falls in, named by the local date it begins on (YYYY-MM-DD): what the report calls its days. */
  plantDateOf(ts: number): string {
    return PlantClock.dateOf(this.plantDayOf(ts));
  }

  static dateOf(plantDay: number): string {
    return new Date(plantDay * DAY).toISOString().slice(0, 10);
  }
}

/**
 * Tumbling event-time windows aligned to the plant's day start in its time
 * zone, like Kafka Streams' TimeWindows: an immutable value that validates
 * itself and answers `windowFor(ts)` purely.
 *
 * A window of 1 day is the plant day (23 or 25 hours on DST change days).
 * Smaller sizes (which must divide 24 h) step in elapsed time from the day
 * start, and a day's last window ends at the next day start, so windows never
 * overlap nor leave gaps.
 */
export class TumblingWindows implements WindowAssigner {
  private readonly days = new Map<number, { start: number; end: number; plantDay: string }>();
  /** Windows by start: one frozen value per window, shared by every record in it. */
  private readonly windows = new Map<number, PlantWindow>();

  private constructor(
    readonly sizeMs: number,
    private readonly clock: PlantClock,
  ) {}

  get timeZone(): string {
    return this.clock.timeZone;
  }

  hourOf(ts: number): number {
    return this.clock.hourOf(ts);
  }

  settled(): this {
    return this;
  }

  /** Throws RangeError for a size that does not divide a day, an unknown time zone or a day start outside a day. */
  static of(sizeMs: number, timeZone = 'UTC', dayStart = 0): TumblingWindows {
    if (!Number.isInteger(sizeMs) || sizeMs < MINUTE || DAY % sizeMs !== 0) {
      throw new RangeError(`window size must be whole minutes dividing a day, got ${sizeMs} ms`);
    }
    return new TumblingWindows(sizeMs, new PlantClock(timeZone, dayStart));
  }

  windowFor(ts: number): PlantWindow {
    const day = this.day(this.clock.plantDayOf(ts));
    const start = this.sizeMs === DAY ? day.start : day.start + Math.floor((ts - day.start) / this.sizeMs) * this.sizeMs;
    let window = this.windows.get(start);
    if (!window) {
      window = Object.freeze({
        start,
        end: this.sizeMs === DAY ? day.end : Math.min(start + this.sizeMs, day.end),
        plantDay: day.plantDay,
        shift: '',
        crew: '',
      });
      if (this.windows.size >= CACHE_LIMIT) this.windows.clear();
      this.windows.set(start, window);
    }
    return window;
  }

  private day(plantDay: number): { start: number; end: number; plantDay: string } {
    let day = this.days.get(plantDay);
    if (!day) {
      day = { start: this.clock.startOf(plantDay), end: this.clock.startOf(plantDay + 1), plantDay: PlantClock.dateOf(plantDay) };
      if (this.days.size >= CACHE_LIMIT) this.days.clear();
      this.days.set(plantDay, day);
    }
    return day;
  }
}
