import type { KpiCatalog } from '../kpis/catalog.js';
import { sinkFailure, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { activeModelVersion, readModelRows } from '../sinks/clickhouse/queries/scoringModels.js';
import { SCORE_FIGURES, countScores, insertScores, readPeriodMeasures, type PeriodType, type ScoreRow } from '../sinks/clickhouse/queries/scores.js';
import { gradeOf, indicatorValues, modelsOf, scoreOf } from './model.js';

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
    const rows: ScoreRow[] = periods.map((p) => {
      const model = models.stations.get(p.stationId) ?? models.plant;
      const values = indicatorValues(catalog, p.measures);
      const { points, score, grade } = scoreOf(values, model, catalog);
      const figures = catalog.valuesOf(p.measures);
      return {
        model_version: version,
        period_type: options.period,
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
    });
    await insertScores(client, rows);
    return { model: version, rows: await countScores(client, version, options.period) };
  } catch (error) {
    throw sinkFailure(error, `scoring ${options.period}s with model ${version}`);
  }
}
