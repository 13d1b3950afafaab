import { checkShiftCalendar, type ShiftCalendarDefinition, type ShiftPattern } from '../contract/shiftCalendar.js';
import { ConfigError } from '../core/errors.js';

/**
 * The simulated plant's clock: which shift each employee works on each plant
 * day, when it begins and ends in the plant's time zone, and the window the
 * processors will put each event in — plant days from the day start
 * (KPI_DAY_START, KPI_WINDOW_SIZE) or the shifts of a calendar
 * (KPI_SHIFT_CALENDAR). Written apart from processors/windows.ts and
 * processors/shiftCalendar.ts, with its own date arithmetic (offsets read from
 * Intl's "GMT+01:00" names), so that the expected rows check the processors'
 * windows instead of repeating them. Only the calendar file's format and its
 * check are shared (contract/shiftCalendar.ts).
 */

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Shifts people work, by name: today's two (the default), three around the clock, or those and twelve-hour shifts. */
export const SHIFT_PRESETS = {
  two: {
    shifts: [
      { name: 'day', start: '06:00', hours: 8 },
      { name: 'swing', start: '14:00', hours: 8 },
    ],
  },
  three: {
    shifts: [
      { name: 'day', start: '06:00', hours: 8 },
      { name: 'swing', start: '14:00', hours: 8 },
      { name: 'night', start: '22:00', hours: 8 },
    ],
  },
  all: {
    shifts: [
      { name: 'day', start: '06:00', hours: 8 },
      { name: 'swing', start: '14:00', hours: 8 },
      { name: 'night', start: '22:00', hours: 8 },
      { name: 'day-12h', start: '06:00', hours: 12 },
      { name: 'night-12h', start: '18:00', hours: 12 },
    ],
  },
} as const satisfies Record<string, ShiftCalendarDefinition>;
export type ShiftPreset = keyof typeof SHIFT_PRESETS;

/** The plant's time and windows, as the processors are configured. */
export interface PlantTimeOptions {
  /** The plant's IANA time zone (KPI_TIME_ZONE). */
  timeZone: string;
  /** When the plant day begins, ms after local midnight (KPI_DAY_START). */
  dayStart: number;
  /** Window size when windows are not shifts (KPI_WINDOW_SIZE). */
  windowSize: number;
  /** The shifts people work, in the calendar file's format. */
  shifts: ShiftCalendarDefinition;
  /** Whether the windows are these shifts: the processors run with them as KPI_SHIFT_CALENDAR. */
  shiftWindows: boolean;
}

/** One shift an employee works. */
export interface WorkedShift {
  readonly name: string;
  /** The crew working it, '' when the shift names none. */
  readonly crew: string;
  /** The local date its plant day begins on. */
  readonly plantDay: string;
  readonly start: number;
  readonly end: number;
}

/** A window as the processors will hold it, with its labels. */
export interface SimulatedWindow {
  readonly start: number;
  readonly end: number;
  readonly plantDay: string;
  readonly shift: string;
  readonly crew: string;
}

/** What an employee is given to work: a shift of their own, or a place in a crew that works whichever shift the calendar gives it. */
export interface Post {
  readonly shift: string;
  readonly crew: string;
}

/** The posts of a set of shifts: each shift that names no crews, then each crew named, in order. */
export function postsOf(shifts: ShiftCalendarDefinition): Post[] {
  const own = shifts.shifts.filter((s) => !s.crews?.length).map((s) => ({ shift: s.name, crew: '' }));
  const crews = [...new Set(shifts.shifts.flatMap((s) => s.crews ?? []))].map((crew) => ({ shift: '', crew }));
  return [...own, ...crews];
}

/**
 * Checks the shifts as the calendar file is checked (naming
 * KPI_SHIFT_CALENDAR), that each starts and lasts whole quarter hours (the
 * grain the simulator plants telemetry in), and, when they are the windows,
 * that they do not overlap, as the processors require (a plant can run 8- and
 * 12-hour shifts side by side, with plant days for windows).
 */
export function checkShifts(options: Pick<PlantTimeOptions, 'shifts' | 'shiftWindows' | 'timeZone' | 'dayStart'>): void {
  const { shifts } = options;
  checkShiftCalendar(shifts);
  for (const s of shifts.shifts) {
    if (startOf(s) % QUARTER !== 0 || (s.hours * HOUR) % QUARTER !== 0)
      throw new ConfigError('KPI_SHIFT_CALENDAR', `shift ${JSON.stringify(s.name)}: the simulator plants shifts that start and last whole quarter hours`);
  }
  if (!options.shiftWindows) return;
  // Two weeks of every shift worked by anyone, in order.
  const time = new PlantTime({ ...options, windowSize: DAY }, 20_000 * DAY);
  const worked = Array.from({ length: 15 }, (_, day) => postsOf(shifts).flatMap((post) => time.workedShift(post, [], day) ?? []))
    .flat()
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < worked.length; i += 1) {
    const [a, b] = [worked[i - 1]!, worked[i]!];
    if (b.start < a.end)
      throw new ConfigError(
        'KPI_SHIFT_CALENDAR',
        `shift ${JSON.stringify(b.name)} starts before shift ${JSON.stringify(a.name)} ends (${a.plantDay}): shifts must not overlap`,
      );
  }
}

const startOf = (s: ShiftPattern) => Number(s.start.slice(0, 2)) * HOUR + Number(s.start.slice(3, 5)) * MINUTE;
const dateOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

/** Local time in one time zone, from the zone's UTC offsets. */
export class LocalClock {
  private readonly names: Intl.DateTimeFormat | undefined;
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.names = timeZone === 'UTC' ? undefined : new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  }

  /** The zone's offset from UTC at `ts` (ms), read from its name ("GMT+01:00"); offsets change only at quarter hours. */
  offsetAt(ts: number): number {
    if (!this.names) return 0;
    const quarter = Math.floor(ts / QUARTER);
    let offset = this.offsets.get(quarter);
    if (offset === undefined) {
      const name = this.names.formatToParts(quarter * QUARTER).find((p) => p.type === 'timeZoneName')!.value;
      const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
      if (!m) throw new Error(`unexpected offset name ${JSON.stringify(name)} in ${this.timeZone}`);
      offset = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR + Number(m[3]) * MINUTE) : 0;
      if (this.offsets.size > 200_000) this.offsets.clear();
      this.offsets.set(quarter, offset);
    }
    return offset;
  }

  /** Local wall-clock time at `ts`, counted as if it were UTC. */
  wallOf(ts: number): number {
    return ts + this.offsetAt(ts);
  }

  /**
   * The instant a local wall-clock time names: its first occurrence when the
   * clocks go back; when they skip it, where the offset before the change puts it.
   */
  instantOf(wall: number): number {
    const before = wall - this.offsetAt(wall - DAY);
    const after = wall - this.offsetAt(wall + DAY);
    const named = [before, after].filter((t) => this.wallOf(t) === wall);
    return named.length > 0 ? Math.min(...named) : before;
  }
}

/**
 * The simulated plant's shifts and windows, from its first simulated date on.
 * Plant days are numbered as days since 1970-01-01 of the local date they
 * begin on.
 */
export class PlantTime {
  readonly clock: LocalClock;
  /** The plant day of the first simulated date. */
  readonly firstDay: number;
  private readonly patterns: readonly ShiftPattern[];
  private readonly holidays: ReadonlySet<string>;
  private readonly dayStarts = new Map<number, number>();

  constructor(
    readonly options: PlantTimeOptions,
    /** The first simulated date, as its UTC midnight. */
    start: number,
  ) {
    this.clock = new LocalClock(options.timeZone);
    this.firstDay = Math.floor(start / DAY);
    this.patterns = options.shifts.shifts;
    this.holidays = new Set(options.shifts.holidays ?? []);
  }

  /** The shift an employee with this post and these rest days works on the `dayIndex`-th simulated plant day, or null. */
  workedShift(post: Post, restDays: readonly number[], dayIndex: number): WorkedShift | null {
    const day = this.firstDay + dayIndex;
    const date = dateOf(day);
    if (this.holidays.has(date)) return null;
    const weekday = WEEKDAYS[new Date(day * DAY).getUTCDay()]!;
    const worked = (s: ShiftPattern) => !s.days || s.days.includes(weekday);
    if (post.crew === '') {
      if (restDays.includes(dayIndex % 7)) return null;
      const pattern = this.patterns.find((s) => s.name === post.shift)!;
      return worked(pattern) ? this.shiftOn(pattern, day, '') : null;
    }
    // A crew works the shift that names it for this stretch of the rotation: crews[⌊day / rotateEveryDays⌋ mod crews].
    const pattern = this.patterns.find(
      (s) => worked(s) && s.crews?.length && s.crews[Math.floor(day / (s.rotateEveryDays ?? 7)) % s.crews.length] === post.crew,
    );
    return pattern ? this.shiftOn(pattern, day, post.crew) : null;
  }

  /** The window that holds an instant of a worked shift. */
  windowOf(ts: number, shift: WorkedShift): SimulatedWindow {
    if (this.options.shiftWindows) return { start: shift.start, end: shift.end, plantDay: shift.plantDay, shift: shift.name, crew: shift.crew };
    const local = Math.floor((this.clock.wallOf(ts) - this.options.dayStart) / DAY);
    // The local clock may fall back below the day start after the day began (02:30 the night summer time ends): days do not.
    const day = ts >= this.dayStartOf(local + 1) ? local + 1 : local;
    const dayStart = this.dayStartOf(day);
    const dayEnd = this.dayStartOf(day + 1);
    // A day window is the plant day (23 or 25 hours when the clocks change); smaller ones step from its start, the last ending with it.
    const size = this.options.windowSize;
    const start = size === DAY ? dayStart : dayStart + Math.floor((ts - dayStart) / size) * size;
    const end = size === DAY ? dayEnd : Math.min(start + size, dayEnd);
    return { start, end, plantDay: dateOf(day), shift: '', crew: '' };
  }

  /** The first instant of a plant day: its day start, local (when the clocks skip it, the instant they jump). */
  dayStartOf(day: number): number {
    let start = this.dayStarts.get(day);
    if (start === undefined) {
      const wall = day * DAY + this.options.dayStart;
      start = this.clock.instantOf(wall);
      if (this.clock.wallOf(start) !== wall) {
        // Skipped by the clocks: step back to the first minute whose local time is past the day start.
        while (this.clock.wallOf(start - MINUTE) >= wall) start -= MINUTE;
      }
      this.dayStarts.set(day, start);
    }
    return start;
  }

  /** The dayIndex-th simulated plant day's first instant. */
  dayStartAt(dayIndex: number): number {
    return this.dayStartOf(this.firstDay + dayIndex);
  }

  /** A shift on a plant day: from its local start (on the next date when that is before the day start) for its length in local hours. */
  private shiftOn(pattern: ShiftPattern, day: number, crew: string): WorkedShift {
    const start = startOf(pattern);
    const startWall = day * DAY + start + (start < this.options.dayStart ? DAY : 0);
    return {
      name: pattern.name,
      crew,
      plantDay: dateOf(day),
      start: this.clock.instantOf(startWall),
      end: this.clock.instantOf(startWall + pattern.hours * HOUR),
    };
  }
}
