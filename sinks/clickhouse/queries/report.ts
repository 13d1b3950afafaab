import type { ClickHouseClient } from '../client.js';
import { toClickHouseTime } from '../time.js';
import { CALIBRATION_VIEW } from './calibration.js';
import { SCORES_TABLE } from './scores.js';
import { WINDOW_METRICS_VIEW } from './windowMetrics.js';

/**
 * The reads behind `kpi-stream report`: each returns plain rows (times as
 * epoch ms, plant days as YYYY-MM-DD) for reporting/ to build figures from.
 */

/** kpi.employee_grades: each score with its absolute grade and its calibrated grade, ranked within station and period (migration 0012). */
export const EMPLOYEE_GRADES_VIEW = 'employee_grades';

export type GradePeriod = 'week' | 'month';

export interface Shares {
  readonly excellent: number;
  readonly qualified: number;
  readonly needsImprovement: number;
}

/** One station's (or the plant's, station 'ALL') grades over the periods of the report, from kpi.calibration. */
export interface StationCalibration {
  readonly stationId: string;
  /** Scores graded: one per employee and period. */
  readonly graded: number;
  readonly shares: Shares;
  readonly target: Shares;
  /** Scores with a self-score, and the grades those self-scores would earn. */
  readonly selfScored: number;
  readonly selfShares: Shares;
  readonly avgScore: number | null;
  readonly avgSelfScore: number | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined || Number.isNaN(Number(v)) ? null : Number(v));
const range = (r: { from: number; to: number }) => ({ from: toClickHouseTime(r.from), to: toClickHouseTime(r.to) });

/**
 * The grade distribution per station and for the plant over the periods of a
 * type that start in [from, to): kpi.calibration's shares, weighted by the
 * scores each period graded, so several periods add up to one distribution.
 */
export async function readStationCalibration(
  client: ClickHouseClient,
  options: { period: GradePeriod; from: number; to: number },
): Promise<StationCalibration[]> {
  const result = await client.query({
    query: `SELECT station_id, sum(employees) AS graded, sum(self_scored) AS self_count,
                   sum(share_excellent * employees) / greatest(graded, 1) AS excellent,
                   sum(share_qualified * employees) / greatest(graded, 1) AS qualified,
                   sum(share_needs_improvement * employees) / greatest(graded, 1) AS needs_improvement,
                   any(target_excellent) AS t_excellent, any(target_qualified) AS t_qualified, any(target_needs_improvement) AS t_needs_improvement,
                   sum(self_share_excellent * self_scored) / greatest(self_count, 1) AS s_excellent,
                   sum(self_share_qualified * self_scored) / greatest(self_count, 1) AS s_qualified,
                   sum(self_share_needs_improvement * self_scored) / greatest(self_count, 1) AS s_needs_improvement,
                   sumIf(avg_score * employees, employees > 0) / nullIf(graded, 0) AS mean_score,
                   sumIf(avg_self_score * self_scored, self_scored > 0) / nullIf(self_count, 0) AS mean_self_score
            FROM ${CALIBRATION_VIEW}
            WHERE period_type = {period:String} AND period_start >= {from:DateTime64(3, 'UTC')} AND period_start < {to:DateTime64(3, 'UTC')}
            GROUP BY station_id
            ORDER BY station_id = 'ALL' DESC, station_id`,
    query_params: { period: options.period, ...range(options) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    stationId: String(r.station_id),
    graded: Number(r.graded),
    shares: { excellent: Number(r.excellent), qualified: Number(r.qualified), needsImprovement: Number(r.needs_improvement) },
    target: { excellent: Number(r.t_excellent), qualified: Number(r.t_qualified), needsImprovement: Number(r.t_needs_improvement) },
    selfScored: Number(r.self_count),
    selfShares: { excellent: Number(r.s_excellent), qualified: Number(r.s_qualified), needsImprovement: Number(r.s_needs_improvement) },
    avgScore: num(r.mean_score),
    avgSelfScore: num(r.mean_self_score),
  }));
}

/** An employee's score for one period, graded both ways. */
export interface EmployeeGrade {
  readonly employeeId: string;
  readonly stationId: string;
  readonly periodStart: number;
  readonly score: number;
  readonly grade: string;
  readonly calibratedGrade: string;
  /** 1 = the best score at the station in the period; equal scores share a rank. */
  readonly stationRank: number;
  readonly stationEmployees: number;
  readonly selfScore: number | null;
  readonly selfGrade: string;
}

/** Every graded score of the periods of a type that start in [from, to), from kpi.employee_grades. */
export async function readEmployeeGrades(client: ClickHouseClient, options: { period: GradePeriod; from: number; to: number }): Promise<EmployeeGrade[]> {
  const result = await client.query({
    query: `SELECT employee_id, station_id, toUnixTimestamp64Milli(period_start) AS period_start_ms, score, grade, calibrated_grade,
                   station_rank, station_employees, self_score_avg, self_grade
            FROM ${EMPLOYEE_GRADES_VIEW}
            WHERE period_type = {period:String} AND period_start >= {from:DateTime64(3, 'UTC')} AND period_start < {to:DateTime64(3, 'UTC')}
            ORDER BY period_start_ms, station_id, station_rank, employee_id`,
    query_params: { period: options.period, ...range(options) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee_id),
    stationId: String(r.station_id),
    periodStart: Number(r.period_start_ms),
    score: Number(r.score),
    grade: String(r.grade),
    calibratedGrade: String(r.calibrated_grade),
    stationRank: Number(r.station_rank),
    stationEmployees: Number(r.station_employees),
    selfScore: num(r.self_score_avg),
    selfGrade: String(r.self_grade),
  }));
}

/** The start of the latest period of a type that has scores (under the active model) starting before `before`; undefined without any. */
export async function latestScoredPeriod(client: ClickHouseClient, period: GradePeriod, before: number): Promise<number | undefined> {
  const result = await client.query({
    query: `SELECT toUnixTimestamp64Milli(max(period_start)) AS start_ms, count() AS n FROM ${SCORES_TABLE} FINAL
            WHERE model_version = (SELECT version FROM scoring_model_active) AND period_type = {period:String}
              AND period_start < {before:DateTime64(3, 'UTC')}`,
    query_params: { period, before: toClickHouseTime(before) },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ start_ms: number; n: number }>();
  return !row || Number(row.n) === 0 ? undefined : Number(row.start_ms);
}

/** A station's measured figures on one plant day, from its employees' windows. */
export interface StationDay {
  readonly stationId: string;
  /** The plant day, YYYY-MM-DD. */
  readonly day: string;
  readonly employees: number;
  readonly defectRate: number | null;
  readonly efficiency: number | null;
  readonly satisfaction: number | null;
}

/** Defect rate, efficiency and satisfaction per station and plant day over the windows that start in [from, to), from their sums. */
export async function readStationDays(client: ClickHouseClient, options: { from: number; to: number }): Promise<StationDay[]> {
  const result = await client.query({
    query: `SELECT station_id, toString(plant_day) AS day, uniqExact(employee_id) AS people,
                   sum(units_defective) / nullIf(sum(units_inspected), 0) AS day_defect_rate,
                   sum(standard_hours) / nullIf(sum(run_hours), 0) AS day_efficiency,
                   sumIf(satisfaction_avg * feedback_count, feedback_count > 0) / nullIf(sum(feedback_count), 0) AS day_satisfaction
            FROM ${WINDOW_METRICS_VIEW}
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
            GROUP BY station_id, day
            ORDER BY station_id, day`,
    query_params: range(options),
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    stationId: String(r.station_id),
    day: String(r.day),
    employees: Number(r.people),
    defectRate: num(r.day_defect_rate),
    efficiency: num(r.day_efficiency),
    satisfaction: num(r.day_satisfaction),
  }));
}

/** An employee's self-reports over the report's windows beside what was measured in the same windows. */
export interface ReportedTotals {
  readonly employeeId: string;
  /** Where the employee earned the most standard and run time over those windows. */
  readonly stationId: string;
  readonly reports: number;
  readonly units: { readonly reported: number; readonly measured: number };
  readonly runHours: { readonly reported: number; readonly measured: number };
  readonly defectiveUnits: { readonly reported: number; readonly measured: number };
}

/** Per employee, the sums of reported and measured figures over the windows that start in [from, to) and hold a self-report. */
export async function readReportedTotals(client: ClickHouseClient, options: { from: number; to: number }): Promise<ReportedTotals[]> {
  const result = await client.query({
    query: `SELECT employee_id, argMax(station_id, standard_hours + run_hours) AS main_station, count() AS reports,
                   sum(reported_units) AS r_units, sum(units) AS m_units,
                   sum(reported_run_hours) AS r_run_hours, sum(run_hours) AS m_run_hours,
                   sum(reported_defective_units) AS r_defective, sum(units_defective) AS m_defective
            FROM ${WINDOW_METRICS_VIEW}
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')} AND reported_units IS NOT NULL
            GROUP BY employee_id
            ORDER BY employee_id`,
    query_params: range(options),
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee_id),
    stationId: String(r.main_station),
    reports: Number(r.reports),
    units: { reported: Number(r.r_units), measured: Number(r.m_units) },
    runHours: { reported: Number(r.r_run_hours), measured: Number(r.m_run_hours) },
    defectiveUnits: { reported: Number(r.r_defective), measured: Number(r.m_defective) },
  }));
}

/** A reported figure beside its measured value and the median of the station's operators in the same window. */
export interface FigureBesidePeers {
  readonly reported: number | null;
  readonly measured: number;
  readonly peers: number;
}

/** One window of an employee, beside the peers at its station. */
export interface WindowBesidePeers {
  readonly employeeId: string;
  readonly stationId: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Operators at the station in that window (the employee included). */
  readonly peerCount: number;
  readonly units: FigureBesidePeers;
  readonly runHours: FigureBesidePeers;
  readonly defectiveUnits: FigureBesidePeers;
  readonly selfScore: number | null;
}

/** The windows that start in [from, to) of the given employees, each with the medians of everyone at its station in that window. */
export async function readWindowsBesidePeers(
  client: ClickHouseClient,
  employeeIds: readonly string[],
  options: { from: number; to: number },
): Promise<WindowBesidePeers[]> {
  if (employeeIds.length === 0) return [];
  const result = await client.query({
    query: `WITH windows AS (
                SELECT employee_id, station_id, window_start, window_end, units, reported_units, run_hours, reported_run_hours,
                       units_defective, reported_defective_units, self_score
                FROM ${WINDOW_METRICS_VIEW}
                WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
            ),
            peers AS (
                SELECT station_id, window_start, count() AS peer_count, median(units) AS peer_units, median(run_hours) AS peer_run_hours,
                       median(units_defective) AS peer_defective
                FROM windows GROUP BY station_id, window_start
            )
            SELECT w.employee_id AS employee, w.station_id AS station, toUnixTimestamp64Milli(w.window_start) AS start_ms,
                   toUnixTimestamp64Milli(w.window_end) AS end_ms, p.peer_count AS peer_count,
                   w.units AS m_units, w.reported_units AS r_units, p.peer_units AS p_units,
                   w.run_hours AS m_run_hours, w.reported_run_hours AS r_run_hours, p.peer_run_hours AS p_run_hours,
                   w.units_defective AS m_defective, w.reported_defective_units AS r_defective, p.peer_defective AS p_defective,
                   w.self_score AS reported_self_score
            FROM windows AS w
            INNER JOIN peers AS p ON p.station_id = w.station_id AND p.window_start = w.window_start
            WHERE w.employee_id IN {employees:Array(String)}
            ORDER BY employee, start_ms`,
    query_params: { employees: [...employeeIds], ...range(options) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee),
    stationId: String(r.station),
    windowStart: Number(r.start_ms),
    windowEnd: Number(r.end_ms),
    peerCount: Number(r.peer_count),
    units: { reported: num(r.r_units), measured: Number(r.m_units), peers: Number(r.p_units) },
    runHours: { reported: num(r.r_run_hours), measured: Number(r.m_run_hours), peers: Number(r.p_run_hours) },
    defectiveUnits: { reported: num(r.r_defective), measured: Number(r.m_defective), peers: Number(r.p_defective) },
    selfScore: num(r.reported_self_score),
  }));
}
