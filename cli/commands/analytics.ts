import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { detectionRules } from '../../detection/config.js';
import { formatEvaluation, formatSweep } from '../../evaluation/evaluationTable.js';
import { evaluateSimulation, meetsTargets } from '../../evaluation/groundTruth.js';
import { sweepHonestSpread } from '../../evaluation/harness.js';
import { runDetection } from '../../detection/runner.js';
import { runAnalytics } from '../../detection/analytics.js';
import { withFlagPublisher } from '../../alerting/service.js';
import { pseudonymKey, type Config } from '../../core/config.js';
import { loadCatalog } from '../../kpis/extensions.js';
import { pseudonymise } from '../../privacy/pseudonymise.js';
import { scorePeriods } from '../../scoring/score.js';
import { withClickHouse, type ClickHouseClient } from '../../sinks/clickhouse/client.js';
import { windowSpan } from '../../sinks/clickhouse/queries/windowMetrics.js';
import { insertModel, type ScoringModelRow } from '../../sinks/clickhouse/queries/scoringModels.js';
import { PERIOD_TYPES, type PeriodType } from '../../sinks/clickhouse/queries/scores.js';
import { simulateOptions, withPlantTime } from '../../simulator/run.js';
import type { Command } from '../command.js';
import { parseInstant, parseSeeds, parseSimulateFlags, parseWithin } from '../args.js';

export const scoreCommand: Command = {
  name: 'score',
  summary: 'Compute employee scores per window, week or month; add scoring model versions',
  usage: `Usage: kpi-stream score [--period window|week|month|all] [--model VERSION] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
       kpi-stream score add-model FILE.json

Computes kpi.employee_scores from kpi.employee_window_metrics_current with a
scoring model version (default: the active one, the newest), for every period
with windows in [from, to) (default: all). Each score records its model version;
recomputing with the same version gives the same scores. Everyone with window
rows gets a pseudonym (KPI_PSEUDONYM_KEY) where they have none yet, for the
views of the BI database.

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
      const key = pseudonymKey(config);
      const periods: PeriodType[] = values.period === 'all' ? [...PERIOD_TYPES] : [values.period as PeriodType];
      if (!periods.every((p) => (PERIOD_TYPES as readonly string[]).includes(p)))
        throw new ConfigError('--period', `expected window, week, month or all, got ${values.period}`);
      for (const period of periods) {
        const { model, rows } = await scorePeriods(client, catalog, {
          period,
          timeZone: config.timeZone,
          ...(values.model ? { model: values.model } : {}),
          ...(values.from ? { from: parseInstant(values.from, '--from')! } : {}),
          ...(values.to ? { to: parseInstant(values.to, '--to')! } : {}),
        });
        log.info(`scored ${period}s with model ${model}: ${rows} rows in kpi.employee_scores`);
      }
      await pseudonymiseAll(client, key, log);
      return 0;
    });
  },
};

export const detectCommand: Command = {
  name: 'detect',
  summary: 'Flag inflated self-reports and measurement gaps into kpi.anomalies',
  usage: `Usage: kpi-stream detect [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Compares each self-report of the windows of [from, to) (default: every window
in ClickHouse) with what was measured over the report's own period, and
replaces the range's flags in kpi.anomalies: reports whose measured side is
incomplete (an outage, dead letters) get a measurement_gap flag and are not
judged on what the gap touches; the others are judged against the honest error
spread learned per station (and per person), by the evidence over the person's
reports (a sequential test with false-alarm rate KPI_DETECT_FALSE_ALARM_RATE)
or, far outside any plausible error, on their own. 28 days before --from are
history. With KPI_ALERT_RULES set, the flags also go to live alerting, whose
anomaly rules turn them into alerts (measurement gaps never alert). Everyone
with window rows gets a pseudonym (KPI_PSEUDONYM_KEY) where they have none
yet, for the views of the BI database.`,
  needs: (_args, config: Config) => (config.alertRules ? ['clickhouse', 'kafka'] : ['clickhouse']),
  async run(args, { config, log }) {
    const { values } = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' } } });
    const catalog = await loadCatalog(config.extensions);
    const key = pseudonymKey(config);
    return withFlagPublisher(config, log, (publish) =>
      withClickHouse(config, async (client) => {
        const span = (await windowSpan(client)) ?? { from: 0, to: 0 };
        await runDetection(client, catalog, log, {
          from: parseInstant(values.from, '--from') ?? span.from,
          to: parseInstant(values.to, '--to') ?? span.to,
          timeZone: config.timeZone,
          rules: detectionRules(config),
          ...(publish ? { publish } : {}),
        });
        await pseudonymiseAll(client, key, log);
        return 0;
      }),
    );
  },
};

export const analyticsServiceCommand: Command = {
  name: 'analytics',
  summary: 'Score and check for inflation, continuously, the windows written since the last cycle',
  usage: `Usage: kpi-stream analytics [--once]

Every KPI_ANALYTICS_INTERVAL, scores the window rows written since the last
cycle (their windows, and the weeks and months that hold them, whole) and runs
detection over the windows they span (with 28 days of history before them);
with KPI_ALERT_RULES set, the flags go to live alerting too. Where it got to is
kept in kpi.analytics_progress, so a restart goes on from there. SIGTERM
finishes the cycle in hand and exits 0.

  --once   run one cycle and exit`,
  needs: (_args, config: Config) => (config.alertRules ? ['clickhouse', 'kafka'] : ['clickhouse']),
  async run(args, { config, log }) {
    const { values } = parseArgs({ args, options: { once: { type: 'boolean', default: false } } });
    const catalog = await loadCatalog(config.extensions);
    const stop = new AbortController();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        log.info({ signal }, 'stopping after the cycle in hand');
        stop.abort();
      });
    }
    await withFlagPublisher(config, log, (publish) =>
      runAnalytics(config, log, catalog, publish ?? (async () => undefined), { once: values.once, signal: stop.signal }),
    );
    return 0;
  },
};

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "Precision and recall of the flags against a simulation's ground truth",
  usage: `Usage: kpi-stream evaluate --out DIR [--within N] [--check]
       kpi-stream evaluate --sweep SPREADS [--seeds A-B|A,B,…] [--within N] [simulate options]

Compares kpi.anomalies with the ground truth a simulation wrote to DIR: per
employee-window, precision, recall by kind and degree of inflation, and the
share of honest employees' windows flagged, overall and per shift worked (day,
swing, night …: a detection that is fair overall can still accuse one shift);
per person, the inflators (15% or
more, on most of their shifts) identified within N of their shifts (default 5),
shifts to detection, intermittent inflators identified, and honest employees
flagged at all; and on planted measurement gaps, how many were flagged for
inflation (must be none). With --check, exits 1 unless precision >= 0.95,
recall >= 0.90 for inflation of 15% or more and honest windows flagged <= 1%,
overall and in every shift, honest employees flagged <= 2% and no gap window
flagged for inflation.

--sweep simulates the plant of the simulate options in memory once per honest
error spread (a comma-separated list of shares, e.g. 0.01,0.025,0.05,0.1: units
and run hours off by up to that much), runs the same detection on its ground
truth without any service, and prints one row per spread; with --seeds, over
the plants of all those seeds together. The plant's time zone, day start and
windows follow KPI_TIME_ZONE, KPI_DAY_START, KPI_WINDOW_SIZE and
KPI_SHIFT_CALENDAR, as in simulate.`,
  needs: (args) => (args.includes('--sweep') ? [] : ['clickhouse']),
  async run(args, { config }) {
    if (args.includes('--sweep')) {
      const rest = [...args];
      const take = (name: string): string | undefined => {
        const at = rest.indexOf(name);
        if (at < 0) return undefined;
        const [, value] = rest.splice(at, 2);
        if (value === undefined) throw new ConfigError(name, 'expects a value');
        return value;
      };
      const spreads = take('--sweep')!.split(',').map(Number);
      if (spreads.some((x) => !Number.isFinite(x) || x < 0 || x > 1))
        throw new ConfigError('--sweep', 'expected comma-separated shares in 0..1, e.g. 0.01,0.025,0.05,0.1');
      const within = parseWithin(take('--within'));
      const seedList = take('--seeds');
      const o = simulateOptions(withPlantTime(parseSimulateFlags(rest), config));
      const seeds = seedList === undefined ? [o.seed] : parseSeeds(seedList);
      const honest = o.honestErrors;
      process.stdout.write(
        `${o.employees} employees, ${o.days} days, seed${seeds.length > 1 ? 's' : ''} ${seedList ?? o.seed}; inflators ${o.inflatorShare} (inflating on ${o.inflationDays} of their shifts; ` +
          `${o.lateStartShare} of them starting late, ${o.intermittentShare} intermittent); honest errors ${honest.shape} within each spread, ` +
          `defects off by up to ${honest.defects} on ${honest.defectSlips} of reports; measurement gaps on ${o.gapShare} of honest shifts; ` +
          `shifts ${o.shifts.shifts.map((s) => s.name).join(', ')}, ${o.shiftWindows ? 'windows are the shifts' : 'plant days'} from ${formatDayStart(o.dayStart)} in ${o.timeZone}\n\n` +
          `${formatSweep(sweepHonestSpread(o, spreads, detectionRules(config), { within }, seeds))}\n`,
      );
      return 0;
    }
    const { values } = parseArgs({
      args,
      options: { out: { type: 'string', default: 'out/simulation' }, within: { type: 'string' }, check: { type: 'boolean', default: false } },
    });
    const result = await withClickHouse(config, (client) => evaluateSimulation(client, values.out!, { within: parseWithin(values.within) }));
    process.stdout.write(`${formatEvaluation(result)}\n`);
    return values.check && !meetsTargets(result) ? 1 : 0;
  },
};

/** Gives everyone with window rows a pseudonym where they have none under the key: what the analytics service does by itself. */
async function pseudonymiseAll(client: ClickHouseClient, key: string, log: Logger): Promise<void> {
  const named = await pseudonymise(client, key);
  if (named > 0) log.info(`${named} people given a pseudonym`);
}

/** A day start as a local time of day, HH:MM. */
const formatDayStart = (ms: number) => new Date(ms).toISOString().slice(11, 16);
