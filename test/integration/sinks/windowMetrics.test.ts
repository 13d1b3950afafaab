import { join } from 'node:path';
import type { WindowRow } from '../../../contract/windowRow.js';
import { projectRoot } from '../../../core/paths.js';
import { loadCatalog } from '../../../kpis/extensions.js';
import { applyEvent, newEmployeeWindow, toRow } from '../../../processors/employeeWindow.js';
import { batchToken } from '../../../processors/checkpoint.js';
import type { KindedEvent } from '../../../schemas/kinds.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { readWindowRows } from '../../../sinks/clickhouse/queries/windowMetrics.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { feedback, inspection, production, selfReport, telemetry } from '../../unit/support/events.js';
import { dropTestResources, testContext } from '../support/context.js';

// Rows go to ClickHouse in RowBinary and come back in RowBinaryWithNamesAndTypes: every column must
// survive both ways exactly, the extension's columns too, and ClickHouse must read what was meant.
const ctx = testContext('window_rows');
const client = createClickHouseClient(ctx.config);
const catalogOf = () => loadCatalog([join(projectRoot(), 'examples', 'mtbf', 'mtbf.js')]);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 9, 5);

afterAll(async () => {
  await client.close();
  await dropTestResources(ctx);
});

/** A window made by the aggregation itself from events of every kind, at two stations over several hours. */
async function aggregated(employee: string, day: number, options: { report: boolean; selfScore?: number | null }): Promise<WindowRow> {
  const catalog = await catalogOf();
  const start = START + day * DAY;
  const window = { start, end: start + DAY, plantDay: new Date(start).toISOString().slice(0, 10), shift: '', crew: '' };
  const state = newEmployeeWindow(catalog, employee, window);
  const at = (hour: number, minute = 0) => start + hour * HOUR + minute * 60_000;
  const events: KindedEvent[] = [
    {
      kind: 'production',
      event: production({
        event_id: `${employee}-p1`,
        employee_id: employee,
        station_id: 'Säge 1',
        event_time: at(6, 30),
        units: 2 ** 20,
        standard_seconds_per_unit: 1234.567,
      }),
    },
    { kind: 'production', event: production({ event_id: `${employee}-p2`, employee_id: employee, station_id: 'S-2', event_time: at(9), units: 3 }) },
    {
      kind: 'telemetry',
      event: telemetry({
        event_id: `${employee}-t1`,
        employee_id: employee,
        interval_start: at(6),
        interval_end: at(6, 15),
        run_seconds: 600.123,
        idle_seconds: 0,
        down_seconds: 299.877,
      }),
    },
    {
      kind: 'telemetry',
      event: telemetry({
        event_id: `${employee}-t2`,
        employee_id: employee,
        station_id: 'S-2',
        interval_start: at(9),
        interval_end: at(9, 15),
        run_seconds: 900,
        idle_seconds: 0,
        down_seconds: 0,
      }),
    },
    {
      kind: 'inspection',
      event: inspection({
        event_id: `${employee}-i1`,
        employee_id: employee,
        production_time: at(6, 30),
        inspected_time: at(30),
        units_inspected: 7,
        units_defective: 2,
      }),
    },
    {
      kind: 'feedback',
      event: feedback({
        event_id: `${employee}-f1`,
        employee_id: employee,
        production_time: at(9),
        feedback_time: at(200),
        satisfaction: 33.333,
        complaint: true,
      }),
    },
  ];
  if (options.report) {
    events.push({
      kind: 'selfReport',
      event: selfReport({
        event_id: `${employee}-r"1"`,
        employee_id: employee,
        period_start: at(6),
        period_end: at(14),
        submitted_time: at(15),
        reported_units: 1_048_579,
        reported_run_hours: 7.25,
        reported_defective_units: 0,
        self_score: options.selfScore ?? null,
      }),
    });
  }
  for (const [i, tagged] of events.entries()) applyEvent(catalog, state, tagged, (i * 7919) & 0xffff, hourOf(tagged));
  return toRow(catalog, state);
}

/** The hour of the time that places an event in its window (UTC here). */
function hourOf(tagged: KindedEvent): number {
  const e = tagged.event as unknown as Record<string, number>;
  const time = e.event_time ?? e.interval_start ?? e.production_time ?? e.period_start!;
  return time - (time % HOUR);
}

test('rows written in RowBinary read back exactly, and ClickHouse reads them as meant', async () => {
  const catalog = await catalogOf();
  await migrate(ctx.config, ctx.log, catalog);
  const rows = [
    await aggregated('Jürgen Ö', 0, { report: true, selfScore: 88.5 }),
    await aggregated('E-2', 0, { report: true, selfScore: null }),
    await aggregated('E-2', 1, { report: false }),
  ];
  expect(rows[0]!.values.mtbf_hours).not.toBeNull();
  expect(rows[2]!.values.efficiency).not.toBeNull();
  const store = new ClickHouseWindowStore(client, catalog, ctx.log);
  await store.write(rows, batchToken(rows));

  const keys = rows.map((r) => ({ employeeId: r.employee_id, windowStart: r.window_start }));
  expect(await readWindowRows(client, catalog, keys)).toEqual(expect.arrayContaining(rows));
  expect(await store.current(keys)).toHaveLength(rows.length);
  expect(await store.latestWindowStart()).toBe(START + DAY);

  // What ClickHouse itself holds, read as JSON: the same figures, times and texts.
  const result = await client.query({
    query: `SELECT employee_id, toString(window_start) AS start, toString(plant_day) AS day, station_id, version, units, standard_ms, run_ms, down_ms,
                   satisfaction_milli, efficiency, defect_rate, satisfaction_avg, failures, mtbf_hours, reported_units, reported_run_hours, self_score,
                   toString(report_submitted_time) AS submitted, report_event_id, station_weights, length(event_keys) AS keys, event_digests,
                   arrayMap(h -> toString(h.hour), hourly) AS hours
            FROM employee_window_metrics ORDER BY employee_id, window_start`,
    format: 'JSONEachRow',
  });
  const held = await result.json<Record<string, unknown>>();
  const first = rows[0]!;
  expect(held).toHaveLength(3);
  expect(held[2]).toMatchObject({
    employee_id: 'Jürgen Ö',
    start: '2026-10-05 00:00:00.000',
    day: '2026-10-05',
    station_id: first.station_id,
    version: 7,
    units: 2 ** 20 + 3,
    standard_ms: first.values.standard_ms,
    run_ms: 1_500_123,
    down_ms: 299_877,
    satisfaction_milli: 33_333,
    efficiency: first.values.efficiency,
    defect_rate: 2 / 7,
    satisfaction_avg: 33.333,
    failures: 1,
    mtbf_hours: first.values.mtbf_hours,
    reported_units: 1_048_579,
    reported_run_hours: 7.25,
    self_score: 88.5,
    submitted: '2026-10-05 15:00:00.000',
    report_event_id: 'Jürgen Ö-r"1"',
    station_weights: first.station_weights,
    keys: 7,
    event_digests: first.event_digests,
    hours: ['2026-10-05 06:00:00.000', '2026-10-05 09:00:00.000'],
  });
  expect(held[0]).toMatchObject({ employee_id: 'E-2', start: '2026-10-05 00:00:00.000', self_score: null, reported_units: 1_048_579 });
  expect(held[1]).toMatchObject({
    employee_id: 'E-2',
    start: '2026-10-06 00:00:00.000',
    reported_units: null,
    reported_run_hours: null,
    self_score: null,
    submitted: null,
    report_event_id: '',
  });
}, 60_000);

test('the same rows written again with the same token are written once', async () => {
  const catalog = await catalogOf();
  const rows = [await aggregated('E-9', 3, { report: false })];
  const store = new ClickHouseWindowStore(client, catalog, ctx.log);
  await store.write(rows, batchToken(rows));
  await store.write(rows, batchToken(rows));
  const result = await client.query({ query: "SELECT count() AS n FROM employee_window_metrics WHERE employee_id = 'E-9'", format: 'JSONEachRow' });
  expect(Number((await result.json<{ n: number }>())[0]!.n)).toBe(1);
});
