import { runDetection } from '../../../detection/runner.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import type { Actor } from '../../../people/reviewDesk.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { createKafka, ensureDeploymentTopics } from '../../../topics/kafka.js';
import type { Flag } from '../../../contract/flag.js';
import { flagId } from '../../../contract/flagId.js';
import { dropTestResources, testContext } from '../support/context.js';
import { startReviewLoop, type ReviewLoop } from '../support/reviews.js';
import { windowRowWith } from '../support/rows.js';

/**
 * Decisions feed back into detection on the real services: flags are
 * decided through the review desk and the applier (kpi.reviews.v1 →
 * kpi.reviews → flags_current), and the next run of detection reads them.
 * Stations S1 and S2 of honest operators (off by at most 1%); E-dismissed
 * (S1) and E-problem (S1) each claim 15% more units on one shift.
 */
const ctx = testContext('review_feedback');
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 9, 5);
const DAYS = 10;
const range = { from: MONDAY, to: MONDAY + DAYS * DAY, timeZone: 'UTC' };
const SUPERVISOR: Actor = { id: 'S-lead', role: 'supervisor' };
const offsets = [-2, 1, 0, 2, -1, 1, 0, -2];

/** A shift of `employee` at `station`: the MES counts 200 units; they report 200 + `claim`. */
const shift = (employee: string, station: string, day: number, claim: number) =>
  windowRowWith(catalog, {
    employee,
    start: MONDAY + day * DAY,
    end: MONDAY + (day + 1) * DAY,
    station,
    measures: { units: 200, standard_ms: 20_000_000, run_ms: 21_600_000, idle_ms: 7_200_000 },
    report: { eventId: `r-${employee}-${day}`, submittedTime: MONDAY, units: 200 + claim, runHours: 6, defectiveUnits: 0, selfScore: null },
  });

/** Honest operators of a station, and one person who claims 30 units more (+15%) on `day` and is exact otherwise. */
const station = (name: string, outliers: Record<string, number>) =>
  Array.from({ length: DAYS }, (_, day) => [
    ...Array.from({ length: 8 }, (_, i) => shift(`${name}-honest-${i}`, name, day, offsets[(day + i) % 8]!)),
    ...Object.entries(outliers).map(([employee, at]) => shift(employee, name, day, day === at ? 30 : 0)),
  ]).flat();

let reviews: ReviewLoop | undefined;

const detectRange = () => runDetection(client, catalog, ctx.log, range);
const inflationOf = (flags: readonly Flag[], employee: string) => flags.filter((f) => f.employeeId === employee && f.kind !== 'measurement_gap');
const shown = (flags: readonly Flag[]) => flags.map((f) => `${f.employeeId} ${(f.windowStart - MONDAY) / DAY} ${f.kind} ${f.method}`).sort();

async function statusOf(id: string): Promise<string | undefined> {
  const result = await client.query({ query: `SELECT status FROM flags_current WHERE flag_id = {id:String}`, query_params: { id }, format: 'JSONEachRow' });
  return (await result.json<{ status: string }>())[0]?.status;
}

beforeAll(async () => {
  await ensureDeploymentTopics(createKafka(ctx.config, 'review-feedback-topics', ctx.log), ctx.config, ctx.log);
  await migrate(ctx.config, ctx.log, catalog);
  const rows = [...station('S1', { 'E-dismissed': 6, 'E-problem': 4 }), ...station('S2', {})];
  await new ClickHouseWindowStore(client, catalog, ctx.log).write(rows, batchToken(rows));
  reviews = await startReviewLoop(ctx.config, ctx.log, client);
}, 180_000);

afterAll(async () => {
  await reviews?.stop();
  await client.close();
  await dropTestResources(ctx);
}, 60_000);

test('a measurement problem becomes a gap and a dismissal a tolerance: the next runs flag neither again, and agree', async () => {
  const first = await detectRange();
  expect(shown(first)).toEqual(['E-dismissed 6 units_overclaim single_window', 'E-problem 4 units_overclaim single_window']);
  const [dismissed] = inflationOf(first, 'E-dismissed');
  const [problem] = inflationOf(first, 'E-problem');
  expect(dismissed!.deviation).toBeCloseTo(0.15, 9);

  for (const [flag, decision] of [
    [dismissed!, 'dismissed'],
    [problem!, 'measurement_problem'],
  ] as const) {
    const result = await reviews!.desk.review(flagId(flag), decision, 'checked at the station', SUPERVISOR);
    expect(result).toMatchObject({ outcome: 'applied', status: decision });
  }

  // The same 15% claimed later at S1 by someone else, and at S2 (no dismissal there): written after the decisions.
  const later = [shift('E-same', 'S1', DAYS - 1, 30), shift('E-elsewhere', 'S2', DAYS - 1, 30)];
  const earlier = Array.from({ length: DAYS - 1 }, (_, day) => [shift('E-same', 'S1', day, 0), shift('E-elsewhere', 'S2', day, 0)]).flat();
  await new ClickHouseWindowStore(client, catalog, ctx.log).write([...earlier, ...later], batchToken([...earlier, ...later]));

  const second = await detectRange();
  // E-problem's window is a measurement gap, not flagged again; the flag decided stays as it was decided.
  expect(inflationOf(second, 'E-problem').map((f) => [flagId(f), f.method])).toEqual([[flagId(problem!), 'single_window']]);
  const gap = second.find((f) => f.employeeId === 'E-problem' && f.kind === 'measurement_gap');
  expect(gap).toMatchObject({ windowStart: problem!.windowStart, method: 'coverage' });
  expect(gap!.evidence).toMatchObject({ gaps: [{ source: 'review', reason: 'measurement_problem', flags: [flagId(problem!)] }] });
  expect(await statusOf(flagId(problem!))).toBe('measurement_problem');
  // The dismissed deviation is tolerated at S1, for anyone; at S2 the same claim is still flagged.
  expect(inflationOf(second, 'E-same')).toEqual([]);
  expect(inflationOf(second, 'E-elsewhere').map((f) => [f.kind, f.method, (f.windowStart - MONDAY) / DAY])).toEqual([
    ['units_overclaim', 'single_window', DAYS - 1],
  ]);
  expect(await statusOf(flagId(dismissed!))).toBe('dismissed');

  // A re-run over the same reports and decisions writes the same flags.
  const third = await detectRange();
  expect(shown(third)).toEqual(shown(second));
  const stored = await client.query({
    query: `SELECT employee_id, kind, status FROM flags_current WHERE window_start >= {from:DateTime64(3, 'UTC')} ORDER BY employee_id, kind`,
    query_params: { from: '2026-10-05 00:00:00.000' },
    format: 'JSONEachRow',
  });
  expect(await stored.json()).toEqual([
    { employee_id: 'E-dismissed', kind: 'units_overclaim', status: 'dismissed' },
    { employee_id: 'E-elsewhere', kind: 'units_overclaim', status: 'proposed' },
    { employee_id: 'E-problem', kind: 'measurement_gap', status: 'proposed' },
    { employee_id: 'E-problem', kind: 'units_overclaim', status: 'measurement_problem' },
  ]);
}, 180_000);
