import { FIGURES, figureOf, groupBy, periodLabel, type SelfReportRecord } from '../../../detection/reports.js';

const T0 = Date.UTC(2026, 9, 5);

/** A report of 110 units, 7 run hours, 2 defective units and a self-score of 90 beside what was measured. */
function report(measured: Partial<SelfReportRecord['measured']> = {}, reported: Partial<SelfReportRecord['reported']> = {}): SelfReportRecord {
  return {
    employeeId: 'E1',
    stationId: 'S1',
    window: { start: T0, end: T0 + 86_400_000 },
    period: { start: T0 + 6 * 3_600_000, end: T0 + 14 * 3_600_000 },
    reported: { units: 110, runHours: 7, defectiveUnits: 2, selfScore: 90, ...reported },
    measured: { units: 100, standardHours: 6, runHours: 5, defectiveUnits: 6, score: 80, ...measured },
    coverage: { telemetryHours: 8, deadLetters: { production: 0, telemetry: 0 } },
  };
}

/** Each figure's reported, measured, error, relative error and difference, in that order. */
const readings = (r: SelfReportRecord) =>
  Object.fromEntries(FIGURES.map((f) => [f.kind, [f.reported(r), f.measured(r), f.error(r), f.relative(r), f.difference(r)]]));

test('each figure reads its own fields, its error in the employee’s favour', () => {
  expect(readings(report())).toEqual({
    units_overclaim: [110, 100, 0.1, 0.1, 10],
    run_hours_overclaim: [7, 5, 0.4, 0.4, 2],
    defects_underreport: [2, 6, 4, 4 / 6, 4],
    self_score_inflated: [90, 80, 10, 10 / 80, 10],
  });
});

test('an error in the company’s favour is negative', () => {
  const r = report({}, { units: 90, runHours: 4, defectiveUnits: 8, selfScore: 60 });
  expect(readings(r)).toEqual({
    units_overclaim: [90, 100, -0.1, -0.1, -10],
    run_hours_overclaim: [4, 5, -0.2, -0.2, -1],
    defects_underreport: [8, 6, -2, -2 / 6, -2],
    self_score_inflated: [60, 80, -20, -20 / 80, -20],
  });
});

test('nothing measured: shares have no error, differences still count, defects and scores divide by at least 1', () => {
  const r = report({ units: 0, runHours: 0, defectiveUnits: 0, score: 0.5 }, { defectiveUnits: 0, selfScore: 10.5 });
  expect(readings(r)).toEqual({
    units_overclaim: [110, 0, null, 0, 110],
    run_hours_overclaim: [7, 0, null, 0, 7],
    defects_underreport: [0, 0, 0, 0, 0],
    self_score_inflated: [10.5, 0.5, 10, 10, 10],
  });
  expect(figureOf('defects_underreport').relative(report({ defectiveUnits: 0 }, { defectiveUnits: 3 }))).toBe(-3);
});

test('a self-score is compared only when both scores exist and the measured one leaves room below 100', () => {
  const inflated = figureOf('self_score_inflated');
  expect(inflated.error(report({ score: 99.9 }, { selfScore: 100 }))).toBeCloseTo(0.1, 9);
  expect(inflated.error(report({ score: 100 }, { selfScore: 100 }))).toBeNull();
  expect(inflated.error(report({ score: null }))).toBeNull();
  expect(inflated.error(report({}, { selfScore: null }))).toBeNull();
  expect([inflated.relative(report({ score: null })), inflated.relative(report({}, { selfScore: null }))]).toEqual([0, 0]);
  expect([inflated.difference(report({ score: null })), inflated.difference(report({}, { selfScore: null }))]).toEqual([90, -80]);
});

test('each figure says which plant systems it needs complete', () => {
  expect(Object.fromEntries(FIGURES.map((f) => [f.kind, [f.unit, f.sources]]))).toEqual({
    units_overclaim: ['share', ['production', 'telemetry']],
    run_hours_overclaim: ['share', ['telemetry']],
    defects_underreport: ['defective units', []],
    self_score_inflated: ['points', ['production', 'telemetry']],
  });
  for (const figure of FIGURES) expect(figureOf(figure.kind)).toBe(figure);
});

test('a period is named by its date, and by its hour when it does not start at midnight', () => {
  expect(periodLabel({ start: T0 })).toBe('2026-10-05');
  expect(periodLabel({ start: T0 + 22 * 3_600_000 })).toBe('2026-10-05 22:00 UTC');
  expect(periodLabel({ start: T0 + 1 })).toBe('2026-10-05 00:00 UTC');
});

test('records are grouped by key, each group in period order', () => {
  const at = (key: string, start: number) => ({ key, period: { start } });
  const groups = groupBy([at('b', 3), at('a', 2), at('b', 1), at('a', 5), at('b', 2)], (item) => item.key);
  expect([...groups.entries()].map(([key, items]) => [key, items.map((item) => item.period.start)])).toEqual([
    ['b', [1, 2, 3]],
    ['a', [2, 5]],
  ]);
});
