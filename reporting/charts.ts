import type { Shares } from '../sinks/clickhouse/queries/report.js';
import type { FlaggedEmployee, Person, ReportFigures, StationGrades } from './figures.js';

/**
 * The report's charts as Apache ECharts options: plain JSON built from the
 * figures, so the page only hands each to `echarts.init(…).setOption(…)` and
 * a test can read every point back from the chart instance. No animation:
 * what a screenshot or a printout shows is the finished chart.
 */
export interface Chart {
  /** Unique within the report; the element is `chart-<id>`. */
  readonly id: string;
  /** The section of the page it belongs to. */
  readonly section: string;
  readonly title: string;
  /** What the chart shows, one line under it. */
  readonly caption: string;
  readonly height: number;
  readonly option: Record<string, unknown>;
}

export const GRADES = ['excellent', 'qualified', 'needsImprovement'] as const;
export const GRADE_LABELS: Record<(typeof GRADES)[number], string> = { excellent: 'excellent', qualified: 'qualified', needsImprovement: 'needs improvement' };
const GRADE_COLORS: Record<(typeof GRADES)[number], string> = { excellent: '#2e7d32', qualified: '#1e88e5', needsImprovement: '#ef6c00' };
const FLAGGED_COLOR = '#c62828';
const AWAITING_COLOR = '#f9a825';
const PLAIN_COLOR = '#78909c';

/** A person's point on the reported-against-measured charts: with a standing flag, with flags awaiting review only, or neither. */
type PointState = 'flagged' | 'awaiting' | 'plain';
const POINT_SERIES: Record<PointState, { name: string; color: string; size: number; opacity: number }> = {
  plain: { name: 'not flagged', color: PLAIN_COLOR, size: 7, opacity: 0.6 },
  awaiting: { name: 'flag awaiting review', color: AWAITING_COLOR, size: 9, opacity: 0.9 },
  flagged: { name: 'flagged for inflation', color: FLAGGED_COLOR, size: 11, opacity: 0.95 },
};
const pointState = (r: { flagged: boolean; awaitingReview: boolean }): PointState => (r.flagged ? 'flagged' : r.awaitingReview ? 'awaiting' : 'plain');

/** An employee as the report shows them: the name and id where a name was given, else the id. */
export function personLabel(p: Person): string {
  return p.name === null ? p.employeeId : `${p.name} (${p.employeeId})`;
}

const pct = (share: number) => Math.round(1000 * share) / 10;
const round = (x: number | null, digits: number) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
const base = (extra: Record<string, unknown>) => ({
  animation: false,
  tooltip: { trigger: 'axis', confine: true },
  grid: { left: 56, right: 24, top: 48, bottom: 56, containLabel: true },
  ...extra,
});

/** Stacked share bars (in %), one stack per kind of grading, one bar of each per category. */
function shareBars(
  categories: string[],
  stacks: { name: string; shares: Shares[] }[],
  options: { labels?: boolean; barWidth?: number } = {},
): Record<string, unknown> {
  return base({
    legend: { top: 0, type: 'scroll' },
    xAxis: { type: 'category', data: categories, axisLabel: { interval: 0, rotate: categories.length > 8 ? 40 : 0 } },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: stacks.flatMap((stack, s) =>
      GRADES.map((g) => ({
        name: stacks.length > 1 ? `${GRADE_LABELS[g]} (${stack.name})` : GRADE_LABELS[g],
        type: 'bar',
        stack: stack.name,
        barMaxWidth: options.barWidth ?? 28,
        itemStyle: { color: GRADE_COLORS[g], opacity: 1 - 0.3 * s },
        ...(options.labels ? { label: { show: true, formatter: '{c}%' } } : {}),
        data: stack.shares.map((sh) => pct(sh[g])),
      })),
    ),
  });
}

function gradeCharts(f: ReportFigures): Chart[] {
  const plant = f.grades.plant;
  const gradings: [string, Shares][] = [
    ['by the bands', plant.bands],
    ['calibrated', plant.calibrated],
    ['target', plant.target],
    ['by self-scores', plant.selfScores],
  ];
  const stations: StationGrades[] = [...f.grades.stations];
  return [
    {
      id: 'grades-plant',
      section: 'grades',
      title: 'Plant: grades against the target',
      caption: `${plant.graded} ${f.period.type}ly scores: graded by the absolute bands (≥${f.model.bands.excellent} excellent, ≥${f.model.bands.qualified} qualified), calibrated within each station to the target, the target, and the grades the employees' self-scores would earn.`,
      height: 340,
      option: shareBars(
        gradings.map(([name]) => name),
        [{ name: 'share', shares: gradings.map(([, sh]) => sh) }],
        { labels: true, barWidth: 64 },
      ),
    },
    {
      id: 'grades-stations',
      section: 'grades',
      title: 'Stations: grades by the bands, calibrated, and by self-scores',
      caption: 'Per station, three stacks: the absolute bands, the calibrated grades (ranked within the station), and what self-scores would give.',
      height: 420,
      option: shareBars(
        stations.map((s) => s.stationId),
        [
          { name: 'bands', shares: stations.map((s) => s.bands) },
          { name: 'calibrated', shares: stations.map((s) => s.calibrated) },
          { name: 'self-scores', shares: stations.map((s) => s.selfScores) },
        ],
      ),
    },
  ];
}

function scoreChart(f: ReportFigures): Chart {
  const { bins, binWidth } = f.scoreDistribution;
  const labels = bins.map((b) => `${b.from}–${b.from + binWidth}`);
  const bandLabel = (score: number) => labels[Math.min(labels.length - 1, Math.floor(score / binWidth))];
  return {
    id: 'score-distribution',
    section: 'scores',
    title: 'Score distribution',
    caption: `Measured scores and self-scores, ${f.period.type}ly, in bins of ${binWidth} points; the lines mark the bands.`,
    height: 340,
    option: base({
      legend: { top: 0 },
      xAxis: { type: 'category', data: labels, name: 'score' },
      yAxis: { type: 'value', name: 'scores', minInterval: 1 },
      series: [
        {
          name: 'measured score',
          type: 'bar',
          itemStyle: { color: GRADE_COLORS.qualified },
          data: bins.map((b) => b.scores),
          markLine: {
            symbol: 'none',
            lineStyle: { color: '#555', type: 'dashed' },
            label: { formatter: '{b}' },
            data: [
              { name: `qualified ≥${f.model.bands.qualified}`, xAxis: bandLabel(f.model.bands.qualified) },
              { name: `excellent ≥${f.model.bands.excellent}`, xAxis: bandLabel(f.model.bands.excellent) },
            ],
          },
        },
        { name: 'self-score', type: 'bar', itemStyle: { color: '#9e9e9e' }, data: bins.map((b) => b.selfScores) },
      ],
    }),
  };
}

function trendCharts(f: ReportFigures): Chart[] {
  const line = (
    id: string,
    title: string,
    caption: string,
    pick: (s: ReportFigures['trends']['stations'][number]) => readonly (number | null)[],
    scale: number,
    unit: string,
  ): Chart => ({
    id,
    section: 'trends',
    title,
    caption,
    height: 360,
    option: base({
      legend: { top: 0, type: 'scroll' },
      xAxis: { type: 'category', data: f.trends.days, boundaryGap: false },
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: `{value}${unit}` } },
      series: f.trends.stations.map((s) => ({
        name: s.stationId,
        type: 'line',
        showSymbol: false,
        connectNulls: true,
        data: pick(s).map((v) => round(v === null ? null : v * scale, 2)),
      })),
    }),
  });
  return [
    line(
      'trend-defect-rate',
      'Defect rate per station',
      'Defective units over units inspected, per plant day (inspections arrive hours to days later).',
      (s) => s.defectRate,
      100,
      '%',
    ),
    line('trend-efficiency', 'Efficiency per station', 'Standard hours earned over machine run hours, per plant day.', (s) => s.efficiency, 100, '%'),
    line(
      'trend-satisfaction',
      'Customer satisfaction per station',
      'Mean satisfaction of the feedback on each plant day’s production (0–100).',
      (s) => s.satisfaction,
      1,
      '',
    ),
  ];
}

function scatterCharts(f: ReportFigures): Chart[] {
  const scatter = (
    id: string,
    title: string,
    axis: string,
    points: { label: string; state: PointState; measured: number; reported: number }[],
    digits: number,
  ): Chart => {
    const max = Math.max(1, ...points.flatMap((p) => [p.measured, p.reported]));
    const series = (state: PointState) => ({
      name: POINT_SERIES[state].name,
      type: 'scatter',
      symbolSize: POINT_SERIES[state].size,
      itemStyle: { color: POINT_SERIES[state].color, opacity: POINT_SERIES[state].opacity },
      data: points.filter((p) => p.state === state).map((p) => ({ name: p.label, value: [round(p.measured, digits), round(p.reported, digits)] })),
    });
    return {
      id,
      section: 'reported',
      title,
      caption: `One point per employee over the period: what was measured (x) against what they reported (y). Above the diagonal: reported more than measured. Red: a confirmed (or disputed) inflation flag; amber: flags awaiting review only.`,
      height: 380,
      option: base({
        tooltip: { trigger: 'item', confine: true },
        legend: { top: 0 },
        xAxis: { type: 'value', name: `measured ${axis}`, nameLocation: 'middle', nameGap: 28, scale: true },
        yAxis: { type: 'value', name: `reported ${axis}`, scale: true },
        series: [
          series('plain'),
          series('awaiting'),
          series('flagged'),
          {
            name: 'reported = measured',
            type: 'line',
            showSymbol: false,
            silent: true,
            lineStyle: { color: '#bbb', type: 'dashed' },
            data: [
              [0, 0],
              [max, max],
            ],
          },
        ],
      }),
    };
  };
  const rows = f.reportedVsMeasured;
  const selfScored = rows.filter((r) => r.selfScore !== null);
  return [
    scatter(
      'reported-units',
      'Units: reported against the MES count',
      'units',
      rows.map((r) => ({ label: personLabel(r), state: pointState(r), ...r.units })),
      0,
    ),
    scatter(
      'reported-run-hours',
      'Run hours: reported against machine time',
      'run hours',
      rows.map((r) => ({ label: personLabel(r), state: pointState(r), ...r.runHours })),
      2,
    ),
    scatter(
      'reported-self-score',
      'Self-score against the measured score',
      'score',
      selfScored.map((r) => ({ label: personLabel(r), state: pointState(r), ...r.selfScore! })),
      1,
    ),
  ];
}

function flagsChart(f: ReportFigures): Chart {
  const kinds = [...new Set(f.flagsByStation.flatMap((s) => Object.keys(s.byKind)))].sort();
  return {
    id: 'flags-by-station',
    section: 'anomalies',
    title: 'Flags per station and kind',
    caption:
      'Flags of the period by station, standing and awaiting review (those withdrawn on review left out): inflation kinds, and measurement gaps (reports not judged for want of measurements, never an accusation).',
    height: 320,
    option: base({
      legend: { top: 0, type: 'scroll' },
      xAxis: { type: 'category', data: f.flagsByStation.map((s) => s.stationId), axisLabel: { interval: 0, rotate: f.flagsByStation.length > 8 ? 40 : 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: kinds.map((kind) => ({
        name: kind.replaceAll('_', ' '),
        type: 'bar',
        stack: 'flags',
        barMaxWidth: 28,
        ...(kind === 'measurement_gap' ? { itemStyle: { color: '#bdbdbd' } } : {}),
        data: f.flagsByStation.map((s) => s.byKind[kind] ?? 0),
      })),
    }),
  };
}

/** One flagged employee's reports: what they reported, what was measured over each period, and the station's median, side by side. */
export function flaggedCharts(e: FlaggedEmployee, index: number): Chart[] {
  const days = e.windows.map((w) => w.windowStart.slice(0, 10));
  const figure = (
    id: string,
    kind: string,
    title: string,
    pick: (w: FlaggedEmployee['windows'][number]) => { reported: number | null; measured: number; peers: number },
    digits: number,
  ): Chart => ({
    id: `flagged-${index}-${id}`,
    section: `employee-${index}`,
    title,
    caption:
      'Per report, on the window that holds it: reported (bars, red where this figure was flagged), measured over its period (bars), and the median of everyone who reported at the station in that window (line).',
    height: 300,
    option: base({
      legend: { top: 0 },
      xAxis: { type: 'category', data: days },
      yAxis: { type: 'value', scale: true },
      series: [
        {
          name: 'reported',
          type: 'bar',
          itemStyle: { color: '#8d6e63' },
          data: e.windows.map((w) => ({
            value: round(pick(w).reported, digits),
            ...(w.flaggedKinds.includes(kind) ? { itemStyle: { color: FLAGGED_COLOR } } : {}),
          })),
        },
        { name: 'measured', type: 'bar', itemStyle: { color: GRADE_COLORS.qualified }, data: e.windows.map((w) => round(pick(w).measured, digits)) },
        { name: 'station median', type: 'line', itemStyle: { color: '#333' }, data: e.windows.map((w) => round(pick(w).peers, digits)) },
      ],
    }),
  });
  return [
    figure('units', 'units_overclaim', `${personLabel(e)}: units`, (w) => w.units, 0),
    figure('run-hours', 'run_hours_overclaim', `${personLabel(e)}: run hours`, (w) => w.runHours, 2),
    figure('defects', 'defects_underreport', `${personLabel(e)}: defective units`, (w) => w.defectiveUnits, 0),
  ];
}

/** Every chart of the report, in page order. */
export function buildCharts(f: ReportFigures): Chart[] {
  return [...gradeCharts(f), scoreChart(f), ...trendCharts(f), ...scatterCharts(f), flagsChart(f), ...f.flagged.flatMap((e, i) => flaggedCharts(e, i + 1))];
}
