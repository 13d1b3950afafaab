import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { loadConfig } from '../../../../core/config.js';
import { ConfigError } from '../../../../core/errors.js';
import { DEFAULT_RETENTION } from '../../../../core/retention.js';
import { projectRoot } from '../../../../core/paths.js';
import { loadCatalog } from '../../../../kpis/extensions.js';
import { ClusterRenderer, LOCAL_SUFFIX, REPLICA_PATH } from '../../../../sinks/clickhouse/cluster.js';
import { allMigrations, loadMigrations, plannedStatements, type Migration } from '../../../../sinks/clickhouse/migrate.js';

/**
 * The cluster form of every migration, judged by ClickHouse's own parser (the
 * embedded engine, npm chdb): it parses what it cannot run (ON CLUSTER,
 * Replicated*MergeTree, Distributed). deploy/cluster/ runs the same
 * migrations on a real 2-replica cluster where a Docker engine exists.
 */
const placement = { cluster: 'kpi', database: 'kpi' };
const dir = mkdtempSync(join(tmpdir(), 'kpi-cluster-parse-'));
let session: Session;

beforeAll(() => {
  session = new Session(dir);
});

afterAll(() => {
  session.close();
  rmSync(dir, { recursive: true, force: true });
});

/** ClickHouse's canonical form of a statement; throws the parser's error for one it does not accept. */
async function parsed(statement: string): Promise<string> {
  const result = await session.queryBindAsync('SELECT formatQuerySingleLine({statement:String})', { statement }, { format: 'RawBLOB' });
  return result.text();
}

/** kpi-stream's migrations, the built-in KPIs' and the MTBF example's: every migration file in the repository. */
async function everyMigration(): Promise<Migration[]> {
  return [...allMigrations(await loadCatalog([])), ...loadMigrations(join(projectRoot(), 'examples', 'mtbf', 'migrations'), 'mtbf')];
}

async function everyRenderedStatement(): Promise<{ where: string; statement: string }[]> {
  const catalog = await loadCatalog([]);
  const plan = plannedStatements(await everyMigration(), catalog, placement, DEFAULT_RETENTION, 'kpi');
  return [
    ...[...plan.migrations].flatMap(([m, statements]) => statements.map((statement) => ({ where: `${m.component}/${m.version}_${m.name}`, statement }))),
    ...plan.appliedMigrationsTable.map((statement) => ({ where: 'applied_migrations', statement })),
    ...plan.views.flatMap((v) => v.statements.map((statement) => ({ where: v.what, statement }))),
    ...plan.bi.flatMap((v) => v.statements.map((statement) => ({ where: v.what, statement }))),
    ...plan.retention.flatMap((r) => r.statements.map((statement) => ({ where: `the retention of ${r.table}`, statement }))),
  ];
}

test('every migration, rendered for a cluster, is accepted by ClickHouse’s parser, statement by statement', async () => {
  // The parser is a judge: ON CLUSTER in the wrong place, or a broken engine clause, fails.
  await expect(parsed('CREATE VIEW v AS SELECT 1 ON CLUSTER kpi')).rejects.toThrow(/Syntax error/);
  await expect(parsed("CREATE TABLE t ON CLUSTER kpi (a String) ENGINE = ReplicatedMergeTree('/p', '{replica}' ORDER BY a")).rejects.toThrow(/Syntax error/);
  const rendered = await everyRenderedStatement();
  expect(rendered.length).toBeGreaterThan(60);
  const refused: string[] = [];
  for (const { where, statement } of rendered) {
    try {
      const canonical = await parsed(statement);
      // What the parser read is the cluster form: every statement but an INSERT runs on every node.
      if (!/^INSERT\b/.test(canonical)) expect(canonical).toContain('ON CLUSTER kpi');
    } catch (error) {
      refused.push(`${where}: ${(error as Error).message.split('\n')[0]}\n  ${statement.slice(0, 200)}`);
    }
  }
  expect(refused).toEqual([]);
});

test('each table becomes a replicated local table and a Distributed table under its own name, sharded by its sorting key', async () => {
  const creates = (await everyRenderedStatement()).map((r) => r.statement).filter((s) => /^CREATE TABLE/.test(s));
  const locals = creates.filter((s) => s.includes('ENGINE = Replicated'));
  const distributed = creates.filter((s) => s.includes('ENGINE = Distributed'));
  expect(locals.length).toBe(distributed.length);
  expect(creates.length).toBe(locals.length + distributed.length);
  const tables = locals.map((s) => /^CREATE TABLE IF NOT EXISTS (\w+)_local ON CLUSTER kpi/.exec(s)![1]!);
  expect(tables).toEqual(
    expect.arrayContaining([
      'employee_window_metrics',
      'dead_letters',
      'scoring_models',
      'employee_scores',
      'anomalies',
      'alert_deliveries',
      'analytics_progress',
      'applied_migrations',
    ]),
  );
  for (const local of locals) expect(local).toContain(`(${REPLICA_PATH}, '{replica}'`);
  expect(locals.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS employee_window_metrics_local'))).toMatch(
    /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}', version\)[\s\S]*SETTINGS replicated_deduplication_window = 10000/,
  );
  expect(distributed).toContain(
    'CREATE TABLE IF NOT EXISTS employee_window_metrics ON CLUSTER kpi AS employee_window_metrics_local ENGINE = Distributed(kpi, kpi, employee_window_metrics_local, cityHash64(employee_id, window_start))',
  );
  // Nothing is left single-node: no statement says non_replicated_…, nor a plain MergeTree engine.
  const all = (await everyRenderedStatement()).map((r) => r.statement).join('\n');
  expect(all).not.toMatch(/non_replicated_deduplication_window|ENGINE = (Replacing)?MergeTree\b/);
});

test('on one node the statements are the files’ statements, as they are', async () => {
  const migrations = await everyMigration();
  const plan = plannedStatements(migrations, await loadCatalog([]), undefined, DEFAULT_RETENTION, 'kpi');
  for (const migration of migrations) expect(plan.migrations.get(migration)).toEqual(migration.statements);
  expect(plan.appliedMigrationsTable.join()).not.toContain('ON CLUSTER');
  expect(plan.retention.find((r) => r.table === 'dead_letters')).toMatchObject({
    storage: 'dead_letters',
    statements: ['ALTER TABLE dead_letters MODIFY TTL dead_lettered_at + toIntervalDay(90)'],
  });
});

test('views read the Distributed tables; column changes reach both tables, storage changes only the local ones', () => {
  const r = new ClusterRenderer(placement);
  const render = (statement: string) => r.render({ statement, where: 'a test' });
  render('CREATE TABLE IF NOT EXISTS t (a String, b UInt8, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY a');
  expect(render('CREATE VIEW IF NOT EXISTS t_current AS SELECT * FROM t FINAL')).toEqual([
    'CREATE VIEW IF NOT EXISTS t_current ON CLUSTER kpi AS SELECT * FROM t FINAL',
  ]);
  expect(render("ALTER TABLE t ADD COLUMN IF NOT EXISTS c String COMMENT 'x, y', MODIFY TTL toDateTime(v) + INTERVAL 1 YEAR")).toEqual([
    `ALTER TABLE t${LOCAL_SUFFIX} ON CLUSTER kpi ADD COLUMN IF NOT EXISTS c String COMMENT 'x, y', MODIFY TTL toDateTime(v) + INTERVAL 1 YEAR`,
    "ALTER TABLE t ON CLUSTER kpi ADD COLUMN IF NOT EXISTS c String COMMENT 'x, y'",
  ]);
  // Readers of the Distributed table never name a column the local tables lack: it loses a column first.
  expect(render('ALTER TABLE t DROP COLUMN b')).toEqual(['ALTER TABLE t ON CLUSTER kpi DROP COLUMN b', 'ALTER TABLE t_local ON CLUSTER kpi DROP COLUMN b']);
  expect(render('ALTER TABLE t MATERIALIZE COLUMN c SETTINGS mutations_sync = 2')).toEqual([
    'ALTER TABLE t_local ON CLUSTER kpi MATERIALIZE COLUMN c SETTINGS mutations_sync = 2',
  ]);
  expect(render('ALTER TABLE t MODIFY SETTING non_replicated_deduplication_window = 100')).toEqual([
    'ALTER TABLE t_local ON CLUSTER kpi MODIFY SETTING replicated_deduplication_window = 100',
  ]);
  expect(render('ALTER TABLE t_current MODIFY SQL SECURITY DEFINER')).toEqual(['ALTER TABLE t_current ON CLUSTER kpi MODIFY SQL SECURITY DEFINER']);
  expect(render("DELETE FROM t WHERE a = 'x'")).toEqual(["DELETE FROM t_local ON CLUSTER kpi WHERE a = 'x'"]);
  expect(render("INSERT INTO t VALUES ('x', 1, 1)")).toEqual(["INSERT INTO t VALUES ('x', 1, 1)"]);
  expect(render('DROP VIEW IF EXISTS t_current')).toEqual(['DROP VIEW IF EXISTS t_current ON CLUSTER kpi']);
  expect(render('DROP TABLE IF EXISTS t')).toEqual(['DROP TABLE IF EXISTS t ON CLUSTER kpi', 'DROP TABLE IF EXISTS t_local ON CLUSTER kpi']);
});

test('roles, users, grants and row policies run on every node; a grant or policy on a table covers its local table', async () => {
  const r = new ClusterRenderer(placement);
  const render = (statement: string) => r.render({ statement, where: 'a test' });
  render('CREATE TABLE IF NOT EXISTS people (employee_id String, plant_id String) ENGINE = MergeTree ORDER BY employee_id');
  const statements = [
    ...render('CREATE ROLE IF NOT EXISTS kpi_hr, kpi_analyst'),
    ...render("CREATE USER IF NOT EXISTS kpi_bi IDENTIFIED WITH sha256_password BY 'x' DEFAULT ROLE kpi_analyst"),
    ...render('GRANT SELECT ON kpi.people TO kpi_hr'),
    ...render('GRANT SELECT ON kpi.* TO kpi_hr'),
    ...render('REVOKE SELECT ON kpi.people FROM kpi_analyst'),
    ...render("CREATE ROW POLICY IF NOT EXISTS plant_a ON kpi.people FOR SELECT USING plant_id = 'A' TO kpi_hr"),
    ...render('CREATE SETTINGS PROFILE IF NOT EXISTS bi SETTINGS readonly = 1 TO kpi_analyst'),
    ...render('DROP ROLE IF EXISTS kpi_old'),
  ];
  expect(statements).toEqual([
    'CREATE ROLE IF NOT EXISTS kpi_hr, kpi_analyst ON CLUSTER kpi',
    "CREATE USER IF NOT EXISTS kpi_bi ON CLUSTER kpi IDENTIFIED WITH sha256_password BY 'x' DEFAULT ROLE kpi_analyst",
    'GRANT ON CLUSTER kpi SELECT ON kpi.people TO kpi_hr',
    'GRANT ON CLUSTER kpi SELECT ON kpi.people_local TO kpi_hr',
    'GRANT ON CLUSTER kpi SELECT ON kpi.* TO kpi_hr',
    'REVOKE ON CLUSTER kpi SELECT ON kpi.people FROM kpi_analyst',
    'REVOKE ON CLUSTER kpi SELECT ON kpi.people_local FROM kpi_analyst',
    "CREATE ROW POLICY IF NOT EXISTS plant_a ON CLUSTER kpi ON kpi.people FOR SELECT USING plant_id = 'A' TO kpi_hr",
    "CREATE ROW POLICY IF NOT EXISTS plant_a ON CLUSTER kpi ON kpi.people_local FOR SELECT USING plant_id = 'A' TO kpi_hr",
    'CREATE SETTINGS PROFILE IF NOT EXISTS bi ON CLUSTER kpi SETTINGS readonly = 1 TO kpi_analyst',
    'DROP ROLE IF EXISTS kpi_old ON CLUSTER kpi',
  ]);
  for (const statement of statements) expect(await parsed(statement)).toContain('ON CLUSTER kpi');
});

test('a statement the renderer cannot place stops the migration, naming it and KPI_CLICKHOUSE_CLUSTER', () => {
  const refusal = (statement: string) => {
    try {
      new ClusterRenderer(placement).render({ statement, where: 'migration kpi-stream/0099_example, statement 3' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error(`rendered: ${statement}`);
  };
  for (const statement of [
    'CREATE MATERIALIZED VIEW m TO t AS SELECT * FROM s',
    'CREATE TABLE IF NOT EXISTS m (a String) ENGINE = Memory',
    'CREATE TABLE IF NOT EXISTS d (a String) ENGINE = Distributed(c, kpi, x)',
    'CREATE TABLE IF NOT EXISTS n (a String) ENGINE = MergeTree',
    'CREATE TABLE IF NOT EXISTS s ENGINE = MergeTree ORDER BY a AS SELECT 1 AS a',
    'INSERT INTO t SELECT * FROM s',
    'RENAME TABLE a TO b',
    'ALTER TABLE t FREEZE',
    'CREATE TABLE t ON CLUSTER other (a String) ENGINE = MergeTree ORDER BY a',
  ]) {
    const message = refusal(statement);
    expect(message).toMatch(/^KPI_CLICKHOUSE_CLUSTER: migration kpi-stream\/0099_example, statement 3 cannot be rendered for a cluster: /);
  }
});

test('KPI_CLICKHOUSE_CLUSTER names a cluster of a ClickHouse server', () => {
  const server = { CLICKHOUSE_URL: 'http://127.0.0.1:8123' };
  expect(loadConfig({ ...server, KPI_CLICKHOUSE_CLUSTER: 'kpi' }).clickhouseCluster).toBe('kpi');
  expect(loadConfig(server).clickhouseCluster).toBeUndefined();
  expect(() => loadConfig({ ...server, KPI_CLICKHOUSE_CLUSTER: 'kpi; DROP' })).toThrow(/^KPI_CLICKHOUSE_CLUSTER: must be a plain identifier/);
  expect(() => loadConfig({ KPI_CLICKHOUSE_CLUSTER: 'kpi' })).toThrow(/^KPI_CLICKHOUSE_CLUSTER: the embedded engine is one node/);
});
