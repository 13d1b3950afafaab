import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { WindowRow } from '../../../contract/windowRow.js';
import { distFile } from '../../../core/paths.js';
import { readFlags, runDetection } from '../../../detection/runner.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { batchToken } from '../../../processors/checkpoint.js';
import type { ReportFigures } from '../../../reporting/figures.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { dropTestResources, testContext } from '../support/context.js';
import { processorEnv } from '../support/processor.js';
import { windowRowWith } from '../support/rows.js';

/**
 * The report in plant time, on the real ClickHouse: a plant in Europe/Berlin
 * with plant days from midnight (22:00Z in October), three operators on night
 * shifts, 22:00 to 06:00 local: each night lies 2 hours in its plant day's
 * window and 6 in the next. A week of honest nights, then on plant day
 * 2026-10-05 two report exactly what was measured and one six times as many
 * units. `kpi-stream report --from 2026-10-05 --to 2026-10-06` must take that
 * plant day's window (not the UTC day's), and set each report beside what was
 * measured over its own night, as the flag does.
 */
const ctx = testContext('report_plant_time', { KPI_TIME_ZONE: 'Europe/Berlin' });
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const sink = new ClickHouseWindowStore(client, catalog, ctx.log);
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'kpi-report-plant-time-'));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Plant day 2026-10-05 in Europe/Berlin (UTC+2): [2026-10-04T22:00Z, 2026-10-05T22:00Z). */
const DAY_START = Date.UTC(2026, 9, 4, 22);
const NEXT_START = DAY_START + DAY;
/** Honest nights before it: their windows are history for detection, outside the report. */
const HISTORY = 7;
/**
 * Units per hour on the nights before and on the night of 2026-10-05, and the
 * units reported for it: the window of 2026-10-05 holds 6 hours of the night
 * before and 2 of its own, so only the night's own hours give what was claimed.
 */
const OPERATORS = [
  { employee: 'E1', before: 12, perHour: 15, reported: 120 },
  { employee: 'E2', before: 10, perHour: 10, reported: 480 },
  { employee: 'E3', before: 11, perHour: 14, reported: 112 },
];
const RUN_MS = 0.9 * HOUR;

/** One local hour of a night: units, the machine running 54 minutes and idle 6. */
const hour = (at: number, units: number) => ({
  hour: at,
  measures: { units, standard_ms: RUN_MS, run_ms: RUN_MS, idle_ms: HOUR - RUN_MS, units_inspected: units },
});

/** The windows of the plant days from HISTORY days before 2026-10-05 to 2026-10-06: each holds the end of the last night and the start of its own, with its report. */
function nightRows(o: (typeof OPERATORS)[number]): WindowRow[] {
  const rows: WindowRow[] = [];
  for (let d = -HISTORY; d <= 1; d++) {
    const start = DAY_START + d * DAY;
    const night = { start: start + 22 * HOUR, end: start + 30 * HOUR };
    const rate = (night: number) => (night === 0 ? o.perHour : o.before);
    const hours = (from: number, n: number, night: number) => Array.from({ length: n }, (_, i) => hour(from + i * HOUR, rate(night)));
    rows.push(
      windowRowWith(catalog, {
        employee: o.employee,
        start,
        end: start + DAY,
        plantDay: new Date(start + DAY / 2).toISOString().slice(0, 10),
        station: 'S1',
        measures: {},
        hours: [...(d > -HISTORY ? hours(start, 6, d - 1) : []), ...(d < 1 ? hours(night.start, 2, d) : [])],
        ...(d < 1
          ? {
              period: night,
              report: {
                eventId: `r-${o.employee}-${d}`,
                submittedTime: night.end + HOUR,
                units: d === 0 ? o.reported : 8 * o.before,
                runHours: 7.2,
                defectiveUnits: 0,
                selfScore: 80,
              },
            }
          : {}),
      }),
    );
  }
  return rows;
}

let figures: ReportFigures;

beforeAll(async () => {
  await migrate(ctx.config, ctx.log, catalog);
  const rows = OPERATORS.flatMap(nightRows);
  await sink.write(rows, batchToken(rows));
  await runDetection(client, catalog, ctx.log, { from: DAY_START - HISTORY * DAY, to: NEXT_START + DAY, timeZone: ctx.config.timeZone });
  const out = join(work, 'report.json');
  const args = [
    '--purpose',
    'review of plant day 2026-10-05',
    '--actor',
    'hr-lead',
    '--from',
    '2026-10-05',
    '--to',
    '2026-10-06',
    '--format',
    'json',
    '--out',
    out,
  ];
  await run(process.execPath, [distFile('cli/main.js'), 'report', ...args], { env: processorEnv(ctx), maxBuffer: 1 << 24 });
  figures = JSON.parse(readFileSync(out, 'utf8')) as ReportFigures;
}, 120_000);

afterAll(async () => {
  await client.close();
  rmSync(work, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('--from and --to are plant days: 2026-10-05 in Europe/Berlin is the window from 2026-10-04T22:00Z, and the next day is left out', () => {
  expect(figures.period).toEqual({ type: 'month', from: '2026-10-05', to: '2026-10-05' });
  expect(figures.totals.reports).toBe(3);
  expect(figures.trends.days).toEqual(['2026-10-05']);
});

test('each self-report is set beside what was measured over its own night, across midnight: the honest ones claim nothing more', () => {
  expect(
    figures.reportedVsMeasured.map((r) => ({ employee: r.employeeId, reports: r.reports, units: r.units, runHours: r.runHours.measured.toFixed(2) })),
  ).toEqual([
    { employee: 'E1', reports: 1, units: { reported: 120, measured: 120 }, runHours: '7.20' },
    { employee: 'E2', reports: 1, units: { reported: 480, measured: 80 }, runHours: '7.20' },
    { employee: 'E3', reports: 1, units: { reported: 112, measured: 112 }, runHours: '7.20' },
  ]);
});

test("the flagged employee's page shows the measured figure of the flag, beside the median of the station's nights", async () => {
  const flags = (await readFlags(client, { from: DAY_START, to: NEXT_START })).filter((f) => f.kind === 'units_overclaim');
  expect(flags.map((f) => ({ employee: f.employeeId, reported: f.reported, measured: f.measured }))).toEqual([{ employee: 'E2', reported: 480, measured: 80 }]);
  expect(figures.flagged.map((p) => p.employeeId)).toEqual(['E2']);
  expect(figures.flagged[0]!.windows).toEqual([
    expect.objectContaining({
      windowStart: new Date(DAY_START).toISOString(),
      flaggedKinds: expect.arrayContaining(['units_overclaim']),
      peerCount: 3,
      // The median of the three nights: 120, 80 and 112 units.
      units: { reported: 480, measured: flags[0]!.measured, peers: 112 },
    }),
  ]);
});

test('the report is written to the access log: a row for each person it names, with who asked, why and the period', async () => {
  const rows = await (
    await client.query({ query: 'SELECT actor, action, employee_id, purpose, details FROM access_log ORDER BY employee_id', format: 'JSONEachRow' })
  ).json<Record<string, string>>();
  const row = (employeeId: string) => ({
    actor: 'hr-lead',
    action: 'report_with_names',
    employee_id: employeeId,
    purpose: 'review of plant day 2026-10-05',
    details: expect.objectContaining({
      period: 'month',
      from: new Date(DAY_START).toISOString(),
      to: new Date(NEXT_START).toISOString(),
      employees: 3,
      names: false,
    }),
  });
  expect(rows.map((r) => ({ ...r, details: JSON.parse(r.details!) }))).toEqual([row('E1'), row('E2'), row('E3')]);
});
