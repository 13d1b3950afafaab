import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { distFile } from '../../../core/paths.js';
import type { ReportFigures } from '../../../reporting/figures.js';
import { createClickHouseClient, type ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { toClickHouseTime } from '../../../sinks/clickhouse/time.js';
import { ensureChromium } from '../support/chromium.js';
import { dropTestResources, testContext } from '../support/context.js';
import { processorEnv } from '../support/processor.js';
import { pastMonth, simulateMonth } from '../support/simulatedMonth.js';

/**
 * The report as a person sees it: a simulated month through the real
 * services, `kpi-stream report` run as a user runs it, and the page opened in
 * headless Chromium (Debian's package, installed when missing). Every section
 * is photographed; every chart must hold data points, read back from its
 * ECharts instance; and the figures on the page must be those ClickHouse
 * gives to queries written here, apart from the report's own.
 */
const ctx = testContext('report', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '500ms' });
const work = mkdtempSync(join(tmpdir(), 'kpi-report-'));
const shots = join(work, 'screenshots');
const run = promisify(execFile);
const seed = Number(process.env.KPI_TEST_SEED ?? Date.now() % 100_000);
const month = pastMonth();
const range = { from: toClickHouseTime(month.start), to: toClickHouseTime(month.end) };
/** Every name holds a token found nowhere else, so a leak shows; one is markup, which must stay text. */
const HOSTILE_NAME = '<img src=x onerror="document.title=1">Qwv';

let browser: Browser;
let page: Page;
let figures: ReportFigures;
let names: Map<string, string>;
let cliOutput: string;
let client: ClickHouseClient;
const pageErrors: string[] = [];

/** `kpi-stream report …` as a child process in the test's database; its stdout and stderr. */
async function report(args: string[]): Promise<string> {
  const { stdout, stderr } = await run(
    process.execPath,
    [distFile('cli/main.js'), 'report', '--plant', 'Test plant', '--purpose', 'the test of the report', ...args],
    {
      env: processorEnv(ctx, { LOG_LEVEL: 'info' }),
      maxBuffer: 1 << 24,
    },
  );
  return stdout + stderr;
}

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, query_params: range, format: 'JSONEachRow' })).json<T>();
}

/** Every series of every chart on the page, read from the ECharts instances. */
async function chartSeries(): Promise<Record<string, { name: string; data: unknown[] }[]>> {
  return page.evaluate(() => {
    // The page's globals, typed here: the test compiles without the DOM's types.
    interface ChartElement {
      getAttribute(name: string): string | null;
    }
    const { echarts, document } = globalThis as unknown as {
      echarts: { getInstanceByDom(el: ChartElement): { getOption(): { series: { name: string; data: unknown[] }[] } } | undefined };
      document: { querySelectorAll(selector: string): Iterable<ChartElement> };
    };
    const out: Record<string, { name: string; data: unknown[] }[]> = {};
    for (const el of document.querySelectorAll('.chart')) {
      const chart = echarts.getInstanceByDom(el);
      out[el.getAttribute('data-chart')!] = chart ? chart.getOption().series.map((s) => ({ name: s.name, data: s.data })) : [];
    }
    return out;
  });
}

const seriesData = (charts: Record<string, { name: string; data: unknown[] }[]>, chart: string, name: string) =>
  charts[chart]!.find((s) => s.name === name)!.data;
const valueOf = (point: unknown): number | null =>
  point !== null && typeof point === 'object' && 'value' in point ? (point as { value: number | null }).value : (point as number | null);

beforeAll(async () => {
  process.stdout.write(`report test: KPI_TEST_SEED=${seed}, the month from ${range.from}\n`);
  await simulateMonth(ctx, month, { employees: 48, seed, malformed: 0.002, out: join(work, 'simulation') });
  client = createClickHouseClient(ctx.config);

  const employees = (await rows<{ employee_id: string }>('SELECT DISTINCT employee_id FROM employee_window_metrics_current ORDER BY employee_id')).map(
    (r) => r.employee_id,
  );
  names = new Map(employees.map((id, i) => [id, i === 0 ? HOSTILE_NAME : `Person ${id.slice(-3)} Zyx${i}`]));
  writeFileSync(join(work, 'names.csv'), `employee_id,name\n${[...names].map(([id, name]) => `${id},"${name.replaceAll('"', '""')}"`).join('\n')}\n`);

  await report(['--out', join(work, 'plain.html')]);
  await report(['--format', 'json', '--out', join(work, 'plain.json')]);
  cliOutput = await report(['--names', join(work, 'names.csv'), '--out', join(work, 'named.html')]);
  figures = JSON.parse(readFileSync(join(work, 'plain.json'), 'utf8')) as ReportFigures;

  browser = await chromium.launch({ executablePath: await ensureChromium(), args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.route(/^(?!file:)/, (route) => {
    pageErrors.push(`the page asked the network for ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(`file://${join(work, 'plain.html')}`);
  await page.waitForSelector('html[data-charts-ready]');
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await client?.close();
  if (process.env.KPI_TEST_KEEP_DATA === '1') process.stdout.write(`report test: screenshots and reports kept in ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
  await dropTestResources(ctx);
}, 60_000);

test('the page opens without a network and without errors, and every section has a screenshot', async () => {
  expect(pageErrors).toEqual([]);
  const sections = await page.locator('section.page').evaluateAll((els) => els.map((el) => el.id));
  expect(sections.slice(0, 7)).toEqual(['summary', 'grades', 'scores', 'trends', 'reported', 'anomalies', 'employees']);
  expect(sections.length).toBe(7 + figures.flagged.length);
  mkdirSync(shots, { recursive: true });
  for (const id of sections) {
    const path = join(shots, `${id}.png`);
    await page.locator(`#${id}`).screenshot({ path });
    // A blank or collapsed section would be a few kilobytes at most.
    expect({ id, bytes: statSync(path).size > 15_000 }).toEqual({ id, bytes: true });
  }
  process.stdout.write(`report test: ${sections.length} section screenshots in ${shots}\n`);
}, 180_000);

test('every chart on the page has data points, read from its ECharts instance', async () => {
  const charts = await chartSeries();
  const ids = Object.keys(charts);
  expect(ids).toEqual(
    expect.arrayContaining(['grades-plant', 'grades-stations', 'score-distribution', 'trend-defect-rate', 'reported-units', 'flags-by-station']),
  );
  expect(ids.filter((id) => id.startsWith('flagged-')).length).toBe(3 * figures.flagged.length);
  expect(figures.flagged.length).toBeGreaterThan(0);
  for (const id of ids) {
    const points = charts[id]!.flatMap((s) => s.data).filter((p) => {
      const v = valueOf(p);
      return Array.isArray(v) ? v.every((x) => typeof x === 'number') : typeof v === 'number';
    });
    expect({ id, points: points.length > 0 }).toEqual({ id, points: true });
  }
}, 60_000);

test('grades on the page match the month scores in ClickHouse: by the bands, calibrated within each station, and by self-scores', async () => {
  const scores = await rows<{ employee_id: string; station_id: string; score: number; grade: string; self_grade: string }>(
    `SELECT employee_id, station_id, score, grade, self_grade FROM employee_scores_current
     WHERE period_type = 'month' AND period_start >= {from:DateTime64(3, 'UTC')} AND period_start < {to:DateTime64(3, 'UTC')} AND grade != ''`,
  );
  expect(scores.length).toBe(48);
  const share = (grades: string[], g: string) => grades.filter((x) => x === g).length / grades.length;
  // Calibrated, as defined: rank = 1 + the station's better scores; the top round(n/4) excellent, the bottom round(n/5) needs improvement.
  const calibrated = scores.map((s) => {
    const station = scores.filter((o) => o.station_id === s.station_id);
    const rank = 1 + station.filter((o) => o.score > s.score).length;
    const n = station.length;
    return rank <= Math.round(n * 0.25) ? 'excellent' : rank > n - Math.round(n * 0.2) ? 'needs_improvement' : 'qualified';
  });
  const selfGrades = scores.map((s) => s.self_grade).filter((g) => g !== '');
  const charts = await chartSeries();
  const plantBars = (grade: string) => seriesData(charts, 'grades-plant', grade).map(valueOf);
  const pct = (x: number) => Math.round(1000 * x) / 10;
  for (const [grade, label] of [
    ['excellent', 'excellent'],
    ['qualified', 'qualified'],
    ['needs_improvement', 'needs improvement'],
  ] as const) {
    // Bars: by the bands, calibrated, target, by self-scores.
    expect(plantBars(label)).toEqual([
      pct(
        share(
          scores.map((s) => s.grade),
          grade,
        ),
      ),
      pct(share(calibrated, grade)),
      expect.any(Number),
      pct(share(selfGrades, grade)),
    ]);
    // The first screen sets the four side by side: by self-scores, measured, calibrated, target.
    const slug = grade.replace('_', '-');
    expect(await page.locator(`[data-figure="self-${slug}"]`).textContent()).toBe(`${(100 * share(selfGrades, grade)).toFixed(1)}%`);
    expect(await page.locator(`[data-figure="calibrated-${slug}"]`).textContent()).toBe(`${(100 * share(calibrated, grade)).toFixed(1)}%`);
    const text = await page.locator(`[data-figure="plant-${slug}"]`).textContent();
    expect(text).toBe(
      `${(
        100 *
        share(
          scores.map((s) => s.grade),
          grade,
        )
      ).toFixed(1)}%`,
    );
  }
  expect(await page.locator('[data-figure="graded"]').textContent()).toBe('48');
  const histogram = charts['score-distribution']!.find((s) => s.name === 'measured score')!.data as number[];
  expect(histogram.reduce((a, b) => a + b, 0)).toBe(scores.length);
}, 60_000);

test("station trends on the page are the stations' daily sums in ClickHouse", async () => {
  const days = await rows<{ station_id: string; day: string; defect_rate: number | null; efficiency: number | null }>(
    `SELECT station_id, toString(toDate(window_start)) AS day,
            sum(units_defective) / nullIf(sum(units_inspected), 0) AS defect_rate, sum(standard_hours) / nullIf(sum(run_hours), 0) AS efficiency
     FROM employee_window_metrics FINAL
     WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
     GROUP BY station_id, day`,
  );
  expect(days.length).toBeGreaterThan(4 * 20);
  const charts = await chartSeries();
  for (const d of days) {
    const at = figures.trends.days.indexOf(d.day);
    expect(at).toBeGreaterThanOrEqual(0);
    const point = (chart: string) => valueOf(seriesData(charts, chart, d.station_id)[at]);
    if (d.defect_rate !== null) expect(point('trend-defect-rate')).toBeCloseTo(100 * d.defect_rate, 1);
    if (d.efficiency !== null) expect(point('trend-efficiency')).toBeCloseTo(100 * d.efficiency, 1);
  }
}, 60_000);

test('reported against measured: one point per employee with self-reports, the flagged ones highlighted', async () => {
  const [reporting] = await rows<{ people: number }>(
    `SELECT uniqExact(employee_id) AS people FROM employee_window_metrics FINAL
     WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')} AND reported_units IS NOT NULL`,
  );
  const [flags] = await rows<{ flagged: number; inflation: number; gaps: number; high: number }>(
    `SELECT uniqExactIf(employee_id, kind != 'measurement_gap') AS flagged, countIf(kind != 'measurement_gap') AS inflation,
            countIf(kind = 'measurement_gap') AS gaps, countIf(kind != 'measurement_gap' AND severity = 'high') AS high
     FROM anomalies FINAL WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
  );
  expect(Number(flags!.flagged)).toBeGreaterThan(0);
  const charts = await chartSeries();
  const units = charts['reported-units']!;
  expect(seriesData(charts, 'reported-units', 'not flagged').length + seriesData(charts, 'reported-units', 'flagged for inflation').length).toBe(
    Number(reporting!.people),
  );
  expect(units.find((s) => s.name === 'flagged for inflation')!.data.length).toBe(Number(flags!.flagged));
  expect(await page.locator('[data-figure="inflation-flags"]').textContent()).toBe(String(flags!.inflation));
  expect(await page.locator('[data-figure="measurement-gaps"]').textContent()).toBe(String(flags!.gaps));
  expect(await page.locator('[data-figure="high-flags"]').textContent()).toBe(String(flags!.high));
  expect(await page.locator('[data-figure="flagged-employees"]').textContent()).toBe(String(flags!.flagged));
  // The flag list: one row per flag, each with its explanation and evidence.
  expect(await page.locator('#anomalies-table > tbody > tr').count()).toBe(Number(flags!.inflation) + Number(flags!.gaps));
  expect(await page.locator('#anomalies-table > tbody > tr details').count()).toBe(Number(flags!.inflation) + Number(flags!.gaps));
  // One page per flagged employee, listing each of their inflation flags.
  for (const [i, person] of figures.flagged.entries()) {
    expect(await page.locator(`#employee-${i + 1} ul.explanations li`).count()).toBe(person.flags);
  }
}, 60_000);

test('the JSON format holds the figures the page shows', async () => {
  const embedded = JSON.parse((await page.locator('#report-figures').textContent())!) as ReportFigures;
  expect({ ...embedded, generatedAt: '' }).toEqual({ ...figures, generatedAt: '' });
}, 60_000);

test('names appear only from a mapping file, escaped, and nowhere else', async () => {
  const plain = readFileSync(join(work, 'plain.html'), 'utf8') + readFileSync(join(work, 'plain.json'), 'utf8');
  const named = readFileSync(join(work, 'named.html'), 'utf8');
  for (const token of ['Zyx', 'Qwv']) {
    expect(plain).not.toContain(token);
    expect(cliOutput).not.toContain(token);
  }
  expect(figures.named).toBe(false);
  // The named report names the flagged employees; a name that is markup stays text.
  const flagged = figures.flagged.map((p) => names.get(p.employeeId)!);
  for (const name of flagged.filter((n) => n !== HOSTILE_NAME)) expect(named).toContain(name);
  const namedPage = await browser.newPage();
  try {
    await namedPage.goto(`file://${join(work, 'named.html')}`);
    await namedPage.waitForSelector('html[data-charts-ready]');
    expect(await namedPage.locator('img').count()).toBe(0);
    expect(await namedPage.title()).not.toBe('1');
    expect(await namedPage.locator('#employees-table').textContent()).toContain(HOSTILE_NAME);
  } finally {
    await namedPage.close();
  }
}, 60_000);
