import type { Logger } from '../core/logger.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { sinkFailure } from '../sinks/clickhouse/client.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { scorePeriods } from '../scoring/score.js';
import { toClickHouseTime } from '../sinks/clickhouse/time.js';
import { DEFAULT_RULES, detect, type DetectionRules, type Flag, type ReportedWindow } from './rules.js';

const DAY = 86_400_000;
/** History and peers look back this far before the range. */
export const LOOKBACK = 28 * DAY;

export interface DetectOptions {
  from: number;
  to: number;
  timeZone: string;
  rules?: DetectionRules;
}

/**
 * Runs detection over [from, to): scores the windows with the active model,
 * reads every self-reported window (from 28 days earlier, for history and
 * peers), flags them, and replaces the range's flags in kpi.anomalies.
 */
export async function runDetection(client: ClickHouseClient, catalog: KpiCatalog, log: Logger, options: DetectOptions): Promise<Flag[]> {
  const rules = options.rules ?? DEFAULT_RULES;
  const since = options.from - LOOKBACK;
  const { model } = await scorePeriods(client, catalog, { period: 'window', timeZone: options.timeZone, from: since, to: options.to });
  let windows: ReportedWindow[];
  try {
    const result = await client.query({
      query: `SELECT m.employee_id AS employee_id, m.station_id AS station_id,
                     toUnixTimestamp64Milli(m.window_start) AS window_start_ms, toUnixTimestamp64Milli(m.window_end) AS window_end_ms,
                     m.units AS units, m.run_hours AS run_hours, m.units_defective AS units_defective,
                     m.reported_units AS reported_units, m.reported_run_hours AS reported_run_hours,
                     m.reported_defective_units AS reported_defective_units, m.self_score AS self_score, s.score AS score
              FROM employee_window_metrics_current AS m
              LEFT JOIN (SELECT employee_id, period_start, score FROM employee_scores FINAL
                         WHERE model_version = {model:String} AND period_type = 'window') AS s
                ON s.employee_id = m.employee_id AND s.period_start = m.window_start
              WHERE m.window_start >= {since:DateTime64(3, 'UTC')} AND m.window_start < {to:DateTime64(3, 'UTC')}
                AND m.reported_units IS NOT NULL`,
      query_params: { model, since: toClickHouseTime(since), to: toClickHouseTime(options.to) },
      format: 'JSONEachRow',
      clickhouse_settings: { join_use_nulls: 1 },
    });
    windows = (await result.json<Record<string, unknown>>()).map((r) => ({
      employeeId: String(r.employee_id),
      stationId: String(r.station_id),
      windowStart: Number(r.window_start_ms),
      windowEnd: Number(r.window_end_ms),
      units: Number(r.units),
      runHours: Number(r.run_hours),
      unitsDefective: Number(r.units_defective),
      reportedUnits: Number(r.reported_units),
      reportedRunHours: Number(r.reported_run_hours),
      reportedDefective: Number(r.reported_defective_units),
      selfScore: r.self_score === null ? null : Number(r.self_score),
      score: r.score === null ? null : Number(r.score),
    }));
  } catch (error) {
    throw sinkFailure(error, 'reading self-reported windows');
  }

  const flags = detect(windows, { from: options.from, to: options.to }, rules);
  const detectedAt = toClickHouseTime(Date.now());
  try {
    await client.command({
      query: `DELETE FROM anomalies WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
      query_params: { from: toClickHouseTime(options.from), to: toClickHouseTime(options.to) },
    });
    if (flags.length > 0) {
      await client.insert({
        table: 'anomalies',
        format: 'JSONEachRow',
        values: flags.map((f) => ({
          employee_id: f.employeeId,
          station_id: f.stationId,
          window_start: toClickHouseTime(f.windowStart),
          window_end: toClickHouseTime(f.windowEnd),
          kind: f.kind,
          method: f.method,
          severity: f.severity,
          reported: f.reported,
          measured: f.measured,
          deviation: f.deviation,
          z_score: f.z,
          explanation: f.explanation,
          evidence: JSON.stringify(f.evidence),
          rules_version: rules.version,
          detected_at: detectedAt,
        })),
      });
    }
  } catch (error) {
    throw sinkFailure(error, 'writing anomalies');
  }
  log.info({ windows: windows.length, flags: flags.length, model, rules: rules.version }, `flagged ${new Set(flags.map((f) => `${f.employeeId}@${f.windowStart}`)).size} employee-windows (${flags.length} flags) with ${rules.version}`);
  return flags;
}

/** Reads the current flags of a range back from kpi.anomalies. */
export async function readFlags(client: ClickHouseClient, range: { from: number; to: number }): Promise<Flag[]> {
  const result = await client.query({
    query: `SELECT *, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms
            FROM anomalies_current WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee_id),
    stationId: String(r.station_id),
    windowStart: Number(r.window_start_ms),
    windowEnd: Number(r.window_end_ms),
    kind: r.kind as Flag['kind'],
    method: r.method as Flag['method'],
    severity: r.severity as Flag['severity'],
    reported: Number(r.reported),
    measured: Number(r.measured),
    deviation: Number(r.deviation),
    z: r.z_score === null ? null : Number(r.z_score),
    explanation: String(r.explanation),
    evidence: JSON.parse(String(r.evidence)) as Record<string, unknown>,
  }));
}
