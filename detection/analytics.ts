import { pseudonymKey, type Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { pseudonymise } from '../privacy/pseudonymise.js';
import { scorePeriods } from '../scoring/score.js';
import { sinkFailure, withClickHouse, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { readProgress, readWrittenSince, saveProgress } from '../sinks/clickhouse/queries/analyticsProgress.js';
import { PERIOD_TYPES } from '../sinks/clickhouse/queries/scores.js';
import { detectionRules } from './config.js';
import { runDetection } from './runner.js';
import type { Flag } from '../contract/flag.js';

/** Rows written this recently are left to the next cycle: an insert under way may still land with an earlier written_at. */
const SETTLE_MS = 5_000;
const PROGRESS = 'analytics';

/** Where detection's flags go for anomaly rules (live alerting's inputs); before and after a range's replacement. */
export type FlagPublisher = (before: readonly Flag[], after: readonly Flag[]) => Promise<void>;

export interface CycleReport {
  readonly windows: number;
  readonly employees: number;
  /** People given a pseudonym in this cycle (new ones, or everyone under a new key). */
  readonly pseudonymised: number;
  readonly flags: number;
  readonly through: number;
}

/**
 * One analytics cycle, incremental: the window rows written since the last
 * cycle (kpi.employee_window_metrics.written_at) are scored — their windows,
 * and the weeks and months that hold them, whole — and detection runs over
 * the windows they span (with its 28 days of history); the flags go to
 * kpi.anomalies and to live alerting. First, the people of those rows get
 * their pseudonym (KPI_PSEUDONYM_KEY) where they have none yet, so the BI
 * views show them once the cycle is done. Progress is saved only after all
 * of it, so a crash repeats the cycle rather than skip it.
 */
export async function analyticsCycle(
  client: ClickHouseClient,
  catalog: KpiCatalog,
  config: Config,
  log: Logger,
  publish: FlagPublisher,
  { now = Date.now(), settleMs = SETTLE_MS }: { now?: number; settleMs?: number } = {},
): Promise<CycleReport> {
  let after: number;
  try {
    after = await readProgress(client, PROGRESS);
  } catch (error) {
    throw sinkFailure(error, 'reading analytics_progress');
  }
  const through = now - settleMs;
  const changed = await readWrittenSince(client, after, through).catch((error: unknown) => {
    throw sinkFailure(error, 'reading the windows written since the last cycle');
  });
  const pseudonymised = await pseudonymise(client, pseudonymKey(config), { after, through });
  let flags = 0;
  if (changed) {
    for (const period of PERIOD_TYPES) {
      await scorePeriods(client, catalog, { period, timeZone: config.timeZone, from: changed.from, to: changed.to, employees: changed.employees });
    }
    flags = (
      await runDetection(client, catalog, log, { from: changed.from, to: changed.to, timeZone: config.timeZone, rules: detectionRules(config), publish })
    ).length;
  }
  try {
    await saveProgress(client, PROGRESS, through);
  } catch (error) {
    throw sinkFailure(error, 'saving analytics_progress');
  }
  return { windows: changed?.windows ?? 0, employees: changed?.employees.length ?? 0, pseudonymised, flags, through };
}

/**
 * The analytics service (`kpi-stream analytics`): migrates, gives everyone
 * with window rows a pseudonym under the key (those written before the
 * service ran, and everyone anew after a change of KPI_PSEUDONYM_KEY), then
 * runs a cycle every KPI_ANALYTICS_INTERVAL until `signal` aborts (the cycle
 * in hand finishes first), or one cycle with `once`. Where it got to is kept
 * in kpi.analytics_progress, so a restart goes on from there.
 */
export async function runAnalytics(
  config: Config,
  log: Logger,
  catalog: KpiCatalog,
  publish: FlagPublisher,
  { once = false, signal }: { once?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const key = pseudonymKey(config);
  await migrate(config, log, catalog);
  await withClickHouse(config, async (client) => {
    const named = await pseudonymise(client, key);
    if (named > 0) log.info(`analytics: ${named} people given a pseudonym`);
    do {
      const started = Date.now();
      const cycle = await analyticsCycle(client, catalog, config, log, publish);
      if (cycle.windows > 0) {
        log.info(
          `analytics: ${cycle.windows} window rows of ${cycle.employees} employees written since the last cycle: scored and checked (${cycle.flags} flags) in ${Date.now() - started} ms`,
        );
      }
      if (once) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.analyticsInterval);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    } while (!signal?.aborted);
  });
}
