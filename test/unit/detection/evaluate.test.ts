import { evaluate } from '../../../detection/evaluate.js';
import type { Flag } from '../../../detection/rules.js';
import type { WindowTruth } from '../../../simulator/day.js';

const figures = { units: 100, run_hours: 6, defective_units: 5, self_score: null };
const truth = (employee: string, day: number, inflation: WindowTruth['inflation'] = null): WindowTruth => ({
  employee_id: employee, window_start: day, station_id: 'S1', measured: { ...figures, score: 80 }, reported: figures, inflation,
});
const flag = (employee: string, day: number, kind: Flag['kind'] = 'units_overclaim'): Flag => ({
  employeeId: employee, stationId: 'S1', windowStart: day, windowEnd: day + 1, kind, method: 'tolerance', severity: 'low',
  reported: 1, measured: 1, deviation: 0, z: null, explanation: '', evidence: {},
});

test('precision, recall by degree, and the honest flag rate per employee-window', () => {
  const windows = [
    truth('inf', 1, { kind: 'units', degree: 0.2, effective: 0.2 }),
    truth('inf', 2, { kind: 'units', degree: 0.2, effective: 0.21 }),
    truth('inf', 3, { kind: 'units', degree: 0.07, effective: 0.07 }),
    truth('inf', 4), // an inflator's honest day
    truth('inf', 5, { kind: 'defects', degree: 0.3, effective: 0 }), // nothing to under-report: not inflated
    ...Array.from({ length: 10 }, (_, i) => truth('hon', 10 + i)),
  ];
  const flags = [flag('inf', 1), flag('inf', 1, 'run_hours_overclaim'), flag('inf', 3), flag('inf', 4), flag('hon', 10), flag('inf', 1, 'round_numbers')];
  const e = evaluate(windows, flags, new Set(['inf']));
  expect(e.flaggedWindows).toBe(4);
  expect(e.precision).toBe(2 / 4);
  expect(e.recallAtLeast15).toEqual({ inflated: 2, flagged: 1, recall: 0.5 });
  expect(e.recall.units).toEqual({ '5-10%': { inflated: 1, flagged: 1, recall: 1 }, '15-25%': { inflated: 2, flagged: 1, recall: 0.5 } });
  expect(e.honestWindows).toBe(10);
  expect(e.honestFlagRate).toBe(0.1);
  expect(e.kindAgreement).toBe(1);
});
