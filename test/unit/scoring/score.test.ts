import { KpiCatalog } from '../../../kpis/catalog.js';
import { DEFAULT_SCORING, type ScoringModel, type VersionedModels } from '../../../scoring/model.js';
import { scorePeriods, scoreRowOf } from '../../../scoring/score.js';
import type { ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import type { PeriodMeasures } from '../../../sinks/clickhouse/queries/scores.js';

const catalog = KpiCatalog.of();
/** A station's override that weighs efficiency alone (100 points × efficiency) and grades by bands of its own, 95/80. */
const strict: ScoringModel = {
  ...DEFAULT_SCORING,
  version: 'v2',
  indicators: { efficiency: { weight: 1, target: 1, worst: 0 } },
  bands: { excellent: 95, qualified: 80 },
};
const models: VersionedModels = { plant: { ...DEFAULT_SCORING, version: 'v2' }, stations: new Map([['S-strict', strict]]) };

/** An employee's week at a station: efficiency `standard / run` (nothing inspected, no feedback) and the mean self-score. */
const week = (stationId: string, efficiency: number, selfScoreAvg: number | null): PeriodMeasures => ({
  employeeId: 'e-1',
  periodStart: Date.UTC(2026, 10, 2),
  stationId,
  windows: 5,
  measures: { ...Object.fromEntries(catalog.measures.map((m) => [m.name, 0])), standard_ms: efficiency * 3_600_000, run_ms: 3_600_000 },
  selfScoreAvg,
});
const row = (stationId: string, efficiency: number, selfScoreAvg: number | null = null) =>
  scoreRowOf(week(stationId, efficiency, selfScoreAvg), models, catalog, 'week');

test("a station's override scores and grades the station's periods by its own rules and bands; other stations get the plant's", () => {
  // 92 points: excellent by the plant's 90/70, qualified by the override's 95/80.
  expect(row('S-strict', 0.92)).toMatchObject({ model_version: 'v2', period_type: 'week', station_id: 'S-strict', score: 92, grade: 'qualified' });
  expect(row('S-strict', 0.75)).toMatchObject({ score: 75, grade: 'needs_improvement' });
  // The plant's model: efficiency 0.92 earns 84 points (0.5 earns none, 1.0 all), the only indicator with a value.
  expect(row('S-other', 0.92)).toMatchObject({ grade: 'qualified' });
  expect(row('S-other', 0.92).score).toBeCloseTo(84, 10);
});

test("the self-score is graded by the same model's bands, on both sides of each", () => {
  const selfGrade = (selfScore: number | null, stationId = 'S-strict') => row(stationId, 0.9, selfScore).self_grade;
  expect([95, 94.99, 80, 79.99].map((s) => selfGrade(s))).toEqual(['excellent', 'qualified', 'qualified', 'needs_improvement']);
  expect([90, 89.99, 70, 69.99].map((s) => selfGrade(s, 'S-other'))).toEqual(['excellent', 'qualified', 'qualified', 'needs_improvement']);
  expect(selfGrade(null)).toBe('');
  expect(row('S-strict', 0.9, 93)).toMatchObject({ self_score_avg: 93, self_grade: 'qualified' });
});

test('a period without any indicator value has no score and no grade', () => {
  const empty = { ...week('S-other', 1, 88), measures: Object.fromEntries(catalog.measures.map((m) => [m.name, 0])) };
  expect(scoreRowOf(empty, models, catalog, 'month')).toMatchObject({ period_type: 'month', score: null, grade: '', self_grade: 'qualified' });
});

test('a row keeps the figures, indicator values and points it was scored from', () => {
  const scored = row('S-strict', 0.92);
  expect(scored).toMatchObject({ employee_id: 'e-1', period_start: Date.UTC(2026, 10, 2), windows: 5, self_score_avg: null, self_grade: '' });
  expect(scored.figures).toMatchObject({ efficiency: 0.92, run_hours: 1, defect_rate: null, satisfaction_avg: null });
  // Indicators without a value (no inspection, no feedback) are left out, not stored as null.
  expect(scored.indicator_values).toEqual({ efficiency: 0.92 });
  expect(scored.indicator_points).toEqual({ efficiency: 92 });
});

/** A client that holds scoring model v2 and fails the query for the periods' measures (as a lost connection would); it records what it was asked. */
function clientFailingOnPeriods() {
  const queries: { query: string; query_params?: Record<string, unknown> }[] = [];
  const client = {
    query: async (params: { query: string; query_params?: Record<string, unknown> }) => {
      queries.push(params);
      if (params.query.includes('FROM scoring_models')) return { json: async () => [{ version: 'v2', scope: '' }] };
      throw new Error('socket hang up');
    },
  } as unknown as ClickHouseClient;
  return { client, queries };
}

test('an incremental run asks for the periods of its employees only; a failure names the period type and the model', async () => {
  const { client, queries } = clientFailingOnPeriods();
  const run = scorePeriods(client, catalog, { period: 'week', model: 'v2', timeZone: 'UTC', employees: ['e-1', 'e-2'] });
  // A lost connection is worth retrying, and says which run it broke.
  await expect(run).rejects.toMatchObject({ name: 'SinkError', message: 'scoring weeks with model v2: socket hang up', retriable: true });
  const periods = queries.at(-1)!;
  expect([periods.query.includes('AND employee_id IN {employees:Array(String)}'), periods.query_params!.employees]).toEqual([true, ['e-1', 'e-2']]);
});

test('a run without employees asks for every employee', async () => {
  const { client, queries } = clientFailingOnPeriods();
  await expect(scorePeriods(client, catalog, { period: 'month', model: 'v2', timeZone: 'UTC' })).rejects.toMatchObject({
    message: 'scoring months with model v2: socket hang up',
  });
  const periods = queries.at(-1)!;
  expect([periods.query.includes('employee_id IN'), periods.query_params!.employees]).toEqual([false, []]);
});
