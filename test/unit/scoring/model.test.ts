import { KpiCatalog } from '../../../kpis/catalog.js';
import { SinkError } from '../../../core/errors.js';
import { DEFAULT_SCORING, gradeOf, indicatorPoints, indicatorValues, modelsOf, scoreOf, type ScoringModel } from '../../../scoring/model.js';
import type { ScoringModelRow } from '../../../sinks/clickhouse/queries/scoringModels.js';

const catalog = KpiCatalog.of();
const { efficiency, quality } = DEFAULT_SCORING.indicators as Record<string, { weight: number; target: number; worst: number }>;

test('an indicator earns 100 points at its target, 0 at its worst, linearly between', () => {
  expect(indicatorPoints(1.0, efficiency!)).toBe(100);
  expect(indicatorPoints(1.2, efficiency!)).toBe(100);
  expect(indicatorPoints(0.75, efficiency!)).toBe(50);
  expect(indicatorPoints(0.4, efficiency!)).toBe(0);
  // Lower is better for the defect rate.
  expect(indicatorPoints(0.01, quality!)).toBe(100);
  expect(indicatorPoints(0.055, quality!)).toBeCloseTo(50, 10);
  expect(indicatorPoints(0.2, quality!)).toBe(0);
});

test('the composite weighs 40/30/30 and renormalises over indicators that have a value', () => {
  const score = (values: Record<string, number | null>) => scoreOf(values, DEFAULT_SCORING, catalog).score;
  expect(score({ efficiency: 1, quality: 0.01, satisfaction: 90 })).toBeCloseTo(100, 10);
  expect(score({ efficiency: 0.75, quality: 0.055, satisfaction: 70 })).toBeCloseTo(50, 10);
  expect(score({ efficiency: 1, quality: 0.1, satisfaction: null })).toBeCloseTo((0.4 * 100 + 0.3 * 0) / 0.7, 10);
  expect(score({ efficiency: null, quality: null, satisfaction: null })).toBeNull();
});

test('the weights are 40/30/30: all three indicators present, each earning other points', () => {
  // Efficiency 0.75 earns 50 points, a defect rate of 1 % all 100, satisfaction 60 a quarter of the way from 50 to 90: 25.
  const { points, score } = scoreOf({ efficiency: 0.75, quality: 0.01, satisfaction: 60 }, DEFAULT_SCORING, catalog);
  expect(points).toEqual({ efficiency: 50, quality: 100, satisfaction: 25 });
  expect(score).toBeCloseTo(0.4 * 50 + 0.3 * 100 + 0.3 * 25, 10);
  // Each weight moves the score by its own share: 10 more points of satisfaction are worth 3.
  expect(scoreOf({ efficiency: 0.75, quality: 0.01, satisfaction: 64 }, DEFAULT_SCORING, catalog).score! - score!).toBeCloseTo(0.3 * 10, 10);
  expect(scoreOf({ efficiency: 0.8, quality: 0.01, satisfaction: 60 }, DEFAULT_SCORING, catalog).score! - score!).toBeCloseTo(0.4 * 10, 10);
});

test('a model grades by its own bands: a version or station override with other bands than 90/70', () => {
  // Efficiency alone, 100 points × efficiency, so the score is exact; bands 95/80.
  const strict: ScoringModel = { ...DEFAULT_SCORING, indicators: { efficiency: { weight: 1, target: 1, worst: 0 } }, bands: { excellent: 95, qualified: 80 } };
  const graded = (efficiency: number) => scoreOf({ efficiency }, strict, catalog);
  expect(graded(0.95)).toMatchObject({ score: 95, grade: 'excellent' });
  expect(graded(0.92)).toMatchObject({ score: 92, grade: 'qualified' });
  expect(graded(0.8)).toMatchObject({ score: 80, grade: 'qualified' });
  expect(graded(0.75)).toMatchObject({ score: 75, grade: 'needs_improvement' });
  expect([95, 94.99, 80, 79.99].map((score) => gradeOf(score, strict))).toEqual(['excellent', 'qualified', 'qualified', 'needs_improvement']);
});

test('an indicator the model has no rule for (OEE in default-v1) earns points by its own target and worst, but no weight', () => {
  // OEE's target is 85 %, its worst 40 %: 62.5 % is halfway.
  const { points, score } = scoreOf({ efficiency: 1, quality: 0.01, satisfaction: 90, oee: 0.625 }, DEFAULT_SCORING, catalog);
  expect(points.oee).toBeCloseTo(50, 10);
  expect(score).toBeCloseTo(100, 10);
});

test('the models of a version come from its rows: the plant-wide one and each station override, further indicators from JSON', () => {
  const row = (scope: string, o: Partial<ScoringModelRow> = {}): ScoringModelRow => ({
    version: 'v3',
    scope,
    efficiency_weight: 0.5,
    efficiency_target: 1.1,
    efficiency_worst: 0.6,
    quality_weight: 0.25,
    quality_target: 0.02,
    quality_worst: 0.2,
    satisfaction_weight: 0.25,
    satisfaction_target: 95,
    satisfaction_worst: 40,
    excellent_from: 85,
    qualified_from: 65,
    target_excellent: 0.2,
    target_qualified: 0.6,
    target_needs_improvement: 0.2,
    note: '',
    ...o,
  });
  const { plant, stations } = modelsOf(
    [row('S7', { excellent_from: 95, indicator_rules: '{"oee": {"weight": 0.1, "target": 0.85, "worst": 0.4}}' }), row('')],
    'v3',
  );
  expect(plant).toEqual({
    version: 'v3',
    indicators: {
      efficiency: { weight: 0.5, target: 1.1, worst: 0.6 },
      quality: { weight: 0.25, target: 0.02, worst: 0.2 },
      satisfaction: { weight: 0.25, target: 95, worst: 40 },
    },
    bands: { excellent: 85, qualified: 65 },
    targetDistribution: { excellent: 0.2, qualified: 0.6, needsImprovement: 0.2 },
  });
  expect([...stations.keys()]).toEqual(['S7']);
  expect(stations.get('S7')).toMatchObject({ bands: { excellent: 95, qualified: 65 }, indicators: { oee: { weight: 0.1, target: 0.85, worst: 0.4 } } });
  expect(() => modelsOf([row('S7')], 'v9')).toThrow(new SinkError('unknown scoring model version "v9"'));
});

test('indicator values come from summed measures, so a week is not an average of days', () => {
  const day = (standard: number, run: number) => ({
    units: 0,
    standard_ms: standard,
    run_ms: run,
    idle_ms: 0,
    down_ms: 0,
    units_inspected: 0,
    units_defective: 0,
    feedback_count: 0,
    complaints: 0,
    satisfaction_milli: 0,
  });
  const a = day(1000, 1000);
  const b = day(3000, 1000);
  const week = Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof typeof a] + b[k as keyof typeof b]]));
  expect(indicatorValues(catalog, week).efficiency).toBe(2);
  expect(indicatorValues(catalog, a).quality).toBeNull();
});

test('grades by absolute bands', () => {
  expect(gradeOf(95)).toBe('excellent');
  expect(gradeOf(90)).toBe('excellent');
  expect(gradeOf(89.99)).toBe('qualified');
  expect(gradeOf(70)).toBe('qualified');
  expect(gradeOf(69.9)).toBe('needs_improvement');
});
