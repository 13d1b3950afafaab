import { buildCharts } from '../../../reporting/charts.js';
import { buildFigures, flaggedEmployeeIds, flagStanding, sharesOf, type ReportInputs } from '../../../reporting/figures.js';
import { echartsBundle, renderHtml } from '../../../reporting/html.js';
import type { EmployeeGrade, ReportFlag, StationCalibration } from '../../../sinks/clickhouse/queries/report.js';
import { FLAG_STATUSES, type FlagStatus } from '../../../contract/flag.js';
import { flagId } from '../../../contract/flagId.js';

const DAY = 86_400_000;
const FROM = Date.UTC(2026, 9, 1);
const shares = (excellent: number, qualified: number, needsImprovement: number) => ({ excellent, qualified, needsImprovement });
const target = shares(0.25, 0.55, 0.2);

function calibration(stationId: string, graded: number, s = shares(0.5, 0.5, 0)): StationCalibration {
  return { stationId, graded, shares: s, target, selfScored: graded, selfShares: shares(1, 0, 0), avgScore: 88, avgSelfScore: 95 };
}

/** E1 and E2 in team T1 of plant P1; E3 and E4 in team T2. */
const TEAM: Record<string, string> = { E1: 'T1', E2: 'T1', E3: 'T2', E4: 'T2' };

function grade(employeeId: string, stationId: string, score: number, calibratedGrade: string, selfScore: number | null = 95): EmployeeGrade {
  return {
    employeeId,
    stationId,
    plantId: 'P1',
    teamId: TEAM[employeeId]!,
    periodStart: FROM,
    score,
    grade: score >= 90 ? 'excellent' : score >= 70 ? 'qualified' : 'needs_improvement',
    calibratedGrade,
    stationRank: 1,
    stationEmployees: 2,
    selfScore,
    selfGrade: selfScore === null ? '' : 'excellent',
  };
}

function flag(employeeId: string, kind: ReportFlag['kind'], severity: ReportFlag['severity'], day: number, status: FlagStatus = 'confirmed'): ReportFlag {
  const method = kind === 'measurement_gap' ? 'coverage' : 'sequential';
  return {
    flagId: flagId({ employeeId, windowStart: FROM + day * DAY, kind, method }),
    status,
    plantId: 'P1',
    // The team at the flag's window: E1 moved from T0 to T1 on day 4.
    teamId: employeeId === 'E1' && day < 4 ? 'T0' : TEAM[employeeId]!,
    employeeId,
    stationId: 'S1',
    windowStart: FROM + day * DAY,
    windowEnd: FROM + (day + 1) * DAY,
    kind,
    method,
    severity,
    reported: 120,
    measured: 100,
    deviation: 0.2,
    z: kind === 'measurement_gap' ? null : 4,
    explanation: `Reported 120 units, the MES counted 100 <b>.`,
    evidence: { shifts: [{ period: 'x', reported: 120, measured: 100 }], threshold: 6.1 },
  };
}

const inputs: ReportInputs = {
  plant: 'Plant <One>',
  period: 'month',
  from: FROM,
  to: FROM + 31 * DAY,
  days: { first: '2026-10-01', last: '2026-10-31' },
  generatedAt: FROM + 40 * DAY,
  model: { version: 'default-v1', bands: { excellent: 90, qualified: 70 }, target },
  calibration: [calibration('ALL', 4), calibration('S1', 2), calibration('S2', 2)],
  grades: [
    grade('E1', 'S1', 95, 'excellent'),
    grade('E2', 'S1', 80, 'qualified', null),
    grade('E3', 'S2', 60, 'needs_improvement'),
    grade('E4', 'S2', 99.5, 'excellent'),
  ],
  stationDays: [
    { stationId: 'S1', day: '2026-10-01', employees: 2, defectRate: 0.05, efficiency: 1.02, satisfaction: 80 },
    { stationId: 'S2', day: '2026-10-02', employees: 2, defectRate: null, efficiency: 0.9, satisfaction: null },
  ],
  reported: [
    {
      employeeId: 'E1',
      stationId: 'S1',
      reports: 20,
      units: { reported: 2400, measured: 2000 },
      runHours: { reported: 120, measured: 118 },
      defectiveUnits: { reported: 10, measured: 12 },
    },
    {
      employeeId: 'E2',
      stationId: 'S1',
      reports: 18,
      units: { reported: 1800, measured: 1790 },
      runHours: { reported: 100, measured: 101 },
      defectiveUnits: { reported: 9, measured: 9 },
    },
  ],
  anomalies: [
    flag('E1', 'units_overclaim', 'medium', 3),
    flag('E1', 'units_overclaim', 'high', 4),
    flag('E2', 'measurement_gap', 'low', 3),
    flag('E3', 'run_hours_overclaim', 'high', 5),
  ],
  flaggedWindows: [
    {
      employeeId: 'E1',
      stationId: 'S1',
      windowStart: FROM + 3 * DAY,
      windowEnd: FROM + 4 * DAY,
      peerCount: 2,
      units: { reported: 120, measured: 100, peers: 105 },
      runHours: { reported: 6, measured: 6, peers: 6.1 },
      defectiveUnits: { reported: 1, measured: 1, peers: 1 },
      selfScore: 95,
    },
    {
      employeeId: 'E3',
      stationId: 'S2',
      windowStart: FROM + 5 * DAY,
      windowEnd: FROM + 6 * DAY,
      peerCount: 2,
      units: { reported: 100, measured: 100, peers: 100 },
      runHours: { reported: 8, measured: 6, peers: 6.1 },
      defectiveUnits: { reported: 1, measured: 1, peers: 1 },
      selfScore: 70,
    },
  ],
  // As of each employee's first window in the range: E1 was still in T0.
  placements: new Map([
    ['E1', { plantId: 'P1', teamId: 'T0' }],
    ['E2', { plantId: 'P1', teamId: 'T1' }],
    ['E3', { plantId: 'P1', teamId: 'T2' }],
  ]),
  disputes: [
    {
      period_start: '2026-10-01',
      plant_id: 'P1',
      employees: 40,
      disputes: 2,
      disputes_per_100_employees: 5,
      decided: 2,
      upheld: 1,
      share_upheld: 0.5,
      median_days_to_decide: 3,
    },
  ],
};

test('flagged employees are those with inflation flags, most high flags first; a measurement gap accuses nobody', () => {
  expect(flaggedEmployeeIds(inputs.anomalies)).toEqual(['E1', 'E3']);
});

test('shares of each grade', () => {
  expect(sharesOf(['excellent', 'qualified', 'qualified', 'needs_improvement'])).toEqual(shares(0.25, 0.5, 0.25));
  expect(sharesOf([])).toEqual(shares(0, 0, 0));
});

test('figures: calibrated shares from the graded scores, the bands and self-scores from kpi.calibration, totals and the score histogram', () => {
  const f = buildFigures(inputs);
  expect(f.period).toEqual({ type: 'month', from: '2026-10-01', to: '2026-10-31' });
  expect(f.grades.plant.calibrated).toEqual(shares(0.5, 0.25, 0.25));
  expect(f.grades.plant.bands).toEqual(shares(0.5, 0.5, 0));
  expect(f.grades.stations.map((s) => [s.stationId, s.calibrated])).toEqual([
    ['S1', shares(0.5, 0.5, 0)],
    ['S2', shares(0.5, 0, 0.5)],
  ]);
  expect(f.totals).toEqual({
    stations: 2,
    employees: 4,
    graded: 4,
    reports: 38,
    inflationFlags: 3,
    flaggedEmployees: 2,
    highFlags: 2,
    awaitingReview: { flags: 0, employees: 0, highFlags: 0 },
    dismissedOnReview: 0,
    measurementGaps: 1,
    // The defective units the two employees' reports admit (10 + 9) against those inspection found (12 + 9).
    defectiveUnits: { reported: 19, measured: 21 },
  });
  // 95 and 99.5 fall in the last bin, 80 and 60 in theirs; self-scores of 95 three times.
  const bins = Object.fromEntries(f.scoreDistribution.bins.filter((b) => b.scores + b.selfScores > 0).map((b) => [b.from, [b.scores, b.selfScores]]));
  expect(bins).toEqual({ 60: [1, 0], 80: [1, 0], 95: [2, 3] });
  expect(f.trends.days).toEqual(['2026-10-01', '2026-10-02']);
  expect(f.trends.stations[0]).toEqual({ stationId: 'S1', defectRate: [0.05, null], efficiency: [1.02, null], satisfaction: [80, null] });
  expect(f.reportedVsMeasured.map((r) => [r.employeeId, r.flagged, r.selfScore])).toEqual([
    ['E1', true, { reported: 95, measured: 95 }],
    ['E2', false, null],
  ]);
  // Inflation flags first, high before medium; the gap last.
  expect(f.anomalies.map((a) => [a.employeeId, a.severity])).toEqual([
    ['E1', 'high'],
    ['E3', 'high'],
    ['E1', 'medium'],
    ['E2', 'low'],
  ]);
  expect(f.flagged.map((p) => [p.employeeId, p.flags, p.highFlags, p.windows.map((w) => w.flaggedKinds)])).toEqual([
    ['E1', 2, 1, [['units_overclaim']]],
    ['E3', 1, 1, [['run_hours_overclaim']]],
  ]);
  expect(f.employees.find((e) => e.employeeId === 'E1')?.inflationFlags).toBe(2);
});

test('ids only, unless names are given; then every place that shows an employee names them', () => {
  const plain = buildFigures(inputs);
  expect(plain.named).toBe(false);
  expect(JSON.stringify(plain)).not.toContain('"name":"');
  const named = buildFigures(inputs, new Map([['E1', 'Ana Lima']]));
  expect(named.named).toBe(true);
  expect(named.flagged[0]!.name).toBe('Ana Lima');
  expect(named.anomalies.filter((a) => a.name === 'Ana Lima').length).toBe(2);
  expect(named.reportedVsMeasured[0]!.name).toBe('Ana Lima');
  expect(named.employees.find((e) => e.employeeId === 'E1')!.name).toBe('Ana Lima');
  expect(named.reportedVsMeasured[1]!.name).toBeNull();
});

test('every chart has points, and each flagged employee has their three charts', () => {
  const charts = buildCharts(buildFigures(inputs));
  expect(new Set(charts.map((c) => c.id)).size).toBe(charts.length);
  expect(charts.filter((c) => c.section === 'employee-1').map((c) => c.id)).toEqual(['flagged-1-units', 'flagged-1-run-hours', 'flagged-1-defects']);
  for (const chart of charts) {
    const series = chart.option.series as { data: unknown[] }[];
    expect({ id: chart.id, points: series.some((s) => s.data.length > 0) }).toEqual({ id: chart.id, points: true });
    expect(chart.option.animation).toBe(false);
  }
  // The flagged window is red on the chart of the figure that was flagged, not on the others.
  const bars = (id: string) => (charts.find((c) => c.id === id)!.option.series as { data: { itemStyle?: unknown }[] }[])[0]!.data[0]!;
  expect(bars('flagged-1-units').itemStyle).toBeDefined();
  expect(bars('flagged-1-run-hours').itemStyle).toBeUndefined();
});

test('the page escapes what the data and the names say, and its JSON cannot end its script element', () => {
  const hostile = '</script><script>alert(1)</script>';
  const html = renderHtml(buildFigures(inputs, new Map([['E1', hostile]])), { source: 'window.echarts = {};', version: 'test', licenses: 'test licenses' });
  expect(html).not.toContain(hostile);
  expect(html).not.toContain('<b>.');
  expect(html).toContain('Plant &lt;One&gt;');
  expect(html.match(/<script/g)!.length).toBe(4);
  const figures = /<script id="report-figures" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]!;
  expect(JSON.parse(figures).flagged[0].name).toBe(hostile);
});

test('a bundle that would end its script element is refused', () => {
  expect(() => renderHtml(buildFigures(inputs), { source: 'var x = "</script>";', version: 'bad', licenses: '' })).toThrow(/cannot be inlined/);
});

test("the page inlines the npm package's ECharts with the license texts of what the bundle holds", () => {
  const bundle = echartsBundle();
  expect(bundle.source.length).toBeGreaterThan(500_000);
  expect(bundle.licenses).toContain('Apache License');
  expect(bundle.licenses).toContain('Apache ECharts');
  expect(bundle.licenses).toMatch(/Redistribution and use in source and binary forms/);
  const html = renderHtml(buildFigures(inputs), bundle);
  expect(html).toContain(bundle.licenses);
  expect(html).toContain(`Apache ECharts ${bundle.version}`);
});

test('the dispute figures of the months covered are in the figures and on the page, per plant', () => {
  const f = buildFigures(inputs);
  expect(f.disputes).toEqual(inputs.disputes);
  const html = renderHtml(f, { source: 'window.echarts = {};', version: 'test', licenses: 'test licenses' });
  const section = html.slice(html.indexOf('<section id="disputes"'), html.indexOf('</section>', html.indexOf('<section id="disputes"')));
  expect(section).toContain('<td>2026-10</td><td>P1</td><td>40</td><td>2</td><td>5.0</td><td>2</td><td>50.0%</td><td>3.0</td>');
  const none = renderHtml(buildFigures({ ...inputs, disputes: [] }), { source: 'window.echarts = {};', version: 'test', licenses: 'test licenses' });
  expect(none).toContain('No dispute figures for these months.');
});

/** The flags of `inputs` decided every way a review can go (see the statuses beside each). */
const reviewed: ReportFlag[] = [
  flag('E1', 'units_overclaim', 'medium', 3, 'confirmed'),
  flag('E1', 'units_overclaim', 'high', 4, 'proposed'),
  flag('E2', 'measurement_gap', 'low', 3, 'proposed'),
  flag('E2', 'units_overclaim', 'low', 8, 'measurement_problem'),
  flag('E3', 'run_hours_overclaim', 'high', 5, 'dismissed'),
  flag('E4', 'self_score_inflated', 'high', 6, 'disputed'),
  flag('E4', 'units_overclaim', 'medium', 7, 'overturned'),
];
const withdrawn = reviewed.filter((f) => ['dismissed', 'measurement_problem', 'overturned'].includes(f.status)).map((f) => f.flagId);
const bundle = { source: 'window.echarts = {};', version: 'test', licenses: 'test licenses' };

test('confirmed and disputed flags stand; proposed ones await review; dismissed, measurement problems and overturned ones are withdrawn', () => {
  expect(Object.fromEntries(FLAG_STATUSES.map((s) => [s, flagStanding(s)]))).toEqual({
    proposed: 'awaiting_review',
    confirmed: 'standing',
    disputed: 'standing',
    dismissed: 'withdrawn',
    measurement_problem: 'withdrawn',
    overturned: 'withdrawn',
  });
});

test('totals count standing flags; flags awaiting review apart; withdrawn flags only as dismissed on review', () => {
  const f = buildFigures({ ...inputs, anomalies: reviewed });
  expect(f.totals).toMatchObject({
    // E1's confirmed flag and E4's disputed one.
    inflationFlags: 2,
    flaggedEmployees: 2,
    highFlags: 1,
    // E1's proposed high flag (E2's proposed gap accuses nobody).
    awaitingReview: { flags: 1, employees: 1, highFlags: 1 },
    // E2's measurement problem, E3's dismissed flag, E4's overturned one.
    dismissedOnReview: 3,
    measurementGaps: 1,
  });
});

test('lists name people by standing flags and flags awaiting review, marked; withdrawn flags appear nowhere', () => {
  const f = buildFigures({ ...inputs, anomalies: reviewed });
  // Standing first, then awaiting review, then the gap; each with its id and status.
  expect(f.anomalies.map((a) => [a.employeeId, a.kind, a.status, a.review])).toEqual([
    ['E4', 'self_score_inflated', 'disputed', 'standing'],
    ['E1', 'units_overclaim', 'confirmed', 'standing'],
    ['E1', 'units_overclaim', 'proposed', 'awaiting_review'],
    ['E2', 'measurement_gap', 'proposed', 'awaiting_review'],
  ]);
  expect(f.anomalies.map((a) => a.flagId)).toEqual([reviewed[5]!.flagId, reviewed[0]!.flagId, reviewed[1]!.flagId, reviewed[2]!.flagId]);
  // E3's only flag was dismissed: no page, no mark anywhere.
  expect(f.flagged.map((p) => [p.employeeId, p.flags, p.highFlags, p.awaitingReview, p.kinds])).toEqual([
    ['E4', 1, 1, 0, ['self_score_inflated']],
    ['E1', 1, 0, 1, ['units_overclaim']],
  ]);
  expect(f.employees.map((e) => [e.employeeId, e.inflationFlags, e.awaitingReview])).toEqual([
    ['E1', 1, 1],
    ['E2', 0, 0],
    ['E3', 0, 0],
    ['E4', 1, 0],
  ]);
  expect(f.reportedVsMeasured.map((r) => [r.employeeId, r.flagged, r.awaitingReview])).toEqual([
    ['E1', true, true],
    ['E2', false, false],
  ]);
  expect(f.flagsByStation).toEqual([{ stationId: 'S1', byKind: { units_overclaim: 2, self_score_inflated: 1, measurement_gap: 1 } }]);
  const json = JSON.stringify(f);
  const html = renderHtml(f, bundle);
  for (const id of withdrawn) {
    expect(json).not.toContain(id);
    expect(html).not.toContain(id);
  }
  expect(html).toContain(`data-flag-id="${reviewed[1]!.flagId}" data-status="proposed">awaiting review</span>`);
  expect(html).toContain(`data-flag-id="${reviewed[0]!.flagId}" data-status="confirmed">confirmed</span>`);
  expect(html).toMatch(/data-figure="awaiting-review">1</);
  expect(html).toMatch(/data-figure="dismissed-on-review">3</);
  // Only the flagged pages of E4 and E1.
  expect(html.match(/<section id="employee-\d+"/g)).toHaveLength(2);
  // Someone with flags awaiting review only is not called flagged.
  const onlyAwaiting = renderHtml(buildFigures({ ...inputs, anomalies: [reviewed[1]!] }), bundle);
  expect(onlyAwaiting).toContain('<h2>Flags awaiting review: E1</h2>');
  expect(onlyAwaiting).not.toContain('<h2>Flagged: ');
});

test('every person carries the plant and team as of the window or period each entry is about', () => {
  const f = buildFigures({ ...inputs, anomalies: reviewed });
  expect(f.plants).toEqual(['P1']);
  // Grades: as of the period's start.
  expect(f.employees.map((e) => [e.employeeId, e.plantId, e.teamId])).toEqual([
    ['E1', 'P1', 'T1'],
    ['E2', 'P1', 'T1'],
    ['E3', 'P1', 'T2'],
    ['E4', 'P1', 'T2'],
  ]);
  // Flags: as of their window's start (E1 moved from T0 to T1 on day 4).
  expect(f.anomalies.filter((a) => a.employeeId === 'E1').map((a) => a.teamId)).toEqual(['T0', 'T1']);
  // Over the range: as of the employee's first window in it.
  expect(f.reportedVsMeasured.map((r) => [r.employeeId, r.plantId, r.teamId])).toEqual([
    ['E1', 'P1', 'T0'],
    ['E2', 'P1', 'T1'],
  ]);
  expect(f.flagged.map((p) => [p.employeeId, p.plantId, p.teamId])).toEqual([
    // E4 has no window rows in the inputs: as of the first flag's window.
    ['E4', 'P1', 'T2'],
    ['E1', 'P1', 'T0'],
  ]);
  // One plant: a team column in every table of people; no plant column.
  const html = renderHtml(f, bundle);
  for (const id of ['anomalies-table', 'employees-table', 'reported-table']) {
    const head = new RegExp(`<table[^>]* id="${id}"><thead><tr>(.*?)</tr>`).exec(html)![1]!;
    expect({ id, team: head.includes('<th>team</th>'), plant: head.includes('<th>plant</th>') }).toEqual({ id, team: true, plant: false });
  }
  expect(html).toContain('Team T0 · Station S1');
});

test('a report that spans several plants shows a plant column beside the team', () => {
  const f = buildFigures({ ...inputs, grades: [...inputs.grades, { ...grade('E5', 'S2', 70, 'qualified'), plantId: 'P2', teamId: 'T9' }] });
  expect(f.plants).toEqual(['P1', 'P2']);
  const html = renderHtml(f, bundle);
  expect(/<table[^>]* id="employees-table"><thead><tr><th>employee<\/th><th>plant<\/th><th>team<\/th>/.test(html)).toBe(true);
  expect(html).toContain('<td>P2</td><td>T9</td>');
});
