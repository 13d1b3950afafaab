import { evaluate } from '../../../evaluation/evaluate.js';
import type { WindowTruth } from '../../../simulator/day.js';
import type { Inflator } from '../../../simulator/plant.js';
import type { Flag } from '../../../contract/flag.js';

const DAY = 86_400_000;
const figures = { units: 100, run_hours: 6, defective_units: 5, self_score: null };
const truth = (employee: string, day: number, inflation: WindowTruth['inflation'] = null, gap: WindowTruth['gap'] = null, shift = 'day'): WindowTruth => ({
  employee_id: employee,
  window_start: day * DAY,
  station_id: 'S1',
  measured: { ...figures, score: 80, standard_hours: 5, telemetry_hours: 8 },
  reported: figures,
  inflation,
  gap,
  window_end: (day + 1) * DAY,
  shift,
  period_start: day * DAY + 6 * 3_600_000,
  period_end: day * DAY + 14 * 3_600_000,
});
const flag = (employee: string, day: number, kind: Flag['kind'] = 'units_overclaim', decidedDay = day): Flag => ({
  employeeId: employee,
  stationId: 'S1',
  windowStart: day * DAY,
  windowEnd: (day + 1) * DAY,
  kind,
  method: kind === 'measurement_gap' ? 'coverage' : 'sequential',
  severity: 'low',
  reported: 1,
  measured: 1,
  deviation: 0,
  z: null,
  explanation: '',
  evidence: { decided_at: new Date(decidedDay * DAY).toISOString() },
});
const units = (effective: number): WindowTruth['inflation'] => ({ kind: 'units', degree: effective, effective });
const inflator = (o: Partial<Inflator> = {}): Inflator => ({ kind: 'units', degree: 0.2, startDay: 0, days: 0.8, ...o });

test('per window: precision, recall by degree, and the honest flag rate', () => {
  const windows = [
    truth('inf', 1, units(0.2)),
    truth('inf', 2, units(0.21)),
    truth('inf', 3, units(0.07)),
    truth('inf', 4), // an inflator's honest day
    truth('inf', 5, { kind: 'defects', degree: 0.3, effective: 0 }), // nothing to under-report: not inflated
    ...Array.from({ length: 10 }, (_, i) => truth('hon', 10 + i)),
  ];
  const flags = [flag('inf', 1), flag('inf', 1, 'run_hours_overclaim'), flag('inf', 3), flag('inf', 4), flag('hon', 10), flag('inf', 2, 'measurement_gap')];
  const e = evaluate(windows, flags, new Map([['inf', inflator()]]));
  expect(e.flaggedWindows).toBe(4);
  expect(e.precision).toBe(2 / 4);
  expect(e.recallAtLeast15).toEqual({ inflated: 2, flagged: 1, recall: 0.5 });
  expect(e.recall.units).toEqual({ '5-10%': { inflated: 1, flagged: 1, recall: 1 }, '15-25%': { inflated: 2, flagged: 1, recall: 0.5 } });
  expect(e.honestWindows).toBe(10);
  expect(e.honestFlagRate).toBe(0.1);
  expect(e.honestEmployeesFlagged).toBe(1);
  expect(e.kindAgreement).toBe(1);
});

test("per shift: each shift's precision, recall at 15%+ and honest windows flagged, over its own windows", () => {
  const windows = [
    truth('inf', 1, units(0.2), null, 'night'),
    truth('inf', 2, units(0.3), null, 'night'),
    truth('inf', 3, units(0.2), null, 'day'),
    ...Array.from({ length: 4 }, (_, i) => truth('hon', 10 + i, null, null, 'night')),
    ...Array.from({ length: 5 }, (_, i) => truth('hon', 20 + i, null, null, 'day')),
  ];
  const flags = [flag('inf', 1), flag('inf', 3), flag('hon', 10), flag('hon', 11)];
  const e = evaluate(windows, flags, new Map([['inf', inflator()]]));
  expect(e.byShift.night).toEqual({
    windows: 6,
    flaggedWindows: 3,
    precision: 1 / 3,
    recallAtLeast15: { inflated: 2, flagged: 1, recall: 0.5 },
    honestWindows: 4,
    honestFlagged: 2,
    honestFlagRate: 0.5,
  });
  expect(e.byShift.day).toEqual({
    windows: 6,
    flaggedWindows: 1,
    precision: 1,
    recallAtLeast15: { inflated: 1, flagged: 1, recall: 1 },
    honestWindows: 5,
    honestFlagged: 0,
    honestFlagRate: 0,
  });
  // Overall, the night shift's false flags are diluted by the day shift's windows: why the figures are kept per shift.
  expect(e.honestFlagRate).toBeCloseTo(2 / 9, 12);
});

test('per person: inflators identified within N of their shifts from the first inflated one, and shifts to detection', () => {
  const shifts = (employee: string, inflated: (day: number) => boolean, effective = 0.2) =>
    Array.from({ length: 10 }, (_, day) => truth(employee, day, inflated(day) ? units(effective) : null));
  const windows = [
    ...shifts('fast', () => true), // decided on their 2nd shift
    ...shifts('slow', () => true), // decided on their 7th
    ...shifts('late', (d) => d >= 3), // starts on day 3, decided on day 5: their 3rd shift since
    ...shifts('never', () => true),
    ...shifts('small', () => true, 0.1), // inflates by less than 15%: not counted
    ...shifts('tooLate', (d) => d >= 7), // fewer than 5 shifts left after starting: not counted
    ...shifts('now-and-then', (d) => d % 3 === 0),
    ...shifts('honest', () => false),
  ];
  const flags = [
    flag('fast', 0, 'units_overclaim', 1),
    flag('slow', 4, 'units_overclaim', 6),
    flag('late', 3, 'units_overclaim', 5),
    flag('late', 1, 'units_overclaim', 1),
    flag('now-and-then', 6),
  ];
  const inflators = new Map<string, Inflator>([
    ['fast', inflator()],
    ['slow', inflator()],
    ['late', inflator({ startDay: 3 })],
    ['never', inflator()],
    ['small', inflator({ degree: 0.1 })],
    ['tooLate', inflator({ startDay: 7 })],
    ['now-and-then', inflator({ days: 0.3 })],
  ]);
  const e = evaluate(windows, flags, inflators, { within: 5 });
  expect(e.persons.steady).toEqual({ inflators: 4, identified: 2, recall: 0.5 });
  expect(e.persons.byKind.units).toEqual({ inflators: 4, identified: 2, recall: 0.5 });
  expect(e.persons.shiftsToDetection).toEqual({ median: 3, p90: 7, identified: 3 });
  expect(e.persons.intermittent).toEqual({ inflators: 1, identified: 1, recall: 1 });
  // A flag decided before someone started inflating says nothing about catching them; honest people flagged at all.
  expect(e.honestEmployees).toBe(1);
  expect(e.honestEmployeesFlagged).toBe(0);
});

test('planted measurement gaps: never an inflation flag on them, and each flagged as a gap', () => {
  const windows = [
    truth('hon', 1, null, { kind: 'iot_outage', hours: 2 }),
    truth('hon', 2, null, { kind: 'dead_letters', records: { production: 1, telemetry: 0 } }),
    truth('hon', 3),
    truth('hon', 4),
  ];
  const flags = [flag('hon', 1, 'measurement_gap'), flag('hon', 2, 'units_overclaim'), flag('hon', 2, 'measurement_gap'), flag('hon', 4, 'measurement_gap')];
  const e = evaluate(windows, flags, new Map());
  expect(e.gaps).toEqual({ windows: 2, inflationFlagged: 1, gapFlagged: 2, otherGapFlagged: 1 });
  expect(e.flaggedWindows).toBe(1);
});
