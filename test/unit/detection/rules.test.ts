import { DEFAULT_RULES, binomialTail, detect, type ReportedWindow } from '../../../detection/rules.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 5); // a Monday
let n = 0;
const honest = (o: Partial<ReportedWindow> = {}): ReportedWindow => {
  n += 1;
  const windowStart = o.windowStart ?? T0;
  return {
    employeeId: `E${n}`, stationId: 'S1', windowStart, windowEnd: windowStart + DAY,
    units: 203, runHours: 6.5, unitsDefective: 6, reportedUnits: 203, reportedRunHours: 6.5, reportedDefective: 6,
    selfScore: 80, score: 80, ...o,
  };
};
const all = { from: 0, to: Date.UTC(2100, 0, 1) };

test('honest reports with small errors raise no flag', () => {
  const windows = [honest({ reportedUnits: 205 }), honest({ reportedRunHours: 6.6 }), honest({ reportedDefective: 5 }), honest({ selfScore: 83.9 }), honest({ units: 10, reportedUnits: 11 })];
  expect(detect(windows, all)).toEqual([]);
});

test.each([
  ['units_overclaim', { units: 200, reportedUnits: 240 }, 240, 200, 0.2, 'medium'],
  ['run_hours_overclaim', { reportedRunHours: 8.5 }, 8.5, 6.5, 2 / 6.5, 'high'],
  ['defects_underreport', { unitsDefective: 10, reportedDefective: 7 }, 7, 10, 0.3, 'high'],
  ['self_score_inflated', { selfScore: 90, score: 70 }, 90, 70, 20, 'medium'],
] as const)('a report beyond its tolerance band is flagged: %s', (kind, override, reported, measured, deviation, severity) => {
  const [flag] = detect([honest(override)], all).filter((f) => f.method === 'tolerance');
  expect(flag).toMatchObject({ kind, method: 'tolerance', reported, measured, severity });
  expect(flag!.deviation).toBeCloseTo(deviation, 10);
  expect(flag!.explanation).toContain('2026-10-05');
});

test('small absolute differences stay within tolerance even when large in relative terms', () => {
  expect(detect([honest({ units: 10, reportedUnits: 12 }), honest({ unitsDefective: 1, reportedDefective: 0 })], all)).toEqual([]);
});

test('the peer robust z-score flags a ratio far above the station\'s week', () => {
  const peers = Array.from({ length: 8 }, (_, i) => honest({ reportedUnits: 203 + (i % 3) - 1, windowStart: T0 + (i % 5) * DAY }));
  const outlier = honest({ reportedUnits: 233, windowStart: T0 + 2 * DAY });
  const flags = detect([...peers, outlier], all).filter((f) => f.method === 'peer_z');
  expect(flags).toHaveLength(1);
  expect(flags[0]).toMatchObject({ employeeId: outlier.employeeId, kind: 'units_overclaim' });
  expect(flags[0]!.z!).toBeGreaterThan(DEFAULT_RULES.peer.z);
  // Other stations and other weeks are not peers.
  const elsewhere = honest({ reportedUnits: 233, stationId: 'S2' });
  expect(detect([...peers, elsewhere], all).filter((f) => f.method === 'peer_z')).toEqual([]);
});

test('one defect fewer now and then is a slip; again and again it is a pattern', () => {
  const slips = Array.from({ length: 10 }, (_, i) => honest({ employeeId: 'slip', windowStart: T0 + i * DAY, reportedDefective: i < 2 ? 5 : 6 }));
  expect(detect(slips, all)).toEqual([]);
  const pattern = Array.from({ length: 10 }, (_, i) => honest({ employeeId: 'pattern', windowStart: T0 + i * DAY, reportedDefective: i < 7 ? 5 : 6 }));
  const flags = detect(pattern, all);
  expect(flags).toHaveLength(7);
  expect(flags.every((f) => f.kind === 'defects_underreport' && f.method === 'history')).toBe(true);
  expect(flags[0]!.explanation).toContain('7 of 10 reports');
});

test('round reported unit counts across many reports are flagged once per employee', () => {
  // Measured counts are odd, so never round; half the reports are.
  const reports = Array.from({ length: 12 }, (_, i) => honest({ employeeId: 'round', windowStart: T0 + i * DAY, units: 201 + 2 * i, reportedUnits: i < 6 ? 210 + 10 * (i % 3) : 201 + 2 * i }));
  const flags = detect(reports, all).filter((f) => f.kind === 'round_numbers');
  expect(flags).toHaveLength(1);
  expect(flags[0]).toMatchObject({ employeeId: 'round', windowStart: T0, windowEnd: T0 + 12 * DAY, reported: 0.5 });
});

test('only windows inside the range are flagged; earlier ones are history', () => {
  const inRange = { from: T0 + 5 * DAY, to: T0 + 10 * DAY };
  const windows = Array.from({ length: 10 }, (_, i) => honest({ employeeId: 'x', windowStart: T0 + i * DAY, reportedUnits: 263 }));
  const flags = detect(windows, inRange).filter((f) => f.method === 'tolerance');
  expect(flags.map((f) => (f.windowStart - T0) / DAY)).toEqual([5, 6, 7, 8, 9]);
});

test('binomial tail', () => {
  expect(binomialTail(10, 0, 0.1)).toBeCloseTo(1, 12);
  expect(binomialTail(10, 1, 0.1)).toBeCloseTo(1 - 0.9 ** 10, 12);
  expect(binomialTail(10, 10, 0.5)).toBeCloseTo(0.5 ** 10, 12);
  expect(binomialTail(20, 8, 0.1)).toBeCloseTo(0.0004, 4);
});
