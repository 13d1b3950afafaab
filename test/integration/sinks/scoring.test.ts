import type { WindowRow } from '../../../contract/windowRow.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { DEFAULT_SCORING, gradeOf, indicatorValues, scoreOf } from '../../../scoring/model.js';
import { scorePeriods } from '../../../scoring/score.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { insertModel, type ScoringModelRow } from '../../../sinks/clickhouse/queries/scoringModels.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { dropTestResources, testContext } from '../support/context.js';
import { windowRowWith } from '../support/rows.js';

const ctx = testContext('scoring');
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const sink = new ClickHouseWindowStore(client, catalog, ctx.log);
const computeScores = (options: { period: 'window' | 'week' | 'month'; timeZone: string; model?: string }) => scorePeriods(client, catalog, options);
const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 9, 5);
const RUN_MS = 6 * 3_600_000;

/** One window of 100 units and 6 run hours at S9 with the given efficiency, defects, satisfaction and self-score. */
function windowRow(employee: string, day: number, efficiency: number, defective: number, satisfaction: number, selfScore: number): WindowRow {
  return windowRowWith(catalog, {
    employee,
    start: MONDAY + day * DAY,
    end: MONDAY + (day + 1) * DAY,
    station: 'S9',
    measures: {
      units: 100,
      standard_ms: Math.round(efficiency * RUN_MS),
      run_ms: RUN_MS,
      units_inspected: 100,
      units_defective: defective,
      feedback_count: 1,
      satisfaction_milli: satisfaction * 1000,
    },
    report: { eventId: `r-${employee}`, submittedTime: MONDAY, units: 100, runHours: 6, defectiveUnits: defective, selfScore },
    events: day + 1,
  });
}

const rows = [
  windowRow('A', 0, 1.0, 1, 90, 98), // points 100/100/100 → 100, excellent
  windowRow('B', 1, 0.9, 4, 80, 90), // 80/66.7/75 → 74.5, qualified
  windowRow('C', 2, 0.95, 1, 86, 95), // 90/100/90 → 93, excellent
  windowRow('D', 3, 0.7, 7, 60, 80), // 40/33.3/25 → 33.5, needs improvement
];
const expectedScores: Record<string, number> = { A: 100, B: 74.5, C: 93, D: 33.5 };

beforeAll(async () => {
  await migrate(ctx.config, ctx.log, catalog);
});

afterAll(async () => {
  await client.close();
  await dropTestResources(ctx);
});

async function query<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

test('a replayed batch leaves the tables unchanged', async () => {
  await sink.write(rows, batchToken(rows));
  const current = () => query('SELECT * FROM employee_window_metrics_current ORDER BY employee_id');
  const raw = async () => Number((await query<{ n: number }>('SELECT count() AS n FROM employee_window_metrics'))[0]!.n);
  const before = { current: await current(), raw: await raw() };
  // A retried insert (same rows, same token) is dropped by ClickHouse.
  await sink.write(rows, batchToken(rows));
  expect(await raw()).toBe(before.raw);
  // A replay after a crash may batch differently: the current rows stay the same.
  await sink.write(rows.slice(0, 2), batchToken(rows.slice(0, 2)));
  await sink.write(rows.slice(2), batchToken(rows.slice(2)));
  expect(await current()).toEqual(before.current);
});

test('scores follow the model; the calibration view matches a hand-computed case', async () => {
  await computeScores({ period: 'week', timeZone: 'UTC' });
  const scores = await query<{ employee_id: string; score: number; grade: string; model_version: string }>(
    "SELECT employee_id, score, grade, model_version FROM employee_scores_current WHERE period_type = 'week' ORDER BY employee_id",
  );
  expect(scores.map((s) => s.grade)).toEqual(['excellent', 'qualified', 'excellent', 'needs_improvement']);
  for (const s of scores) {
    expect(s.model_version).toBe('default-v1');
    expect(s.score).toBeCloseTo(expectedScores[s.employee_id]!, 9);
    // The TypeScript model (the simulator's) scores the same figures the same way.
    const row = rows.find((r) => r.employee_id === s.employee_id)!;
    const values = indicatorValues(catalog, Object.fromEntries(catalog.measures.map((m) => [m.name, Number(row.values[m.name])])));
    expect(scoreOf(values, DEFAULT_SCORING, catalog).score).toBeCloseTo(s.score, 9);
    expect(gradeOf(s.score)).toBe(s.grade);
  }

  const calibration = await query<Record<string, number | string>>("SELECT * FROM calibration WHERE period_type = 'week' AND station_id = 'S9'");
  expect(calibration).toHaveLength(1);
  const c = calibration[0]!;
  expect(c.period_start).toBe('2026-10-05 00:00:00.000');
  expect(c.employees).toBe(4);
  const close = (key: string, value: number) => expect(Number(c[key])).toBeCloseTo(value, 9);
  close('share_excellent', 0.5);
  close('share_qualified', 0.25);
  close('share_needs_improvement', 0.25);
  close('target_excellent', 0.25);
  close('gap_excellent', 0.25);
  close('gap_qualified', -0.3);
  close('gap_needs_improvement', 0.05);
  close('avg_score', 75.25);
  close('avg_self_score', 90.75);
  close('self_share_excellent', 0.75);
  close('self_share_qualified', 0.25);
  close('self_share_needs_improvement', 0);
  const plant = await query<{ employees: number }>("SELECT employees FROM calibration WHERE period_type = 'week' AND station_id = 'ALL'");
  expect(plant).toEqual([{ employees: 4 }]);
});

const modelRow = (version: string, scope: string, weights: [number, number, number]): ScoringModelRow => ({
  version,
  scope,
  efficiency_weight: weights[0],
  efficiency_target: 1,
  efficiency_worst: 0.5,
  quality_weight: weights[1],
  quality_target: 0.01,
  quality_worst: 0.1,
  satisfaction_weight: weights[2],
  satisfaction_target: 90,
  satisfaction_worst: 50,
  excellent_from: 90,
  qualified_from: 70,
  target_excellent: 0.25,
  target_qualified: 0.55,
  target_needs_improvement: 0.2,
  note: 'test',
});

test('the installed default model is the TypeScript default', async () => {
  const [row] = await query<Record<string, number | string>>("SELECT * FROM scoring_models FINAL WHERE version = 'default-v1' AND scope = ''");
  const d = DEFAULT_SCORING;
  const { efficiency, quality, satisfaction } = d.indicators as Record<string, { weight: number; target: number; worst: number }>;
  expect(row).toMatchObject({
    version: d.version,
    efficiency_weight: efficiency!.weight,
    efficiency_target: efficiency!.target,
    efficiency_worst: efficiency!.worst,
    quality_weight: quality!.weight,
    quality_target: quality!.target,
    quality_worst: quality!.worst,
    satisfaction_weight: satisfaction!.weight,
    satisfaction_target: satisfaction!.target,
    satisfaction_worst: satisfaction!.worst,
    excellent_from: d.bands.excellent,
    qualified_from: d.bands.qualified,
    target_excellent: d.targetDistribution.excellent,
    target_qualified: d.targetDistribution.qualified,
    target_needs_improvement: d.targetDistribution.needsImprovement,
  });
});

test('scores reproduce from their model version; a new version becomes active; stations can override', async () => {
  const v1 = await query<{ employee_id: string; score: number }>(
    "SELECT employee_id, score FROM employee_scores FINAL WHERE model_version = 'default-v1' AND period_type = 'week' ORDER BY employee_id",
  );

  await insertModel(client, [modelRow('test-v2', '', [0.6, 0.2, 0.2]), modelRow('test-v2', 'S9', [0, 0, 1])]);
  await expect(insertModel(client, [modelRow('test-v2', '', [1, 0, 0])])).rejects.toThrow('exists already');
  await computeScores({ period: 'week', timeZone: 'UTC' });
  const v2 = await query<{ employee_id: string; score: number; model_version: string }>(
    "SELECT employee_id, score, model_version FROM employee_scores_current WHERE period_type = 'week' ORDER BY employee_id",
  );
  // S9's own row weighs satisfaction alone: 90 → 100 points, 80 → 75, 86 → 90, 60 → 25.
  expect(v2.map((s) => [s.model_version, s.score])).toEqual([
    ['test-v2', 100],
    ['test-v2', 75],
    ['test-v2', 90],
    ['test-v2', 25],
  ]);

  await computeScores({ period: 'week', timeZone: 'UTC', model: 'default-v1' });
  const again = await query<{ employee_id: string; score: number }>(
    "SELECT employee_id, score FROM employee_scores FINAL WHERE model_version = 'default-v1' AND period_type = 'week' ORDER BY employee_id",
  );
  expect(again).toEqual(v1);
  await expect(computeScores({ period: 'week', timeZone: 'UTC', model: 'no-such-model' })).rejects.toThrow('unknown scoring model');
});
