import type { Config } from '../core/config.js';
import type { RecordErrorCode } from '../core/errors.js';
import { formatTime } from '../core/time.js';
import { schemaOf } from './avro.js';
import { INPUTS, type InputDefinition } from './inputs.js';
import type { AssignmentChanged } from './events.js';
import type { EventKind, KindedEvent } from './kinds.js';

/** Bounds on what a producer may send, beyond the Avro types and the contract's value rules. */
export interface RecordLimits {
  /** Longest string in any field (ids, codes), in UTF-16 code units. */
  readonly maxIdLength: number;
  /** Most items in any array field. */
  readonly maxArrayLength: number;
  /** Earliest event time accepted (epoch ms). */
  readonly minEventTime: number;
  /** How far past the wall clock an event time may lie (device clocks drift a little). */
  readonly maxClockSkew: number;
  /** The longest period a self-report may cover. */
  readonly maxReportPeriod: number;
  /** How long after its period a self-report may be submitted. */
  readonly maxReportDelay: number;
}

/** The latest instant a JavaScript Date can hold (epoch ms): later times are shown without a date. */
const MAX_DATE = 8.64e15;

/** A self-report covers a shift or a day: never more than this. */
const MAX_REPORT_PERIOD = 36 * 3_600_000;

/** The limits of a configuration (KPI_MAX_ID_LENGTH, KPI_MAX_ARRAY_LENGTH, KPI_MIN_EVENT_TIME, KPI_MAX_CLOCK_SKEW, KPI_REPORT_MAX_DELAY). */
export function recordLimitsOf(config: Pick<Config, 'maxIdLength' | 'maxArrayLength' | 'minEventTime' | 'maxClockSkew' | 'reportMaxDelay'>): RecordLimits {
  return {
    maxIdLength: config.maxIdLength,
    maxArrayLength: config.maxArrayLength,
    minEventTime: config.minEventTime,
    maxClockSkew: config.maxClockSkew,
    maxReportPeriod: MAX_REPORT_PERIOD,
    maxReportDelay: config.reportMaxDelay,
  };
}

/** Why a record cannot be counted: the dead-letter code and a message that says what is wrong. */
export interface RecordProblem {
  readonly code: RecordErrorCode;
  readonly message: string;
}

/**
 * Checks a decoded event against everything a record must satisfy before it
 * is counted: ids present, strings and arrays of sane size, finite numbers,
 * times between KPI_MIN_EVENT_TIME and the wall clock plus KPI_MAX_CLOCK_SKEW
 * (a device with a wrong clock, or a time in seconds or microseconds, is
 * caught here), and docs/contract.md's value rules. Pure: `now` is passed in.
 */
export function recordProblem(tagged: KindedEvent, limits: RecordLimits, now: number): RecordProblem | undefined {
  const event = tagged.event as unknown as Record<string, unknown>;
  if (isBlank(tagged.event.event_id)) return invalid('event_id is empty');
  if (isBlank(tagged.event.employee_id)) return invalid('employee_id is empty: the event cannot be attributed');
  const { fields, timeFields, input } = checksOf(tagged.kind);
  for (let i = 0; i < fields.length; i += 1) {
    const name = fields[i]!;
    const value = event[name];
    // The usual values pass here; fieldProblem says what is wrong with the others (and checks arrays).
    if (typeof value === 'string' ? value.length <= limits.maxIdLength : typeof value === 'number' ? Number.isFinite(value) : value === null) continue;
    const problem = fieldProblem(name, value, limits);
    if (problem) return problem;
  }
  const latest = now + limits.maxClockSkew;
  for (let i = 0; i < timeFields.length; i += 1) {
    const ms = event[timeFields[i]!] as number;
    if (Number.isInteger(ms) && ms >= limits.minEventTime && ms <= latest) continue;
    const problem = timeProblem(timeFields[i]!, ms, limits, now);
    if (problem) return problem;
  }
  if (tagged.kind === 'selfReport') {
    const problem = periodProblem(tagged.event, limits);
    if (problem) return problem;
  }
  const reason = input.invalidReason(tagged.event as never);
  return reason === undefined ? undefined : invalid(reason);
}

/** What recordProblem checks of a kind: its reader schema's fields, its time fields, and its value rules. */
interface KindChecks {
  readonly fields: readonly string[];
  readonly timeFields: readonly string[];
  readonly input: InputDefinition<EventKind>;
}

const kindChecks = new Map<EventKind, KindChecks>();

function checksOf(kind: EventKind): KindChecks {
  let checks = kindChecks.get(kind);
  if (!checks) {
    const input = INPUTS[kind] as unknown as InputDefinition<EventKind>;
    checks = { fields: schemaOf(kind).fields.map(({ name }) => name), timeFields: input.timeFields, input };
    kindChecks.set(kind, checks);
  }
  return checks;
}

/** Whether `text` is empty or white space only (what String.prototype.trim removes), without making the trimmed string. */
function isBlank(text: string): boolean {
  // An id begins with a printable ASCII character nearly always: no white space there.
  const first = text.length === 0 ? 0 : text.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  return text.trim() === '';
}

const invalid = (message: string): RecordProblem => ({ code: 'KPI_ERR_INVALID_VALUE', message });

/**
 * Checks an assignment (hr.assignments.v1) before it is stored: ids present and of sane size, a plant and a
 * team named, submitted_time like any observed time, and a validity interval that starts no earlier than
 * KPI_MIN_EVENT_TIME and ends after it starts. The interval may lie in the future: HR plans transfers ahead.
 */
export function assignmentProblem(a: AssignmentChanged, limits: RecordLimits, now: number): RecordProblem | undefined {
  for (const name of ['event_id', 'employee_id', 'plant_id', 'team_id'] as const) {
    if (a[name].trim() === '') return invalid(`${name} is empty`);
  }
  const record = a as unknown as Record<string, unknown>;
  for (const { name } of schemaOf('assignment').fields) {
    const problem = fieldProblem(name, record[name], limits);
    if (problem) return problem;
  }
  const submitted = timeProblem('submitted_time', a.submitted_time, limits, now);
  if (submitted) return submitted;
  // A hire date may lie long before the events kpi-stream counts (KPI_MIN_EVENT_TIME): only 1971 bounds it.
  const validity = { ...limits, minEventTime: EARLIEST_VALIDITY, maxClockSkew: PLANNED_AHEAD };
  const bounds = { earliest: '1971-01-01', latest: 'the wall clock plus 10 years' };
  const from = timeProblem('valid_from', a.valid_from, validity, now, bounds);
  if (from) return from;
  if (a.valid_to === null) return undefined;
  const to = timeProblem('valid_to', a.valid_to, validity, now, bounds);
  if (to) return to;
  if (a.valid_to <= a.valid_from) {
    return { code: 'KPI_ERR_INVALID_PERIOD', message: `valid_to ${formatTime(a.valid_to)} is not after valid_from ${formatTime(a.valid_from)}` };
  }
  return undefined;
}

/** How far ahead an assignment's validity may lie: HR plans transfers ahead, not by decades (a time in microseconds would). */
const PLANNED_AHEAD = 10 * 365 * 86_400_000;
/**
 * The earliest an assignment's validity may begin: any hire date of people still at work, while a time in seconds
 * read as milliseconds lands in 1970.
 */
const EARLIEST_VALIDITY = Date.UTC(1971, 0, 1);

/** A time that is no whole number of ms, or outside [minEventTime, now + maxClockSkew] (with a hint when it looks like seconds, microseconds or nanoseconds). */
function timeProblem(
  field: string,
  ms: number,
  limits: RecordLimits,
  now: number,
  bounds = { earliest: 'KPI_MIN_EVENT_TIME', latest: 'the wall clock plus KPI_MAX_CLOCK_SKEW' },
): RecordProblem | undefined {
  if (!Number.isInteger(ms)) return { code: 'KPI_ERR_INVALID_TIME', message: `${field} ${ms} is not a whole number of milliseconds` };
  const latest = now + limits.maxClockSkew;
  const plausible = (candidate: number) => candidate >= limits.minEventTime && candidate <= latest;
  if (plausible(ms)) return undefined;
  const shown = Math.abs(ms) <= MAX_DATE ? `${ms} (${formatTime(ms)})` : String(ms);
  let hint = '';
  if (plausible(ms * 1000)) hint = `; it looks like seconds, not milliseconds (${formatTime(ms * 1000)})`;
  else if (plausible(Math.floor(ms / 1000))) hint = `; it looks like microseconds, not milliseconds (${formatTime(Math.floor(ms / 1000))})`;
  else if (plausible(Math.floor(ms / 1_000_000))) hint = `; it looks like nanoseconds, not milliseconds (${formatTime(Math.floor(ms / 1_000_000))})`;
  const bound = ms > latest ? `later than ${bounds.latest} (${formatTime(latest)})` : `earlier than ${bounds.earliest} (${formatTime(limits.minEventTime)})`;
  return { code: 'KPI_ERR_INVALID_TIME', message: `${field} ${shown} is ${bound}${hint}` };
}

/** A self-report must cover a plausible period: a shift or a day, not ending before it starts, submitted around then. */
function periodProblem(e: { period_start: number; period_end: number; submitted_time: number }, limits: RecordLimits): RecordProblem | undefined {
  const period = (message: string): RecordProblem => ({ code: 'KPI_ERR_INVALID_PERIOD', message });
  const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
  if (e.period_end <= e.period_start) return period(`period_end ${formatTime(e.period_end)} is not after period_start ${formatTime(e.period_start)}`);
  if (e.period_end - e.period_start > limits.maxReportPeriod)
    return period(`the period is ${hours(e.period_end - e.period_start)} long; a report covers at most ${hours(limits.maxReportPeriod)} (a shift or a day)`);
  if (e.submitted_time < e.period_start)
    return period(`submitted_time ${formatTime(e.submitted_time)} is before the period it reports on begins (${formatTime(e.period_start)})`);
  if (e.submitted_time - e.period_end > limits.maxReportDelay) {
    return period(
      `submitted ${hours(e.submitted_time - e.period_end)} after its period ended; reports come within KPI_REPORT_MAX_DELAY (${hours(limits.maxReportDelay)})`,
    );
  }
  return undefined;
}

/**
 * The generic checks, by the value each field holds: strings (ids, codes) at most KPI_MAX_ID_LENGTH long,
 * numbers finite, arrays at most KPI_MAX_ARRAY_LENGTH items, each item checked the same way. By value, not by
 * Avro type, so that every union and every array of a future schema is checked without a walk of its types.
 */
function fieldProblem(name: string, value: unknown, limits: RecordLimits): RecordProblem | undefined {
  if (typeof value === 'string') {
    if (value.length <= limits.maxIdLength) return undefined;
    return {
      code: 'KPI_ERR_ID_TOO_LONG',
      message: `${name} is ${value.length} characters long; ids and codes are at most ${limits.maxIdLength} (KPI_MAX_ID_LENGTH)`,
    };
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { code: 'KPI_ERR_NOT_FINITE', message: `${name} is ${value}: numbers must be finite` };
  }
  if (!Array.isArray(value)) return undefined;
  if (value.length > limits.maxArrayLength) {
    return { code: 'KPI_ERR_ARRAY_TOO_LONG', message: `${name} has ${value.length} items; arrays hold at most ${limits.maxArrayLength}` };
  }
  for (const [i, item] of value.entries()) {
    const problem = fieldProblem(`${name}[${i}]`, item, limits);
    if (problem) return problem;
  }
  return undefined;
}
