import type { KpiCatalog } from '../kpis/catalog.js';
import { sinkFailure, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { activeModelVersion, readModelRows } from '../sinks/clickhouse/queries/scoringModels.js';
import {
  SCORE_FIGURES,
  countScores,
  insertScores,
  readPeriodMeasures,
  type PeriodMeasures,
  type PeriodType,
  type ScoreRow,
} from '../sinks/clickhouse/queries/scores.js';
import { gradeOf, indicatorValues, modelsOf, scoreOf, type VersionedModels } from './model.js';

export interface ScoreOptions {
  period: PeriodType;
  /** Model version; default: the active one. */
  model?: string;
  /** The plant's time zone: weeks and months begin at its midnight. */
  timeZone: string;
  /** Windows starting in [from, to); default: all. */
  from?: number;
  to?: number;
  /** Only these employees, and every period that holds one of their windows in [from, to) whole (incremental runs). */
  employees?: readonly string[];
}

/**
 * Scores every employee for every period of a type that has windows in
 * [from, to): sums the period's measures, takes the KPIs' indicators over
 * them, scores them with the model version (a station's own rules override
 * the plant's), and stores the scores in kpi.employee_scores.
 */
export async function scorePeriods(client: ClickHouseClient, catalog: KpiCatalog, options: ScoreOptions): Promise<{ model: string; rows: number }> {
  const version = options.model ?? (await activeModelVersion(client));
  try {
    const models = modelsOf(await readModelRows(client, version), version);
    const periods = await readPeriodMeasures(client, catalog, {
      period: options.period,
      timeZone: options.timeZone,
      from: options.from ?? 0,
      to: options.to ?? Date.UTC(2200, 0, 1),
      ...(options.employees ? { employees: options.employees } : {}),
    });
    await insertScores(
      client,
      periods.map((p) => scoreRowOf(p, models, catalog, options.period)),
    );
    return { model: version, rows: await countScores(client, version, options.period) };
  } catch (error) {
    throw sinkFailure(error, `scoring ${options.period}s with model ${version}`);
  }
}

/**
 * The score row of an employee's period (pure): its measures scored with the
 * model of the period's station (a station's override, else the plant's),
 * and the mean self-score graded by the same model's bands.
 */
export function scoreRowOf(p: PeriodMeasures, models: VersionedModels, catalog: KpiCatalog, period: PeriodType): ScoreRow {
  const model = models.stations.get(p.stationId) ?? models.plant;
  const values = indicatorValues(catalog, p.measures);
  const { points, score, grade } = scoreOf(values, model, catalog);
  const figures = catalog.valuesOf(p.measures);
  return {
    model_version: models.plant.version,
    period_type: period,
    period_start: p.periodStart,
    employee_id: p.employeeId,
    station_id: p.stationId,
    windows: p.windows,
    figures: Object.fromEntries(SCORE_FIGURES.map((f) => [f, figures[f] ?? null])),
    indicator_values: Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => e[1] !== null)),
    indicator_points: points,
    score,
    grade: grade ?? '',
    self_score_avg: p.selfScoreAvg,
    self_grade: p.selfScoreAvg === null ? '' : gradeOf(p.selfScoreAvg, model),
  };
}
