import { SinkError } from '../../core/errors.js';
import type { ClickHouseClient } from './client.js';
import { sinkFailure } from './client.js';
import { toClickHouseTime } from './time.js';

export const PERIOD_TYPES = ['window', 'week', 'month'] as const;
export type PeriodType = (typeof PERIOD_TYPES)[number];

/** A row of kpi.scoring_models: one version of the scoring configuration for one scope. */
export interface ScoringModelRow {
  version: string;
  /** '' for the plant-wide model, or a station id. */
  scope: string;
  efficiency_weight: number;
  efficiency_target: number;
  efficiency_worst: number;
  quality_weight: number;
  quality_target: number;
  quality_worst: number;
  satisfaction_weight: number;
  satisfaction_target: number;
  satisfaction_worst: number;
  excellent_from: number;
  qualified_from: number;
  target_excellent: number;
  target_qualified: number;
  target_needs_improvement: number;
  note: string;
}

const points = (value: string, rule: string) =>
  `if(isNull(${value}), NULL, 100 * least(1, greatest(0, (${value} - ${rule}_worst) / (${rule}_target - ${rule}_worst))))`;

/**
 * Scores every employee for every period of the given type that has windows in
 * [from, to): the period's figures are summed from the exact columns of
 * employee_window_metrics_current, each indicator earns 0..100 points between
 * its worst value and its target, and the score is the weighted mean of the
 * points that exist. A station's own model version row overrides the
 * plant-wide one. All values are bound parameters.
 */
const SCORE_QUERY = `
INSERT INTO employee_scores
WITH
    periods AS (
        SELECT
            employee_id,
            toTimeZone(multiIf(
                {period:String} = 'week', toDateTime64(toStartOfWeek(window_start, 1, {tz:String}), 3, {tz:String}),
                {period:String} = 'month', toDateTime64(toStartOfMonth(window_start, {tz:String}), 3, {tz:String}),
                toTimeZone(window_start, {tz:String})), 'UTC') AS period_start,
            count() AS windows,
            argMax(station_id, standard_ms + run_ms) AS period_station,
            sum(units) AS period_units,
            sum(standard_ms) AS period_standard_ms,
            sum(run_ms) AS period_run_ms,
            sum(units_inspected) AS period_inspected,
            sum(units_defective) AS period_defective,
            sum(feedback_count) AS period_feedback,
            sum(complaints) AS period_complaints,
            sum(satisfaction_milli) AS period_satisfaction_milli,
            avgIf(self_score, isNotNull(self_score)) AS self_score_avg
        FROM employee_window_metrics FINAL
        WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
        GROUP BY employee_id, period_start
    ),
    figures AS (
        SELECT
            *,
            if(period_run_ms > 0, period_standard_ms / period_run_ms, NULL) AS efficiency,
            if(period_inspected > 0, period_defective / period_inspected, NULL) AS defect_rate,
            if(period_feedback > 0, period_satisfaction_milli / (1000 * period_feedback), NULL) AS satisfaction_avg
        FROM periods
    ),
    models AS (SELECT * FROM scoring_models FINAL WHERE version = {model:String}),
    ruled AS (
        SELECT
            f.*,
            if(s.version != '', s.efficiency_weight, d.efficiency_weight) AS efficiency_weight,
            if(s.version != '', s.efficiency_target, d.efficiency_target) AS efficiency_target,
            if(s.version != '', s.efficiency_worst, d.efficiency_worst) AS efficiency_worst,
            if(s.version != '', s.quality_weight, d.quality_weight) AS quality_weight,
            if(s.version != '', s.quality_target, d.quality_target) AS quality_target,
            if(s.version != '', s.quality_worst, d.quality_worst) AS quality_worst,
            if(s.version != '', s.satisfaction_weight, d.satisfaction_weight) AS satisfaction_weight,
            if(s.version != '', s.satisfaction_target, d.satisfaction_target) AS satisfaction_target,
            if(s.version != '', s.satisfaction_worst, d.satisfaction_worst) AS satisfaction_worst,
            if(s.version != '', s.excellent_from, d.excellent_from) AS excellent_from,
            if(s.version != '', s.qualified_from, d.qualified_from) AS qualified_from
        FROM figures AS f
        CROSS JOIN (SELECT * FROM models WHERE scope = '') AS d
        LEFT JOIN (SELECT * FROM models WHERE scope != '') AS s ON s.scope = f.period_station
    ),
    pointed AS (
        SELECT
            *,
            ${points('efficiency', 'efficiency')} AS efficiency_points,
            ${points('defect_rate', 'quality')} AS quality_points,
            ${points('satisfaction_avg', 'satisfaction')} AS satisfaction_points,
            if(isNull(efficiency_points), 0, efficiency_weight) + if(isNull(quality_points), 0, quality_weight)
                + if(isNull(satisfaction_points), 0, satisfaction_weight) AS weight_present,
            if(weight_present = 0, NULL,
                (ifNull(efficiency_points, 0) * efficiency_weight + ifNull(quality_points, 0) * quality_weight
                    + ifNull(satisfaction_points, 0) * satisfaction_weight) / weight_present) AS score
        FROM ruled
    )
SELECT
    {model:String} AS model_version,
    {period:String} AS period_type,
    period_start,
    employee_id,
    period_station AS station_id,
    windows,
    period_units AS units,
    period_standard_ms / 3600000 AS standard_hours,
    period_run_ms / 3600000 AS run_hours,
    efficiency,
    period_inspected AS units_inspected,
    period_defective AS units_defective,
    defect_rate,
    period_feedback AS feedback_count,
    period_complaints AS complaints,
    satisfaction_avg,
    efficiency_points,
    quality_points,
    satisfaction_points,
    score,
    multiIf(isNull(score), '', score >= excellent_from, 'excellent', score >= qualified_from, 'qualified', 'needs_improvement') AS grade,
    self_score_avg,
    multiIf(isNull(self_score_avg), '', self_score_avg >= excellent_from, 'excellent', self_score_avg >= qualified_from, 'qualified', 'needs_improvement') AS self_grade,
    now64(3) AS computed_at
FROM pointed`;

export interface ScoreOptions {
  period: PeriodType;
  /** Model version; default: the active one. */
  model?: string;
  timeZone: string;
  from?: number;
  to?: number;
}

/** The active scoring model version (the newest plant-wide one). */
export async function activeModel(client: ClickHouseClient): Promise<string> {
  const result = await client.query({ query: 'SELECT version FROM scoring_model_active', format: 'JSONEachRow' });
  const [row] = await result.json<{ version: string }>();
  if (!row) throw new SinkError('no scoring model: run `kpi-stream migrate`, which installs default-v1');
  return row.version;
}

/** Computes and stores the scores of one period type with one model version; returns the version and row count. */
export async function computeScores(client: ClickHouseClient, options: ScoreOptions): Promise<{ model: string; rows: number }> {
  const model = options.model ?? (await activeModel(client));
  try {
    const known = await client.query({ query: 'SELECT count() AS n FROM scoring_models FINAL WHERE version = {model:String} AND scope = \'\'', query_params: { model }, format: 'JSONEachRow' });
    if (Number((await known.json<{ n: number }>())[0]?.n ?? 0) === 0) throw new SinkError(`unknown scoring model version ${JSON.stringify(model)}`);
    const params = {
      period: options.period,
      model,
      tz: options.timeZone,
      from: toClickHouseTime(options.from ?? 0),
      to: toClickHouseTime(options.to ?? Date.UTC(2200, 0, 1)),
    };
    await client.command({ query: SCORE_QUERY, query_params: params });
    const counted = await client.query({
      query: 'SELECT count() AS n FROM employee_scores FINAL WHERE model_version = {model:String} AND period_type = {period:String}',
      query_params: { model, period: options.period },
      format: 'JSONEachRow',
    });
    return { model, rows: Number((await counted.json<{ n: number }>())[0]?.n ?? 0) };
  } catch (error) {
    throw sinkFailure(error, `scoring ${options.period}s with model ${model}`);
  }
}

/** Adds a scoring model version (all its scopes). A version that exists is refused: versions never change. */
export async function addScoringModel(client: ClickHouseClient, rows: readonly ScoringModelRow[]): Promise<void> {
  const versions = [...new Set(rows.map((r) => r.version))];
  if (versions.length !== 1) throw new SinkError('a scoring model file holds exactly one version');
  if (!rows.some((r) => r.scope === '')) throw new SinkError(`model ${versions[0]} needs a plant-wide row (scope '')`);
  const existing = await client.query({ query: 'SELECT count() AS n FROM scoring_models FINAL WHERE version = {v:String}', query_params: { v: versions[0]! }, format: 'JSONEachRow' });
  if (Number((await existing.json<{ n: number }>())[0]?.n ?? 0) > 0) throw new SinkError(`scoring model ${versions[0]} exists already; versions never change, add a new one`);
  await client.insert({ table: 'scoring_models', values: rows.map((r) => ({ ...r, created_at: toClickHouseTime(Date.now()) })), format: 'JSONEachRow' });
}
