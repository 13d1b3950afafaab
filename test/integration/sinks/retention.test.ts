import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Flag } from '../../../contract/flag.js';
import { loadConfig } from '../../../core/config.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { replaceAnomalies } from '../../../sinks/clickhouse/queries/anomalies.js';
import { KEPT_TABLES, TABLE_RETENTION } from '../../../sinks/clickhouse/retention.js';
import { dropTestResources, testContext } from '../support/context.js';

/**
 * Retention on the real engine: after migrate every MergeTree table of the
 * database has the TTL its kind of data asks for (KPI_RETENTION_FILE), or is
 * one kept on purpose; a changed file changes that table's TTL and no other;
 * a second run with the same file changes nothing; and a database from
 * before retention loses its expired rows once migrate sets the TTL.
 */
// The defaults: not the tests' long retention (support/retention.yaml).
const ctx = testContext('retention', { KPI_RETENTION_FILE: '' });
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const dir = mkdtempSync(join(tmpdir(), 'kpi-retention-it-'));
const DAY = 86_400_000;

afterAll(async () => {
  await client.close();
  await dropTestResources(ctx);
  rmSync(dir, { recursive: true, force: true });
});

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Each MergeTree table of the test's database: its engine clause and when its metadata last changed. */
async function mergeTreeTables(): Promise<Map<string, { engineFull: string; modified: string }>> {
  const tables = await rows<{ name: string; engine_full: string; modified: string }>(
    "SELECT name, engine_full, toString(metadata_modification_time) AS modified FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'",
  );
  return new Map(tables.map((t) => [t.name, { engineFull: t.engine_full, modified: t.modified }]));
}

/** The configuration of the test's database with a retention file holding `text`. */
function withRetentionFile(text: string) {
  const path = join(dir, `retention-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return loadConfig({ ...ctx.env, KPI_RETENTION_FILE: path });
}

test('after migrate every MergeTree table has its TTL or is kept on purpose; the same retention again changes nothing', async () => {
  const first = await migrate(ctx.config, ctx.log, catalog);
  expect(first.retentionChanged.sort()).toEqual(Object.keys(TABLE_RETENTION).sort());

  const tables = await mergeTreeTables();
  expect(tables.size).toBeGreaterThanOrEqual(8);
  const withoutTtl = [...tables].filter(([, t]) => !/\sTTL\s/.test(t.engineFull)).map(([name]) => name);
  expect(withoutTtl.sort()).toEqual(Object.keys(KEPT_TABLES).sort());
  expect(tables.get('employee_window_metrics')!.engineFull).toContain(' TTL window_start + toIntervalMonth(13) ');
  expect(tables.get('employee_scores')!.engineFull).toContain(' TTL period_start + toIntervalMonth(25) ');
  expect(tables.get('anomalies')!.engineFull).toContain(' TTL window_start + toIntervalMonth(25) ');
  expect(tables.get('alert_deliveries')!.engineFull).toContain(' TTL window_start + toIntervalMonth(25) ');
  expect(tables.get('dead_letters')!.engineFull).toContain(' TTL dead_lettered_at + toIntervalDay(90) ');

  const mutations = await rows<{ n: string }>('SELECT count() AS n FROM system.mutations WHERE database = currentDatabase()');
  // metadata_modification_time counts seconds: a second run within the same second would hide an ALTER.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const second = await migrate(ctx.config, ctx.log, catalog);
  expect(second).toEqual({ applied: [], retentionChanged: [] });
  expect(await mergeTreeTables()).toEqual(tables);
  expect(await rows<{ n: string }>('SELECT count() AS n FROM system.mutations WHERE database = currentDatabase()')).toEqual(mutations);
}, 120_000);

test('a changed retention file changes the TTL of its kind’s tables, and no other; a shorter one only when asked', async () => {
  const before = await mergeTreeTables();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const config = withRetentionFile('dead_letters: 30 days\n');
  // Shorter than the table's 90 days: it would delete rows at once, so it is logged and left.
  expect(await migrate(config, ctx.log, catalog)).toEqual({ applied: [], retentionChanged: [] });
  expect(await mergeTreeTables()).toEqual(before);
  expect(await migrate(config, ctx.log, catalog, { shortenRetention: true })).toEqual({ applied: [], retentionChanged: ['dead_letters'] });
  const after = await mergeTreeTables();
  expect(after.get('dead_letters')!.engineFull).toContain(' TTL dead_lettered_at + toIntervalDay(30) ');
  expect(after.get('dead_letters')!.modified).not.toBe(before.get('dead_letters')!.modified);
  for (const table of [...before.keys()].filter((t) => t !== 'dead_letters')) expect([table, after.get(table)]).toEqual([table, before.get(table)]);
  // Back to the defaults (longer): the file unset, the TTL it set is replaced without being asked.
  expect((await migrate(ctx.config, ctx.log, catalog)).retentionChanged).toEqual(['dead_letters']);
}, 120_000);

test('a database from before retention loses its expired rows once migrate sets the TTL; the rest stay', async () => {
  const now = Date.now();
  const flag = (employeeId: string, windowStart: number): Flag => ({
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
  // As before this change: no TTL, and flags of 26 months ago (past the default 25) and of last week.
  await client.command({ query: 'ALTER TABLE anomalies REMOVE TTL' });
  const old = now - 26 * 31 * DAY;
  const recent = now - 7 * DAY;
  await replaceAnomalies(client, { from: old, to: now }, [flag('E-old', old), flag('E-recent', recent)], 'rules-v2');
  const employees = async () =>
    (await rows<{ employee_id: string }>('SELECT employee_id FROM anomalies_current ORDER BY employee_id')).map((r) => r.employee_id);
  expect(await employees()).toEqual(['E-old', 'E-recent']);

  expect((await migrate(ctx.config, ctx.log, catalog)).retentionChanged).toEqual(['anomalies']);
  // Setting a TTL applies it to the rows already stored (materialize_ttl_after_modify): a mutation, in the background.
  for (let i = 0; i < 100; i++) {
    const pending = await rows<{ n: string }>(
      "SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = 'anomalies' AND NOT is_done",
    );
    if (Number(pending[0]!.n) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await employees()).toEqual(['E-recent']);
}, 120_000);
