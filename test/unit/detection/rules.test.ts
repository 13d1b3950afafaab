import type { SelfReportRecord } from '../../../detection/reports.js';
import { DEFAULT_RULES, detect, type DetectionRules } from '../../../detection/rules.js';
import { Random } from '../../../simulator/random.js';
import { isInflationFlag, type Flag } from '../../../contract/flag.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 5);
const all = { from: 0, to: Date.UTC(2100, 0, 1) };

interface Shift {
  employee: string;
  station?: string;
  day: number;
  /** Relative errors of the report (0 = reported exactly what was measured). */
  units?: number;
  hours?: number;
  /** Defective units found minus admitted. */
  defectsShort?: number;
  selfScoreAbove?: number;
  /** Measured side: share of the usual telemetry hours and of the usual output per run hour. */
  telemetryShare?: number;
  outputShare?: number;
  deadLetters?: { production: number; telemetry: number };
}

/** One report: the measured side of a steady operator (200 units, 6.4 run hours over 8 telemetry hours), the report as told. */
function record(s: Shift): SelfReportRecord {
  const telemetryShare = s.telemetryShare ?? 1;
  const runHours = 6.4 * telemetryShare;
  const standardHours = 6.0 * telemetryShare * (s.outputShare ?? 1);
  const units = Math.round(200 * telemetryShare * (s.outputShare ?? 1));
  const found = 8;
  return {
    employeeId: s.employee,
    stationId: s.station ?? 'S1',
    window: { start: T0 + s.day * DAY, end: T0 + (s.day + 1) * DAY },
    period: { start: T0 + s.day * DAY, end: T0 + (s.day + 1) * DAY },
    // An honest operator reports what they did: a gap in the measurement does not show in the report.
    reported: {
      units: Math.round(200 * (1 + (s.units ?? 0))),
      runHours: Math.round(100 * 6.4 * (1 + (s.hours ?? 0))) / 100,
      defectiveUnits: found - (s.defectsShort ?? 0),
      selfScore: 80 + (s.selfScoreAbove ?? 0),
    },
    measured: { units, standardHours, runHours, defectiveUnits: found, score: 80 },
    coverage: { telemetryHours: 8 * telemetryShare, deadLetters: s.deadLetters ?? { production: 0, telemetry: 0 } },
  };
}

/** A station of honest operators, `days` shifts each, whose reports are off by up to ±spread (uniform), seeded. */
function honestStation(station: string, people: number, days: number, spread: number, seed = 1): SelfReportRecord[] {
  const r = new Random(seed, 'honest', station);
  return Array.from({ length: people * days }, (_, i) =>
    record({
      employee: `${station}-E${i % people}`,
      station,
      day: Math.floor(i / people),
      units: r.uniform(-spread, spread),
      hours: r.uniform(-spread, spread),
      defectsShort: r.chance(0.1) ? r.pick([-1, 1]) : 0,
      selfScoreAbove: r.uniform(-2, 2),
    }),
  );
}

/** A station of operators who report exactly what was measured: its honest spread is the floor (±2% for units). */
function exactStation(station: string, people: number, days: number): SelfReportRecord[] {
  return Array.from({ length: people * days }, (_, i) => record({ employee: `${station}-E${i % people}`, station, day: Math.floor(i / people) }));
}

/** What a manager reads: each flag of the person, by figure and method. */
const explained = (flags: readonly Flag[], employee: string) =>
  flags.filter((f) => f.employeeId === employee).map((f) => ({ kind: f.kind, method: f.method, explanation: f.explanation }));

const inflationFlags = (flags: readonly Flag[], employee?: string) =>
  flags.filter((f) => isInflationFlag(f) && (employee === undefined || f.employeeId === employee));

test('honest reports typed from memory, off a few percent either way, raise no flag', () => {
  const records = [...honestStation('S1', 12, 20, 0.03), ...honestStation('S2', 12, 20, 0.08)];
  expect(detect(records, all)).toEqual([]);
});

test('reporting more than was measured on most shifts is flagged by the evidence over time, in a line a manager can check', () => {
  const r = new Random(7, 'inflator');
  const inflator = Array.from({ length: 12 }, (_, day) =>
    record({ employee: 'E-up', day, units: day % 5 === 2 ? r.uniform(-0.02, 0.02) : 0.12, hours: r.uniform(-0.02, 0.02) }),
  );
  const flags = detect([...honestStation('S1', 12, 12, 0.04), ...inflator], all);
  const mine = inflationFlags(flags, 'E-up');
  expect(mine.length).toBeGreaterThan(0);
  expect(mine.every((f) => f.kind === 'units_overclaim' && f.method === 'sequential')).toBe(true);
  // The windows that carry the evidence are flagged; the honest days in between are not.
  const flaggedDays = new Set(mine.map((f) => (f.windowStart - T0) / DAY));
  for (const day of [2, 7]) expect(flaggedDays.has(day)).toBe(false);
  expect(flaggedDays.has(0)).toBe(true);
  expect(mine[0]!.explanation).toMatch(
    /^Reported more units than the MES counted on \d+ of \d+ shifts from 2026-10-\d\d to 2026-10-\d\d, \d+\.\d% more on average; honest reports at S1 differ by ±\d\.\d%\.$/,
  );
  // Evidence over the first few shifts suffices: the decision is recorded, and it reads no further than that shift.
  const decided = Math.min(...mine.map((f) => Date.parse(String(f.evidence.decided_at))));
  expect((decided - T0) / DAY).toBeLessThanOrEqual(3);
  expect(mine[0]!.evidence).toMatchObject({ honest_spread: { scope: 'station', station: 'S1' } });
  expect(inflationFlags(flags).every((f) => f.employeeId === 'E-up')).toBe(true);
});

test("one report far outside any plausible honest error is flagged on its own; a new person's first reports only by evidence over time", () => {
  const veteran = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-old', day, units: day === 6 ? 0.6 : 0 }));
  const newcomer = Array.from({ length: 3 }, (_, day) => record({ employee: 'E-new', day: 5 + day, units: day === 1 ? 0.6 : 0 }));
  const flags = detect([...honestStation('S1', 12, 8, 0.02), ...veteran, ...newcomer], all);
  const [single] = inflationFlags(flags, 'E-old');
  expect(single).toMatchObject({ kind: 'units_overclaim', method: 'single_window', severity: 'high', reported: 320, measured: 200 });
  expect(single!.explanation).toMatch(/^Reported 320 units for 2026-10-11, the MES counted 200 \(\+60\.0%\); honest reports at S1 differ by ±\d\.\d%\.$/);
  // Until their usual machine time and output are known, a gap could hide in one report.
  expect(inflationFlags(flags, 'E-new')).toEqual([]);
});

test('the band is learned per station: an excess that is noise where counts come from a tally is evidence where they come from scanners', () => {
  const steady = (employee: string, station: string) => Array.from({ length: 15 }, (_, day) => record({ employee, station, day, units: 0.07 }));
  const flags = detect(
    [...honestStation('SCAN', 12, 15, 0.01), ...honestStation('TALLY', 12, 15, 0.12), ...steady('E-scan', 'SCAN'), ...steady('E-tally', 'TALLY')],
    all,
  );
  expect(inflationFlags(flags, 'E-scan').length).toBeGreaterThan(0);
  expect(inflationFlags(flags, 'E-tally')).toEqual([]);
});

test('the honest spread is learned without the people flagged', () => {
  const inflators = ['A', 'B', 'C'].flatMap((name) => Array.from({ length: 12 }, (_, day) => record({ employee: `E-${name}`, day, units: 0.3 })));
  const flags = detect([...honestStation('S1', 10, 12, 0.02), ...inflators], all);
  const evidence = inflationFlags(flags, 'E-A')[0]!.evidence as { honest_spread: { people: number; sigma: number } };
  expect(evidence.honest_spread.people).toBe(10);
  expect(evidence.honest_spread.sigma).toBeLessThan(0.02);
});

test("a person whose honest reports vary more than their station's is judged against their own spread", () => {
  const r = new Random(3, 'wide');
  const wide = Array.from({ length: 20 }, (_, day) => record({ employee: 'E-wide', day, units: r.uniform(-0.12, 0.12) }));
  expect(inflationFlags(detect([...honestStation('S1', 12, 20, 0.02), ...wide], all))).toEqual([]);
});

test('missing measurements are never an accusation: the report gets a measurement_gap flag and is not judged on what the gap touches', () => {
  const history = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-gap', day }));
  const gaps: [Shift, RegExp][] = [
    [
      { employee: 'E-gap', day: 8, telemetryShare: 5 / 8 },
      /the IoT gateway reported on 5\.0 h of the 24\.0-hour period, this operator's usual is 8\.0 h; units, run hours, self-score not judged/,
    ],
    [{ employee: 'E-gap', day: 9, outputShare: 0.6 }, /the MES counted 40% less output per run hour than this operator's usual; units, self-score not judged/],
    [{ employee: 'E-gap', day: 10, deadLetters: { production: 0, telemetry: 2 } }, /2 telemetry record\(s\) of the period were dead-lettered/],
    [
      { employee: 'E-gap', day: 11, deadLetters: { production: 1, telemetry: 0 } },
      /1 production record\(s\) of the period were dead-lettered; units, self-score not judged/,
    ],
    [{ employee: 'E-gap', day: 12, telemetryShare: 0 }, /the IoT gateway sent no telemetry for the period/],
    [{ employee: 'E-gap', day: 13, outputShare: 0 }, /the MES counted no units while 200 are reported/],
  ];
  // Each gap shifts the honest report far above what was measured (a station outage, day after day, would too).
  const flags = detect([...honestStation('S1', 12, 14, 0.02), ...history, ...gaps.map(([s]) => record(s))], all);
  expect(inflationFlags(flags, 'E-gap')).toEqual([]);
  const gapFlags = flags.filter((f) => f.kind === 'measurement_gap');
  expect(gapFlags.map((f) => (f.windowStart - T0) / DAY)).toEqual([8, 9, 10, 11, 12, 13]);
  for (const [i, [, text]] of gaps.entries()) expect(gapFlags[i]!.explanation).toMatch(text);
  expect(gapFlags.every((f) => f.method === 'coverage' && f.severity === 'low' && f.z === null)).toBe(true);
});

test("a shortfall too small to call a gap, inside the person's day-to-day variation, cannot make one report an accusation", () => {
  // This operator's output per run hour varies by ±6%; one day the MES missed 10% of the units (no gap is certain).
  const days = [1.06, 0.94, 1.0, 1.05, 0.95, 1.0, 1.06, 0.94].map((outputShare, day) =>
    record({ employee: 'E-var', day, outputShare, units: outputShare - 1 }),
  );
  const dip = record({ employee: 'E-var', day: 8, outputShare: 0.9, units: 0 });
  const flags = detect([...honestStation('S1', 12, 9, 0.01), ...days, dip], all);
  expect(dip.reported.units / dip.measured.units - 1).toBeCloseTo(0.111, 3);
  expect(flags.filter((f) => f.employeeId === 'E-var')).toEqual([]);
});

test('a gap leaves the figures it does not touch judged: defects come from inspections', () => {
  const history = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-both', day }));
  const flags = detect(
    [...honestStation('S1', 12, 9, 0.02), ...history, record({ employee: 'E-both', day: 8, telemetryShare: 0.5, units: 0.5, defectsShort: 6 })],
    all,
  );
  expect(
    flags
      .filter((f) => f.employeeId === 'E-both')
      .map((f) => f.kind)
      .sort(),
  ).toEqual(['defects_underreport', 'measurement_gap']);
});

test('only reports inside the range are flagged; earlier ones are history that carries evidence forward', () => {
  const inflator = Array.from({ length: 10 }, (_, day) => record({ employee: 'E-long', day, units: 0.12 }));
  const range = { from: T0 + 7 * DAY, to: T0 + 10 * DAY };
  const flags = inflationFlags(detect([...honestStation('S1', 12, 10, 0.04), ...inflator], range));
  expect(flags.map((f) => (f.windowStart - T0) / DAY)).toEqual([7, 8, 9]);
  expect(flags[0]!.explanation).toContain('on 10 of 10 shifts from 2026-10-05 to 2026-10-14');
  expect(flags[0]!.evidence.shifts).toHaveLength(10);
});

test('severity follows the evidence: how far, and how strong', () => {
  const people = [
    ...Array.from({ length: 12 }, (_, day) => record({ employee: 'E-far', day, units: 0.4 })),
    ...Array.from({ length: 12 }, (_, day) => record({ employee: 'E-near', day, units: 0.06 })),
  ];
  const flags = inflationFlags(detect([...honestStation('S1', 12, 12, 0.02), ...people], all));
  const severities = (employee: string) => new Set(flags.filter((f) => f.employeeId === employee).map((f) => f.severity));
  expect(severities('E-far')).toEqual(new Set(['high']));
  expect(severities('E-near').has('high')).toBe(false);
});

test('a self-score is judged only where the measured score leaves room to over-claim', () => {
  const capped = Array.from({ length: 10 }, (_, day) => ({
    ...record({ employee: 'E-top', day }),
    measured: { ...record({ employee: 'E-top', day }).measured, score: 100 },
    reported: { ...record({ employee: 'E-top', day }).reported, selfScore: 100 },
  }));
  const inflated = Array.from({ length: 10 }, (_, day) => record({ employee: 'E-self', day, selfScoreAbove: 15 }));
  const flags = inflationFlags(detect([...honestStation('S1', 12, 10, 0.02), ...capped, ...inflated], all));
  expect(flags.filter((f) => f.employeeId === 'E-top')).toEqual([]);
  expect(flags.filter((f) => f.employeeId === 'E-self').every((f) => f.kind === 'self_score_inflated')).toBe(true);
  expect(flags.some((f) => f.employeeId === 'E-self')).toBe(true);
});

test("a report flagged on its own names the spread it was judged by: its station's, or the plant's where the station has too few reports", () => {
  const atStation = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-old', day, units: day === 6 ? 0.6 : 0 }));
  const alone = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-alone', station: 'S3', day, units: day === 6 ? 0.6 : 0 }));
  const flags = detect([...exactStation('S1', 12, 8), ...atStation, ...alone], all);
  expect(explained(flags, 'E-old')).toEqual([
    {
      kind: 'units_overclaim',
      method: 'single_window',
      explanation: 'Reported 320 units for 2026-10-11, the MES counted 200 (+60.0%); honest reports at S1 differ by ±2.0%.',
    },
  ]);
  expect(explained(flags, 'E-alone')).toEqual([
    {
      kind: 'units_overclaim',
      method: 'single_window',
      explanation: 'Reported 320 units for 2026-10-11, the MES counted 200 (+60.0%); honest reports across the plant differ by ±2.0%.',
    },
  ]);
});

test("a report judged by the person's own spread says so", () => {
  // S1 is learned from a wide honest operator, a gross inflator and E-own: its spread is at the 25% ceiling, so E-own's +60% is no outlier there. Without the
  // inflator (flagged in the first round) S1 has too few people and the plant's ±2% applies: E-own's own reports below it vary by
  // ±14.8%, and are the spread E-own is judged by.
  const wide = Array.from({ length: 30 }, (_, day) => record({ employee: 'E-wide', day, units: day % 2 ? 0.1 : -0.1 }));
  const inflator = Array.from({ length: 10 }, (_, day) => record({ employee: 'E-huge', day, units: 2 }));
  const own = Array.from({ length: 10 }, (_, day) => record({ employee: 'E-own', day, units: day === 9 ? 0.6 : -0.05 }));
  const flags = detect([...exactStation('S2', 12, 10), ...wide, ...inflator, ...own], all);
  expect(explained(flags, 'E-own')).toEqual([
    {
      kind: 'units_overclaim',
      method: 'single_window',
      explanation: 'Reported 320 units for 2026-10-14, the MES counted 200 (+60.0%); honest reports of this person differ by ±14.8%.',
    },
  ]);
});

test('defective units and self-scores flagged on their own read in their own units, with the sign of the excess', () => {
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-one', day, defectsShort: day === 6 ? 6 : 0, selfScoreAbove: day === 6 ? 15 : 0 }));
  expect(explained(detect([...exactStation('S1', 12, 8), ...person], all), 'E-one')).toEqual([
    {
      kind: 'defects_underreport',
      method: 'single_window',
      explanation: 'Reported 2 defective units for 2026-10-11, inspections found 8 (+6.0); honest reports at S1 differ by ±1.0.',
    },
    {
      kind: 'self_score_inflated',
      method: 'single_window',
      explanation: 'Reported 95.0 self-score for 2026-10-11, the measured score is 80.0 (+15.0 points); honest reports at S1 differ by ±2.0 points.',
    },
  ]);
});

test("evidence over time reads in the figure's own unit: self-scores so many points higher, defective units so many fewer", () => {
  const scores = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-score', day, selfScoreAbove: 3 }));
  const defects = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-defects', day, defectsShort: 2 }));
  const flags = detect([...exactStation('S1', 12, 8), ...scores, ...defects], all);
  const sequential = (employee: string) => new Set(explained(flags, employee).map((f) => `${f.kind} ${f.method}: ${f.explanation}`));
  expect(sequential('E-score')).toEqual(
    new Set([
      'self_score_inflated sequential: Reported a higher self-score than the measured score on 8 of 8 shifts from 2026-10-05 to 2026-10-12, 3.0 points higher on average; honest reports at S1 differ by ±2.0 points.',
    ]),
  );
  expect(sequential('E-defects')).toEqual(
    new Set([
      'defects_underreport sequential: Reported fewer defective units than inspections found on 8 of 8 shifts from 2026-10-05 to 2026-10-12, 2.0 fewer on average; honest reports at S1 differ by ±1.0.',
    ]),
  );
});

test('evidence gathered where the honest spread is narrow can average below the measured figure: the explanation says "less"', () => {
  // S2's honest reports are off by ±40%: E-mover's −20% there weighs little against +5% at S1, where honest reports are exact.
  const wideStation = Array.from({ length: 96 }, (_, i) =>
    record({ employee: `S2-E${i % 12}`, station: 'S2', day: Math.floor(i / 12), units: i % 2 ? 0.4 : -0.4 }),
  );
  const mover = Array.from({ length: 15 }, (_, day) => record({ employee: 'E-mover', station: day % 2 ? 'S2' : 'S1', day, units: day % 2 ? -0.2 : 0.05 }));
  const flags = detect([...exactStation('S1', 12, 8), ...wideStation, ...mover], all);
  expect(flags.filter((f) => f.employeeId === 'E-mover').map((f) => (f.windowStart - T0) / DAY)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  expect(new Set(explained(flags, 'E-mover').map((f) => f.explanation))).toEqual(
    new Set([
      'Reported more units than the MES counted on 8 of 15 shifts from 2026-10-05 to 2026-10-19, 6.7% less on average; honest reports at S1 differ by ±2.0%.',
    ]),
  );
});

test('severity of a report flagged on its own: medium from an excess of `medium` or a z of `strength` single-window z, high only with both; each bound counts when met', () => {
  // +50% against the ±6.25% units floor is z 8, twice a single-window z of 4: exact in binary, so each bound can be met exactly.
  const spike = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-spike', day, units: day === 6 ? 0.5 : 0 }));
  const rules = (severity: DetectionRules['severity']): DetectionRules => ({
    ...DEFAULT_RULES,
    single: { z: 4 },
    spread: { ...DEFAULT_RULES.spread, floor: { ...DEFAULT_RULES.spread.floor, units_overclaim: 0.0625 } },
    severity,
  });
  const severity = (bounds: DetectionRules['severity']) =>
    inflationFlags(detect([...exactStation('S1', 12, 8), ...spike], all, rules(bounds))).map((f) => `${f.method} ${f.severity}`);
  // Strength exactly at its bound, the excess below `medium`: medium; a weaker z: low.
  expect(severity({ medium: 1, high: 1, strength: 2 })).toEqual(['single_window medium']);
  expect(severity({ medium: 1, high: 1, strength: 2.5 })).toEqual(['single_window low']);
  // The excess exactly at `medium`, z too weak: medium; a higher bound: low.
  expect(severity({ medium: 0.5, high: 1, strength: 4 })).toEqual(['single_window medium']);
  expect(severity({ medium: 0.625, high: 1, strength: 4 })).toEqual(['single_window low']);
  // Strong, the excess exactly at `high`: high; a higher bound, or too weak a z: medium.
  expect(severity({ medium: 0.25, high: 0.5, strength: 2 })).toEqual(['single_window high']);
  expect(severity({ medium: 0.25, high: 0.625, strength: 2 })).toEqual(['single_window medium']);
  expect(severity({ medium: 0.25, high: 0.5, strength: 2.5 })).toEqual(['single_window medium']);
});

test('a self-score measured at 100 teaches nothing about the honest spread of self-scores', () => {
  const capped = Array.from({ length: 8 }, (_, day) => {
    const r = record({ employee: 'E-top', day, selfScoreAbove: -5 });
    return { ...r, measured: { ...r.measured, score: 100 } };
  });
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-one', day, selfScoreAbove: day === 6 ? 15 : 0 }));
  const [flag] = inflationFlags(detect([...exactStation('S1', 12, 8), ...capped, ...person], all));
  expect(flag).toMatchObject({ employeeId: 'E-one', kind: 'self_score_inflated', method: 'single_window' });
  expect(flag!.evidence.honest_spread).toEqual({ scope: 'station', station: 'S1', location: 0, sigma: 1, learned_sigma: 1, reports: 96, people: 12 });
});

test('a report whose period starts exactly at the end of the range belongs to the next run; one starting at its beginning to this one', () => {
  const history = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-gap', day }));
  const outages = [8, 9, 10].map((day) => record({ employee: 'E-gap', day, telemetryShare: 0 }));
  const flags = detect([...exactStation('S1', 12, 11), ...history, ...outages], { from: T0 + 9 * DAY, to: T0 + 10 * DAY });
  expect(flags.map((f) => `${f.kind} ${(f.windowStart - T0) / DAY}`)).toEqual(['measurement_gap 9']);
});

test('where every honest report runs above the count (a scanner that misses some), the band is measured around that excess, not around the count', () => {
  const station = Array.from({ length: 96 }, (_, i) => record({ employee: `S1-E${i % 12}`, day: Math.floor(i / 12), units: 0.1 }));
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-one', day, units: day === 6 ? 0.7 : 0.1 }));
  const flags = detect([...station, ...person], all);
  expect(flags.map((f) => `${f.employeeId} ${f.kind} ${f.method}: ${f.explanation}`)).toEqual([
    'E-one units_overclaim single_window: Reported 340 units for 2026-10-11, the MES counted 200 (+70.0%); honest reports at S1 differ by ±2.0%.',
  ]);
  expect((flags[0]!.evidence as { honest_spread: { location: number } }).honest_spread.location).toBeCloseTo(0.1, 12);
});

test('where everyone reporting is flagged, no honest report is left to learn from: a gross over-claim is judged against the widest band, around no excess', () => {
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-solo', day, units: day === 6 ? 2 : 0 }));
  const flags = detect(person, all);
  expect(flags.map((f) => `${f.kind} ${f.method}: ${f.explanation}`)).toEqual([
    'units_overclaim single_window: Reported 600 units for 2026-10-11, the MES counted 200 (+200.0%); honest reports across the plant differ by ±50.0%.',
  ]);
  expect(flags[0]!.evidence.honest_spread).toEqual({ scope: 'plant', station: 'S1', location: 0, sigma: 0.25, learned_sigma: 0.25, reports: 0, people: 0 });
});

test('a measurement_gap flag shows the figure the gap touches: run hours where telemetry is missing, else units, and how far the report is from it', () => {
  const history = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-gap', day }));
  const both = record({ employee: 'E-gap', day: 8, hours: 0.25, deadLetters: { production: 1, telemetry: 2 } });
  const production = record({ employee: 'E-gap', day: 9, units: 0.1, deadLetters: { production: 1, telemetry: 0 } });
  const nothing = record({ employee: 'E-gap', day: 10, outputShare: 0 });
  const flags = detect([...exactStation('S1', 12, 11), ...history, both, production, nothing], all).filter((f) => f.kind === 'measurement_gap');
  const gap = (r: SelfReportRecord, day: string) => ({
    employeeId: 'E-gap',
    stationId: 'S1',
    windowStart: r.window.start,
    windowEnd: r.window.end,
    kind: 'measurement_gap',
    method: 'coverage',
    severity: 'low',
    z: null,
    evidence: { window: day, reported: r.reported, measured: r.measured, telemetry_hours: 8 },
  });
  expect(flags).toEqual([
    {
      ...gap(both, '2026-10-13'),
      reported: 8,
      measured: 6.4,
      deviation: 0.25,
      explanation:
        'Measurement gap for 2026-10-13: 2 telemetry record(s) of the period were dead-lettered; 1 production record(s) of the period were dead-lettered; units, run hours, self-score not judged.',
      evidence: {
        ...gap(both, '2026-10-13').evidence,
        gaps: [
          { source: 'telemetry', reason: 'dead_letters', records: 2 },
          { source: 'production', reason: 'dead_letters', records: 1 },
        ],
        not_judged: ['units', 'run hours', 'self-score'],
      },
    },
    {
      ...gap(production, '2026-10-14'),
      reported: 220,
      measured: 200,
      deviation: 220 / 200 - 1,
      explanation: 'Measurement gap for 2026-10-14: 1 production record(s) of the period were dead-lettered; units, self-score not judged.',
      evidence: {
        ...gap(production, '2026-10-14').evidence,
        gaps: [{ source: 'production', reason: 'dead_letters', records: 1 }],
        not_judged: ['units', 'self-score'],
      },
    },
    // Nothing measured: no share of it can be told.
    {
      ...gap(nothing, '2026-10-15'),
      reported: 200,
      measured: 0,
      deviation: 0,
      explanation: 'Measurement gap for 2026-10-15: the MES counted no units while 200 are reported; units, self-score not judged.',
      evidence: { ...gap(nothing, '2026-10-15').evidence, gaps: [{ source: 'production', reason: 'nothing_measured' }], not_judged: ['units', 'self-score'] },
    },
  ]);
});

test('a sequential flag shows every shift of its evidence, the evidence reaching the threshold, and a severity from the average relative excess', () => {
  // 2 of 8 defective units left out on every shift but one, where the report is exact: an average relative excess of 7 × 25% / 8.
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-defects', day, defectsShort: day === 3 ? 0 : 2 }));
  const rules = (medium: number): DetectionRules => ({ ...DEFAULT_RULES, severity: { medium, high: 1, strength: 1000 } });
  const flags = (medium: number) => inflationFlags(detect([...exactStation('S1', 12, 8), ...person], all, rules(medium)));
  const [first, ...rest] = flags(0.21875);
  const shift = (day: number, reported: number) => ({
    period: `2026-10-${String(5 + day).padStart(2, '0')}`,
    reported,
    measured: 8,
    error: 8 - reported,
    z: (8 - reported) / 0.5,
  });
  expect(first).toMatchObject({ windowStart: T0, severity: 'medium' });
  expect(first!.evidence).toEqual({
    window: '2026-10-05',
    shifts: Array.from({ length: 8 }, (_, day) => shift(day, day === 3 ? 8 : 6)),
    above: 7,
    mean_error: 1.75,
    // Seven shifts of z 4 and one of z 0, each less the reference 0.75; fewer than 100 honest reports: normal errors are assumed (θ* = 1.5).
    evidence_sum: 22,
    threshold: Math.log(1e4) / 1.5,
    reference: 0.75,
    exponent: 1.5,
    false_alarm_rate: 1e-4,
    decided_at: '2026-10-06T00:00:00.000Z',
    honest_spread: { scope: 'station', station: 'S1', location: 0, sigma: 0.5, learned_sigma: 0.5, reports: 96, people: 12 },
  });
  expect(first!.explanation).toBe(
    'Reported fewer defective units than inspections found on 7 of 8 shifts from 2026-10-05 to 2026-10-12, 1.8 fewer on average; honest reports at S1 differ by ±1.0.',
  );
  expect(rest.map((f) => f.severity)).toEqual(['medium', 'medium', 'medium', 'medium', 'medium', 'medium']);
  expect(flags(0.21876).map((f) => f.severity)).toEqual(['low', 'low', 'low', 'low', 'low', 'low', 'low']);
});

test('run hours flagged on their own read to the hundredth of an hour', () => {
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-hours', day, hours: day === 6 ? 0.6 : 0 }));
  expect(explained(detect([...exactStation('S1', 12, 8), ...person], all), 'E-hours')).toEqual([
    {
      kind: 'run_hours_overclaim',
      method: 'single_window',
      explanation: 'Reported 10.24 run hours for 2026-10-11, the machines measured 6.40 (+60.0%); honest reports at S1 differ by ±2.0%.',
    },
  ]);
});

test('honest errors that vary less than the floor keep their own spread for the threshold, while the band is widened to the floor', () => {
  // Honest reports off by one unit of 200 either way: a robust sd of 0.5% × 1.4826, below the 1% floor for units.
  const station = Array.from({ length: 96 }, (_, i) => record({ employee: `S1-E${i % 12}`, day: Math.floor(i / 12), units: i % 2 ? 0.005 : -0.005 }));
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-one', day, units: day === 6 ? 0.6 : 0 }));
  const [flag] = inflationFlags(detect([...station, ...person], all));
  expect(flag!.evidence.honest_spread).toEqual({
    scope: 'station',
    station: 'S1',
    location: 0,
    sigma: 0.01,
    learned_sigma: expect.closeTo(1.4826 * 0.005, 15),
    reports: 96,
    people: 12,
  });
});

test('a station learns its own spread from exactly `minReports` honest reports; with one fewer, the plant-wide spread applies', () => {
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-old', day, units: day === 6 ? 0.6 : 0 }));
  // Without E-old (flagged in the first round) S1 has 96 honest reports.
  const scope = (minReports: number) =>
    inflationFlags(detect([...exactStation('S1', 12, 8), ...person], all, { ...DEFAULT_RULES, spread: { ...DEFAULT_RULES.spread, minReports } })).map(
      (f) => (f.evidence.honest_spread as { scope: string }).scope,
    );
  expect(scope(96)).toEqual(['station']);
  expect(scope(97)).toEqual(['plant']);
});

test("the sequential threshold is learned from the honest reports' errors over their spread, not from the people flagged", () => {
  // Honest reports run 10% above the count, ±3%; E-up over-claims by 30%, and under-reports by 30% on two shifts.
  const r = new Random(5, 'threshold');
  const station = Array.from({ length: 120 }, (_, i) =>
    record({ employee: `S1-E${i % 12}`, day: Math.floor(i / 12), units: 0.1 + (i % 10 === 0 ? r.pick([-0.04, 0.04]) : r.uniform(-0.02, 0.02)) }),
  );
  const up = Array.from({ length: 10 }, (_, day) => record({ employee: 'E-up', day, units: day === 4 || day === 5 ? -0.3 : 0.3 }));
  const other = Array.from({ length: 10 }, (_, day) => record({ employee: 'E-other', day, units: 0.3 }));
  // No report is flagged on its own here: only the evidence over time, which carries the threshold.
  const rules: DetectionRules = { ...DEFAULT_RULES, single: { z: 100 } };
  const learned = (person: SelfReportRecord[]) =>
    inflationFlags(detect([...station, ...person], all, rules)).map((f) => ({
      threshold: f.evidence.threshold as number,
      exponent: f.evidence.exponent as number,
    }))[0];
  // The honest errors' tail (a tenth of them 4% off) sets θ* well inside its bounds; the threshold follows from it.
  const { threshold, exponent } = learned(up)!;
  expect(exponent).toBeCloseTo(1.1505017, 6);
  expect(threshold).toBe(Math.log(1e4) / exponent);
  expect(learned(other)).toEqual({ threshold, exponent });
});

test("a person who reports from several stations is tested against the most careful one's threshold, wherever in their history it lies", () => {
  // S2's honest errors have a tail (a tenth of them 4% off): its own threshold is more careful than the plant's; S1's reports are exact.
  const r = new Random(5, 'threshold');
  const wide = Array.from({ length: 120 }, (_, i) =>
    record({ employee: `S2-E${i % 12}`, station: 'S2', day: Math.floor(i / 12), units: 0.1 + (i % 10 === 0 ? r.pick([-0.04, 0.04]) : r.uniform(-0.02, 0.02)) }),
  );
  // E-mover reports from S2 only in the middle of their history.
  const mover = Array.from({ length: 10 }, (_, day) =>
    day === 4 || day === 5 ? record({ employee: 'E-mover', station: 'S2', day, units: 0.15 }) : record({ employee: 'E-mover', day, units: 0.05 }),
  );
  const rules: DetectionRules = { ...DEFAULT_RULES, single: { z: 100 } };
  const flags = inflationFlags(detect([...exactStation('S1', 12, 10), ...wide, ...mover], all, rules), 'E-mover');
  expect(flags.length).toBeGreaterThan(0);
  for (const f of flags) expect(f.evidence.exponent).toBeCloseTo(1.1505017, 6);
});

test("a person's own spread is learned from at least `personMinReports` reports strictly below the honest location", () => {
  // Seven reports 10% short and one exact: too few below S1's location of 0, so the +60% is judged against S1's ±2%.
  const seven = Array.from({ length: 9 }, (_, day) => record({ employee: 'E-seven', day, units: day === 8 ? 0.6 : day === 7 ? 0 : -0.1 }));
  expect(explained(detect([...exactStation('S1', 12, 9), ...seven], all), 'E-seven')).toEqual([
    {
      kind: 'units_overclaim',
      method: 'single_window',
      explanation: 'Reported 320 units for 2026-10-13, the MES counted 200 (+60.0%); honest reports at S1 differ by ±2.0%.',
    },
  ]);
});

test("a person's own spread counts from exactly `personFactor` times the station's", () => {
  // Eight reports admitting one defective unit more than found: an own spread of 1.4826, exactly 2 × 1.4826 × S1's floor of 0.5.
  // Against it the 6 left out are z 4.05, below a single-window z of 5; against S1's floor, z 12.
  const person = Array.from({ length: 9 }, (_, day) => record({ employee: 'E-own', day, defectsShort: day === 8 ? 6 : -1 }));
  const rules = (personFactor: number): DetectionRules => ({ ...DEFAULT_RULES, single: { z: 5 }, spread: { ...DEFAULT_RULES.spread, personFactor } });
  const explain = (personFactor: number) => explained(detect([...exactStation('S1', 12, 9), ...person], all, rules(personFactor)), 'E-own');
  expect(explain(2 * 1.4826)).toEqual([]);
  expect(explain(3)).toEqual([
    {
      kind: 'defects_underreport',
      method: 'single_window',
      explanation: 'Reported 2 defective units for 2026-10-13, inspections found 8 (+6.0); honest reports at S1 differ by ±1.0.',
    },
  ]);
});

test('a report flagged on its own needs a z of at least `single.z` and a difference of at least `material`; each bound counts when met', () => {
  // 2 points above the measured score against S1's 1-point floor: z 2.
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-one', day, selfScoreAbove: day === 6 ? 2 : 0 }));
  const rules = (z: number, material: number): DetectionRules => ({
    ...DEFAULT_RULES,
    single: { z },
    material: { ...DEFAULT_RULES.material, self_score_inflated: material },
  });
  const methods = (z: number, material: number) =>
    inflationFlags(detect([...exactStation('S1', 12, 8), ...person], all, rules(z, material))).map((f) => `${f.kind} ${f.method}`);
  expect(methods(2, 2)).toEqual(['self_score_inflated single_window']);
  expect(methods(2.5, 2)).toEqual([]);
  expect(methods(2, 2.5)).toEqual([]);
});

test('a report flagged on its own is not flagged again by the evidence over time it belongs to', () => {
  const person = Array.from({ length: 10 }, (_, day) => record({ employee: 'E-up', day, defectsShort: day === 5 ? 6 : 2 }));
  const flags = inflationFlags(detect([...exactStation('S1', 12, 10), ...person], all), 'E-up');
  expect(flags.map((f) => `${(f.windowStart - T0) / DAY} ${f.method}`)).toEqual([
    '5 single_window',
    ...[0, 1, 2, 3, 4, 6, 7, 8, 9].map((day) => `${day} sequential`),
  ]);
});

test('a window carries the evidence from a z of exactly `windowZ`; a weaker one in the stretch is not flagged', () => {
  // 2 of 8 defective units left out (z 4) on every shift but one, where 1 is (z 2).
  const person = Array.from({ length: 8 }, (_, day) => record({ employee: 'E-defects', day, defectsShort: day === 3 ? 1 : 2 }));
  const rules: DetectionRules = { ...DEFAULT_RULES, sequential: { ...DEFAULT_RULES.sequential, windowZ: 4 } };
  const flags = inflationFlags(detect([...exactStation('S1', 12, 8), ...person], all, rules));
  expect(flags.map((f) => `${(f.windowStart - T0) / DAY} ${f.method}`)).toEqual([0, 1, 2, 4, 5, 6, 7].map((day) => `${day} sequential`));
});

test("a window in the evidence is flagged from exactly half the relative excess typical of the stretch's carrying windows", () => {
  // Defective units left out per shift (of 8 found): exact shifts before the stretch and inside it, 4 left out (50%) mostly, once 2 (25%, exactly half), once 1.
  const short = [0, 0, 0, 4, 4, 0, 0, 4, 1, 0, 0, 2, 4, 4];
  const person = short.map((defectsShort, day) => record({ employee: 'E-defects', day, defectsShort }));
  const rules: DetectionRules = { ...DEFAULT_RULES, single: { z: 100 } };
  const flags = inflationFlags(detect([...exactStation('S1', 12, 14), ...person], all, rules));
  // The one with 1 left out (12.5%) is in the evidence, but less than half the typical 50%; the exact shifts in it do not lower that typical excess.
  expect(flags.map((f) => `${(f.windowStart - T0) / DAY} ${f.method}`)).toEqual([3, 4, 7, 11, 12, 13].map((day) => `${day} sequential`));
  // The exact shifts before the stretch are not part of it.
  expect(flags[0]!.explanation).toBe(
    'Reported fewer defective units than inspections found on 7 of 11 shifts from 2026-10-08 to 2026-10-18, 2.1 fewer on average; honest reports at S1 differ by ±1.0.',
  );
});

test('evidence over time whose errors average exactly nothing reads "0.0% more"', () => {
  // S2's honest reports are off by ±40%: E-mover's −50% there weighs little against +25% at S1 twice, where honest reports are exact.
  const wideStation = Array.from({ length: 96 }, (_, i) =>
    record({ employee: `S2-E${i % 12}`, station: 'S2', day: Math.floor(i / 12), units: i % 2 ? 0.4 : -0.4 }),
  );
  const mover = [0.25, -0.5, 0.25].map((units, day) => record({ employee: 'E-mover', station: day === 1 ? 'S2' : 'S1', day, units }));
  const rules: DetectionRules = { ...DEFAULT_RULES, single: { z: 100 } };
  const flags = detect([...exactStation('S1', 12, 8), ...wideStation, ...mover], all, rules);
  // +25%, −50% and +25% are exact in binary: the mean error is exactly 0.
  const line = {
    kind: 'units_overclaim',
    method: 'sequential',
    explanation:
      'Reported more units than the MES counted on 2 of 3 shifts from 2026-10-05 to 2026-10-07, 0.0% more on average; honest reports at S1 differ by ±2.0%.',
  };
  expect(explained(flags, 'E-mover')).toEqual([line, line]);
});
