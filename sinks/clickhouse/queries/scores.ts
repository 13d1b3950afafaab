import type { KpiCatalog } from '../../../kpis/catalog.js';
import type { Measures } from '../../../kpis/definition.js';
import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';
import { WINDOW_METRICS_TABLE } from './windowMetrics.js';

/** kpi.employee_scores: a score per employee, period and model version (migrations 0003, 0007). */
export const SCORES_TABLE = 'employee_scores';

export const PERIOD_TYPES = ['window', 'week', 'month'] as const;
export type PeriodType = (typeof PERIOD_TYPES)[number];

/** An employee's measures summed over a period (a window, a week from Monday, a month, in the plant's time zone). */
export interface PeriodMeasures {
  readonly employeeId: string;
  readonly periodStart: number;
  /** Where the employee earned the most standard and run time in the period. */
  readonly stationId: string;
  readonly windows: number;
  readonly measures: Measures;
  /** Mean self_score reported in the period, null without one. */
  readonly selfScoreAvg: number | null;
}

/** Longest period (a month), so that a range widened by it holds every window of the periods it touches. */
const LONGEST_PERIOD_MS = 32 * 86_400_000;

/**
 * Sums every measure of the catalog per employee and period over the windows
 * that start in [from, to). With `employees`, only theirs, and whole periods:
 * every period holding a window in [from, to), summed over all its windows
 * (what an incremental run rescores). Aliases never repeat a column's name:
 * ClickHouse would read the alias where the column is meant.
 */
export async function readPeriodMeasures(
  client: ClickHouseClient,
  catalog: KpiCatalog,
  options: { period: PeriodType; timeZone: string; from: number; to: number; employees?: readonly string[] },
): Promise<PeriodMeasures[]> {
  const names = catalog.measures.map((m) => m.name);
  const periodOf = (time: string) => `toUnixTimestamp64Milli(multiIf(
              {period:String} = 'week', toDateTime64(toStartOfWeek(${time}, 1, {tz:String}), 3, {tz:String}),
              {period:String} = 'month', toDateTime64(toStartOfMonth(${time}, {tz:String}), 3, {tz:String}),
              ${time}))`;
  const whole = options.employees !== undefined;
  const margin = whole ? LONGEST_PERIOD_MS : 0;
  const result = await client.query({
    query: `
      SELECT
          employee_id,
          ${periodOf('window_start')} AS period_start_ms,
          count() AS window_count,
          argMax(station_id, standard_ms + run_ms) AS period_station,
          avgIf(self_score, isNotNull(self_score)) AS self_score_mean,
          ${names.map((n) => `sum(${n}) AS sum_${n}`).join(', ')}
      FROM ${WINDOW_METRICS_TABLE} FINAL
      WHERE window_start >= {scanFrom:DateTime64(3, 'UTC')} AND window_start < {scanTo:DateTime64(3, 'UTC')}
            ${whole ? 'AND employee_id IN {employees:Array(String)}' : ''}
      GROUP BY employee_id, period_start_ms
      ${whole ? `HAVING period_start_ms >= ${periodOf("{from:DateTime64(3, 'UTC')}")} AND period_start_ms <= ${periodOf("{last:DateTime64(3, 'UTC')}")}` : ''}`,
    query_params: {
      period: options.period,
      tz: options.timeZone,
      from: toClickHouseTime(options.from),
      last: toClickHouseTime(options.to - 1),
      scanFrom: toClickHouseTime(options.from - margin),
      scanTo: toClickHouseTime(options.to + margin),
      employees: options.employees ?? [],
    },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee_id),
    periodStart: Number(r.period_start_ms),
    stationId: String(r.period_station),
    windows: Number(r.window_count),
    measures: Object.fromEntries(names.map((n) => [n, Number(r[`sum_${n}`])])),
    selfScoreAvg: r.self_score_mean === null || Number.isNaN(Number(r.self_score_mean)) ? null : Number(r.self_score_mean),
  }));
}

/** A row of kpi.employee_scores. */
export interface ScoreRow {
  readonly model_version: string;
  readonly period_type: PeriodType;
  readonly period_start: number;
  readonly employee_id: string;
  readonly station_id: string;
  readonly windows: number;
  /** Contract figures of the period (units, standard_hours, efficiency …), by column. */
  readonly figures: Readonly<Record<string, number | null>>;
  readonly indicator_values: Readonly<Record<string, number>>;
  readonly indicator_points: Readonly<Record<string, number>>;
  readonly score: number | null;
  readonly grade: string;
  readonly self_score_avg: number | null;
  readonly self_grade: string;
}

/** The figures employee_scores keeps in columns of their own. */
export const SCORE_FIGURES = [
  'units',
  'standard_hours',
  'run_hours',
  'efficiency',
  'units_inspected',
  'units_defective',
  'defect_rate',
  'feedback_count',
  'complaints',
  'satisfaction_avg',
] as const;

/**
 * Inserts scores; each insert's token is its rows with computed_at, which
 * versions them: a retry of this insert is written once, and figures that go
 * A → B → A (a report corrected, then corrected back) write A again, newer
 * than B, rather than being taken for the first A (insert.ts, point 3).
 */
export async function insertScores(client: ClickHouseClient, rows: readonly ScoreRow[]): Promise<void> {
  const computedAt = toClickHouseTime(Date.now());
  await insertRows(
    client,
    SCORES_TABLE,
    rows.map((r) => ({
      model_version: r.model_version,
      period_type: r.period_type,
      period_start: toClickHouseTime(r.period_start),
      employee_id: r.employee_id,
      station_id: r.station_id,
      windows: r.windows,
      ...Object.fromEntries(SCORE_FIGURES.map((f) => [f, r.figures[f] ?? null])),
      efficiency_points: r.indicator_points.efficiency ?? null,
      quality_points: r.indicator_points.quality ?? null,
      satisfaction_points: r.indicator_points.satisfaction ?? null,
      indicator_values: r.indicator_values,
      indicator_points: r.indicator_points,
      score: r.score,
      grade: r.grade,
      self_score_avg: r.self_score_avg,
      self_grade: r.self_grade,
      computed_at: computedAt,
    })),
    (row) => Object.values(row),
  );
}

/** How many scores a model version has for a period type. */
export async function countScores(client: ClickHouseClient, model: string, period: PeriodType): Promise<number> {
  const result = await client.query({
    query: `SELECT count() AS n FROM ${SCORES_TABLE} FINAL WHERE model_version = {model:String} AND period_type = {period:String}`,
    query_params: { model, period },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: number }>())[0]?.n ?? 0);
}

/**
 * One person's scores with the active model, per period, oldest first, times in
 * ISO 8601: the absolute grade (against the bands) and the calibrated one (rank
 * among the station's people that period, employee_grades; empty where the
 * period has no graded score), with what they rest on.
 */
export async function readScoresOf(client: ClickHouseClient, employeeId: string): Promise<Record<string, unknown>[]> {
  const result = await client.query({
    query: `SELECT s.*, g.calibrated_grade AS calibrated_grade, g.station_rank AS station_rank, g.station_employees AS station_employees
            FROM employee_scores_current AS s
            LEFT JOIN employee_grades AS g
              ON g.model_version = s.model_version AND g.period_type = s.period_type AND g.period_start = s.period_start
             AND g.station_id = s.station_id AND g.employee_id = s.employee_id
            WHERE s.employee_id = {employee:String}
            ORDER BY s.period_type, s.period_start, s.station_id`,
    query_params: { employee: employeeId },
    format: 'JSONEachRow',
    clickhouse_settings: { date_time_output_format: 'iso' },
  });
  return result.json<Record<string, unknown>>();
}
