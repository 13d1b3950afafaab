import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { sendFlagAlerts } from '../../detection/alerts.js';
import { evaluateSimulation, formatEvaluation, meetsTargets } from '../../detection/groundTruth.js';
import { runDetection } from '../../detection/runner.js';
import { loadCatalog } from '../../kpis/extensions.js';
import { scorePeriods } from '../../scoring/score.js';
import { withClickHouse } from '../../sinks/clickhouse/client.js';
import { windowSpan } from '../../sinks/clickhouse/queries/windowMetrics.js';
import { insertModel, type ScoringModelRow } from '../../sinks/clickhouse/queries/scoringModels.js';
import { PERIOD_TYPES, type PeriodType } from '../../sinks/clickhouse/queries/scores.js';
import type { Command } from '../command.js';

function parseDay(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseTime(value);
  if (ms === undefined) throw new ConfigError(key, `expected YYYY-MM-DD or an ISO 8601 time, got ${JSON.stringify(value)}`);
  return ms;
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
    const catalog = await loadCatalog(config.extensions);
    return withClickHouse(config, async (client) => {
      if (positionals[0] === 'add-model') {
        if (!positionals[1]) throw new ConfigError('add-model', 'name the JSON file of the model');
        const rows = JSON.parse(readFileSync(positionals[1], 'utf8')) as ScoringModelRow[];
        await insertModel(client, rows);
        log.info(`added scoring model ${rows[0]!.version} (${rows.length} scopes); it is now the active model`);
        return 0;
      }
      const periods: PeriodType[] = values.period === 'all' ? [...PERIOD_TYPES] : [values.period as PeriodType];
      if (!periods.every((p) => (PERIOD_TYPES as readonly string[]).includes(p))) throw new ConfigError('--period', `expected window, week, month or all, got ${values.period}`);
      for (const period of periods) {
        const { model, rows } = await scorePeriods(client, catalog, {
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
    const catalog = await loadCatalog(config.extensions);
    return withClickHouse(config, async (client) => {
      const span = (await windowSpan(client)) ?? { from: 0, to: 0 };
      const flags = await runDetection(client, catalog, log, {
        from: parseDay(values.from, '--from') ?? span.from,
        to: parseDay(values.to, '--to') ?? span.to,
        timeZone: config.timeZone,
      });
      if (values.alert) await sendFlagAlerts(config, client, flags, log);
      return 0;
    });
  },
};

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
    const result = await withClickHouse(config, (client) => evaluateSimulation(client, values.out!));
    process.stdout.write(`${formatEvaluation(result)}\n`);
    return values.check && !meetsTargets(result) ? 1 : 0;
  },
};
