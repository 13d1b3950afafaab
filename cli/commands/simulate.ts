import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Config } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import type { Logger } from '../../core/logger.js';
import { EVENT_KINDS, type EventKind } from '../../schemas/kinds.js';
import { DEFAULT_HONEST_ERRORS } from '../../simulator/day.js';
import { OUTPUT_FILES, OutputDirectory } from '../../simulator/output.js';
import { produceMessages } from '../../simulator/produce.js';
import { Simulation, type SimulationOptions } from '../../simulator/simulation.js';
import { inputTopic, topicDefinitions } from '../../topics/definitions.js';
import { createKafka, createProducer, ensureTopics } from '../../topics/kafka.js';
import { createRegistry, registerInputSchemas, type SchemaIds } from '../../topics/registry.js';
import type { Command } from '../command.js';

const USAGE = `Usage: kpi-stream simulate [options]

Simulates a plant and sends its events to the five input topics through the
schema registry, deterministically for a seed, and writes the ground truth and
the expected kpi.employee_window_metrics rows to --out.

Plant
  --employees N        employees (default 300; scales to 100000)
  --stations N         stations (default: one per 12 employees)
  --products N         products with standard times (default 12)
  --days N             days of production to simulate (default 7)
  --start YYYY-MM-DD   first simulated day, UTC (default 2026-10-05)
  --seed N             seed: the same seed gives the same plant and events (default 1)
Behaviour
  --inflators SHARE    share of employees who inflate self-reports (default 0.1)
  --inflation-days P   share of an inflator's working days they inflate on (default 0.8)
  --inflation-start P  share of inflators who start part-way through the period (default 0)
  --intermittent P     share of inflators who inflate only now and then (default 0) ...
  --intermittent-days P  ... on this share of their working days (default 0.3)
  --feedback SHARE     share of production events with customer feedback (default 0.25)
Honest errors (reports typed from memory, zero on average)
  --honest-units P     reported units off by up to +-P of those made (default 0.02)
  --honest-hours P     reported run hours off by up to +-P (default 0.03)
  --honest-shape S     normal: sd P/2, about 95% of reports within +-P; uniform: evenly
                       within +-P (default normal)
  --honest-defects N   admitted defective units off by 1..N either way ... (default 1)
  --honest-defect-slips P  ... on this share of reports (default 0.1)
Measurement gaps (on honest employees' shifts; recorded in truth.jsonl)
  --gaps P             share of shifts with 1-4 hours without telemetry (IoT gateway
                       outage) or production counts (MES outage), or 1-3 records
                       dead-lettered instead of counted (default 0); those records
                       carry their send time as Kafka timestamp, so keep --start
                       within the topics' retention
Delivery
  --duplicates P       share of records sent twice, as producer retries (default 0.01)
  --malformed P        extra malformed records per event (default 0)
  --too-late P         extra feedback 40-60 days late, per feedback event (default 0)
  --disorder DURATION  records arrive up to this late, out of order (default 5m)
  --rate N             records per second, 0 = as fast as possible (default 0)
  --batch N            records per produce request (default 5000)
Output
  --out DIR            where the ground truth goes (default out/simulation)
  --dry-run            generate the files without Kafka

Files in --out: ${Object.values(OUTPUT_FILES).join(', ')}.`;

export interface SimulateArgs {
  options: SimulationOptions;
  rate: number;
  batch: number;
  out: string;
  dryRun: boolean;
}

export function parseSimulateArgs(args: string[]): SimulateArgs {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      employees: { type: 'string', default: '300' },
      stations: { type: 'string' },
      products: { type: 'string', default: '12' },
      days: { type: 'string', default: '7' },
      start: { type: 'string', default: '2026-10-05' },
      seed: { type: 'string', default: '1' },
      inflators: { type: 'string', default: '0.1' },
      'inflation-days': { type: 'string', default: '0.8' },
      'inflation-start': { type: 'string', default: '0' },
      intermittent: { type: 'string', default: '0' },
      'intermittent-days': { type: 'string', default: '0.3' },
      'honest-units': { type: 'string', default: String(DEFAULT_HONEST_ERRORS.units) },
      'honest-hours': { type: 'string', default: String(DEFAULT_HONEST_ERRORS.runHours) },
      'honest-shape': { type: 'string', default: DEFAULT_HONEST_ERRORS.shape },
      'honest-defects': { type: 'string', default: String(DEFAULT_HONEST_ERRORS.defects) },
      'honest-defect-slips': { type: 'string', default: String(DEFAULT_HONEST_ERRORS.defectSlips) },
      gaps: { type: 'string', default: '0' },
      feedback: { type: 'string', default: '0.25' },
      duplicates: { type: 'string', default: '0.01' },
      malformed: { type: 'string', default: '0' },
      'too-late': { type: 'string', default: '0' },
      disorder: { type: 'string', default: '5m' },
      rate: { type: 'string', default: '0' },
      batch: { type: 'string', default: '5000' },
      out: { type: 'string', default: 'out/simulation' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, min: number, max: number) => {
    const raw = values[name as keyof typeof values] as string;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`--${name}`, `expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const share = (name: string) => {
    const raw = values[name as keyof typeof values] as string;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`--${name}`, `expected a share in 0..1, got ${JSON.stringify(raw)}`);
    return n;
  };
  const employees = int('employees', 1, 1_000_000);
  const start = Date.parse(`${values.start}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values.start) || Number.isNaN(start)) throw new ConfigError('--start', `expected YYYY-MM-DD, got ${JSON.stringify(values.start)}`);
  const shape = values['honest-shape'];
  if (shape !== 'normal' && shape !== 'uniform') throw new ConfigError('--honest-shape', `expected normal or uniform, got ${JSON.stringify(shape)}`);
  const disorder = parseDuration(values.disorder);
  if (disorder === undefined) throw new ConfigError('--disorder', `expected a duration such as 5m, got ${JSON.stringify(values.disorder)}`);
  return {
    options: {
      seed: int('seed', 0, 2 ** 31 - 1),
      employees,
      stations: values.stations === undefined ? Math.max(1, Math.ceil(employees / 12)) : int('stations', 1, employees),
      products: int('products', 1, 1000),
      days: int('days', 1, 3650),
      start,
      inflatorShare: share('inflators'),
      inflationDays: share('inflation-days'),
      lateStartShare: share('inflation-start'),
      intermittentShare: share('intermittent'),
      intermittentDays: share('intermittent-days'),
      feedbackShare: share('feedback'),
      honestErrors: { units: share('honest-units'), runHours: share('honest-hours'), defects: int('honest-defects', 0, 1000), defectSlips: share('honest-defect-slips'), shape },
      gapShare: share('gaps'),
      duplicateRate: share('duplicates'),
      malformedRate: share('malformed'),
      tooLateRate: share('too-late'),
      disorderMs: disorder,
    },
    rate: int('rate', 0, 100_000_000),
    batch: int('batch', 1, 1_000_000),
    out: resolve(values.out),
    dryRun: values['dry-run'],
  };
}

export interface SimulationReport {
  sent: number;
  elapsedMs: number;
  recordsPerSecond: number;
  simulation: Simulation;
  out: string;
}

/** Runs a simulation: to Kafka (topics and schemas created if missing) or, with dryRun, to the files only. */
export async function runSimulation(parsed: SimulateArgs, config: Config, log: Logger): Promise<SimulationReport> {
  const { options } = parsed;
  let schemaIds: SchemaIds = { production: 1, telemetry: 2, inspection: 3, feedback: 4, selfReport: 5 };
  const kafka = createKafka(config, 'kpi-stream-simulator', log);
  if (!parsed.dryRun) {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topicDefinitions(config), log);
    await admin.disconnect();
    schemaIds = await registerInputSchemas(createRegistry(config), config, log);
  }
  const simulation = new Simulation(options, schemaIds);
  const output = new OutputDirectory(parsed.out);
  output.writeJson(OUTPUT_FILES.plant, simulation.plant);
  log.info(`simulating ${options.employees} employees at ${options.stations} stations for ${options.days} days (seed ${options.seed})${parsed.dryRun ? ', dry run' : ''}`);

  let day = 0;
  const messages = simulation.messages(output, (d) => {
    day = d + 1;
  });
  const progress = (sent: number, elapsedMs: number) =>
    log.info(`sent ${sent} records, ${Math.round(sent / Math.max(elapsedMs / 1000, 0.001))}/s, generated day ${day} of ${options.days}`);
  let result: { sent: number; elapsedMs: number };
  if (parsed.dryRun) {
    const started = Date.now();
    let sent = 0;
    for (const _ of messages) sent += 1;
    result = { sent, elapsedMs: Date.now() - started };
  } else {
    const producer = createProducer(kafka, { allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const topics = Object.fromEntries(EVENT_KINDS.map((kind) => [kind, inputTopic(config, kind)])) as Record<EventKind, string>;
      result = await produceMessages(messages, producer, { batchSize: parsed.batch, rate: parsed.rate, topicOf: (kind) => topics[kind], onProgress: progress });
    } finally {
      await producer.disconnect();
    }
  }
  output.close();
  const recordsPerSecond = Math.round(result.sent / Math.max(result.elapsedMs / 1000, 0.001));
  output.writeJson(OUTPUT_FILES.summary, {
    options: { ...options, start: new Date(options.start).toISOString() },
    topics: parsed.dryRun ? null : Object.fromEntries(EVENT_KINDS.map((kind) => [kind, inputTopic(config, kind)])),
    schemaIds: parsed.dryRun ? null : schemaIds,
    counts: simulation.counts,
    tooLate: output.tooLateIds,
    sent: result.sent,
    elapsedMs: result.elapsedMs,
    recordsPerSecond,
  });
  return { sent: result.sent, elapsedMs: result.elapsedMs, recordsPerSecond, simulation, out: parsed.out };
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Simulate a plant: send its events to Kafka, write ground truth and expected rows',
  usage: USAGE,
  async run(args, { config, log }) {
    const report = await runSimulation(parseSimulateArgs(args), config, log);
    const { counts } = report.simulation;
    log.info(
      `${report.sent} records in ${(report.elapsedMs / 1000).toFixed(1)}s (${report.recordsPerSecond}/s): ` +
        `${Object.values(counts.events).reduce((a, b) => a + b, 0)} events, ${counts.duplicates} duplicates, ` +
        `${Object.values(counts.malformed).reduce((a, b) => a + b, 0)} malformed (${counts.deadLettered} of them lost measurements), ${counts.tooLate} too late; ground truth in ${report.out}`,
    );
    return 0;
  },
};
