import type { Logger } from '../core/logger.js';
import { DAY } from '../core/time.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import type { Measures } from '../kpis/definition.js';
import { indicatorValues, modelsOf, scoreOf } from '../scoring/model.js';
import { sinkFailure, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { readAnomalies, readReviewedAnomalies, replaceAnomalies, type ReviewedAnomaly } from '../sinks/clickhouse/queries/anomalies.js';
import { readDeadLetterStamps } from '../sinks/clickhouse/queries/deadLetters.js';
import { readReportedPeriods } from '../sinks/clickhouse/queries/reports.js';
import { activeModelVersion, readModelRows } from '../sinks/clickhouse/queries/scoringModels.js';
import { INPUTS } from '../schemas/inputs.js';
import { deadLettersPerPeriod } from './coverage.js';
import type { SelfReportRecord } from './reports.js';
import { DEFAULT_RULES, detect, type DetectionRules } from './rules.js';
import { isInflationFlag, type Flag } from '../contract/flag.js';
import { flagId } from '../contract/flagId.js';
import { FEEDBACK_STATUSES, feedbackOf, type ReviewedFlag } from './feedback.js';

/** History looks back this far before the range: the honest spread and the sequential evidence learn from it. */
export const LOOKBACK = 28 * DAY;
const MS_PER_HOUR = 3_600_000;

export interface DetectOptions {
  from: number;
  to: number;
  /** The plant's time zone: measured figures are kept per local hour of it. */
  timeZone: string;
  rules?: DetectionRules;
  /**
   * Called with the range's flags as they were and as they will be, before
   * they are replaced: live alerting publishes them there, so that a crash in
   * between publishes again rather than never.
   */
  publish?: (before: readonly Flag[], after: readonly Flag[]) => Promise<void>;
}

/** What a self-report is judged against: the figures measured over its period, from the measures summed hour by hour (readReportedPeriods). */
export function measuredFigures(catalog: KpiCatalog, m: Measures): Omit<SelfReportRecord['measured'], 'score'> {
  const values = catalog.valuesOf(m);
  return { units: m.units!, standardHours: values.standard_hours ?? 0, runHours: values.run_hours ?? 0, defectiveUnits: m.units_defective! };
}

/**
 * Runs detection over the windows that start in [from, to): reads every
 * self-report (from 28 days earlier, for history) beside what was measured
 * over its own period — summed from the hourly measures of every window the
 * period spans, scored with the active model — and the employee's
 * dead-lettered production and telemetry records, flags them, and replaces
 * the range's flags in kpi.anomalies. What reviewers decided about the flags
 * of those windows (kpi.flags_current: dismissed, measurement problem) feeds
 * back (feedback.ts), and those flags stay as they were decided: returned
 * with the new ones, never replaced.
 */
export async function runDetection(client: ClickHouseClient, catalog: KpiCatalog, log: Logger, options: DetectOptions): Promise<Flag[]> {
  const rules = options.rules ?? DEFAULT_RULES;
  const since = options.from - LOOKBACK;
  let records: SelfReportRecord[];
  let model: string;
  let reviewed: ReviewedAnomaly[];
  try {
    reviewed = await readReviewedAnomalies(client, { from: since, to: options.to }, FEEDBACK_STATUSES);
    model = await activeModelVersion(client);
    const models = modelsOf(await readModelRows(client, model), model);
    const reports = await readReportedPeriods(client, catalog, { from: since, to: options.to, timeZone: options.timeZone });
    const stamps = await readDeadLetterStamps(client, [INPUTS.production.topic, INPUTS.telemetry.topic], {
      from: since,
      to: options.to + 3 * DAY + rules.coverage.deadLetterSlackMs,
    });
    const deadLetters = deadLettersPerPeriod(
      reports,
      stamps.map((s) => ({
        employeeId: s.employeeId,
        source: s.topic === INPUTS.production.topic ? ('production' as const) : ('telemetry' as const),
        sentAt: s.sentAt,
      })),
      rules.coverage.deadLetterSlackMs,
    );
    records = reports.map((r, i) => {
      const m = r.measures;
      return {
        employeeId: r.employeeId,
        stationId: r.stationId,
        window: r.window,
        period: r.period,
        reported: r.reported,
        measured: {
          ...measuredFigures(catalog, m),
          score: scoreOf(indicatorValues(catalog, m), models.stations.get(r.stationId) ?? models.plant, catalog).score,
        },
        coverage: { telemetryHours: (m.run_ms! + m.idle_ms! + m.down_ms!) / MS_PER_HOUR, deadLetters: deadLetters[i]! },
      };
    });
  } catch (error) {
    throw sinkFailure(error, 'reading self-reports beside what was measured');
  }

  const feedback = feedbackOf(reviewed as (ReviewedAnomaly & ReviewedFlag)[], rules.spread);
  const kept: Flag[] = reviewed.filter((f) => f.windowStart >= options.from && f.windowStart < options.to).map(({ status: _status, ...flag }) => flag);
  const fresh = detect(records, { from: options.from, to: options.to }, rules, feedback);
  const flags = [...fresh, ...kept];
  if (options.publish) {
    let before: Flag[];
    try {
      before = await readAnomalies(client, { from: options.from, to: options.to });
    } catch (error) {
      throw sinkFailure(error, 'reading the flags to replace');
    }
    await options.publish(before, flags);
  }
  try {
    await replaceAnomalies(client, { from: options.from, to: options.to }, fresh, rules.version, kept.map(flagId));
  } catch (error) {
    throw sinkFailure(error, 'writing anomalies');
  }
  const inflation = flags.filter(isInflationFlag);
  log.info(
    { reports: records.length, flags: flags.length, model, rules: rules.version },
    `flagged ${new Set(inflation.map((f) => `${f.employeeId}@${f.windowStart}`)).size} employee-windows for inflation (${inflation.length} flags) and ${flags.length - inflation.length} measurement gaps with ${rules.version}`,
  );
  return flags;
}

/** Reads the current flags of a range back from kpi.anomalies. */
export async function readFlags(client: ClickHouseClient, range: { from: number; to: number }): Promise<Flag[]> {
  return (await readAnomalies(client, range)) as Flag[];
}
