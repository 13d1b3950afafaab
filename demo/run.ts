import { join, relative } from 'node:path';
import { pseudonymKey, type Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { DAY } from '../core/time.js';
import { detectionRules } from '../detection/config.js';
import { runDetection } from '../detection/runner.js';
import type { Evaluation } from '../evaluation/evaluate.js';
import { evaluateSimulation } from '../evaluation/groundTruth.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { loadCatalog } from '../kpis/extensions.js';
import { startPipeline } from '../processors/kafka/bootstrap.js';
import { PlantClock } from '../processors/windows.js';
import { pseudonymise } from '../privacy/pseudonymise.js';
import type { ReportFigures } from '../reporting/figures.js';
import { readReport, writeReport } from '../reporting/run.js';
import { scorePeriods } from '../scoring/score.js';
import { servicesUp } from '../services/index.js';
import { withClickHouse } from '../sinks/clickhouse/client.js';
import { readMostFlagged, type FlaggedEmployee } from '../sinks/clickhouse/queries/anomalies.js';
import { biDatabase } from '../sinks/clickhouse/queries/biViews.js';
import { PERIOD_TYPES } from '../sinks/clickhouse/queries/scores.js';
import { readStationFigures, type StationFigures } from '../sinks/clickhouse/queries/stations.js';
import { compareWithExpected, readExpectedRows, type Comparison } from '../simulator/compare.js';
import { OUTPUT_FILES } from '../simulator/output.js';
import { simulatePlant, type SimulateOptions } from '../simulator/run.js';
import { startDemoAlerts, type DemoAlerts } from './alerts.js';
import { startDemoPeople, type DemoPeople } from './people.js';

/**
 * The demo's plant: a fortnight of a mid-sized plant that reports the way
 * docs/design.md's plant did before it measured. Its people rate themselves
 * generously (self-scores 48 points above what was measured, so most are 85
 * or more), a share of them inflate their reports further (units, run hours,
 * defects admitted, self-scores), defect rates average about 7%, and its
 * systems send late, duplicate, malformed and too-late records.
 */
export const DEMO_PLANT: Partial<SimulateOptions> = {
  employees: 200,
  days: 14,
  inflatorShare: 0.15,
  selfScoreBias: 48,
  defectRateFactor: 1.6,
  malformedRate: 0.001,
  tooLateRate: 0.01,
  out: 'out/demo',
};

/** A step of the demo done, as one line a person can follow. */
/** Hears of each of the demo's steps as it ends (`step`), and of a remark on the step before (`note`). */
export interface DemoProgress {
  step(line: string): void;
  note(line: string): void;
}

export interface DemoResult {
  /** The processors' counts. */
  readonly processed: {
    readonly records: number;
    readonly accepted: number;
    readonly duplicates: number;
    readonly deadLettered: number;
    readonly rows: number;
    readonly inserts: number;
    readonly seconds: number;
  };
  readonly comparison: Comparison;
  readonly alerts: DemoAlerts;
  readonly evaluation: Evaluation;
  readonly stations: readonly StationFigures[];
  readonly mostFlagged: readonly FlaggedEmployee[];
  readonly report: { readonly path: string; readonly figures: ReportFigures };
  /** The app and its identity provider, left running for people to sign in to. */
  readonly people: DemoPeople;
}

/**
 * The main job end to end on the local services: starts them, simulates the
 * plant into Kafka, runs the processors (with live alerting and a local
 * webhook receiver beside them) until the stream is drained, checks every row
 * against the simulator's expected rows, scores every window, week and month,
 * runs detection, measures it against the simulator's ground truth, writes
 * the report, and leaves the app and the local identity provider running in
 * the background (demo/people.ts). `progress` hears of each step as it ends.
 */
export async function runDemo(options: SimulateOptions, config: Config, log: Logger, progress: DemoProgress): Promise<DemoResult> {
  const catalog = await loadCatalog(config.extensions);
  // The people's pseudonyms for kpi_bi: a deployment's ClickHouse without the key stops here, before anything runs.
  const key = pseudonymKey(config);
  const started = Date.now();
  const services = await servicesUp(config, log);
  progress.step(
    `services ready in ${seconds(started)} s: ${services.map((s) => `${s.name} ${s.outcome === 'external' ? `at ${s.endpoint}` : s.outcome.replace('-', ' ')}`).join(', ')}`,
  );

  // With several plants (KPI_PLANTS_FILE) the processors place each event by its employee's plant, from the
  // assignments stored when they start: they run once over the assignments before the events are sent.
  const storeAssignments = async () => {
    const stored = await startPipeline(config, log.child({ component: 'processor' }), { exitWhenIdleMs: 1000 });
    await stored.done;
  };
  const simulation = await simulatePlant(options, config, log, config.plantsFile === undefined ? {} : { assignmentsSent: storeAssignments });
  const { counts } = simulation.simulation;
  progress.step(
    `simulated ${count(simulation.sent)} records in ${(simulation.elapsedMs / 1000).toFixed(1)} s after ${count(simulation.assignments)} assignments (${simulation.simulation.organisation.teams.length} teams): ` +
      `${count(counts.duplicates)} duplicates, ${count(Object.values(counts.malformed).reduce((a, b) => a + b, 0))} malformed, ${count(counts.tooLate)} too late`,
  );

  const alerts = await startDemoAlerts(log, join(simulation.out, 'alerts'));
  try {
    return await processAndReport(options, config, log, progress, { catalog, key, simulation, alerts });
  } catch (error) {
    await alerts.stop().catch(() => undefined);
    throw error;
  }
}

/** The demo from the processors on, with live alerting started: it stops alerting whatever happens. */
async function processAndReport(
  options: SimulateOptions,
  config: Config,
  log: Logger,
  progress: DemoProgress,
  {
    catalog,
    key,
    simulation,
    alerts,
  }: { catalog: KpiCatalog; key: string; simulation: Awaited<ReturnType<typeof simulatePlant>>; alerts: Awaited<ReturnType<typeof startDemoAlerts>> },
): Promise<DemoResult> {
  const started = Date.now();
  const pipeline = await startPipeline(alerts.config, log.child({ component: 'processor' }), { exitWhenIdleMs: 3000 });
  await pipeline.done;
  const m = pipeline.metrics;
  const processed = {
    records: m.processed,
    accepted: m.records.accepted,
    duplicates: m.records.duplicate,
    deadLettered: m.records.tooLate + m.records.invalid,
    rows: m.rowsWritten,
    inserts: m.inserts,
    seconds: (Date.now() - started) / 1000,
  };
  progress.step(
    `processed ${count(processed.records)} records in ${processed.seconds.toFixed(1)} s: ${count(processed.accepted)} counted, ` +
      `${count(processed.duplicates)} duplicates counted once, ${count(processed.deadLettered)} dead-lettered; ${count(processed.rows)} rows in ${processed.inserts} inserts`,
  );
  if (processed.accepted === 0 && processed.duplicates > 0) {
    progress.note('(an earlier demo sent these events already: they count once; `npm run kpi -- services down` and remove .svc/ to start afresh)');
  }

  const range = { from: options.start, to: options.start + options.days * DAY };
  return withClickHouse(config, async (client) => {
    const comparison = await compareWithExpected(client, await readExpectedRows(join(simulation.out, OUTPUT_FILES.expected)));
    progress.step(
      `rows: ${count(comparison.equal)} of ${count(comparison.expected)} expected rows of kpi.employee_window_metrics_current equal in every column` +
        (comparison.equal === comparison.expected && comparison.unexpected.length === 0
          ? ''
          : ` (${comparison.missing.length} missing, ${comparison.unexpected.length} unexpected, ${comparison.differences.length} differences)`),
    );

    for (const period of PERIOD_TYPES) await scorePeriods(client, catalog, { period, timeZone: config.timeZone });
    const flags = await runDetection(client, catalog, log, { ...range, timeZone: config.timeZone, rules: detectionRules(config), publish: alerts.publish });
    const gaps = flags.filter((f) => f.kind === 'measurement_gap').length;
    const named = await pseudonymise(client, key);
    progress.step(
      `scored every window, week and month; detection: ${flags.length - gaps} inflation flags on ${new Set(flags.filter((f) => f.kind !== 'measurement_gap').map((f) => f.employeeId)).size} employees, ${gaps} measurement gaps; ${count(named)} people given a pseudonym for the views of ${biDatabase(config.clickhouseDatabase)}`,
    );

    const alerted = await alerts.finish();
    const latencies = alerted.delivered.flatMap((d) => (d.latencyMs === null ? [] : [d.latencyMs])).sort((a, b) => a - b);
    progress.step(
      `alerts: ${alerted.raised} raised (${alerted.firing} firing), ${alerted.delivered.length} delivered to a local webhook, signatures verified (${alerted.rejected} rejected)` +
        (latencies.length > 0
          ? `; change to webhook p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms under the backfill's load`
          : ''),
    );

    const evaluation = await evaluateSimulation(client, simulation.out);
    const stations = await readStationFigures(client, range);
    const mostFlagged = await readMostFlagged(client, 5);
    const figures = await readReport(client, {
      plant: 'Demo plant',
      period: 'month',
      ...range,
      plantTime: new PlantClock(config.timeZone, config.dayStart),
      catalog,
      access: { actor: 'kpi-stream demo', purpose: 'the demo: a report on simulated employees' },
    });
    const path = writeReport(figures, 'html', join(simulation.out, 'report.html'));
    progress.step(`report: ${relative(process.cwd(), path)}`);

    const people = await startDemoPeople(config, log, client, simulation.out);
    const cast = people.cast;
    progress.step(
      `app: ${people.url} in ${people.seconds.toFixed(1)} s, sign-in at ${people.issuer}` +
        (cast === undefined
          ? ''
          : `; supervisor ${cast.supervisorId}'s teams have ${cast.teamFlags} flags awaiting review, ${cast.employeeFlags} of them about ${cast.employeeId}`),
    );
    return { processed, comparison, alerts: alerted, evaluation, stations, mostFlagged, report: { path, figures }, people };
  });
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const count = (n: number) => n.toLocaleString('en-US');
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
