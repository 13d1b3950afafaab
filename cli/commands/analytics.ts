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
import { evaluate, type Evaluation } from '../../detection/evaluate.js';
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
  needs: () => ['clickhouse'],
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
each self-report with what was measured (tolerance bands, peer robust z-scores
per station and week, the person's own history, round numbers; 28 days of
history before --from) and replaces the range's flags in kpi.anomalies.

  --alert   send flags of KPI_ALERT_MIN_SEVERITY or worse that were not sent
            before to kpi.alerts.v1 and, if set, to KPI_ALERT_WEBHOOK_URL`,
  needs: (args) => (args.includes('--alert') ? ['clickhouse', 'kafka'] : ['clickhouse']),
  async run(args, { config, log }) {
    const { values } = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' }, alert: { type: 'boolean', default: false } } });
    return withClient(config, async (client) => {
      const range = await dataRange(client);
      const flags = await runDetection(client, log, {
        from: parseDay(values.from, '--from') ?? range.from,
        to: parseDay(values.to, '--to') ?? range.to,
        timeZone: config.timeZone,
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
export async function evaluateSimulation(config: Config, dir: string): Promise<Evaluation> {
  const truth = readFileSync(join(dir, OUTPUT_FILES.truth), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as WindowTruth);
  const plant = JSON.parse(readFileSync(join(dir, OUTPUT_FILES.plant), 'utf8')) as Plant;
  const inflators = new Set(plant.employees.filter((e) => e.inflator).map((e) => e.id));
  const from = Math.min(...truth.map((t) => t.window_start));
  const to = Math.max(...truth.map((t) => t.window_start)) + DAY;
  const flags = await withClient(config, (client) => readFlags(client, { from, to }));
  return evaluate(truth, flags, inflators);
}

export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `employee-windows: ${e.windows}, flagged: ${e.flaggedWindows}`,
    `precision: ${pct(e.precision)} (flagged windows whose report was inflated)`,
    `recall for inflation of 15% or more: ${pct(e.recallAtLeast15.recall)} (${e.recallAtLeast15.flagged} of ${e.recallAtLeast15.inflated})`,
    `flags on honest employees: ${pct(e.honestFlagRate)} of their ${e.honestWindows} windows`,
    `flags naming the right kind: ${pct(e.kindAgreement)}`,
    'recall by kind and degree (effective inflation):',
  ];
  const buckets = ['5-10%', '10-15%', '15-25%', '25-50%+'];
  lines.push(`  ${'kind'.padEnd(12)}${buckets.map((b) => b.padStart(19)).join('')}`);
  for (const [kind, cells] of Object.entries(e.recall).sort()) {
    lines.push(`  ${kind.padEnd(12)}${buckets.map((b) => (cells[b] ? `${pct(cells[b]!.recall)} (${cells[b]!.flagged}/${cells[b]!.inflated})` : '-').padStart(19)).join('')}`);
  }
  return lines.join('\n');
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "Precision and recall of the flags against a simulation's ground truth",
  usage: `Usage: kpi-stream evaluate --out DIR [--check]

Compares kpi.anomalies with the ground truth a simulation wrote to DIR, per
employee-window: precision, recall by kind and degree of inflation, and the
share of honest employees' windows flagged. With --check, exits 1 unless
precision >= 0.95, recall >= 0.90 for inflation of 15% or more, and honest
flags <= 1%.`,
  needs: () => ['clickhouse'],
  async run(args, { config }) {
    const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'out/simulation' }, check: { type: 'boolean', default: false } } });
    const result = await evaluateSimulation(config, values.out!);
    process.stdout.write(`${formatEvaluation(result)}\n`);
    const ok = result.precision >= 0.95 && result.recallAtLeast15.recall >= 0.9 && result.honestFlagRate <= 0.01;
    return values.check && !ok ? 1 : 0;
  },
};

