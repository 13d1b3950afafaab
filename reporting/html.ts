import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GRADES, GRADE_LABELS, buildCharts, personLabel, type Chart } from './charts.js';
import type { AnomalyFigure, FlaggedEmployee, Person, ReportFigures, StationGrades } from './figures.js';
import { isInflationFlag } from '../contract/flag.js';

/**
 * The report as one self-contained HTML page: its figures (the same JSON
 * `--format json` writes), the charts' ECharts options, and Apache ECharts
 * itself (Apache-2.0, from npm) inlined, so it opens from a file or a mail
 * attachment with no network. Every value from the data is escaped: ids and
 * names are text a plant's systems or a mapping file chose.
 */

/** What the page inlines: the minified ECharts bundle shipped in the npm package, its version, and the license texts of what it holds. */
export interface ChartLibrary {
  readonly source: string;
  readonly version: string;
  /** ECharts' LICENSE and NOTICE (with its d3 subcomponent) and ZRender's LICENSE, which the bundle includes. */
  readonly licenses: string;
}

export function echartsBundle(): ChartLibrary {
  const require = createRequire(import.meta.url);
  const path = require.resolve('echarts/dist/echarts.min');
  const home = join(dirname(path), '..');
  const zrender = join(dirname(createRequire(path).resolve('zrender')), '..');
  const manifest = JSON.parse(readFileSync(join(home, 'package.json'), 'utf8')) as { version: string };
  const licenses = [join(home, 'LICENSE'), join(home, 'NOTICE'), join(home, 'licenses', 'LICENSE-d3'), join(zrender, 'LICENSE')]
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n\n');
  return { source: readFileSync(path, 'utf8'), version: manifest.version, licenses };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no line separators JavaScript would choke on. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const e = escapeHtml;
const pct = (share: number) => `${(100 * share).toFixed(1)}%`;
const fixed = (x: number | null, digits: number) => (x === null ? '–' : x.toFixed(digits));
const gradeLabel = (grade: string) => e(grade.replaceAll('_', ' ') || '–');

function table(head: readonly string[], rows: readonly string[][], attributes = ''): string {
  return `<table${attributes}><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function chartBlock(c: Chart): string {
  return `<figure class="chart-box"><figcaption><strong>${e(c.title)}</strong><br><span>${e(c.caption)}</span></figcaption><div class="chart" id="chart-${e(c.id)}" data-chart="${e(c.id)}" style="height:${c.height}px"></div></figure>`;
}

function section(id: string, title: string, body: string, charts: readonly Chart[]): string {
  return `<section id="${e(id)}" class="page"><h2>${e(title)}</h2>${body}${charts
    .filter((c) => c.section === id)
    .map(chartBlock)
    .join('')}</section>`;
}

/** The columns that place a person: the team, and the plant before it when the report spans several plants. */
function placementHead(f: ReportFigures): string[] {
  return f.plants.length > 1 ? ['plant', 'team'] : ['team'];
}
function placementCells(f: ReportFigures, p: Person): string[] {
  const cell = (id: string) => (id === '' ? '–' : e(id));
  return f.plants.length > 1 ? [cell(p.plantId), cell(p.teamId)] : [cell(p.teamId)];
}

/** Where a listed flag's review stands: shown as it is (confirmed, disputed), or marked as awaiting review. */
function reviewMark(a: AnomalyFigure): string {
  const label = a.review === 'awaiting_review' ? 'awaiting review' : a.status;
  return `<span class="review ${e(a.review)}" data-flag-id="${e(a.flagId)}" data-status="${e(a.status)}">${e(label)}</span>`;
}

/** A grade as the page's data-figure attributes name it. */
const SLUGS: Record<(typeof GRADES)[number], string> = { excellent: 'excellent', qualified: 'qualified', needsImprovement: 'needs-improvement' };

function summarySection(f: ReportFigures): string {
  const t = f.totals;
  const plant = f.grades.plant;
  const card = (figure: string, value: string | number, label: string) =>
    `<div class="card"><div class="value" data-figure="${figure}">${e(String(value))}</div><div class="label">${e(label)}</div></div>`;
  const contrast = table(
    ['grade', 'by self-scores', 'measured (the bands)', 'calibrated', 'target'],
    GRADES.map((g) => [
      e(GRADE_LABELS[g]),
      `<span data-figure="self-${SLUGS[g]}">${pct(plant.selfScores[g])}</span>`,
      `<span data-figure="plant-${SLUGS[g]}">${pct(plant.bands[g])}</span>`,
      `<span data-figure="calibrated-${SLUGS[g]}">${pct(plant.calibrated[g])}</span>`,
      pct(plant.target[g]),
    ]),
    ' class="numbers" id="grade-contrast"',
  );
  const admitted = t.defectiveUnits.measured === 0 ? null : t.defectiveUnits.reported / t.defectiveUnits.measured;
  return `<p>What people said of themselves, what the plant's systems measured, and where each person stands among the station's peers (calibrated to the target):</p>
  ${contrast}
  <p>The self-reports admit <strong data-figure="defects-reported">${t.defectiveUnits.reported}</strong> defective units; inspection found
  <strong data-figure="defects-measured">${t.defectiveUnits.measured}</strong>${admitted === null ? '' : ` (${pct(Math.max(0, 1 - admitted))} not admitted)`}.</p>
  <div class="cards">${[
    card('employees', t.employees, 'employees graded'),
    card('stations', t.stations, 'stations'),
    card('graded', t.graded, `${f.period.type}ly scores`),
    card('reports', t.reports, 'self-reports'),
    card('inflation-flags', t.inflationFlags, 'inflation flags confirmed (or disputed)'),
    card('flagged-employees', t.flaggedEmployees, 'employees flagged'),
    card('high-flags', t.highFlags, 'high-severity flags'),
    card('awaiting-review', t.awaitingReview.flags, `flags awaiting review (${t.awaitingReview.employees} employees)`),
    card('dismissed-on-review', t.dismissedOnReview, 'flags dismissed on review'),
    card('measurement-gaps', t.measurementGaps, 'measurement gaps (not judged)'),
  ].join('')}</div>
  <p class="note">A flag is a proposal until a person reviews it: only confirmed flags (and disputed ones, until a dispute overturns them) count above as flags that stand.
  Flags nobody has reviewed yet are listed marked <em>awaiting review</em> and counted apart; flags dismissed on review (or found a measurement problem, or overturned) are left out of the lists.</p>`;
}

function gradesTable(f: ReportFigures): string {
  const shares = (s: StationGrades['bands']) => GRADES.map((g) => pct(s[g])).join(' / ');
  const row = (s: StationGrades) => [
    s.stationId === 'ALL' ? '<strong>plant</strong>' : e(s.stationId),
    String(s.graded),
    shares(s.bands),
    shares(s.calibrated),
    shares(s.selfScores),
    fixed(s.avgScore, 1),
    fixed(s.avgSelfScore, 1),
  ];
  return table(
    ['station', 'scores', 'by the bands (E / Q / NI)', 'calibrated', 'by self-scores', 'avg score', 'avg self-score'],
    [row(f.grades.plant), ...f.grades.stations.map(row)],
    ' class="numbers" id="grades-table"',
  );
}

/** A flag's evidence as a person reads it: the reports behind it as a table, the rest as a short list, all of it as JSON. */
function evidenceBlock(a: AnomalyFigure): string {
  const evidence = a.evidence;
  const shifts = Array.isArray(evidence.shifts) ? (evidence.shifts as Record<string, unknown>[]) : [];
  const scalars = Object.entries(evidence).filter(([, v]) => v === null || typeof v !== 'object');
  const show = (v: unknown) => e(typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v));
  const shiftTable =
    shifts.length === 0
      ? ''
      : table(
          Object.keys(shifts[0]!),
          shifts.map((s) => Object.values(s).map(show)),
          ' class="numbers evidence"',
        );
  return `<details><summary>evidence</summary>${
    scalars.length > 0 ? `<ul>${scalars.map(([k, v]) => `<li>${e(k)}: ${show(v)}</li>`).join('')}</ul>` : ''
  }${shiftTable}<pre>${e(JSON.stringify(evidence, null, 1))}</pre></details>`;
}

function anomaliesTable(f: ReportFigures): string {
  if (f.anomalies.length === 0) return '<p>No flags in this period.</p>';
  return table(
    [
      'employee',
      ...placementHead(f),
      'station',
      'window',
      'kind',
      'review',
      'method',
      'severity',
      'reported',
      'measured',
      'deviation',
      'explanation and evidence',
    ],
    f.anomalies.map((a) => [
      e(personLabel(a)),
      ...placementCells(f, a),
      e(a.stationId),
      e(a.windowStart.slice(0, 16).replace('T', ' ')),
      gradeLabel(a.kind),
      reviewMark(a),
      e(a.method),
      `<span class="severity ${e(a.severity)}">${e(a.severity)}</span>`,
      fixed(a.reported, 2),
      fixed(a.measured, 2),
      fixed(a.deviation, 3),
      `${e(a.explanation)}${evidenceBlock(a)}`,
    ]),
    ' id="anomalies-table"',
  );
}

function employeesTable(f: ReportFigures): string {
  return table(
    [
      'employee',
      ...placementHead(f),
      'station',
      f.period.type,
      'score',
      'grade (bands)',
      'calibrated grade',
      'rank at station',
      'self-score',
      'self grade',
      'inflation flags (awaiting review)',
    ],
    f.employees.map((p) => [
      e(personLabel(p)),
      ...placementCells(f, p),
      e(p.stationId),
      e(p.periodStart),
      fixed(p.score, 1),
      `<span class="grade ${e(p.grade)}">${gradeLabel(p.grade)}</span>`,
      `<span class="grade ${e(p.calibratedGrade)}">${gradeLabel(p.calibratedGrade)}</span>`,
      `${p.stationRank} of ${p.stationEmployees}`,
      fixed(p.selfScore, 1),
      gradeLabel(p.selfGrade),
      p.awaitingReview === 0 ? String(p.inflationFlags) : `${p.inflationFlags} (${p.awaitingReview})`,
    ]),
    ' class="numbers" id="employees-table"',
  );
}

function reportedTable(f: ReportFigures): string {
  const pair = (x: { reported: number; measured: number }, digits: number) => `${x.reported.toFixed(digits)} / ${x.measured.toFixed(digits)}`;
  return table(
    [
      'employee',
      ...placementHead(f),
      'station',
      'reports',
      'units: reported / measured',
      'run hours',
      'defective units',
      'self-score / score',
      'inflation flags',
    ],
    f.reportedVsMeasured.map((r) => [
      e(personLabel(r)),
      ...placementCells(f, r),
      e(r.stationId),
      String(r.reports),
      pair(r.units, 0),
      pair(r.runHours, 1),
      pair(r.defectiveUnits, 0),
      r.selfScore === null ? '–' : `${r.selfScore.reported.toFixed(1)} / ${r.selfScore.measured.toFixed(1)}`,
      r.flagged ? '<strong class="severity high">standing</strong>' : r.awaitingReview ? '<span class="review awaiting_review">awaiting review</span>' : '',
    ]),
    ' class="numbers" id="reported-table"',
  );
}

function flaggedSection(f: ReportFigures, person: FlaggedEmployee, index: number, charts: readonly Chart[]): string {
  const flags = f.anomalies.filter((a) => a.employeeId === person.employeeId && isInflationFlag(a));
  const placed = [
    ...(f.plants.length > 1 ? [`Plant ${person.plantId === '' ? '–' : e(person.plantId)}`] : []),
    `Team ${person.teamId === '' ? '–' : e(person.teamId)}`,
    `Station ${e(person.stationId)}`,
  ].join(' · ');
  const counts = `${person.flags} inflation flag${person.flags === 1 ? '' : 's'} standing (${person.highFlags} high), ${person.awaitingReview} awaiting review`;
  const body = `<p>${placed} · ${counts}: ${person.kinds.map(gradeLabel).join(', ')}.</p><ul class="explanations">${flags
    .map((a) => `<li>${reviewMark(a)} <span class="severity ${e(a.severity)}">${e(a.severity)}</span> ${e(a.explanation)}</li>`)
    .join('')}</ul>`;
  const windows = table(
    ['window', 'flagged', 'units: reported / measured / station median', 'run hours', 'defective units', 'self-score', 'operators at station'],
    person.windows.map((w) => [
      e(w.windowStart.slice(0, 10)),
      w.flaggedKinds.length > 0 ? `<strong class="severity high">${w.flaggedKinds.map(gradeLabel).join(', ')}</strong>` : '',
      `${fixed(w.units.reported, 0)} / ${w.units.measured} / ${fixed(w.units.peers, 1)}`,
      `${fixed(w.runHours.reported, 2)} / ${fixed(w.runHours.measured, 2)} / ${fixed(w.runHours.peers, 2)}`,
      `${fixed(w.defectiveUnits.reported, 0)} / ${w.defectiveUnits.measured} / ${fixed(w.defectiveUnits.peers, 1)}`,
      fixed(w.selfScore, 1),
      String(w.peerCount),
    ]),
    ' class="numbers"',
  );
  // Someone whose flags all await review is not (yet) flagged: the title says so.
  const title = person.flags > 0 ? `Flagged: ${personLabel(person)}` : `Flags awaiting review: ${personLabel(person)}`;
  return section(`employee-${index}`, title, body + windows, charts);
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212121;background:#fafafa}
header{background:#263238;color:#fff;padding:20px 32px}header h1{margin:0 0 6px;font-size:24px}header p{margin:2px 0;color:#cfd8dc}
nav{padding:8px 32px;background:#eceff1;font-size:14px}nav a{margin-right:14px;color:#37474f}
section.page{background:#fff;margin:16px 24px;padding:16px 24px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.12);break-before:page}
h2{margin-top:4px;font-size:20px}figure.chart-box{margin:16px 0}figcaption span{color:#616161;font-size:13px}.chart{width:100%}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#eceff1;border-radius:6px;padding:10px 16px;min-width:120px}
.card .value{font-size:26px;font-weight:600}.card .label{font-size:12px;color:#546e7a}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}th,td{border-bottom:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}table.numbers td{font-variant-numeric:tabular-nums}table.evidence{width:auto;font-size:12px}
details summary{cursor:pointer;color:#455a64}pre{white-space:pre-wrap;font-size:11px;background:#f5f5f5;padding:6px;max-height:240px;overflow:auto}
.severity.high{color:#c62828;font-weight:600}.severity.medium{color:#ef6c00}.severity.low{color:#757575}
.review{border-radius:3px;padding:0 4px;font-size:12px;white-space:nowrap}.review.standing{background:#ffebee;color:#b71c1c}.review.awaiting_review{background:#fff8e1;color:#6d4c00;border:1px dashed #f9a825}
p.note{font-size:12px;color:#546e7a}
.grade.excellent{color:#2e7d32}.grade.qualified{color:#1565c0}.grade.needs_improvement{color:#e65100}
@media print{nav{display:none}section.page{box-shadow:none;margin:0}}`;

/** The dispute figures per month and plant: how often people disputed, how often they were right, how long they waited. */
function disputesTable(f: ReportFigures): string {
  const note =
    '<p class="note">Per month and plant, among the people with windows that month; a month in which a plant had fewer than 5 people is left out. ' +
    'Never per team: in most teams a count of disputes would point at someone.</p>';
  if (f.disputes.length === 0) return `<p>No dispute figures for these months.</p>${note}`;
  const share = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
  return (
    table(
      ['month', 'plant', 'people', 'disputes', 'per 100 people', 'decided', 'share upheld', 'median days to decide'],
      f.disputes.map((d) => [
        e(d.period_start.slice(0, 7)),
        e(d.plant_id),
        String(d.employees),
        String(d.disputes),
        d.disputes_per_100_employees.toFixed(1),
        String(d.decided),
        share(d.share_upheld),
        d.median_days_to_decide === null ? '–' : d.median_days_to_decide.toFixed(1),
      ]),
    ) + note
  );
}

/** The page: figures and chart options as JSON, ECharts inlined, one section per part of the report and one page per flagged employee. */
export function renderHtml(f: ReportFigures, echarts: ChartLibrary = echartsBundle()): string {
  // Inlined as it is: a bundle that held these would end its <script> early.
  if (/<\/script|<!--/i.test(echarts.source) || echarts.licenses.includes('-->'))
    throw new Error(`ECharts ${echarts.version} holds "</script" or "<!--" (or its licenses "-->"): it cannot be inlined as it is`);
  const charts = buildCharts(f);
  const title = `KPI report — ${f.plant}, ${f.period.from} to ${f.period.to}`;
  const sections = [
    section('summary', 'Summary', summarySection(f), charts),
    section('grades', 'Grades against the target', gradesTable(f), charts),
    section('scores', 'Scores', '', charts),
    section('trends', 'Station trends', '', charts),
    section('reported', 'Reported against measured', reportedTable(f), charts),
    section('anomalies', 'Flags: explanations and evidence', anomaliesTable(f), charts),
    section('employees', 'Grades per employee: bands and calibrated', employeesTable(f), charts),
    section('disputes', 'Disputes: how often, and how they were decided', disputesTable(f), charts),
    ...f.flagged.map((p, i) => flaggedSection(f, p, i + 1, charts)),
  ];
  const nav = [
    ['summary', 'Summary'],
    ['grades', 'Grades'],
    ['scores', 'Scores'],
    ['trends', 'Trends'],
    ['reported', 'Reported vs measured'],
    ['anomalies', 'Flags'],
    ['employees', 'Employees'],
    ['disputes', 'Disputes'],
    ...(f.flagged.length > 0 ? [['employee-1', `Flagged employees (${f.flagged.length})`]] : []),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="kpi-stream report"><title>${e(title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${e(title)}</h1>
<p>Grades by ${e(f.period.type)}, scoring model ${e(f.model.version)} · generated ${e(f.generatedAt)}</p>
<p>${f.named ? 'Employees are named from the mapping file given to the report.' : 'Employees are shown by id (no names were given).'}</p></header>
<nav>${nav.map(([id, label]) => `<a href="#${e(id!)}">${e(label!)}</a>`).join('')}</nav>
<main>${sections.join('\n')}</main>
<script id="report-figures" type="application/json">${scriptJson(f)}</script>
<script id="report-charts" type="application/json">${scriptJson(charts.map((c) => ({ id: c.id, option: c.option })))}</script>
<!-- Apache ECharts ${e(echarts.version)} (npm echarts), inlined below, with ZRender; their licenses and notices:

${echarts.licenses}
-->
<script>${echarts.source}</script>
<script>
(function () {
  var charts = JSON.parse(document.getElementById('report-charts').textContent);
  var instances = charts.map(function (c) {
    var chart = echarts.init(document.getElementById('chart-' + c.id), null, { renderer: 'canvas' });
    chart.setOption(c.option);
    return chart;
  });
  window.addEventListener('resize', function () { instances.forEach(function (c) { c.resize(); }); });
  document.documentElement.setAttribute('data-charts-ready', String(instances.length));
})();
</script>
</body></html>
`;
}
