import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, messageOf } from '../core/errors.js';

/**
 * The shift calendar file (KPI_SHIFT_CALENDAR, docs/shifts.md): shift
 * patterns, rotating crews and holidays, in YAML or JSON. Read and checked
 * here, once, for the processors (whose windows are its shifts) and for the
 * simulator (whose people work them).
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One shift pattern of the calendar file (KPI_SHIFT_CALENDAR). */
export interface ShiftPattern {
  readonly name: string;
  /** Local start time, "HH:MM". */
  readonly start: string;
  /** Length in local (wall-clock) hours: a 22:00–06:00 shift is 8, and lasts 9 real hours the night clocks go back. */
  readonly hours: number;
  /** Weekdays the shift is worked, of its plant day (the date the plant day begins on); default every day. */
  readonly days?: readonly Weekday[];
  /** Crews taking the shift in turn, each for `rotateEveryDays` days; default none. */
  readonly crews?: readonly string[];
  readonly rotateEveryDays?: number;
}

/** The shift calendar: shift patterns and the dates no shift is worked. */
export interface ShiftCalendarDefinition {
  readonly shifts: readonly ShiftPattern[];
  /** Plant days (the dates they begin on, YYYY-MM-DD) without shifts. */
  readonly holidays?: readonly string[];
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$/;

/** The calendar in a file (YAML or JSON), not yet checked; a file that cannot be read or parsed throws ConfigError naming KPI_SHIFT_CALENDAR. */
export function readShiftCalendar(path: string): ShiftCalendarDefinition {
  try {
    return parse(readFileSync(path, 'utf8')) as ShiftCalendarDefinition;
  } catch (error) {
    throw new ConfigError('KPI_SHIFT_CALENDAR', `cannot read ${path}: ${messageOf(error)}`);
  }
}

/**
 * Checks a calendar's fields (names, start times, lengths, weekdays, crews,
 * holidays); a problem throws ConfigError naming KPI_SHIFT_CALENDAR and the
 * shift. Whether its shifts overlap depends on the plant's clock: the windows
 * built from it check that.
 */
export function checkShiftCalendar(definition: ShiftCalendarDefinition): void {
  const fail = (message: string): never => {
    throw new ConfigError('KPI_SHIFT_CALENDAR', message);
  };
  if (!definition || !Array.isArray(definition.shifts) || definition.shifts.length === 0) fail('the calendar needs a list "shifts" with at least one shift');
  const names = new Set<string>();
  for (const [i, s] of definition.shifts.entries()) {
    const which = `shift ${i + 1}${typeof s?.name === 'string' ? ` (${JSON.stringify(s.name)})` : ''}`;
    if (typeof s?.name !== 'string' || !NAME.test(s.name) || s.name === 'unscheduled')
      fail(`${which}: "name" must be 1-40 letters, digits, spaces, '_' or '-' (and not "unscheduled")`);
    if (names.has(s.name)) fail(`${which}: the name is used twice`);
    names.add(s.name);
    if (typeof s.start !== 'string' || !TIME.test(s.start)) fail(`${which}: "start" must be a local time HH:MM, got ${JSON.stringify(s.start)}`);
    if (typeof s.hours !== 'number' || !(s.hours > 0 && s.hours <= 24) || !Number.isInteger(s.hours * 60))
      fail(`${which}: "hours" must be whole minutes, more than 0 and at most 24, got ${JSON.stringify(s.hours)}`);
    if (s.days !== undefined && (!Array.isArray(s.days) || s.days.length === 0 || s.days.some((d) => !WEEKDAYS.includes(d))))
      fail(`${which}: "days" must list weekdays among ${WEEKDAYS.join(', ')}`);
    if (s.crews !== undefined && (!Array.isArray(s.crews) || s.crews.some((c) => typeof c !== 'string' || !NAME.test(c))))
      fail(`${which}: "crews" must list crew names`);
    if (s.rotateEveryDays !== undefined && !(Number.isInteger(s.rotateEveryDays) && s.rotateEveryDays >= 1 && s.rotateEveryDays <= 366))
      fail(`${which}: "rotateEveryDays" must be a whole number of days, 1 to 366`);
  }
  for (const date of definition.holidays ?? []) {
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))
      fail(`holidays: ${JSON.stringify(date)} is not a date YYYY-MM-DD`);
  }
}
