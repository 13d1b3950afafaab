import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { alertsFor, sendAlerts } from '../../detection/alerts.js';
import type { Flag } from '../../detection/rules.js';
import { alertsTopic } from '../../topics/definitions.js';
import { createKafka, createProducer } from '../../topics/kafka.js';
import { detectionRules } from '../../detection/config.js';
import { DEFAULT_EVALUATION, evaluate, type Evaluation, type EvaluationOptions } from '../../detection/evaluate.js';
import { formatEvaluation, formatSweep } from '../../detection/evaluationTable.js';
import { inflatorsOf, sweepHonestSpread } from '../../detection/harness.js';
import { parseSimulateArgs } from './simulate.js';
import { readFlags, runDetection } from '../../detection/runner.js';
import { createClickHouseClient, type ClickHouseClient } from '../../sinks/clickhouse/client.js';
import { PERIOD_TYPES, addScoringModel, computeScores, type PeriodType, type ScoringModelRow } from '../../sinks/clickhouse/scoring.js';
import { fromClickHouseTime } from '../../sinks/clickhouse/time.js';
import type { WindowTruth } from '../../simulator/day.js';
import { OUTPUT_FILES } from '../../simulator/output.js';
import type { Plant } from '../../simulator/plant.js';
import type { Command } from '../command.js';

const DAY = 86_400_000;

function parseDay(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(ms)) throw new ConfigError(key, `expected YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return ms;
}

/** The span of windows in ClickHouse, for commands run without --from/--to. */
async function dataRange(client: ClickHouseClient): Promise<{ from: number; to: number }> {
  const result = await client.query({ query: 'SELECT min(window_start) AS first, max(window_end) AS last, count() AS n FROM employee_window_metrics', format: 'JSONEachRow' });
  const [row] = await result.json<{ first: string; last: string; n: number }>();
  if (!row || Number(row.n) === 0) return { from: 0, to: 0 };
  return { from: fromClickHouseTime(row.first), to: fromClickHouseTime(row.last) };
}

async function withClient<T>(config: Config, work: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const client = createClickHouseClient(config);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export const scoreCommand: Command = {
  name: 'score',
  summary: 'Compute employee scores per window, week or month; add scoring model versions',
  usage: `Usage: kpi-stream score [--period window|week|month|all] [--model VERSION] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
       kpi-stream score add-model FILE.json

Computes kpi.employee_scores from kpi.employee_window_metrics_current with a
scoring model version (default: the active one, the newest), for every period
with windows in [from, to) (default: all). Each score records its model version;
recomputing with the same version gives the same scores.

add-model stores a new version: a JSON array of kpi.scoring_models rows (one
plant-wide row with scope "", optional rows per station). Versions never change.`,
  async run(args, { config, log }) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { period: { type: 'string', default: 'all' }, model: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
    });
    return withClient(config, async (client) => {
      if (positionals[0] === 'add-model') {
        if (!positionals[1]) throw new ConfigError('add-model', 'name the JSON file of the model');
        const rows = JSON.parse(readFileSync(positionals[1], 'utf8')) as ScoringModelRow[];
        await addScoringModel(client, rows);
        log.info(`added scoring model ${rows[0]!.version} (${rows.length} scopes); it is now the active model`);
        return 0;
      }
      const periods: PeriodType[] = values.period === 'all' ? [...PERIOD_TYPES] : [values.period as PeriodType];
      if (!periods.every((p) => (PERIOD_TYPES as readonly string[]).includes(p))) throw new ConfigError('--period', `expected window, week, month or all, got ${values.period}`);
      for (const period of periods) {
        const { model, rows } = await computeScores(client, {
          period,
          timeZone: config.timeZone,
          ...(values.model ? { model: values.model } : {}),
          ...(values.from ? { from: parseDay(values.from, '--from')! } : {}),
          ...(values.to ? { to: parseDay(values.to, '--to')! } : {}),
        });
        log.info(`scored ${period}s with model ${model}: ${rows} rows in kpi.employee_scores`);
      }
      return 0;
    });
  },
};

export const detectCommand: Command = {
  name: 'detect',
  summary: 'Flag inflated self-reports into kpi.anomalies',
  usage: `Usage: kpi-stream detect [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--alert]

Scores the windows of [from, to) (default: every window in ClickHouse), compares
each self-report with what was measured over its period, and replaces the
range's flags in kpi.anomalies: reports whose measured side is incomplete (an
outage, dead letters) get a measurement_gap flag and are not judged on what the
gap touches; the others are judged against the honest error spread learned per
station (and per person), by the evidence over the person's reports (a
sequential test with false-alarm rate KPI_DETECT_FALSE_ALARM_RATE) or, far
outside any plausible error, on their own. 28 days before --from are history.

  --alert   send inflation flags of KPI_ALERT_MIN_SEVERITY or worse that were
            not sent before to kpi.alerts.v1 and, if set, to
            KPI_ALERT_WEBHOOK_URL (measurement gaps never alert)`,
  async run(args, { config, log }) {
    const { values } = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' }, alert: { type: 'boolean', default: false } } });
    return withClient(config, async (client) => {
      const range = await dataRange(client);
      const flags = await runDetection(client, log, {
        from: parseDay(values.from, '--from') ?? range.from,
        to: parseDay(values.to, '--to') ?? range.to,
        timeZone: config.timeZone,
        rules: detectionRules(config),
      });
      if (values.alert) await alert(config, client, flags, log);
      return 0;
    });
  },
};

/** Sends the alerts the flags raise (topic, and webhook when configured). */
export async function alert(config: Config, client: ClickHouseClient, flags: readonly Flag[], log: Logger): Promise<number> {
  const producer = createProducer(createKafka(config, 'kpi-stream-alerts', log), { allowAutoTopicCreation: false });
  await producer.connect();
  try {
    return await sendAlerts(
      client,
      { producer, topic: alertsTopic(config), ...(config.alertWebhookUrl ? { webhookUrl: config.alertWebhookUrl } : {}) },
      alertsFor(flags, config.alertMinSeverity),
      log,
    );
  } finally {
    await producer.disconnect();
  }
}

/** Reads a simulation's truth and plant, and the flags over its windows, and scores them. */
export async function evaluateSimulation(config: Config, dir: string, options: EvaluationOptions = DEFAULT_EVALUATION): Promise<Evaluation> {
  const truth = readFileSync(join(dir, OUTPUT_FILES.truth), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as WindowTruth);
  const plant = JSON.parse(readFileSync(join(dir, OUTPUT_FILES.plant), 'utf8')) as Plant;
  const inflators = inflatorsOf(plant);
  const from = Math.min(...truth.map((t) => t.window_start));
  const to = Math.max(...truth.map((t) => t.window_start)) + DAY;
  const flags = await withClient(config, (client) => readFlags(client, { from, to }));
  return evaluate(truth, flags, inflators, options);
}

export { formatEvaluation };

/** The thresholds `evaluate --check` holds a run to. */
export function meetsTargets(e: Evaluation): boolean {
  return e.precision >= 0.95 && e.recallAtLeast15.recall >= 0.9 && e.honestFlagRate <= 0.01 && e.honestEmployeeFlagRate <= 0.02 && e.gaps.inflationFlagged === 0;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "Precision and recall of the flags against a simulation's ground truth",
  usage: `Usage: kpi-stream evaluate --out DIR [--within N] [--check]
       kpi-stream evaluate --sweep SPREADS [--seeds A-B|A,B,…] [--within N] [simulate options]

Compares kpi.anomalies with the ground truth a simulation wrote to DIR: per
employee-window, precision, recall by kind and degree of inflation, and the
share of honest employees' windows flagged; per person, the inflators (15% or
more, on most of their shifts) identified within N of their shifts (default 5),
shifts to detection, intermittent inflators identified, and honest employees
flagged at all; and on planted measurement gaps, how many were flagged for
inflation (must be none). With --check, exits 1 unless precision >= 0.95,
recall >= 0.90 for inflation of 15% or more, honest windows flagged <= 1%,
honest employees flagged <= 2% and no gap window flagged for inflation.

--sweep simulates the plant of the simulate options in memory once per honest
error spread (a comma-separated list of shares, e.g. 0.01,0.025,0.05,0.1: units
and run hours off by up to that much), runs the same detection on its ground
truth without any service, and prints one row per spread; with --seeds, over
the plants of all those seeds together.`,
  async run(args, { config }) {
    const sweepAt = args.indexOf('--sweep');
    if (sweepAt >= 0) {
      const rest = [...args];
      const take = (name: string): string | undefined => {
        const at = rest.indexOf(name);
        if (at < 0) return undefined;
        const [, value] = rest.splice(at, 2);
        if (value === undefined) throw new ConfigError(name, 'expects a value');
        return value;
      };
      const spreads = take('--sweep')!.split(',').map(Number);
      if (spreads.some((x) => !Number.isFinite(x) || x < 0 || x > 1)) throw new ConfigError('--sweep', 'expected comma-separated shares in 0..1, e.g. 0.01,0.025,0.05,0.1');
      const within = parseWithin(take('--within'));
      const seedList = take('--seeds');
      const { options: o } = parseSimulateArgs(rest);
      const seeds = seedList === undefined ? [o.seed] : parseSeeds(seedList);
      const honest = o.honestErrors;
      process.stdout.write(
        `${o.employees} employees, ${o.days} days, seed${seeds.length > 1 ? 's' : ''} ${seedList ?? o.seed}; inflators ${o.inflatorShare} (inflating on ${o.inflationDays} of their shifts; ` +
          `${o.lateStartShare} of them starting late, ${o.intermittentShare} intermittent); honest errors ${honest.shape} within each spread, ` +
          `defects off by up to ${honest.defects} on ${honest.defectSlips} of reports; measurement gaps on ${o.gapShare} of honest shifts\n\n` +
          `${formatSweep(sweepHonestSpread(o, spreads, detectionRules(config), { within }, seeds))}\n`,
      );
      return 0;
    }
    const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'out/simulation' }, within: { type: 'string' }, check: { type: 'boolean', default: false } } });
    const result = await evaluateSimulation(config, values.out!, { within: parseWithin(values.within) });
    process.stdout.write(`${formatEvaluation(result)}\n`);
    return values.check && !meetsTargets(result) ? 1 : 0;
  },
};

/** `101-120` or `1,2,3`. */
function parseSeeds(raw: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(raw);
  const seeds = range ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i) : raw.split(',').map(Number);
  if (seeds.length === 0 || seeds.length > 1000 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new ConfigError('--seeds', `expected seeds such as 101-120 or 1,2,3, got ${JSON.stringify(raw)}`);
  return seeds;
}

function parseWithin(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_EVALUATION.within;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('--within', `expected a whole number of shifts, got ${JSON.stringify(raw)}`);
  return n;
}
