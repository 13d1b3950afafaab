import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { distFile } from '../../../core/paths.js';
import type { FlagDecision, FlagReviewed } from '../../../people/reviewEvents.js';
import { reviewRowOf } from '../../../people/reviewRecords.js';
import { ReviewLedger } from '../../../people/reviews.js';
import type { ReportFigures } from '../../../reporting/figures.js';
import { createClickHouseClient, type ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { insertReviews } from '../../../sinks/clickhouse/queries/reviews.js';
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
 * gives to queries written here, apart from the report's own. Before the
 * report, a supervisor confirms one person's flag and dismisses every flag
 * of another (recorded in kpi.reviews as the applier records decisions);
 * the rest stay proposed.
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
/** The flags decided before the report: one confirmed, every flag of another person dismissed; a third person's left proposed. */
let decided: { confirmed: FlagRow; dismissed: FlagRow[]; proposed: FlagRow[] };

type FlagCount = 'flagged' | 'inflation' | 'high' | 'awaiting' | 'awaitingOnly' | 'listedPeople' | 'dismissed' | 'gaps';

interface FlagRow {
  readonly flag_id: string;
  readonly employee_id: string;
}

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

/** Supervisor decisions about proposed flags, applied and written to kpi.reviews the way the applier does (people/applier.ts). */
async function review(decisions: { flag: FlagRow; decision: FlagDecision }[]): Promise<void> {
  const ledger = new ReviewLedger();
  const written = decisions.map(({ flag, decision }, offset) => {
    const event: FlagReviewed = {
      type: 'flag_reviewed',
      event_id: randomUUID(),
      subject_id: flag.flag_id,
      employee_id: flag.employee_id,
      actor_id: 'SUP-1',
      actor_role: 'supervisor',
      at: new Date().toISOString(),
      decision,
      reason: `the report test: ${decision}`,
      expected_status: 'proposed',
    };
    return reviewRowOf(event, ledger.apply(event), ledger, { partition: 0, offset });
  });
  await insertReviews(client, written);
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

  const inflation = await rows<FlagRow>(
    `SELECT flag_id, employee_id FROM flags_current
     WHERE kind != 'measurement_gap' AND window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
     ORDER BY employee_id, window_start, kind, method`,
  );
  const [first, second, third] = [...new Set(inflation.map((f) => f.employee_id))];
  expect(third).toBeDefined();
  const of = (employee: string | undefined) => inflation.filter((f) => f.employee_id === employee);
  decided = { confirmed: of(first)[0]!, dismissed: of(second), proposed: of(third) };
  await review([{ flag: decided.confirmed, decision: 'confirmed' }, ...decided.dismissed.map((flag) => ({ flag, decision: 'dismissed' as const }))]);
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
  expect(sections.slice(0, 8)).toEqual(['summary', 'grades', 'scores', 'trends', 'reported', 'anomalies', 'employees', 'disputes']);
  expect(sections.length).toBe(8 + figures.flagged.length);
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

test("the dispute figures on the page are the month's rows of kpi.dispute_figures, per plant of 5 people or more", async () => {
  const expected = await rows<{ plant_id: string; employees: string; disputes: string }>(
    `SELECT plant_id, employees, disputes FROM dispute_figures
     WHERE period_start = toStartOfMonth({from:DateTime64(3, 'UTC')}) AND employees >= 5 ORDER BY plant_id`,
  );
  expect(expected.length).toBeGreaterThan(0);
  expect(figures.disputes.map((d) => [d.period_start.slice(0, 7), d.plant_id, d.employees, d.disputes])).toEqual(
    expected.map((r) => [range.from.slice(0, 7), r.plant_id, Number(r.employees), Number(r.disputes)]),
  );
  const cells = await page.locator('#disputes tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  expect(cells.map((c) => [c[0], c[1], c[2], c[3]])).toEqual(
    figures.disputes.map((d) => [d.period_start.slice(0, 7), d.plant_id, String(d.employees), String(d.disputes)]),
  );
}, 60_000);

test('reported against measured: one point per employee with self-reports, the flagged ones highlighted', async () => {
  const [reporting] = await rows<{ people: number }>(
    `SELECT uniqExact(employee_id) AS people FROM employee_window_metrics FINAL
     WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')} AND reported_units IS NOT NULL`,
  );
  // Flags that stand (confirmed, disputed), await review (proposed) or were withdrawn on review, as kpi.flags_current has them.
  const [flags] = await rows<Record<FlagCount, number>>(
    `SELECT countIf(standing > 0) AS flagged, sum(standing) AS inflation, sum(high) AS high, sum(proposed) AS awaiting,
            countIf(proposed > 0 AND standing = 0) AS awaitingOnly, countIf(standing + proposed > 0) AS listedPeople,
            sum(withdrawn) AS dismissed, sum(gaps) AS gaps
     FROM (
         SELECT employee_id,
                countIf(kind != 'measurement_gap' AND status IN ('confirmed', 'disputed')) AS standing,
                countIf(kind != 'measurement_gap' AND status IN ('confirmed', 'disputed') AND severity = 'high') AS high,
                countIf(kind != 'measurement_gap' AND status = 'proposed') AS proposed,
                countIf(status IN ('dismissed', 'measurement_problem', 'overturned')) AS withdrawn,
                countIf(kind = 'measurement_gap' AND status NOT IN ('dismissed', 'measurement_problem', 'overturned')) AS gaps
         FROM flags_current WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
         GROUP BY employee_id)`,
  );
  const count = (name: FlagCount) => Number(flags![name]);
  expect([count('flagged'), count('inflation'), count('dismissed')]).toEqual([1, 1, decided.dismissed.length]);
  expect(count('awaiting')).toBeGreaterThanOrEqual(decided.proposed.length);
  const charts = await chartSeries();
  const points = (series: string) => seriesData(charts, 'reported-units', series).length;
  expect(points('not flagged') + points('flag awaiting review') + points('flagged for inflation')).toBe(Number(reporting!.people));
  expect(points('flagged for inflation')).toBe(count('flagged'));
  expect(points('flag awaiting review')).toBe(count('awaitingOnly'));
  expect(await page.locator('[data-figure="inflation-flags"]').textContent()).toBe(String(count('inflation')));
  expect(await page.locator('[data-figure="high-flags"]').textContent()).toBe(String(count('high')));
  expect(await page.locator('[data-figure="flagged-employees"]').textContent()).toBe(String(count('flagged')));
  expect(await page.locator('[data-figure="awaiting-review"]').textContent()).toBe(String(count('awaiting')));
  expect(await page.locator('[data-figure="dismissed-on-review"]').textContent()).toBe(String(count('dismissed')));
  expect(await page.locator('[data-figure="measurement-gaps"]').textContent()).toBe(String(count('gaps')));
  // The flag list: one row per flag not withdrawn, each with its explanation and evidence.
  const listed = count('inflation') + count('awaiting') + count('gaps');
  expect(await page.locator('#anomalies-table > tbody > tr').count()).toBe(listed);
  expect(await page.locator('#anomalies-table > tbody > tr details').count()).toBe(listed);
  // One page per employee with a listed inflation flag, listing each of them.
  expect(figures.flagged.length).toBe(count('listedPeople'));
  for (const [i, person] of figures.flagged.entries()) {
    expect(await page.locator(`#employee-${i + 1} ul.explanations li`).count()).toBe(person.flags + person.awaitingReview);
  }
}, 60_000);

test('a confirmed flag stands, proposed ones are marked awaiting review, dismissed ones are named nowhere', async () => {
  const { confirmed, dismissed, proposed } = decided;
  const listed = new Map(figures.anomalies.map((a) => [a.flagId, a]));
  expect(listed.get(confirmed.flag_id)).toMatchObject({ employeeId: confirmed.employee_id, status: 'confirmed', review: 'standing' });
  expect(await page.locator(`[data-flag-id="${confirmed.flag_id}"]`).first().textContent()).toBe('confirmed');
  expect(proposed.length).toBeGreaterThan(0);
  for (const flag of proposed) {
    expect(listed.get(flag.flag_id)).toMatchObject({ employeeId: flag.employee_id, status: 'proposed', review: 'awaiting_review' });
    expect(await page.locator(`#anomalies-table [data-flag-id="${flag.flag_id}"]`).textContent()).toBe('awaiting review');
  }
  // The person whose every flag was dismissed: no flag, no page, not flagged anywhere; only the count remains.
  const cleared = dismissed[0]!.employee_id;
  const reports = [
    readFileSync(join(work, 'plain.html'), 'utf8'),
    readFileSync(join(work, 'plain.json'), 'utf8'),
    readFileSync(join(work, 'named.html'), 'utf8'),
  ];
  for (const flag of dismissed) for (const text of reports) expect(text).not.toContain(flag.flag_id);
  expect(figures.anomalies.filter((a) => a.employeeId === cleared && a.kind !== 'measurement_gap')).toEqual([]);
  expect(figures.flagged.map((p) => p.employeeId)).not.toContain(cleared);
  expect(figures.reportedVsMeasured.filter((r) => r.employeeId === cleared).map((r) => [r.flagged, r.awaitingReview])).toEqual([[false, false]]);
  expect(figures.employees.filter((e) => e.employeeId === cleared).map((e) => [e.inflationFlags, e.awaitingReview])).toEqual([[0, 0]]);
  expect(figures.totals).toMatchObject({ inflationFlags: 1, flaggedEmployees: 1, dismissedOnReview: dismissed.length });
  // The command's summary counts them the same way.
  expect(cliOutput).toContain(`flags: 1 inflation flags standing (confirmed or disputed) on 1 employees`);
  expect(cliOutput).toContain(`awaiting review on ${figures.totals.awaitingReview.employees} employees`);
  expect(cliOutput).toContain(`; ${dismissed.length} dismissed on review;`);
}, 60_000);

test('every person the report names carries the plant and team the views give, as of the period or window', async () => {
  const scores = await rows<{ employee_id: string; day: string; plant_id: string; team_id: string }>(
    `SELECT employee_id, toString(toDate(period_start)) AS day, plant_id, team_id FROM employee_scores_current
     WHERE period_type = 'month' AND period_start >= {from:DateTime64(3, 'UTC')} AND period_start < {to:DateTime64(3, 'UTC')} AND grade != ''`,
  );
  const placedScores = new Map(scores.map((s) => [`${s.employee_id}@${s.day}`, { plantId: s.plant_id, teamId: s.team_id }]));
  expect(figures.employees.length).toBe(scores.length);
  for (const e of figures.employees)
    expect({ e: e.employeeId, ...placedScores.get(`${e.employeeId}@${e.periodStart}`) }).toEqual({ e: e.employeeId, plantId: e.plantId, teamId: e.teamId });

  const flags = await rows<{ flag_id: string; plant_id: string; team_id: string }>(
    `SELECT flag_id, plant_id, team_id FROM flags_current WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
  );
  const placedFlags = new Map(flags.map((f) => [f.flag_id, { plantId: f.plant_id, teamId: f.team_id }]));
  for (const a of figures.anomalies) expect({ a: a.flagId, ...placedFlags.get(a.flagId) }).toEqual({ a: a.flagId, plantId: a.plantId, teamId: a.teamId });

  // Whole-range entries: as of the employee's first window in the range.
  const windows = await rows<{ employee_id: string; plant_id: string; team_id: string }>(
    `SELECT employee_id, argMin(plant_id, window_start) AS plant_id, argMin(team_id, window_start) AS team_id FROM employee_window_metrics_current
     WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')} GROUP BY employee_id`,
  );
  const placedFirst = new Map(windows.map((w) => [w.employee_id, { plantId: w.plant_id, teamId: w.team_id }]));
  for (const p of [...figures.reportedVsMeasured, ...figures.flagged])
    expect({ p: p.employeeId, ...placedFirst.get(p.employeeId) }).toEqual({ p: p.employeeId, plantId: p.plantId, teamId: p.teamId });

  // The simulated plant places everyone: no person without a plant and a team.
  const people = [...figures.employees, ...figures.reportedVsMeasured, ...figures.anomalies, ...figures.flagged];
  expect(people.filter((p) => p.plantId === '' || p.teamId === '').map((p) => p.employeeId)).toEqual([]);
  expect(figures.plants).toEqual([...new Set(people.map((p) => p.plantId))].sort());
  // One plant: a team column in every table of people, and the team on each flagged employee's page.
  for (const id of ['anomalies-table', 'employees-table', 'reported-table']) expect(await page.locator(`#${id} thead th`).allTextContents()).toContain('team');
  expect(await page.locator('#employee-1 p').first().textContent()).toContain(`Team ${figures.flagged[0]!.teamId} · Station`);
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
