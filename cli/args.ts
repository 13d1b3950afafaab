import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import type { AccessRequest } from '../sinks/clickhouse/queries/accessLog.js';
import { DAY, formatDate, formatDuration, parseDuration, parseTime } from '../core/time.js';
import { DEFAULT_EVALUATION } from '../evaluation/evaluate.js';
import type { PlantClock } from '../processors/windows.js';
import type { HonestErrors } from '../simulator/day.js';
import { SHIFT_PRESETS, type ShiftPreset } from '../simulator/plantTime.js';
import { SIMULATION_DEFAULTS, simulateOptions, type SimulateOptions } from '../simulator/run.js';

/**
 * The command-line options more than one command takes, parsed in one place:
 * an error names the option (ConfigError, exit 78).
 */

/** A day or instant given as an option: YYYY-MM-DD (UTC midnight) or an ISO 8601 time. */
export function parseInstant(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseTime(value);
  if (ms === undefined) throw new ConfigError(key, `expected YYYY-MM-DD or an ISO 8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

/** A --from or --to: a date is the plant day beginning on it (KPI_TIME_ZONE, KPI_DAY_START), from its first instant; an ISO 8601 time is that instant. */
export function parsePlantDay(value: string | undefined, key: string, clock: PlantClock): number | undefined {
  const ms = parseInstant(value, key);
  return ms === undefined || !/^\s*\d{4}-\d{2}-\d{2}\s*$/.test(value!) ? ms : clock.startOf(ms / DAY);
}

/**
 * `--purpose` and `--actor` of a command that reads or erases people's data:
 * both go to the access log. The purpose is required, there is no default that
 * could say why; the actor defaults to the operating-system user.
 */
export function parseAccess(values: { purpose?: string; actor?: string }): AccessRequest {
  const purpose = values.purpose?.trim();
  if (!purpose) throw new ConfigError('--purpose', "say why you read or erase people's data (a ticket, a request, a review): it is written to the access log");
  const actor = (values.actor ?? osUser())?.trim();
  if (!actor) throw new ConfigError('--actor', 'name who asks: the operating-system user has no name here');
  return { actor, purpose };
}

/** The name of the user running the process; undefined where the system has none for it (a container's bare uid). */
function osUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME;
  }
}

/** `--seeds`: `101-120` or `1,2,3`. */
export function parseSeeds(raw: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(raw);
  const seeds = range ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i) : raw.split(',').map(Number);
  if (seeds.length === 0 || seeds.length > 1000 || seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new ConfigError('--seeds', `expected seeds such as 101-120 or 1,2,3, got ${JSON.stringify(raw)}`);
  return seeds;
}

/** `--within`: a whole number of shifts (default: the evaluation's). */
export function parseWithin(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_EVALUATION.within;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('--within', `expected a whole number of shifts, got ${JSON.stringify(raw)}`);
  return n;
}

type Kind = 'number' | 'duration' | 'date' | 'string' | 'boolean' | 'shifts';
const HONEST = 'Honest errors (self-reports written from memory)';
type Group = 'Plant' | 'Behaviour' | typeof HONEST | 'Measurement gaps' | 'Delivery' | 'Output';
/** An option of simulatePlant, or one of its honest errors. */
type OptionPath = keyof SimulateOptions | `honestErrors.${keyof HonestErrors}`;
interface Flag {
  readonly option: OptionPath;
  readonly kind: Kind;
  readonly doc: string;
  readonly group: Group;
}

/** The command-line flags of a simulated plant (`simulate`, `demo`, `evaluate --sweep`), each an option of simulatePlant. */
const FLAGS: Record<string, Flag> = {
  employees: { option: 'employees', kind: 'number', doc: 'employees (scales to 100000)', group: 'Plant' },
  stations: { option: 'stations', kind: 'number', doc: 'stations (default: one per 12 employees)', group: 'Plant' },
  products: { option: 'products', kind: 'number', doc: 'products with standard times', group: 'Plant' },
  days: { option: 'days', kind: 'number', doc: 'days of production to simulate', group: 'Plant' },
  start: { option: 'start', kind: 'date', doc: 'first simulated day, UTC (YYYY-MM-DD; default: --days + 70 days before today)', group: 'Plant' },
  seed: { option: 'seed', kind: 'number', doc: 'the same seed gives the same plant and events', group: 'Plant' },
  shifts: {
    option: 'shifts',
    kind: 'shifts',
    doc: "shifts people work: two (day 06-14, swing 14-22), three (and night 22-06), all (and 12-hour day 06-18 and night 18-06); with KPI_SHIFT_CALENDAR set, its shifts (the plant's time zone, day start and windows always follow KPI_TIME_ZONE, KPI_DAY_START, KPI_WINDOW_SIZE and KPI_SHIFT_CALENDAR; with KPI_PLANTS_FILE, each plant's own, and its calendar's shifts where it has one)",
    group: 'Plant',
  },
  inflators: { option: 'inflatorShare', kind: 'number', doc: 'share of employees who inflate self-reports', group: 'Behaviour' },
  'inflation-days': { option: 'inflationDays', kind: 'number', doc: "share of an inflator's working days they inflate on", group: 'Behaviour' },
  'inflation-start': { option: 'lateStartShare', kind: 'number', doc: 'share of inflators who start part-way through the period', group: 'Behaviour' },
  intermittent: { option: 'intermittentShare', kind: 'number', doc: 'share of inflators who inflate only now and then …', group: 'Behaviour' },
  'intermittent-days': { option: 'intermittentDays', kind: 'number', doc: '… on this share of their working days', group: 'Behaviour' },
  feedback: { option: 'feedbackShare', kind: 'number', doc: 'share of production events with customer feedback', group: 'Behaviour' },
  'defect-rate-factor': {
    option: 'defectRateFactor',
    kind: 'number',
    doc: "employees' defect rates, drawn in 0.5%-8%, times this",
    group: 'Behaviour',
  },
  'self-score-bias': {
    option: 'selfScoreBias',
    kind: 'number',
    doc: 'points honest self-scores lie above the measured score (a generous reporting culture)',
    group: 'Behaviour',
  },
  'honest-units': { option: 'honestErrors.units', kind: 'number', doc: 'reported units off by up to ±P of those made', group: HONEST },
  'honest-hours': { option: 'honestErrors.runHours', kind: 'number', doc: 'reported run hours off by up to ±P', group: HONEST },
  'honest-shape': { option: 'honestErrors.shape', kind: 'string', doc: 'normal: sd P/2, about 95% within ±P; uniform: evenly within ±P', group: HONEST },
  'honest-defects': { option: 'honestErrors.defects', kind: 'number', doc: 'admitted defective units off by 1..N either way …', group: HONEST },
  'honest-defect-slips': { option: 'honestErrors.defectSlips', kind: 'number', doc: '… on this share of reports', group: HONEST },
  gaps: {
    option: 'gapShare',
    kind: 'number',
    doc: "share of honest shifts with 1-4 hours without telemetry or production counts, or 1-3 records dead-lettered instead of counted (recorded in truth.jsonl; those records carry their send time as Kafka timestamp, so keep --start within the topics' retention)",
    group: 'Measurement gaps',
  },
  duplicates: { option: 'duplicateRate', kind: 'number', doc: 'share of records sent twice, as producer retries', group: 'Delivery' },
  malformed: { option: 'malformedRate', kind: 'number', doc: 'extra malformed records per event', group: 'Delivery' },
  'too-late': { option: 'tooLateRate', kind: 'number', doc: 'extra feedback 40-60 days late, per feedback event', group: 'Delivery' },
  disorder: { option: 'disorderMs', kind: 'duration', doc: 'records arrive up to this late, out of order', group: 'Delivery' },
  rate: { option: 'rate', kind: 'number', doc: 'records per second, 0 = as fast as possible', group: 'Delivery' },
  batch: { option: 'batch', kind: 'number', doc: 'records per produce request', group: 'Delivery' },
  out: { option: 'out', kind: 'string', doc: 'where the ground truth goes', group: 'Output' },
  'dry-run': { option: 'dryRun', kind: 'boolean', doc: 'generate the files without Kafka', group: 'Output' },
};

/** An option's value by its name or honestErrors.<name> path. */
function optionValue(options: Readonly<Record<string, unknown>>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], options);
}

function shownDefault(flag: Flag): string {
  const value = optionValue(SIMULATION_DEFAULTS, flag.option);
  if (value === undefined || flag.kind === 'boolean') return '';
  if (flag.kind === 'duration') return ` (default ${formatDuration(value as number)})`;
  if (flag.kind === 'date') return ` (default ${formatDate(value as number)})`;
  if (flag.kind === 'shifts') return ` (default ${Object.entries(SHIFT_PRESETS).find(([, preset]) => preset === value)?.[0]})`;
  return ` (default ${value})`;
}

/** The flags' help, grouped, with their defaults from SIMULATION_DEFAULTS. */
export function simulateFlagsHelp(): string {
  const groups: readonly Group[] = ['Plant', 'Behaviour', HONEST, 'Measurement gaps', 'Delivery', 'Output'];
  return groups
    .map((group) => {
      const lines = Object.entries(FLAGS)
        .filter(([, f]) => f.group === group)
        .map(([name, f]) => `  --${`${name}${f.kind === 'boolean' ? '' : ' V'}`.padEnd(18)} ${f.doc}${shownDefault(f)}`);
      return `${group}\n${lines.join('\n')}`;
    })
    .join('\n');
}

/**
 * Simulation options from command-line flags (only those given; simulatePlant
 * fills in the rest). Checked here too, so an error names the flag.
 */
export function parseSimulateFlags(args: string[], base: Partial<SimulateOptions> = {}): Partial<SimulateOptions> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: f.kind === 'boolean' ? 'boolean' : 'string' }])) as Record<
      string,
      { type: 'string' | 'boolean' }
    >,
  });
  const options: Record<string, unknown> = {};
  const honestErrors: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    const flag = FLAGS[name]!;
    let value: unknown = raw;
    if (typeof raw === 'string' && flag.kind === 'shifts') {
      if (!Object.hasOwn(SHIFT_PRESETS, raw))
        throw new ConfigError(`--${name}`, `expected ${Object.keys(SHIFT_PRESETS).join(', ')}, got ${JSON.stringify(raw)}`);
      value = SHIFT_PRESETS[raw as ShiftPreset];
    } else if (typeof raw === 'string' && flag.kind !== 'string') {
      const parsed = flag.kind === 'duration' ? parseDuration(raw) : flag.kind === 'date' ? parseTime(raw) : raw.trim() === '' ? Number.NaN : Number(raw);
      if (parsed === undefined || Number.isNaN(parsed))
        throw new ConfigError(`--${name}`, `expected ${flag.kind === 'number' ? 'a number' : `a ${flag.kind}`}, got ${JSON.stringify(raw)}`);
      value = parsed;
    }
    const [option, nested] = flag.option.split('.') as [string, string | undefined];
    if (nested) honestErrors[nested] = value;
    else options[option] = value;
  }
  if (Object.keys(honestErrors).length > 0) options.honestErrors = { ...(base.honestErrors ?? SIMULATION_DEFAULTS.honestErrors), ...honestErrors };
  try {
    simulateOptions({ ...base, ...options });
  } catch (error) {
    const flag = Object.entries(FLAGS).find(([, f]) => error instanceof ConfigError && f.option === error.key)?.[0];
    if (flag && error instanceof ConfigError) throw new ConfigError(`--${flag}`, error.message.slice(error.key.length + 2));
    throw error;
  }
  return options as Partial<SimulateOptions>;
}
