/** A half-open interval of event time [start, end), in epoch milliseconds. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Every real time zone changes its offset only at quarter hours, so the offset is constant within one. */
const OFFSET_BUCKET = 15 * MINUTE;
const CACHE_LIMIT = 100_000;

/**
 * Tumbling event-time windows aligned to midnight in a time zone, like Kafka
 * Streams' TimeWindows: an immutable value that validates itself and answers
 * `windowFor(ts)` purely.
 *
 * A window of 1 day is the local calendar day (23 or 25 hours on DST change
 * days). Smaller sizes (which must divide 24 h) step in elapsed time from local
 * midnight, and a day's last window ends at the next local midnight, so windows
 * never overlap nor leave gaps.
 */
export class TumblingWindows {
  private readonly offsets = new Map<number, number>();
  private readonly dayStarts = new Map<number, number>();
  private readonly formatter: Intl.DateTimeFormat | undefined;

  private constructor(
    readonly sizeMs: number,
    readonly timeZone: string,
  ) {
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

  /** Throws RangeError for a size that does not divide a day or an unknown time zone. */
  static of(sizeMs: number, timeZone = 'UTC'): TumblingWindows {
    if (!Number.isInteger(sizeMs) || sizeMs < MINUTE || DAY % sizeMs !== 0) {
      throw new RangeError(`window size must be whole minutes dividing a day, got ${sizeMs} ms`);
    }
    new Intl.DateTimeFormat('en-US', { timeZone }); // throws RangeError for an unknown zone
    return new TumblingWindows(sizeMs, timeZone);
  }

  /** The window that contains `ts`. */
  windowFor(ts: number): TimeWindow {
    if (!this.formatter) {
      const start = ts - mod(ts, this.sizeMs);
      return { start, end: start + this.sizeMs };
    }
    const localDay = Math.floor((ts + this.offsetAt(ts)) / DAY);
    const dayStart = this.dayStart(localDay);
    const nextDayStart = this.dayStart(localDay + 1);
    if (this.sizeMs === DAY) return { start: dayStart, end: nextDayStart };
    const start = dayStart + Math.floor((ts - dayStart) / this.sizeMs) * this.sizeMs;
    return { start, end: Math.min(start + this.sizeMs, nextDayStart) };
  }

  /** The time zone's offset from UTC at `ts`, in milliseconds. */
  private offsetAt(ts: number): number {
    const bucket = Math.floor(ts / OFFSET_BUCKET);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      const at = bucket * OFFSET_BUCKET;
      const parts = Object.fromEntries(this.formatter!.formatToParts(at).map((p) => [p.type, p.value]));
      const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
      offset = wall - at;
      if (this.offsets.size >= CACHE_LIMIT) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    return offset;
  }

  /** The first instant whose local date is `localDay` (days since 1970-01-01): usually local midnight. */
  private dayStart(localDay: number): number {
    let start = this.dayStarts.get(localDay);
    if (start === undefined) {
      // Local dates never decrease as time advances, so binary-search the first instant of the day.
      let lo = localDay * DAY - 2 * DAY;
      let hi = localDay * DAY + 2 * DAY;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (Math.floor((mid + this.offsetAt(mid)) / DAY) >= localDay) hi = mid;
        else lo = mid;
      }
      start = hi;
      if (this.dayStarts.size >= CACHE_LIMIT) this.dayStarts.clear();
      this.dayStarts.set(localDay, start);
    }
    return start;
  }
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
