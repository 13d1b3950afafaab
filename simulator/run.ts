import { resolve } from 'node:path';
import type { Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { DAY } from '../core/time.js';
import { EVENT_KINDS, type EventKind } from '../schemas/kinds.js';
import { inputTopic, topicDefinitions } from '../topics/definitions.js';
import { createKafka, createProducer, ensureTopics } from '../topics/kafka.js';
import { createRegistry, registerInputSchemas, type SchemaIds } from '../topics/registry.js';
import { readShiftCalendar } from '../contract/shiftCalendar.js';
import { DEFAULT_HONEST_ERRORS } from './day.js';
import { OUTPUT_FILES, OutputDirectory } from './output.js';
import { checkShifts, SHIFT_PRESETS, type PlantTimeOptions } from './plantTime.js';
import { produceMessages } from './produce.js';
import { Simulation, type OutboundMessage, type SimulationOptions } from './simulation.js';

/** A simulation run: the plant and its events, how they are sent, and where the ground truth goes. */
export interface SimulateOptions extends SimulationOptions {
  /** Records per second, 0 = as fast as the broker takes them. */
  rate: number;
  /** Records per produce request. */
  batch: number;
  /** Where the ground truth and expected rows go. */
  out: string;
  /** Generate the files without Kafka. */
  dryRun: boolean;
}

/**
 * Days between the last simulated day and today when no start is given:
 * feedback arrives up to 21 days after production, too-late feedback up to 60,
 * and every simulated record must lie in the past (KPI_MAX_CLOCK_SKEW).
 */
export const DEFAULT_START_MARGIN_DAYS = 70;

/** The first simulated day when no start is given: `days` + 70 days before today (UTC midnight). */
export function defaultStart(days: number, now = Date.now()): number {
  return Math.floor(now / DAY) * DAY - (days + DEFAULT_START_MARGIN_DAYS) * DAY;
}

/** Every option's default (the start follows the number of days: see defaultStart). */
export const SIMULATION_DEFAULTS: Readonly<Omit<SimulateOptions, 'stations' | 'start'> & { stations: number | undefined; start: number | undefined }> = {
  employees: 300,
  stations: undefined,
  products: 12,
  days: 7,
  start: undefined,
  seed: 1,
  inflatorShare: 0.1,
  inflationDays: 0.8,
  lateStartShare: 0,
  intermittentShare: 0,
  intermittentDays: 0.3,
  feedbackShare: 0.25,
  defectRateFactor: 1,
  honestErrors: DEFAULT_HONEST_ERRORS,
  selfScoreBias: 0,
  gapShare: 0,
  shifts: SHIFT_PRESETS.two,
  timeZone: 'UTC',
  dayStart: 0,
  windowSize: DAY,
  shiftWindows: false,
  duplicateRate: 0.01,
  malformedRate: 0,
  tooLateRate: 0,
  disorderMs: 5 * 60_000,
  rate: 0,
  batch: 5000,
  out: 'out/simulation',
  dryRun: false,
};

type NumericOption = { [K in keyof SimulateOptions]: SimulateOptions[K] extends number ? K : never }[keyof SimulateOptions];

/** Bounds of the numeric options: whole numbers in a range, or shares in 0..1. */
const BOUNDS: Partial<Record<NumericOption, { min: number; max: number; integer: boolean }>> = {
  employees: { min: 1, max: 1_000_000, integer: true },
  stations: { min: 1, max: 1_000_000, integer: true },
  products: { min: 1, max: 1000, integer: true },
  days: { min: 1, max: 3650, integer: true },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true },
  inflatorShare: { min: 0, max: 1, integer: false },
  inflationDays: { min: 0, max: 1, integer: false },
  lateStartShare: { min: 0, max: 1, integer: false },
  intermittentShare: { min: 0, max: 1, integer: false },
  intermittentDays: { min: 0, max: 1, integer: false },
  feedbackShare: { min: 0, max: 1, integer: false },
  defectRateFactor: { min: 0, max: 12, integer: false },
  selfScoreBias: { min: 0, max: 100, integer: false },
  gapShare: { min: 0, max: 1, integer: false },
  duplicateRate: { min: 0, max: 1, integer: false },
  malformedRate: { min: 0, max: 1, integer: false },
  tooLateRate: { min: 0, max: 1, integer: false },
  disorderMs: { min: 0, max: 7 * DAY, integer: true },
  rate: { min: 0, max: 100_000_000, integer: true },
  batch: { min: 1, max: 1_000_000, integer: true },
};

/** The defaults overridden by `options`, checked; a bad value throws ConfigError naming the option. */
export function simulateOptions(options: Partial<SimulateOptions> = {}): SimulateOptions {
  const merged = { ...SIMULATION_DEFAULTS, ...options };
  const resolved: SimulateOptions = {
    ...merged,
    stations: merged.stations ?? Math.max(1, Math.ceil(merged.employees / 12)),
    start: merged.start ?? defaultStart(merged.days),
    out: resolve(merged.out),
  };
  for (const [name, bound] of Object.entries(BOUNDS) as [NumericOption, { min: number; max: number; integer: boolean }][]) {
    const value = resolved[name];
    if (!Number.isFinite(value) || value < bound.min || value > bound.max || (bound.integer && !Number.isInteger(value))) {
      throw new ConfigError(name, `expected ${bound.integer ? 'a whole number' : 'a number'} in ${bound.min}..${bound.max}, got ${value}`);
    }
  }
  if (resolved.stations > resolved.employees) throw new ConfigError('stations', `must not exceed employees (${resolved.employees}), got ${resolved.stations}`);
  const honest = resolved.honestErrors;
  for (const [name, value, max] of [
    ['honestErrors.units', honest.units, 1],
    ['honestErrors.runHours', honest.runHours, 1],
    ['honestErrors.defectSlips', honest.defectSlips, 1],
    ['honestErrors.defects', honest.defects, 1000],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > max || (name === 'honestErrors.defects' && !Number.isInteger(value)))
      throw new ConfigError(name, `expected a number in 0..${max}, got ${value}`);
  }
  if (honest.shape !== 'normal' && honest.shape !== 'uniform')
    throw new ConfigError('honestErrors.shape', `expected normal or uniform, got ${JSON.stringify(honest.shape)}`);
  if (!Number.isSafeInteger(resolved.start) || resolved.start % DAY !== 0) throw new ConfigError('start', 'must be a UTC midnight');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: resolved.timeZone });
  } catch {
    throw new ConfigError('timeZone', `unknown IANA time zone ${JSON.stringify(resolved.timeZone)}`);
  }
  if (!Number.isInteger(resolved.dayStart) || resolved.dayStart < 0 || resolved.dayStart >= DAY)
    throw new ConfigError('dayStart', `expected a time of day in ms (0 to 24 h), got ${resolved.dayStart}`);
  if (
    !Number.isInteger(resolved.windowSize) ||
    resolved.windowSize < 60_000 ||
    DAY % resolved.windowSize !== 0 ||
    (resolved.shiftWindows && resolved.windowSize !== DAY)
  )
    throw new ConfigError('windowSize', `expected whole minutes dividing a day (a day with shift windows), got ${resolved.windowSize}`);
  checkShifts(resolved);
  return resolved;
}

/**
 * The plant's clock and windows from the settings the processors read
 * (KPI_TIME_ZONE, KPI_DAY_START, KPI_WINDOW_SIZE, KPI_SHIFT_CALENDAR) in place
 * of any in `options`, so the expected rows are the windows the processors
 * will make. With a shift calendar, people work its shifts, which are the
 * windows; a choice of shifts in `options` is then refused.
 */
export function withPlantTime<T extends Partial<SimulateOptions>>(
  options: T,
  config: Pick<Config, 'timeZone' | 'dayStart' | 'windowSize' | 'shiftCalendar'>,
): T & PlantTimeOptions {
  const clock = { timeZone: config.timeZone, dayStart: config.dayStart, windowSize: config.windowSize };
  if (config.shiftCalendar === undefined) return { ...options, ...clock, shifts: options.shifts ?? SIMULATION_DEFAULTS.shifts, shiftWindows: false };
  if (options.shifts !== undefined) throw new ConfigError('shifts', 'KPI_SHIFT_CALENDAR is set: the plant works the shifts of that calendar');
  return { ...options, ...clock, shifts: readShiftCalendar(config.shiftCalendar), shiftWindows: true };
}

export interface SimulationReport {
  sent: number;
  elapsedMs: number;
  recordsPerSecond: number;
  simulation: Simulation;
  out: string;
}

/**
 * Simulates a plant: creates the topics and registers the input schemas if
 * missing, sends the plant's records to Kafka (or, with `dryRun`, only writes
 * the files), and writes its ground truth, expected rows and summary.
 */
export async function simulatePlant(input: Partial<SimulateOptions>, config: Config, log: Logger): Promise<SimulationReport> {
  const options = simulateOptions(withPlantTime(input, config));
  let schemaIds: SchemaIds = { production: 1, telemetry: 2, inspection: 3, feedback: 4, selfReport: 5 };
  const kafka = createKafka(config, 'kpi-stream-simulator', log);
  if (!options.dryRun) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, topicDefinitions(config), log);
    } finally {
      await admin.disconnect();
    }
    schemaIds = await registerInputSchemas(createRegistry(config), config, log);
  }
  const simulation = new Simulation(options, schemaIds);
  const output = new OutputDirectory(options.out);
  output.writeJson(OUTPUT_FILES.plant, simulation.plant);
  log.info(
    `simulating ${options.employees} employees at ${options.stations} stations for ${options.days} days (seed ${options.seed}), ` +
      `shifts ${options.shifts.shifts.map((s) => s.name).join(', ')} in ${options.timeZone}${options.dryRun ? ', dry run' : ''}`,
  );

  let day = 0;
  // Records a source would send after now: the processors dead-letter them (KPI_ERR_INVALID_TIME), as they would at a plant.
  const now = Date.now();
  let fromTheFuture = 0;
  const messages = (function* (all: Iterable<OutboundMessage>) {
    for (const message of all) {
      if (message.arrival > now) fromTheFuture += 1;
      yield message;
    }
  })(
    simulation.messages(output, (d) => {
      day = d + 1;
    }),
  );
  const progress = (sent: number, elapsedMs: number) =>
    log.info(`sent ${sent} records, ${Math.round(sent / Math.max(elapsedMs / 1000, 0.001))}/s, generated day ${day} of ${options.days}`);
  const topics = Object.fromEntries(EVENT_KINDS.map((kind) => [kind, inputTopic(config, kind)])) as Record<EventKind, string>;
  let result: { sent: number; elapsedMs: number };
  if (options.dryRun) {
    const started = Date.now();
    let sent = 0;
    for (const _ of messages) sent += 1;
    result = { sent, elapsedMs: Date.now() - started };
  } else {
    const producer = createProducer(kafka, { allowAutoTopicCreation: false });
    await producer.connect();
    try {
      result = await produceMessages(messages, producer, {
        batchSize: options.batch,
        rate: options.rate,
        topicOf: (kind) => topics[kind],
        onProgress: progress,
      });
    } finally {
      await producer.disconnect();
    }
  }
  output.close();
  if (fromTheFuture > 0) {
    log.warn(
      `${fromTheFuture} records would be sent after now (feedback comes up to 21 days after production, too-late feedback up to 60): the processors dead-letter them as KPI_ERR_INVALID_TIME, so the rows will not match the expected ones; choose an earlier --start (by default the period ends ${DEFAULT_START_MARGIN_DAYS} days ago)`,
    );
  }
  const recordsPerSecond = Math.round(result.sent / Math.max(result.elapsedMs / 1000, 0.001));
  output.writeJson(OUTPUT_FILES.summary, {
    options: { ...options, start: new Date(options.start).toISOString() },
    topics: options.dryRun ? null : topics,
    schemaIds: options.dryRun ? null : schemaIds,
    counts: simulation.counts,
    tooLate: output.tooLateIds,
    sent: result.sent,
    elapsedMs: result.elapsedMs,
    recordsPerSecond,
  });
  return { sent: result.sent, elapsedMs: result.elapsedMs, recordsPerSecond, simulation, out: options.out };
}
