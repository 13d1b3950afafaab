import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, messageOf } from '../core/errors.js';
import { readShiftCalendar, type ShiftCalendarDefinition } from './shiftCalendar.js';

/**
 * The plants file (KPI_PLANTS_FILE, docs/shifts.md "Several plants"): each
 * plant of a deployment with its own clock (time zone, day start) and, if it
 * works shifts, its own shift calendar. Read and checked here, once, for the
 * processors (whose windows follow the clock of the employee's plant) and the
 * simulator (whose plants work them).
 *
 *     plants:
 *       plant-berlin:
 *         time_zone: Europe/Berlin
 *         day_start: "06:00"
 *         shift_calendar: shifts-berlin.yaml   # relative to this file
 *       plant-suzhou:
 *         time_zone: Asia/Shanghai
 */

/** An assignment's placement of an employee in a plant, as hr.assignments.v1 sent it. */
export interface Placement {
  readonly employeeId: string;
  readonly plantId: string;
  readonly validFrom: number;
  /** null: open. */
  readonly validTo: number | null;
  readonly submittedTime: number;
  readonly eventId: string;
}

/** One plant's clock and calendar. */
export interface PlantDefinition {
  readonly timeZone: string;
  /** When the plant day begins, as time after local midnight (ms). */
  readonly dayStart: number;
  /** The plant's shift calendar, already read; undefined: windows of KPI_WINDOW_SIZE. */
  readonly shiftCalendar?: ShiftCalendarDefinition;
}

const KEY = 'KPI_PLANTS_FILE';
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const FIELDS = new Set(['time_zone', 'day_start', 'shift_calendar']);

/**
 * The plants of a plants file, by plant id. A file that cannot be read or
 * parsed, or a plant that does not hold together, throws ConfigError naming
 * KPI_PLANTS_FILE and the plant.
 */
export function readPlants(path: string): ReadonlyMap<string, PlantDefinition> {
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(KEY, `cannot read ${path}: ${messageOf(error)}`);
  }
  const plants = (document as { plants?: unknown } | null)?.plants;
  if (typeof plants !== 'object' || plants === null || Array.isArray(plants) || Object.keys(plants).length === 0) {
    throw new ConfigError(KEY, `${path}: expected a map "plants" of at least one plant id to its time_zone, day_start and shift_calendar`);
  }
  const out = new Map<string, PlantDefinition>();
  for (const [id, raw] of Object.entries(plants as Record<string, unknown>)) {
    const fail = (message: string): never => {
      throw new ConfigError(KEY, `${path}: plant ${JSON.stringify(id)}: ${message}`);
    };
    if (id.trim() !== id || id === '') fail('a plant id is the plant_id hr.assignments.v1 sends: not empty, no spaces around it');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('expected a map with time_zone, day_start and shift_calendar');
    const fields = raw as Record<string, unknown>;
    const unknown = Object.keys(fields).find((field) => !FIELDS.has(field));
    if (unknown !== undefined) fail(`unknown field ${JSON.stringify(unknown)} (the fields are ${[...FIELDS].join(', ')})`);
    const timeZone = fields.time_zone;
    if (typeof timeZone !== 'string' || !isTimeZone(timeZone))
      fail(`"time_zone" must be an IANA time zone such as Europe/Berlin, got ${JSON.stringify(timeZone)}`);
    const dayStart = fields.day_start ?? '00:00';
    const time = typeof dayStart === 'string' ? TIME.exec(dayStart) : null;
    if (!time) fail(`"day_start" must be a local time of day HH:MM, got ${JSON.stringify(dayStart)}`);
    const calendar = fields.shift_calendar;
    if (calendar !== undefined && typeof calendar !== 'string')
      fail(`"shift_calendar" must be the path of a shift calendar file, got ${JSON.stringify(calendar)}`);
    out.set(id, {
      timeZone: timeZone as string,
      dayStart: (Number(time![1]) * 60 + Number(time![2])) * 60_000,
      ...(calendar === undefined ? {} : { shiftCalendar: readPlantCalendar(resolve(dirname(path), calendar as string), fail) }),
    });
  }
  return out;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A plant's calendar file: its problems are the plant's, named as such. */
function readPlantCalendar(path: string, fail: (message: string) => never): ShiftCalendarDefinition {
  try {
    return readShiftCalendar(path);
  } catch (error) {
    return fail(`shift_calendar: ${messageOf(error).replace(/^KPI_SHIFT_CALENDAR: /, '')}`);
  }
}
