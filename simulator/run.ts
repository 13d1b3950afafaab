import { resolve } from 'node:path';
import type { Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { DAY } from '../core/time.js';
import { EVENT_KINDS, type EventKind, type RecordKind } from '../schemas/kinds.js';
import { encodeEvent } from '../topics/codec.js';
import { assignmentsTopic, inputTopic } from '../topics/definitions.js';
import { kafkaClient } from '../topics/client/client.js';
import { createKafka, ensureDeploymentTopics } from '../topics/kafka.js';
import { createRegistry, registerInputSchemas } from '../topics/registry.js';
import { readPlants } from '../contract/plants.js';
import { readShiftCalendar } from '../contract/shiftCalendar.js';
import { DEFAULT_HONEST_ERRORS } from './day.js';
import { OUTPUT_FILES, OutputDirectory } from './output.js';
import { simulatedPlants, type SimulatedPlant } from './plant.js';
import { checkShifts, SHIFT_PRESETS, type PlantTimeOptions } from './plantTime.js';
import { produceMessages, type ProducedMessage } from './produce.js';
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

type NumericOption = { [K in keyof SimulateOptions]-?: SimulateOptions[K] extends number ? K : never }[keyof SimulateOptions];

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
  const plantCount = Math.max(1, merged.plants?.length ?? 0);
  const resolved: SimulateOptions = {
    ...merged,
    stations: merged.stations ?? Math.max(plantCount, Math.ceil(merged.employees / 12)),
    start: merged.start ?? defaultStart(merged.days),
    out: resolve(merged.out),
  };
  for (const [name, bound] of Object.entries(BOUNDS) as [NumericOption, { min: number; max: number; integer: boolean }][]) {
    const value = resolved[name];
    if (!Number.isFinite(value) || value < bound.min || value > bound.max || (bound.integer && !Number.isInteger(value))) {
      throw new ConfigError(name, `expected ${bound.integer ? 'a whole number' : 'a number'} in ${bound.min}..${bound.max}, got ${value}`);
    }
  }
  if (resolved.employees < plantCount) throw new ConfigError('employees', `at least one per plant (${plantCount} plants), got ${resolved.employees}`);
  if (resolved.stations > resolved.employees) throw new ConfigError('stations', `must not exceed employees (${resolved.employees}), got ${resolved.stations}`);
  if (resolved.stations < plantCount) throw new ConfigError('stations', `at least one per plant (${plantCount} plants), got ${resolved.stations}`);
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
  for (const plant of resolved.plants ?? []) {
    if (plant.shiftWindows && plant.windowSize !== DAY)
      throw new ConfigError('KPI_WINDOW_SIZE', `plant ${JSON.stringify(plant.id)} of KPI_PLANTS_FILE follows a shift calendar: leave KPI_WINDOW_SIZE at 1d`);
    try {
      checkShifts(plant);
    } catch (error) {
      if (error instanceof ConfigError)
        throw new ConfigError('KPI_PLANTS_FILE', `plant ${JSON.stringify(plant.id)}: ${error.message.replace(/^KPI_SHIFT_CALENDAR: /, '')}`);
      throw error;
    }
  }
  return resolved;
}

/**
 * The plant's clock and windows from the settings the processors read
 * (KPI_TIME_ZONE, KPI_DAY_START, KPI_WINDOW_SIZE, KPI_SHIFT_CALENDAR) in place
 * of any in `options`, so the expected rows are the windows the processors
 * will make. With a shift calendar, people work its shifts, which are the
 * windows; a choice of shifts in `options` is then refused. With
 * KPI_PLANTS_FILE, read as the processors read it, the people are split
 * between its plants, each worked by its own clock: a plant with a shift
 * calendar works its shifts, which are its windows; one without works the
 * simulation's shifts in windows of KPI_WINDOW_SIZE.
 */
export function withPlantTime<T extends Partial<SimulateOptions>>(
  options: T,
  config: Pick<Config, 'timeZone' | 'dayStart' | 'windowSize' | 'shiftCalendar'> & Partial<Pick<Config, 'plantsFile'>>,
): T & PlantTimeOptions & { plants?: readonly SimulatedPlant[] } {
  const clock = { timeZone: config.timeZone, dayStart: config.dayStart, windowSize: config.windowSize };
  let own: T & PlantTimeOptions;
  if (config.shiftCalendar === undefined) own = { ...options, ...clock, shifts: options.shifts ?? SIMULATION_DEFAULTS.shifts, shiftWindows: false };
  else if (options.shifts !== undefined) throw new ConfigError('shifts', 'KPI_SHIFT_CALENDAR is set: the plant works the shifts of that calendar');
  else own = { ...options, ...clock, shifts: readShiftCalendar(config.shiftCalendar), shiftWindows: true };
  if (config.plantsFile === undefined) return own;
  const plants = [...readPlants(config.plantsFile)].map(([id, plant]) => ({
    id,
    timeZone: plant.timeZone,
    dayStart: plant.dayStart,
    windowSize: config.windowSize,
    shifts: plant.shiftCalendar ?? own.shifts,
    shiftWindows: plant.shiftCalendar !== undefined,
  }));
  return { ...own, plants };
}

/** What a caller does between the assignments and the events (run the processors once, so they store the assignments). */
export interface SimulationHooks {
  /** Called once every assignment is acknowledged by the broker, before the first event is sent (not on a dry run). */
  assignmentsSent?: () => Promise<void>;
}

export interface SimulationReport {
  /** Input records sent (events, duplicates, malformed and too-late records). */
  sent: number;
  /** Assignments sent to hr.assignments.v1, before the first input record. */
  assignments: number;
  elapsedMs: number;
  recordsPerSecond: number;
  simulation: Simulation;
  out: string;
}

/**
 * Simulates a plant: creates the topics and registers the input schemas if
 * missing, sends everyone's assignments to hr.assignments.v1 and, once the
 * broker has them all, the plant's records to the input topics (or, with
 * `dryRun`, only writes the files), and writes its organisation, ground
 * truth, expected rows and summary.
 */
export async function simulatePlant(input: Partial<SimulateOptions>, config: Config, log: Logger, hooks: SimulationHooks = {}): Promise<SimulationReport> {
  const options = simulateOptions(withPlantTime(input, config));
  let schemaIds: Readonly<Record<RecordKind, number>> = { production: 1, telemetry: 2, inspection: 3, feedback: 4, selfReport: 5, assignment: 6 };
  const kafka = createKafka(config, 'kpi-stream-simulator', log);
  if (!options.dryRun) {
    await ensureDeploymentTopics(kafka, config, log);
    schemaIds = await registerInputSchemas(createRegistry(config), config, log);
  }
  const simulation = new Simulation(options, schemaIds);
  const output = new OutputDirectory(options.out);
  output.writeJson(OUTPUT_FILES.plant, simulation.plant);
  const { organisation } = simulation;
  output.writeJson(OUTPUT_FILES.organisation, {
    teams: organisation.teams,
    teamMoves: organisation.teamMoves,
    supervisorChange: organisation.supervisorChange,
    transfer: organisation.transfer,
    assignments: organisation.assignments,
  });
  const plants = simulatedPlants(options);
  log.info(
    `simulating ${options.employees} employees at ${options.stations} stations for ${options.days} days (seed ${options.seed}) in ` +
      plants.map((p) => `${p.id} (shifts ${p.shifts.shifts.map((s) => s.name).join(', ')} in ${p.timeZone})`).join(', ') +
      `, ${organisation.teams.length} teams${options.dryRun ? ', dry run' : ''}`,
  );
  const assignments: ProducedMessage[] = organisation.assignments.map((a) => ({
    kind: 'assignment',
    key: a.employee_id,
    value: encodeEvent('assignment', schemaIds.assignment, a),
  }));

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
  const topicOf = (kind: RecordKind) => (kind === 'assignment' ? assignmentsTopic(config) : topics[kind]);
  let result: { sent: number; elapsedMs: number };
  if (options.dryRun) {
    const started = Date.now();
    let sent = 0;
    for (const _ of messages) sent += 1;
    result = { sent, elapsedMs: Date.now() - started };
  } else {
    const producer = kafkaClient(config, 'kpi-stream-simulator', log).producer();
    await producer.connect();
    try {
      // Who belongs where first, every one acknowledged: the processors place each event by its employee's plant at its time.
      await produceMessages(assignments, producer, { batchSize: options.batch, rate: 0, topicOf });
      log.info(`sent ${assignments.length} assignments to ${assignmentsTopic(config)}`);
      await hooks.assignmentsSent?.();
      result = await produceMessages(messages, producer, {
        batchSize: options.batch,
        rate: options.rate,
        topicOf,
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
    topics: options.dryRun ? null : { ...topics, assignment: assignmentsTopic(config) },
    schemaIds: options.dryRun ? null : schemaIds,
    counts: simulation.counts,
    tooLate: output.tooLateIds,
    sent: result.sent,
    assignments: assignments.length,
    elapsedMs: result.elapsedMs,
    recordsPerSecond,
  });
  return { sent: result.sent, assignments: assignments.length, elapsedMs: result.elapsedMs, recordsPerSecond, simulation, out: options.out };
}
