import type { Logger } from '../core/logger.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { sinkFailure } from '../sinks/clickhouse/client.js';
import { computeScores } from '../sinks/clickhouse/scoring.js';
import { fromClickHouseTime, toClickHouseTime } from '../sinks/clickhouse/time.js';
import { INPUT_TOPIC_NAMES } from '../topics/definitions.js';
import { deadLettersPerPeriod, type DeadLetterStamp } from './coverage.js';
import type { SelfReportRecord } from './reports.js';
import { DEFAULT_RULES, detect, isInflationFlag, type DetectionRules, type Flag } from './rules.js';

const DAY = 86_400_000;
/** History looks back this far before the range: the honest spread and the sequential evidence learn from it. */
export const LOOKBACK = 28 * DAY;

export interface DetectOptions {
  from: number;
  to: number;
  timeZone: string;
  rules?: DetectionRules;
}

/**
 * Runs detection over [from, to): scores the windows with the active model,
 * reads every self-reported window (from 28 days earlier, for history) with
 * what was measured and the employee's dead-lettered production and telemetry
 * records, flags them, and replaces the range's flags in kpi.anomalies.
 */
export async function runDetection(client: ClickHouseClient, log: Logger, options: DetectOptions): Promise<Flag[]> {
  const rules = options.rules ?? DEFAULT_RULES;
  const since = options.from - LOOKBACK;
  const { model } = await computeScores(client, { period: 'window', timeZone: options.timeZone, from: since, to: options.to });
  let records: SelfReportRecord[];
  try {
    const result = await client.query({
      query: `SELECT m.employee_id AS employee_id, m.station_id AS station_id, m.window_start AS window_start, m.window_end AS window_end,
                     m.units AS units, m.standard_hours AS standard_hours, m.run_hours AS run_hours,
                     m.run_hours + m.idle_hours + m.down_hours AS telemetry_hours, m.units_defective AS units_defective,
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
    const rows = await result.json<Record<string, unknown>>();
    // Dead letters carry the record key (the employee) and the time the source sent it; topic prefixes differ per deployment.
    const letters = await client.query({
      query: `SELECT employee_id, endsWith(source_topic, {production:String}) AS production, toUnixTimestamp64Milli(source_timestamp) AS sent_at
              FROM dead_letters FINAL
              WHERE employee_id != '' AND (endsWith(source_topic, {production:String}) OR endsWith(source_topic, {telemetry:String}))
                AND source_timestamp >= {since:DateTime64(3, 'UTC')} AND source_timestamp < {until:DateTime64(3, 'UTC')}`,
      query_params: {
        production: INPUT_TOPIC_NAMES.production,
        telemetry: INPUT_TOPIC_NAMES.telemetry,
        since: toClickHouseTime(since),
        until: toClickHouseTime(options.to + DAY + rules.coverage.deadLetterSlackMs),
      },
      format: 'JSONEachRow',
    });
    const stamps: DeadLetterStamp[] = (await letters.json<{ employee_id: string; production: number; sent_at: string | number }>()).map((l) => ({
      employeeId: l.employee_id,
      source: Number(l.production) === 1 ? 'production' : 'telemetry',
      sentAt: Number(l.sent_at),
    }));
    const periods = rows.map((r) => ({
      employeeId: String(r.employee_id),
      period: { start: fromClickHouseTime(String(r.window_start)), end: fromClickHouseTime(String(r.window_end)) },
    }));
    const deadLetters = deadLettersPerPeriod(periods, stamps, rules.coverage.deadLetterSlackMs);
    records = rows.map((r, i) => ({
      employeeId: periods[i]!.employeeId,
      stationId: String(r.station_id),
      period: periods[i]!.period,
      reported: {
        units: Number(r.reported_units),
        runHours: Number(r.reported_run_hours),
        defectiveUnits: Number(r.reported_defective_units),
        selfScore: r.self_score === null ? null : Number(r.self_score),
      },
      measured: {
        units: Number(r.units),
        standardHours: Number(r.standard_hours),
        runHours: Number(r.run_hours),
        defectiveUnits: Number(r.units_defective),
        score: r.score === null ? null : Number(r.score),
      },
      coverage: { telemetryHours: Number(r.telemetry_hours), deadLetters: deadLetters[i]! },
    }));
  } catch (error) {
    throw sinkFailure(error, 'reading self-reported windows');
  }

  const flags = detect(records, { from: options.from, to: options.to }, rules);
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
  const inflation = flags.filter(isInflationFlag);
  log.info(
    { reports: records.length, flags: flags.length, model, rules: rules.version },
    `flagged ${new Set(inflation.map((f) => `${f.employeeId}@${f.windowStart}`)).size} employee-windows for inflation (${inflation.length} flags) and ${flags.length - inflation.length} measurement gaps with ${rules.version}`,
  );
  return flags;
}

/** Reads the current flags of a range back from kpi.anomalies. */
export async function readFlags(client: ClickHouseClient, range: { from: number; to: number }): Promise<Flag[]> {
  const result = await client.query({
    query: `SELECT * FROM anomalies_current WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee_id),
    stationId: String(r.station_id),
    windowStart: fromClickHouseTime(String(r.window_start)),
    windowEnd: fromClickHouseTime(String(r.window_end)),
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
