import { flagFromRow, type Flag, type FlagStatus } from '../../../contract/flag.js';
import type { ClickHouseClient } from '../client.js';
import { toClickHouseTime } from '../time.js';
import { CALIBRATION_VIEW } from './calibration.js';
import { FLAGS_CURRENT_VIEW } from './reviews.js';
import { SCORES_TABLE } from './scores.js';
import { WINDOW_METRICS_VIEW } from './windowMetrics.js';

/**
 * The reads behind `kpi-stream report`: each returns plain rows (times as
 * epoch ms, plant days as YYYY-MM-DD) for reporting/ to build figures from.
 */

/** kpi.employee_grades: each score with its absolute grade and its calibrated grade, ranked within station and period (migration 0012). */
export const EMPLOYEE_GRADES_VIEW = 'employee_grades';
/** kpi.employee_scores_current: the active model's scores, with the plant and team that held at each period's start (migration 0018). */
export const SCORES_CURRENT_VIEW = 'employee_scores_current';

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

/** Where a person belonged (hr.assignments.v1) at an instant: empty where no assignment held. */
export interface Placement {
  readonly plantId: string;
  readonly teamId: string;
}

/** An employee's score for one period, graded both ways; with the plant and team that held at the period's start. */
export interface EmployeeGrade extends Placement {
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

/**
 * Every graded score of the periods of a type that start in [from, to), from
 * kpi.employee_grades, with the plant and team employee_scores_current gives
 * the score (those that held at the period's start; migration 0018).
 */
export async function readEmployeeGrades(client: ClickHouseClient, options: { period: GradePeriod; from: number; to: number }): Promise<EmployeeGrade[]> {
  const inRange = (t: string) =>
    `${t}period_type = {period:String} AND ${t}period_start >= {from:DateTime64(3, 'UTC')} AND ${t}period_start < {to:DateTime64(3, 'UTC')}`;
  const result = await client.query({
    query: `SELECT g.employee_id AS employee_id, g.station_id AS station_id, toUnixTimestamp64Milli(g.period_start) AS period_start_ms,
                   g.score AS score, g.grade AS grade, g.calibrated_grade AS calibrated_grade, g.station_rank AS station_rank,
                   g.station_employees AS station_employees, g.self_score_avg AS self_score_avg, g.self_grade AS self_grade,
                   s.plant_id AS plant, s.team_id AS team
            FROM ${EMPLOYEE_GRADES_VIEW} AS g
            LEFT JOIN (SELECT model_version, period_type, period_start, employee_id, plant_id, team_id FROM ${SCORES_CURRENT_VIEW} WHERE ${inRange('')}) AS s
              ON s.model_version = g.model_version AND s.period_type = g.period_type AND s.period_start = g.period_start AND s.employee_id = g.employee_id
            WHERE ${inRange('g.')}
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
    plantId: String(r.plant ?? ''),
    teamId: String(r.team ?? ''),
  }));
}

/** A current flag as the report shows it: its id, where its review stands, and the plant and team that held at its window's start. */
export interface ReportFlag extends Flag, Placement {
  readonly flagId: string;
  readonly status: FlagStatus;
}

/** The current flags of the windows that start in [from, to), from kpi.flags_current (migration 0020). */
export async function readReportFlags(client: ClickHouseClient, options: { from: number; to: number }): Promise<ReportFlag[]> {
  const result = await client.query({
    query: `SELECT *, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms
            FROM ${FLAGS_CURRENT_VIEW}
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
            ORDER BY window_start, employee_id, kind, method`,
    query_params: range(options),
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((row) => ({
    ...flagFromRow(row),
    flagId: String(row.flag_id),
    status: String(row.status) as FlagStatus,
    plantId: String(row.plant_id ?? ''),
    teamId: String(row.team_id ?? ''),
  }));
}

/**
 * Each employee's plant and team as of their first window that starts in
 * [from, to), from the window rows (employee_window_metrics_current, which
 * carries those that held at each window's start).
 */
export async function readFirstPlacements(client: ClickHouseClient, options: { from: number; to: number }): Promise<Map<string, Placement>> {
  const result = await client.query({
    query: `SELECT employee_id, argMin(plant_id, window_start) AS plant, argMin(team_id, window_start) AS team
            FROM ${WINDOW_METRICS_VIEW}
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
            GROUP BY employee_id`,
    query_params: range(options),
    format: 'JSONEachRow',
  });
  return new Map((await result.json<Record<string, unknown>>()).map((r) => [String(r.employee_id), { plantId: String(r.plant), teamId: String(r.team) }]));
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
