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

interface Shift {
  employee?: string;
  day: number;
  /** Length of the report's period. */
  hours?: number;
  telemetryHours?: number;
  measured?: Partial<SelfReportRecord['measured']>;
  reported?: Partial<SelfReportRecord['reported']>;
  deadLetters?: SelfReportRecord['coverage']['deadLetters'];
}

/** A report from 06:00 whose measured side is whole: 100 units, 8 standard hours in 8 run hours (output per run hour 1), unless told otherwise. */
function shift(s: Shift): SelfReportRecord {
  const start = T0 + s.day * DAY + 6 * HOUR;
  const hours = s.hours ?? 8;
  return {
    employeeId: s.employee ?? 'E1',
    stationId: 'S1',
    window: { start: T0 + s.day * DAY, end: T0 + (s.day + 1) * DAY },
    period: { start, end: start + hours * HOUR },
    reported: { units: 100, runHours: 8, defectiveUnits: 0, selfScore: null, ...s.reported },
    measured: { units: 100, standardHours: 8, runHours: 8, defectiveUnits: 0, score: 80, ...s.measured },
    coverage: { telemetryHours: s.telemetryHours ?? hours, deadLetters: s.deadLetters ?? { production: 0, telemetry: 0 } },
  };
}

const whole = (days: number, employee = 'E1') => Array.from({ length: days }, (_, day) => shift({ employee, day }));

test("a dead letter sent exactly at the period's start counts, one sent exactly when the slack after its end runs out does not", () => {
  const slack = 30 * 60_000;
  const periods = [{ employeeId: 'E1', period: { start: T0, end: T0 + DAY } }];
  const at = (sentAt: number) => deadLettersPerPeriod(periods, [{ employeeId: 'E1', source: 'telemetry', sentAt }], slack)[0];
  expect([at(T0 - 1), at(T0), at(T0 + DAY + slack - 1), at(T0 + DAY + slack)]).toEqual([
    { production: 0, telemetry: 0 },
    { production: 0, telemetry: 1 },
    { production: 0, telemetry: 1 },
    { production: 0, telemetry: 0 },
  ]);
});

test("days the gateway sent nothing are no history: three of them and three whole days leave a person on the station's usual", () => {
  const outage = (day: number) => shift({ day, telemetryHours: 0, measured: { runHours: 0 } });
  const records = [outage(0), outage(1), outage(2), shift({ day: 3 }), shift({ day: 4 }), shift({ day: 5 })];
  const coverage = judgeCoverage(records, DEFAULT_RULES.coverage);
  expect(coverage.get(records[0]!)).toEqual({
    gaps: [{ source: 'telemetry', reason: 'nothing_measured', text: 'the IoT gateway sent no telemetry for the period' }],
    vouched: new Set(),
  });
  // Counted as history, the outages would have made a usual of their own that half the period matches.
  expect(records.slice(3).map((r) => coverage.get(r))).toEqual(Array(3).fill({ gaps: [], vouched: new Set() }));
  // Five whole days are a history of one's own.
  const more = [...records, shift({ day: 6 }), shift({ day: 7 })];
  expect(judgeCoverage(more, DEFAULT_RULES.coverage).get(more[3]!)).toEqual({ gaps: [], vouched: new Set(['telemetry', 'production']) });
});

test('a report over an empty period tells nothing of the usual share of a period covered, so it is no history either', () => {
  const empty = { ...shift({ day: 4, telemetryHours: 1 }), period: { start: T0 + 4 * DAY, end: T0 + 4 * DAY } };
  const records = [...whole(4), empty];
  const coverage = judgeCoverage(records, DEFAULT_RULES.coverage);
  expect(records.map((r) => coverage.get(r))).toEqual(Array(5).fill({ gaps: [], vouched: new Set() }));
});

test("a newcomer's coverage is judged by the spread of the station's: a dip within it is no gap, nor is whole coverage vouched for", () => {
  // Veterans whose gateway covers 7, 9 or 8 hours of a day: the station's usual is 8 h, its robust spread 1.48 h.
  const veterans = Array.from({ length: 36 }, (_, i) => shift({ employee: `E${i % 6}`, day: Math.floor(i / 6), hours: 24, telemetryHours: [7, 9, 8][i % 3] }));
  const dip = shift({ employee: 'N1', day: 6, hours: 24, telemetryHours: 6 });
  const outage = shift({ employee: 'N2', day: 6, hours: 24, telemetryHours: 3 });
  const full = shift({ employee: 'N3', day: 6, hours: 24, telemetryHours: 8 });
  const coverage = judgeCoverage([...veterans, dip, outage, full], DEFAULT_RULES.coverage);
  expect(coverage.get(dip)).toEqual({ gaps: [], vouched: new Set() });
  expect(coverage.get(outage)).toEqual({
    gaps: [
      {
        source: 'telemetry',
        reason: 'short',
        observed: 3,
        usual: (8 / 24) * 24,
        text: "the IoT gateway reported on 3.0 h of the 24.0-hour period, the station's usual is 8.0 h",
      },
    ],
    vouched: new Set(),
  });
  expect(coverage.get(full)).toEqual({ gaps: [], vouched: new Set() });
});

test("a dip within the person's own spread of coverage is no gap, but vouches for neither source; a deeper one is a gap", () => {
  const history = Array.from({ length: 9 }, (_, day) => shift({ day, hours: 24, telemetryHours: [7, 9, 8][day % 3] }));
  const dip = shift({ day: 9, hours: 24, telemetryHours: 6 });
  const outage = shift({ day: 10, hours: 24, telemetryHours: 3 });
  const coverage = judgeCoverage([...history, dip, outage], DEFAULT_RULES.coverage);
  expect(coverage.get(dip)).toEqual({ gaps: [], vouched: new Set() });
  expect(coverage.get(outage)!.gaps).toEqual([
    {
      source: 'telemetry',
      reason: 'short',
      observed: 3,
      usual: (8 / 24) * 24,
      text: "the IoT gateway reported on 3.0 h of the 24.0-hour period, this operator's usual is 8.0 h",
    },
  ]);
});

test('coverage exactly 5% below the usual is whole and vouched for; any less is a gap', () => {
  const exactly = shift({ day: 6, telemetryHours: 7.6 });
  const less = shift({ day: 7, telemetryHours: 7.59 });
  const coverage = judgeCoverage([...whole(6), exactly, less], DEFAULT_RULES.coverage);
  expect(coverage.get(exactly)).toEqual({ gaps: [], vouched: new Set(['telemetry', 'production']) });
  expect(coverage.get(less)).toEqual({
    gaps: [
      {
        source: 'telemetry',
        reason: 'short',
        observed: 7.59,
        usual: 8,
        text: "the IoT gateway reported on 7.6 h of the 8.0-hour period, this operator's usual is 8.0 h",
      },
    ],
    vouched: new Set(),
  });
});

test('without machine time or without standard times there is no output per run hour: the count is neither short nor vouched for', () => {
  const noRunTime = shift({ day: 6, measured: { runHours: 0 } });
  const noStandardTime = shift({ day: 7, measured: { standardHours: 0 } });
  const coverage = judgeCoverage([...whole(6), noRunTime, noStandardTime], DEFAULT_RULES.coverage);
  expect(coverage.get(noRunTime)).toEqual({ gaps: [], vouched: new Set(['telemetry']) });
  expect(coverage.get(noStandardTime)).toEqual({ gaps: [], vouched: new Set(['telemetry']) });
});

test('a report whose claim of missed units puts the count exactly halfway between it and the usual is taken as a missed count', () => {
  // Usual output per run hour 1; counted 31 units where 32 are reported: a missed unit would leave 31/32 of the usual.
  const halfway = shift({ day: 6, measured: { units: 31, standardHours: 8 * (63 / 64) }, reported: { units: 32 } });
  const nearer = shift({ day: 7, measured: { units: 31, standardHours: 8 * (127 / 128) }, reported: { units: 32 } });
  const coverage = judgeCoverage([...whole(6), halfway, nearer], DEFAULT_RULES.coverage);
  expect(coverage.get(halfway)).toEqual({ gaps: [], vouched: new Set(['telemetry']) });
  expect(coverage.get(nearer)).toEqual({ gaps: [], vouched: new Set(['telemetry', 'production']) });
});

test('a period without telemetry is a gap only when the report claims run hours or units', () => {
  const off = shift({ day: 0, telemetryHours: 0, measured: { units: 0, runHours: 0, standardHours: 0 }, reported: { units: 0, runHours: 0 } });
  const hoursOnly = shift({ day: 1, telemetryHours: 0, measured: { units: 0, runHours: 0, standardHours: 0 }, reported: { units: 0, runHours: 8 } });
  const unitsOnly = shift({ day: 2, telemetryHours: 0, measured: { units: 0, runHours: 0, standardHours: 0 }, reported: { units: 100, runHours: 0 } });
  const coverage = judgeCoverage([off, hoursOnly, unitsOnly], DEFAULT_RULES.coverage);
  const noTelemetry = { source: 'telemetry', reason: 'nothing_measured', text: 'the IoT gateway sent no telemetry for the period' };
  expect(coverage.get(off)).toEqual({ gaps: [], vouched: new Set() });
  expect(coverage.get(hoursOnly)).toEqual({ gaps: [noTelemetry], vouched: new Set() });
  expect(coverage.get(unitsOnly)).toEqual({
    gaps: [noTelemetry, { source: 'production', reason: 'nothing_measured', text: 'the MES counted no units while 100 are reported' }],
    vouched: new Set(),
  });
});

test('with the telemetry incomplete, output per run hour is not judged: a low one is no production gap', () => {
  const lost = shift({ day: 6, deadLetters: { production: 0, telemetry: 2 }, measured: { standardHours: 4 } });
  expect(judgeCoverage([...whole(6), lost], DEFAULT_RULES.coverage).get(lost)).toEqual({
    gaps: [{ source: 'telemetry', reason: 'dead_letters', records: 2, text: '2 telemetry record(s) of the period were dead-lettered' }],
    vouched: new Set(),
  });
});
