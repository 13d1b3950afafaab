import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SinkError } from '../../../../core/errors.js';
import { projectRoot } from '../../../../core/paths.js';
import { DEFAULT_RETENTION, formatPeriod, RETENTION_KINDS, type RetentionKind } from '../../../../core/retention.js';
import { loadCatalog } from '../../../../kpis/extensions.js';
import { allMigrations, loadMigrations, plannedStatements, type Migration } from '../../../../sinks/clickhouse/migrate.js';
import { KEPT_TABLES, sameTtl, shortensTtl, TABLE_RETENTION, tablesMadeBy, ttlOfEngine } from '../../../../sinks/clickhouse/retention.js';

/** Every migration file in the repository: kpi-stream's, the built-in KPIs' and the MTBF example's. */
async function everyMigration(): Promise<Migration[]> {
  return [...allMigrations(await loadCatalog([])), ...loadMigrations(join(projectRoot(), 'examples', 'mtbf', 'migrations'), 'mtbf')];
}

test('every table the migrations leave has a retention or a reason to be kept, and the lists name no other table', async () => {
  const plan = plannedStatements(await everyMigration(), await loadCatalog([]), undefined, DEFAULT_RETENTION, 'kpi');
  const tables = tablesMadeBy([...plan.appliedMigrationsTable, ...[...plan.migrations.values()].flat()]);
  expect(tables.length).toBeGreaterThanOrEqual(8);
  // A new table in neither list fails here (and stops migrate, below).
  expect(tables.filter((t) => !Object.hasOwn(TABLE_RETENTION, t) && !Object.hasOwn(KEPT_TABLES, t))).toEqual([]);
  expect([...Object.keys(TABLE_RETENTION), ...Object.keys(KEPT_TABLES)].sort()).toEqual([...tables].sort());
  expect(Object.keys(TABLE_RETENTION).filter((t) => Object.hasOwn(KEPT_TABLES, t))).toEqual([]);
  // Every kind of the file holds at least one table.
  expect(new Set(Object.values(TABLE_RETENTION).map((r) => r.kind))).toEqual(new Set(Object.keys(RETENTION_KINDS)));
  expect(plan.retention.map((r) => [r.table, r.ttl])).toEqual([
    ['employee_window_metrics', 'window_start + toIntervalMonth(13)'],
    ['dead_letters', 'dead_lettered_at + toIntervalDay(90)'],
    ['employee_scores', 'period_start + toIntervalMonth(25)'],
    ['anomalies', 'window_start + toIntervalMonth(25)'],
    ['alert_deliveries', 'window_start + toIntervalMonth(25)'],
    ['access_log', 'at + toIntervalMonth(36)'],
    ['reviews', 'at + toIntervalMonth(37)'],
  ]);
});

test('a migration that makes a table without a retention stops the plan, naming the table', async () => {
  const catalog = await loadCatalog([]);
  const holidays: Migration = {
    component: 'kpi-stream',
    version: 9999,
    name: 'holidays',
    statements: ['CREATE TABLE IF NOT EXISTS holidays (day Date, employee_id String) ENGINE = MergeTree ORDER BY day'],
    checksum: 'x',
  };
  const plan = () => plannedStatements([...allMigrations(catalog), holidays], catalog, undefined, DEFAULT_RETENTION, 'kpi');
  expect(plan).toThrow(SinkError);
  expect(plan).toThrow(/the migrations make table holidays without a retention: .*TABLE_RETENTION.*KEPT_TABLES/);
  // A table made and dropped again leaves nothing to keep.
  const dropped = { ...holidays, version: 10_000, name: 'drop_holidays', statements: ['DROP TABLE IF EXISTS holidays'] };
  expect(() => plannedStatements([...allMigrations(catalog), holidays, dropped], catalog, undefined, DEFAULT_RETENTION, 'kpi')).not.toThrow();
});

test('the file sets the TTL; on a cluster it goes to the local tables, on every node', async () => {
  const catalog = await loadCatalog([]);
  const retention = { ...DEFAULT_RETENTION, window_rows: { count: 24, unit: 'month' as const } };
  const plan = plannedStatements(allMigrations(catalog), catalog, { cluster: 'kpi', database: 'kpi' }, retention, 'kpi');
  expect(plan.retention.find((r) => r.table === 'employee_window_metrics')).toEqual({
    table: 'employee_window_metrics',
    kind: 'window_rows',
    ttl: 'window_start + toIntervalMonth(24)',
    storage: 'employee_window_metrics_local',
    statements: ['ALTER TABLE employee_window_metrics_local ON CLUSTER kpi MODIFY TTL window_start + toIntervalMonth(24)'],
  });
});

test('a TTL is read back from system.tables.engine_full and compared as ClickHouse writes it', () => {
  // engine_full as the embedded engine (chDB 26.7) writes it after ALTER TABLE … MODIFY TTL window_start + INTERVAL 13 MONTH.
  const engine =
    'ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) ORDER BY (employee_id, window_start) TTL window_start + toIntervalMonth(13) SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 8192';
  expect(ttlOfEngine(engine)).toBe('window_start + toIntervalMonth(13)');
  expect(ttlOfEngine('ReplacingMergeTree ORDER BY (component, version) TTL `at` + toIntervalDay(90)')).toBe('`at` + toIntervalDay(90)');
  expect(ttlOfEngine('ReplacingMergeTree ORDER BY (component, version) SETTINGS index_granularity = 8192')).toBeUndefined();
  expect(sameTtl(ttlOfEngine(engine), 'window_start + toIntervalMonth(13)')).toBe(true);
  expect(sameTtl('`window_start`  +  toIntervalMonth(13)', 'window_start + toIntervalMonth(13)')).toBe(true);
  expect(sameTtl('window_start + toIntervalMonth(12)', 'window_start + toIntervalMonth(13)')).toBe(false);
  expect(sameTtl(undefined, 'window_start + toIntervalMonth(13)')).toBe(false);
});

test('docs/privacy.md lists every kind with its default, and every table under its kind or as kept', () => {
  const page = readFileSync(join(projectRoot(), 'docs', 'privacy.md'), 'utf8');
  const section = /\n## Retention\n([\s\S]*?)(\n## |$)/.exec(page)?.[1] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  const rowOf = (name: string) => rows.find((row) => row.startsWith(`| \`${name}\` |`)) ?? '';
  for (const kind of Object.keys(RETENTION_KINDS) as RetentionKind[]) {
    const row = rowOf(kind);
    expect(row).toContain(`| ${formatPeriod(DEFAULT_RETENTION[kind])} |`);
    for (const [table, rule] of Object.entries(TABLE_RETENTION)) if (rule.kind === kind) expect(row).toContain(`\`${table}\` (\`${rule.timeColumn}\`)`);
  }
  for (const table of Object.keys(KEPT_TABLES)) expect(rowOf('kept')).toContain(`\`${table}\``);
});

test.each<[string, string, boolean]>([
  ['window_start + toIntervalMonth(12)', 'window_start + toIntervalMonth(13)', true],
  ['window_start + toIntervalMonth(13)', 'window_start + toIntervalMonth(13)', false],
  ['window_start + toIntervalMonth(14)', 'window_start + toIntervalMonth(13)', false],
  ['at + toIntervalDay(89)', 'at + toIntervalDay(90)', true],
  ['at + toIntervalDay(91)', 'at + toIntervalDay(90)', false],
  // A month lasts 28 to 31 days: 3 months can be 84 days, and 3 months can be 93.
  ['at + toIntervalMonth(3)', 'at + toIntervalDay(84)', false],
  ['at + toIntervalMonth(3)', 'at + toIntervalDay(85)', true],
  ['at + toIntervalDay(93)', 'at + toIntervalMonth(3)', false],
  ['at + toIntervalDay(92)', 'at + toIntervalMonth(3)', true],
  // A TTL that is not kpi-stream's own form is never replaced without being asked.
  ['at + toIntervalDay(90)', 'at + toIntervalYear(1)', true],
])('setting %s where the table has %s shortens it: %s', (planned, current, shortens) => {
  expect(shortensTtl(planned, current)).toBe(shortens);
});
