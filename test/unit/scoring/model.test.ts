import { DEFAULT_SCORING, compositeScore, gradeOf, indicatorPoints } from '../../../scoring/model.js';

test('an indicator earns 100 points at its target, 0 at its worst, linearly between', () => {
  expect(indicatorPoints(1.0, DEFAULT_SCORING.efficiency)).toBe(100);
  expect(indicatorPoints(1.2, DEFAULT_SCORING.efficiency)).toBe(100);
  expect(indicatorPoints(0.75, DEFAULT_SCORING.efficiency)).toBe(50);
  expect(indicatorPoints(0.4, DEFAULT_SCORING.efficiency)).toBe(0);
  // Lower is better for the defect rate.
  expect(indicatorPoints(0.01, DEFAULT_SCORING.quality)).toBe(100);
  expect(indicatorPoints(0.055, DEFAULT_SCORING.quality)).toBeCloseTo(50, 10);
  expect(indicatorPoints(0.2, DEFAULT_SCORING.quality)).toBe(0);
});

test('the composite weighs 40/30/30 and renormalises over indicators that have a value', () => {
  expect(compositeScore({ efficiency: 1, defect_rate: 0.01, satisfaction_avg: 90 })).toBeCloseTo(100, 10);
  expect(compositeScore({ efficiency: 0.75, defect_rate: 0.055, satisfaction_avg: 70 })).toBeCloseTo(50, 10);
  expect(compositeScore({ efficiency: 1, defect_rate: 0.1, satisfaction_avg: null })).toBeCloseTo((0.4 * 100 + 0.3 * 0) / 0.7, 10);
  expect(compositeScore({ efficiency: null, defect_rate: null, satisfaction_avg: null })).toBeNull();
});

test('grades by absolute bands', () => {
  expect(gradeOf(95)).toBe('excellent');
  expect(gradeOf(90)).toBe('excellent');
  expect(gradeOf(89.99)).toBe('qualified');
  expect(gradeOf(70)).toBe('qualified');
  expect(gradeOf(69.9)).toBe('needs_improvement');
});
