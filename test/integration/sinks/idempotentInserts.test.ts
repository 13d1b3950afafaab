import type { Flag } from '../../../contract/flag.js';
import type { DeadLetter } from '../../../contract/ports.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { insertDeliveryAttempts } from '../../../sinks/clickhouse/queries/alertDeliveries.js';
import { saveProgress } from '../../../sinks/clickhouse/queries/analyticsProgress.js';
import { replaceAnomalies } from '../../../sinks/clickhouse/queries/anomalies.js';
import { insertDeadLetters } from '../../../sinks/clickhouse/queries/deadLetters.js';
import { insertScores, type ScoreRow } from '../../../sinks/clickhouse/queries/scores.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { dropTestResources, testContext } from '../support/context.js';
import { windowRowWith } from '../support/rows.js';
import { deliveryAttempt } from '../../unit/support/alerts.js';

/**
 * A writer's insert sent a second time, as a retry after a lost answer or a
 * replay after a crash sends it: ClickHouse itself keeps one copy (counted
 * without FINAL, so no merge or read-time collapse is credited). The clock
 * moves between the two sends, as it would. Writers whose rows are versioned
 * by the time of the write (scores, progress) put it in their token, so a
 * value written again after another is kept (insert.ts, point 3).
 */
const ctx = testContext('idempotent_inserts');
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const DAY = 86_400_000;
const START = Date.UTC(2026, 9, 5);

beforeAll(async () => {
  await migrate(ctx.config, ctx.log, catalog);
});

afterAll(async () => {
  await client.close();
  await dropTestResources(ctx);
});

async function copies(table: string, where = '1'): Promise<number> {
  const result = await client.query({ query: `SELECT count() AS n FROM ${table} WHERE ${where}`, format: 'JSONEachRow' });
  return Number((await result.json<{ n: number }>())[0]!.n);
}

/** Runs `write` twice, a few milliseconds apart (so every clock a writer reads has moved). */
async function twice(write: () => Promise<void>): Promise<void> {
  await write();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await write();
}

const letter = (offset: number): DeadLetter => ({
  topic: 'it.factory.production.v1',
  partition: 3,
  offset,
  timestamp: START,
  key: Buffer.from('E-1'),
  value: Buffer.from([1, 2, 3]),
  code: 'KPI_ERR_DECODE_NOT_AVRO',
  message: 'not Avro',
});

/** An inflation flag of the daily window starting at `windowStart`. */
const flagOf = (employeeId: string, windowStart: number): Flag => ({
  employeeId,
  stationId: 'S1',
  windowStart,
  windowEnd: windowStart + DAY,
  kind: 'units_overclaim',
  method: 'sequential',
  severity: 'high',
  reported: 12,
  measured: 10,
  deviation: 0.2,
  z: 4,
  explanation: 'x',
  evidence: {},
});

test('each writer’s insert (window rows, dead letters, deliveries), sent again, leaves exactly one copy', async () => {
  const rows = [0, 1, 2].map((day) =>
    windowRowWith(catalog, {
      employee: 'E-1',
      start: START + day * DAY,
      end: START + (day + 1) * DAY,
      station: 'S1',
      measures: { units: 10 + day },
      events: 2,
    }),
  );
  const store = new ClickHouseWindowStore(client, catalog, ctx.log);
  await twice(() => store.write(rows, batchToken(rows)));
  expect(await copies('employee_window_metrics')).toBe(3);

  await twice(() => insertDeadLetters(client, [letter(10), letter(11)], 'test'));
  expect(await copies('dead_letters')).toBe(2);

  await twice(() => insertDeliveryAttempts(client, [deliveryAttempt('a', START), deliveryAttempt('b', START)]));
  expect(await copies('alert_deliveries')).toBe(2);
});

test('scores and progress, versioned by the time of the write, are written again: A → B → A ends at A', async () => {
  // Figures that go A → B → A (a report corrected, then corrected back): the third insert holds the first's rows, and
  // must not be taken for it, or B would stay current. Each insert is newer; FINAL keeps the newest row per key.
  const score: ScoreRow = {
    model_version: 'default-v1',
    period_type: 'window',
    period_start: START,
    employee_id: 'E-1',
    station_id: 'S1',
    windows: 1,
    figures: { units: 10 },
    indicator_values: { efficiency: 1 },
    indicator_points: { efficiency: 100 },
    score: 100,
    grade: 'excellent',
    self_score_avg: null,
    self_grade: '',
  };
  for (const figures of [score, { ...score, score: 60, grade: 'needs improvement' }, score]) {
    await insertScores(client, [figures]);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const current = await client.query({ query: "SELECT score, grade FROM employee_scores FINAL WHERE employee_id = 'E-1'", format: 'JSONEachRow' });
  expect(await current.json()).toEqual([{ score: 100, grade: 'excellent' }]);

  for (const through of [START + DAY, START + 2 * DAY, START + DAY]) {
    await saveProgress(client, 'analytics-a-b-a', through);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const progress = await client.query({
    query: "SELECT toUnixTimestamp64Milli(through) AS through FROM analytics_progress FINAL WHERE name = 'analytics-a-b-a'",
    format: 'JSONEachRow',
  });
  expect(await progress.json()).toEqual([{ through: START + DAY }]);
});

test('a replaced flag equal to the one deleted is written again: the run’s time is in its token', async () => {
  const flag = flagOf('E-5', START + 10 * DAY);
  const range = { from: START + 10 * DAY, to: START + 11 * DAY };
  await replaceAnomalies(client, range, [flag], 'rules-v2');
  await replaceAnomalies(client, range, [], 'rules-v2');
  expect(await copies('anomalies', "employee_id = 'E-5'")).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await replaceAnomalies(client, range, [flag], 'rules-v2');
  expect(await copies('anomalies', "employee_id = 'E-5'")).toBe(1);
});

test('the token decides: the same rows under another token are written again', async () => {
  const values = [{ event_id: 'other-token', target: 'webhook', attempted_at: '2026-10-05 00:00:01.000', outcome: 'delivered', explanation: 'x' }];
  // The architecture test keeps a bare insert out of the product; here it shows what the token does.
  for (const token of ['one', 'two']) {
    await client.insert({ table: 'alert_deliveries', format: 'JSONEachRow', values, clickhouse_settings: { insert_deduplication_token: token } });
  }
  expect(await copies('alert_deliveries', "event_id = 'other-token'")).toBe(2);
});
