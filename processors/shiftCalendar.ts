import { checkShiftCalendar, WEEKDAYS, type ShiftCalendarDefinition, type ShiftPattern } from '../contract/shiftCalendar.js';
import { ConfigError } from '../core/errors.js';
import { PlantClock, type PlantWindow, type WindowAssigner } from './windows.js';

export type { ShiftCalendarDefinition, ShiftPattern } from '../contract/shiftCalendar.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
interface Shift {
  readonly name: string;
  /** Start, local ms after midnight of the date it starts on. */
  readonly start: number;
  readonly hours: number;
  readonly days: ReadonlySet<number>;
  readonly crews: readonly string[];
  readonly rotateEveryDays: number;
}

/**
 * Windows that follow a shift calendar: each worked shift is a window from
 * its local start for its length (across midnight and DST changes: the
 * window says how long it really lasted), and the time between shifts is an
 * 'unscheduled' window, so every instant belongs to exactly one window. A
 * shift belongs to the plant day (KPI_DAY_START) it starts in.
 */
export class ShiftCalendar implements WindowAssigner {
  /** The start of the local hour containing `ts`: the grain measured figures are kept at. */
  hourOf(ts: number): number {
    return this.clock.hourOf(ts);
  }

  settled(): this {
    return this;
  }

  private readonly shifts: readonly Shift[];
  private readonly holidays: ReadonlySet<string>;
  private readonly dayWindows = new Map<number, PlantWindow[]>();
  private readonly tilings = new Map<number, PlantWindow[]>();

  private constructor(
    definition: ShiftCalendarDefinition,
    private readonly clock: PlantClock,
  ) {
    this.shifts = definition.shifts.map(parseShift);
    this.holidays = new Set(definition.holidays ?? []);
  }

  /**
   * Checks a calendar (names, times, lengths, weekdays, crews, holidays, and
   * that no two shifts overlap) and builds it; a problem throws ConfigError
   * naming KPI_SHIFT_CALENDAR and the shift.
   */
  static of(definition: ShiftCalendarDefinition, timeZone = 'UTC', dayStart = 0): ShiftCalendar {
    checkShiftCalendar(definition);
    const calendar = new ShiftCalendar(definition, new PlantClock(timeZone, dayStart));
    calendar.checkNoOverlaps();
    return calendar;
  }

  windowFor(ts: number): PlantWindow {
    const day = this.clock.plantDayOf(ts);
    let tiling = this.tilings.get(day);
    if (!tiling) {
      tiling = this.windowsAround(day);
      if (this.tilings.size >= 10_000) this.tilings.clear();
      this.tilings.set(day, tiling);
    }
    for (const window of tiling) if (window.start <= ts && ts < window.end) return window;
    throw new Error(`no window contains ${new Date(ts).toISOString()}`); // windowsAround tiles three days
  }

  /** The worked shifts of a plant day, in order. */
  shiftsOf(plantDay: number): PlantWindow[] {
    let windows = this.dayWindows.get(plantDay);
    if (!windows) {
      const date = PlantClock.dateOf(plantDay);
      const midnight = plantDay * DAY;
      windows = this.holidays.has(date)
        ? []
        : this.shifts
            .filter((s) => s.days.has(new Date(midnight).getUTCDay()))
            .map((s) => {
              // A shift starting before the day start (02:00 with days from 06:00) is worked on the plant day's next date.
              const startWall = midnight + s.start + (s.start < this.clock.dayStart ? DAY : 0);
              return {
                start: this.clock.instantOf(startWall),
                end: this.clock.instantOf(startWall + s.hours * HOUR),
                plantDay: date,
                shift: s.name,
                crew: s.crews.length === 0 ? '' : s.crews[Math.floor(plantDay / s.rotateEveryDays) % s.crews.length]!,
              };
            })
            .sort((a, b) => a.start - b.start);
      if (this.dayWindows.size >= 10_000) this.dayWindows.clear();
      this.dayWindows.set(plantDay, windows);
    }
    return windows;
  }

  /** The shifts of the days around `day`, with the time between them as 'unscheduled' windows. */
  private windowsAround(day: number): PlantWindow[] {
    const shifts = [day - 2, day - 1, day, day + 1].flatMap((d) => this.shiftsOf(d));
    const from = this.clock.startOf(day - 1);
    const to = this.clock.startOf(day + 2);
    const tiled: PlantWindow[] = [];
    let cursor = from;
    const unscheduled = (start: number, end: number) => ({
      start,
      end,
      plantDay: PlantClock.dateOf(this.clock.plantDayOf(start)),
      shift: 'unscheduled',
      crew: '',
    });
    for (const shift of shifts) {
      if (shift.end <= cursor) continue;
      if (shift.start > cursor) tiled.push(unscheduled(cursor, shift.start));
      tiled.push(shift);
      cursor = shift.end;
    }
    if (cursor < to) tiled.push(unscheduled(cursor, to));
    // An unscheduled stretch runs from one shift's end to the next shift's start, wherever those lie.
    const first = tiled[0]!;
    if (first.shift === 'unscheduled') tiled[0] = unscheduled(this.previousShiftEnd(day - 2, first.end), first.end);
    const last = tiled.at(-1)!;
    if (last.shift === 'unscheduled') tiled[tiled.length - 1] = unscheduled(last.start, this.nextShiftStart(day + 2, last.start));
    return tiled;
  }

  private previousShiftEnd(day: number, before: number): number {
    for (let d = day; d > day - 60; d -= 1) {
      const ends = this.shiftsOf(d)
        .map((s) => s.end)
        .filter((end) => end <= before);
      if (ends.length > 0) return Math.max(...ends);
    }
    return this.clock.startOf(day - 60);
  }

  private nextShiftStart(day: number, after: number): number {
    for (let d = day; d < day + 60; d += 1) {
      const starts = this.shiftsOf(d)
        .map((s) => s.start)
        .filter((start) => start >= after);
      if (starts.length > 0) return Math.min(...starts);
    }
    return this.clock.startOf(day + 60);
  }

  /** Two weeks of shifts must not overlap (they tile time). */
  private checkNoOverlaps(): void {
    const shifts = Array.from({ length: 15 }, (_, i) => this.shiftsOf(20_000 + i)).flat();
    for (let i = 1; i < shifts.length; i += 1) {
      const [a, b] = [shifts[i - 1]!, shifts[i]!];
      if (b.start < a.end)
        throw new ConfigError(
          'KPI_SHIFT_CALENDAR',
          `shift ${JSON.stringify(b.shift)} starts before shift ${JSON.stringify(a.shift)} ends (${a.plantDay}): shifts must not overlap`,
        );
    }
  }
}

function parseShift(s: ShiftPattern): Shift {
  return {
    name: s.name,
    start: Number(s.start.slice(0, 2)) * HOUR + Number(s.start.slice(3, 5)) * MINUTE,
    hours: s.hours,
    days: new Set((s.days ?? WEEKDAYS).map((d) => WEEKDAYS.indexOf(d))),
    crews: s.crews ?? [],
    rotateEveryDays: s.rotateEveryDays ?? 7,
  };
}
