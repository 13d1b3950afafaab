import { deadLettersPerPeriod, judgeCoverage } from '../../../detection/coverage.js';
import type { SelfReportRecord } from '../../../detection/reports.js';
import { DEFAULT_RULES } from '../../../detection/rules.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 9, 5);

test('a dead letter counts against the period of its employee it was sent in, or just after', () => {
  const periods = [
    { employeeId: 'E1', period: { start: T0, end: T0 + DAY } },
    { employeeId: 'E1', period: { start: T0 + DAY, end: T0 + 2 * DAY } },
    { employeeId: 'E2', period: { start: T0, end: T0 + DAY } },
  ];
  const letters = [
    { employeeId: 'E1', source: 'telemetry' as const, sentAt: T0 + 14 * HOUR },
    { employeeId: 'E1', source: 'production' as const, sentAt: T0 + DAY + 10 * 60_000 }, // sent just after the first period: both
    { employeeId: 'E2', source: 'production' as const, sentAt: T0 + 2 * DAY }, // after E2's period and its slack
    { employeeId: 'E3', source: 'telemetry' as const, sentAt: T0 + HOUR }, // nobody's period here
  ];
  expect(deadLettersPerPeriod(periods, letters, 30 * 60_000)).toEqual([
    { production: 1, telemetry: 1 },
    { production: 1, telemetry: 0 },
    { production: 0, telemetry: 0 },
  ]);
});

test("a newcomer's telemetry is judged against their station's usual until their own is known", () => {
  const report = (employeeId: string, day: number, telemetryHours: number): SelfReportRecord => ({
    employeeId,
    stationId: 'S1',
    window: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    period: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    reported: { units: 200, runHours: 6.4, defectiveUnits: 8, selfScore: null },
    measured: {
      units: Math.round(200 * (telemetryHours / 8)),
      standardHours: 6 * (telemetryHours / 8),
      runHours: 6.4 * (telemetryHours / 8),
      defectiveUnits: 8,
      score: 80,
    },
    coverage: { telemetryHours, deadLetters: { production: 0, telemetry: 0 } },
  });
  const veterans = Array.from({ length: 30 }, (_, i) => report(`E${i % 6}`, Math.floor(i / 6), 8));
  const newcomer = report('E-new', 5, 6);
  const coverage = judgeCoverage([...veterans, newcomer], DEFAULT_RULES.coverage);
  expect(coverage.get(newcomer)!.gaps).toEqual([
    {
      source: 'telemetry',
      reason: 'short',
      observed: 6,
      usual: 8,
      text: "the IoT gateway reported on 6.0 h of the 24.0-hour period, the station's usual is 8.0 h",
    },
  ]);
  expect(veterans.every((r) => coverage.get(r)!.gaps.length === 0 && coverage.get(r)!.vouched.size === 2)).toBe(true);
  // A newcomer's measurement is never vouched for by a usual of their own.
  expect(coverage.get(newcomer)!.vouched.size).toBe(0);
});

test("a shortfall too small to be called a gap, within the person's day-to-day variation, is not vouched for either", () => {
  const report = (day: number, output: number): SelfReportRecord => ({
    employeeId: 'E1',
    stationId: 'S1',
    window: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    period: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    reported: { units: 200, runHours: 6.4, defectiveUnits: 8, selfScore: null },
    measured: { units: Math.round(200 * output), standardHours: 6 * output, runHours: 6.4, defectiveUnits: 8, score: 80 },
    coverage: { telemetryHours: 8, deadLetters: { production: 0, telemetry: 0 } },
  });
  // Output per run hour that varies by ±6% from day to day: a 10% dip is within it.
  const days = [1.06, 0.94, 1.0, 1.05, 0.95, 1.0, 1.06, 0.94].map((o, day) => report(day, o));
  const dip = report(8, 0.9);
  const coverage = judgeCoverage([...days, dip], DEFAULT_RULES.coverage);
  expect(coverage.get(dip)).toEqual({ gaps: [], vouched: new Set(['telemetry']) });
  expect(coverage.get(days[2]!)!.vouched).toEqual(new Set(['telemetry', 'production']));
});

test('coverage is a share of the period: an hour missing from the 9-hour night the clocks go back is a gap, the 7-hour spring night is whole', () => {
  const night = (day: number, hours: number, telemetryHours = hours): SelfReportRecord => ({
    employeeId: 'E1',
    stationId: 'S1',
    window: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    period: { start: T0 + day * DAY + 16 * HOUR, end: T0 + day * DAY + (16 + hours) * HOUR },
    reported: { units: 25 * hours, runHours: 0.8 * hours, defectiveUnits: 1, selfScore: null },
    measured: { units: 25 * telemetryHours, standardHours: 0.75 * telemetryHours, runHours: 0.8 * telemetryHours, defectiveUnits: 1, score: 80 },
    coverage: { telemetryHours, deadLetters: { production: 0, telemetry: 0 } },
  });
  const usual = Array.from({ length: 10 }, (_, day) => night(day, 8));
  const autumnOutage = night(10, 9, 8);
  const spring = night(11, 7);
  const coverage = judgeCoverage([...usual, autumnOutage, spring], DEFAULT_RULES.coverage);
  expect(coverage.get(autumnOutage)!.gaps).toEqual([
    {
      source: 'telemetry',
      reason: 'short',
      observed: 8,
      usual: 9,
      text: "the IoT gateway reported on 8.0 h of the 9.0-hour period, this operator's usual is 9.0 h",
    },
  ]);
  expect(coverage.get(spring)).toEqual({ gaps: [], vouched: new Set(['telemetry', 'production']) });
});

test("an hour's MES outage in a twelve-hour shift, within the allowed shortfall, does not vouch for a report that claims the missing units", () => {
  const shift = (day: number, output: number, units = 126): SelfReportRecord => ({
    employeeId: 'E1',
    stationId: 'S1',
    window: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    period: { start: T0 + day * DAY + 18 * HOUR, end: T0 + day * DAY + 30 * HOUR },
    reported: { units, runHours: 9.8, defectiveUnits: 2, selfScore: null },
    measured: { units: Math.round(126 * output), standardHours: 8.7 * output, runHours: 9.8, defectiveUnits: 2, score: 80 },
    coverage: { telemetryHours: 12, deadLetters: { production: 0, telemetry: 0 } },
  });
  const usual = [1.02, 0.98, 1.0, 1.01, 0.99, 1.0, 1.02, 0.98].map((o, day) => shift(day, o));
  // A day that ran 4% above usual (131 units), an hour of twelve not counted (120, output per run hour 4.7% below usual,
  // inside the 5% allowed), and the operator reports what they made.
  const outage = shift(8, 1.04 * (11 / 12), 132);
  // An inflator claiming 15% more on an ordinary day.
  const inflated = shift(9, 1.0, 145);
  const coverage = judgeCoverage([...usual, outage, inflated], DEFAULT_RULES.coverage);
  expect(coverage.get(outage)).toEqual({ gaps: [], vouched: new Set(['telemetry']) });
  expect(coverage.get(inflated)).toEqual({ gaps: [], vouched: new Set(['telemetry', 'production']) });
});
