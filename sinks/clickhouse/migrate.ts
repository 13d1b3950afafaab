import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, type Config } from '../../core/config.js';
import { ConfigError, SinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { projectRoot } from '../../core/paths.js';
import type { Retention } from '../../core/retention.js';
import type { KpiCatalog } from '../../kpis/catalog.js';
import { createClickHouseClient, sinkFailure, type ClickHouseClient } from './client.js';
import { ClusterRenderer, clusterPlacement, localName, renderForCluster, type ClusterPlacement } from './cluster.js';
import { deduplicationSettings, insertRows, insertToken } from './insert.js';
import { biStatements } from './queries/biViews.js';
import { groupViewStatements } from './queries/groupMetrics.js';
import { disputeFiguresStatement } from './queries/reviews.js';
import { READER_ROLES, readerRoleStatements, type ReaderRoleName } from './readerRoles.js';
import { currentViewStatement, hourViewStatement } from './queries/windowMetrics.js';
import { sameTtl, shortensTtl, tablesMadeBy, tableTtls, ttlOfEngine, type TableTtl } from './retention.js';

/** The namespace of kpi-stream's own migrations; a KPI's migrations use the KPI's name. */
export const CORE_COMPONENT = 'kpi-stream';

export interface Migration {
  readonly component: string;
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
  readonly checksum: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migrations of one folder, in version order. */
export function loadMigrations(dir = join(projectRoot(), 'sinks', 'clickhouse', 'migrations'), component = CORE_COMPONENT): Migration[] {
  return readdirSync(dir)
    .filter((file) => FILE.test(file))
    .sort()
    .map((file) => {
      const [, version, name] = FILE.exec(file)!;
      const text = readFileSync(join(dir, file), 'utf8');
      const statements = text
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('--'))
        .join('\n')
        .split(/;\s*(?:\n|$)/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      return { component, version: Number(version), name: name!, statements, checksum: createHash('sha256').update(text).digest('hex').slice(0, 16) };
    });
}

/** kpi-stream's migrations, then each KPI's in the catalog's order. */
export function allMigrations(catalog: KpiCatalog): Migration[] {
  return [...loadMigrations(), ...catalog.kpis.flatMap((kpi) => (kpi.migrations ? loadMigrations(kpi.migrations, kpi.name) : []))];
}

/** How kpi-stream records applied migrations (made by migrate itself, before any migration). */
const APPLIED_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS applied_migrations
    (component String, version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
    ENGINE = ReplacingMergeTree ORDER BY (component, version)`;

/** A table's TTL as migrate sets it: `storage` is the table that holds the rows (on a cluster, the local one). */
export interface PlannedRetention extends TableTtl {
  readonly storage: string;
  readonly statements: string[];
}

/** A reader role's statements as migrate runs them. */
export interface PlannedAccess {
  readonly what: string;
  readonly role: ReaderRoleName;
  readonly statements: string[];
}

/**
 * The statements `migrate` runs, in order, for one node or for the cluster of
 * KPI_CLICKHOUSE_CLUSTER: every migration (applied ones too, so the renderer
 * knows every table), applied_migrations, the views generated from the KPIs,
 * the BI database of `database` and its views (queries/biViews.ts), each
 * table's TTL under the retention (KPI_RETENTION_FILE), and the reader roles
 * with their grants on `database` (readerRoles.ts). On one node
 * they are the files' statements as they are; on a cluster each is rendered
 * (cluster.ts), and one the renderer cannot place stops here, as does a table
 * without a retention (retention.ts).
 */
export function plannedStatements(
  migrations: readonly Migration[],
  catalog: KpiCatalog,
  placement: ClusterPlacement | undefined,
  retention: Retention,
  database = placement?.database ?? defaultConfig().clickhouseDatabase,
): {
  migrations: Map<Migration, string[]>;
  appliedMigrationsTable: string[];
  views: { what: string; statements: string[] }[];
  bi: { what: string; statements: string[] }[];
  retention: PlannedRetention[];
  access: PlannedAccess[];
} {
  const views = [
    { what: 'the view employee_window_metrics_current', statement: currentViewStatement(catalog) },
    { what: 'the view employee_hour_metrics', statement: hourViewStatement(catalog) },
    ...groupViewStatements(),
    disputeFiguresStatement(),
  ];
  const access = readerRoleStatements(database);
  const ttls = tableTtls(tablesMadeBy([APPLIED_MIGRATIONS_TABLE, ...migrations.flatMap((m) => m.statements)]), retention);
  const modifyTtl = ({ table, ttl }: TableTtl) => `ALTER TABLE ${table} MODIFY TTL ${ttl}`;
  if (!placement) {
    return {
      migrations: new Map(migrations.map((m) => [m, [...m.statements]])),
      appliedMigrationsTable: [APPLIED_MIGRATIONS_TABLE],
      views: views.map(({ what, statement }) => ({ what, statements: [statement] })),
      bi: biStatements(database).map(({ what, statement }) => ({ what, statements: [statement] })),
      retention: ttls.map((t) => ({ ...t, storage: t.table, statements: [modifyTtl(t)] })),
      access: access.map(({ what, role, statement }) => ({ what, role, statements: [statement] })),
    };
  }
  const { renderer, rendered } = renderForCluster(migrations, placement, label);
  const render = (r: ClusterRenderer, statement: string, where: string) => r.render({ statement, where });
  // A renderer of its own for the BI database: its views share names with tables of the database (anomalies),
  // which the renderer's catalog must go on knowing as tables for the TTLs below.
  const biRenderer = new ClusterRenderer(placement);
  return {
    migrations: rendered,
    appliedMigrationsTable: render(renderer, APPLIED_MIGRATIONS_TABLE, 'the table applied_migrations'),
    views: views.map(({ what, statement }) => ({ what, statements: render(renderer, statement, what) })),
    bi: biStatements(database).map(({ what, statement }) => ({ what, statements: render(biRenderer, statement, what) })),
    // The TTL is storage: it goes to the local tables, which hold the rows (the Distributed ones hold none).
    retention: ttls.map((t) => ({ ...t, storage: localName(t.table), statements: render(renderer, modifyTtl(t), `the retention of ${t.table}`) })),
    // After the views: the renderer knows which granted names are views (no local table to grant).
    access: access.map(({ what, role, statement }) => ({ what, role, statements: render(renderer, statement, what) })),
  };
}

/**
 * Applies the migrations not yet applied, one statement per request (so the
 * same files run on a ClickHouse server and on the embedded engine), records
 * each in `applied_migrations`, and makes the view BI tools read follow the
 * KPIs. Statements are idempotent, so a run that stopped half-way can simply
 * run again. A migration whose file changed after it was applied stops the
 * run: write a new migration instead. With KPI_CLICKHOUSE_CLUSTER the same
 * files run rendered for the cluster (cluster.ts).
 */
export async function migrate(
  config: Config,
  log: Logger,
  catalog: KpiCatalog,
  { shortenRetention = false }: { shortenRetention?: boolean } = {},
): Promise<{ applied: string[]; retentionChanged: string[] }> {
  const placement = clusterPlacement(config);
  const migrations = allMigrations(catalog);
  // Rendered before anything runs: a statement that cannot be rendered stops the run before it changed anything.
  const plan = plannedStatements(migrations, catalog, placement, config.retention, config.clickhouseDatabase);
  const admin = createClickHouseClient(config, { withDatabase: false });
  try {
    if (placement) await checkCluster(admin, placement);
    await run(
      admin,
      `CREATE DATABASE IF NOT EXISTS ${config.clickhouseDatabase}${placement ? ` ON CLUSTER ${placement.cluster}` : ''}`,
      `creating database ${config.clickhouseDatabase}`,
    );
  } finally {
    await admin.close();
  }
  const client = createClickHouseClient(config);
  try {
    const applied = await applyMigrations(client, migrations, plan, log);
    for (const view of [...plan.views, ...plan.bi]) for (const statement of view.statements) await run(client, statement, `making ${view.what}`);
    const retentionChanged = await applyRetention(client, plan.retention, log, shortenRetention);
    await applyReaderRoles(client, plan.access, log);
    return { applied, retentionChanged };
  } finally {
    await client.close();
  }
}

/**
 * The cluster must be one the server knows, with at most two replicas per
 * shard: inserts wait for a majority of the shard's replicas (client.ts), and
 * only with two or fewer is the majority every replica, so that a read on any
 * replica sees every acknowledged row.
 */
async function checkCluster(client: ClickHouseClient, { cluster }: ClusterPlacement): Promise<void> {
  let shards: { shard_num: number; replicas: number }[];
  try {
    const result = await client.query({
      query: 'SELECT shard_num, count() AS replicas FROM system.clusters WHERE cluster = {cluster:String} GROUP BY shard_num ORDER BY shard_num',
      query_params: { cluster },
      format: 'JSONEachRow',
    });
    shards = await result.json();
  } catch (error) {
    throw sinkFailure(error, `reading cluster ${cluster} from system.clusters`);
  }
  if (shards.length === 0)
    throw new ConfigError('KPI_CLICKHOUSE_CLUSTER', `the server knows no cluster ${cluster} (system.clusters; remote_servers in its configuration)`);
  const crowded = shards.find((s) => Number(s.replicas) > 2);
  if (crowded) {
    throw new ConfigError(
      'KPI_CLICKHOUSE_CLUSTER',
      `shard ${crowded.shard_num} of ${cluster} has ${crowded.replicas} replicas: kpi-stream reads its own writes back from any replica, which is exact only when the insert quorum (a majority) is every replica, so at most 2 per shard (docs/cluster.md)`,
    );
  }
}

async function applyMigrations(
  client: ClickHouseClient,
  migrations: readonly Migration[],
  plan: ReturnType<typeof plannedStatements>,
  log: Logger,
): Promise<string[]> {
  const done = await appliedChecksums(client, plan.appliedMigrationsTable);
  const applied: string[] = [];
  for (const migration of migrations) {
    const checksum = done.get(`${migration.component}/${migration.version}`);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new SinkError(
          `migration ${label(migration)} changed after it was applied (checksum ${checksum} → ${migration.checksum}); add a new migration instead`,
        );
      }
      continue;
    }
    for (const statement of plan.migrations.get(migration)!) {
      // A migration's rows (the default scoring model) carry a token of the migration and the statement: a run that stopped half-way and runs again writes them once.
      const token = /^\s*INSERT\b/i.test(statement) ? insertToken('migration', [label(migration), statement]) : undefined;
      await run(client, statement, `migration ${label(migration)}`, token);
    }
    try {
      await recordApplied(client, [{ component: migration.component, version: migration.version, name: migration.name, checksum: migration.checksum }]);
    } catch (error) {
      throw sinkFailure(error, `recording migration ${label(migration)}`);
    }
    applied.push(label(migration));
    log.info({ component: migration.component, version: migration.version }, `applied migration ${label(migration)}`);
  }
  return applied;
}

/**
 * Sets each table's TTL where it differs from the retention's, and says which
 * tables changed: a TTL depends on the configuration, so it is set here on
 * every run rather than written in a migration. Setting one makes ClickHouse
 * apply it to the rows already stored too (materialize_ttl_after_modify), in
 * the background; an unchanged TTL is left alone, so a run with the same
 * retention changes nothing.
 */
async function applyRetention(client: ClickHouseClient, planned: readonly PlannedRetention[], log: Logger, shorten: boolean): Promise<string[]> {
  let engines: Map<string, string>;
  try {
    const result = await client.query({
      query: 'SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {tables:Array(String)}',
      query_params: { tables: planned.map((p) => p.storage) },
      format: 'JSONEachRow',
    });
    engines = new Map((await result.json<{ name: string; engine_full: string }>()).map((r) => [r.name, r.engine_full]));
  } catch (error) {
    throw sinkFailure(error, 'reading the TTLs of the tables from system.tables');
  }
  const changed: string[] = [];
  for (const table of planned) {
    const current = ttlOfEngine(engines.get(table.storage) ?? '');
    if (sameTtl(current, table.ttl)) continue;
    // A shorter TTL deletes the rows between the two periods at once, for good: only when asked for, never because
    // a process was started without the deployment's retention file.
    if (!shorten && current !== undefined && shortensTtl(table.ttl, current)) {
      log.warn(
        { table: table.table, kind: table.kind, ttl: current, asked: table.ttl },
        `retention of ${table.table}: kept TTL ${current}; KPI_RETENTION_FILE asks for the shorter ${table.ttl}, which would delete the rows between the two at once: run \`kpi-stream migrate --shorten-retention\` with that file to apply it`,
      );
      continue;
    }
    for (const statement of table.statements) await run(client, statement, `setting the retention of ${table.table}`);
    log.info({ table: table.table, kind: table.kind, ttl: table.ttl, was: current ?? null }, `retention of ${table.table}: TTL ${table.ttl}`);
    changed.push(table.table);
  }
  return changed;
}

/**
 * Makes the reader roles and their grants, on every run (they follow
 * READER_ROLES, not a migration). A role the server's configuration defines
 * (users.xml: the embedded engine's, or a deployment's own) is the
 * configuration's, read-only to SQL, and left as it is.
 */
async function applyReaderRoles(client: ClickHouseClient, planned: readonly PlannedAccess[], log: Logger): Promise<void> {
  let configured: Set<string>;
  try {
    const result = await client.query({
      query: `SELECT name FROM system.roles WHERE name IN {roles:Array(String)}
                AND storage IN (SELECT name FROM system.user_directories WHERE type = 'users_xml')`,
      query_params: { roles: READER_ROLES.map((r) => r.name) },
      format: 'JSONEachRow',
    });
    configured = new Set((await result.json<{ name: string }>()).map((r) => r.name));
  } catch (error) {
    throw sinkFailure(error, 'reading the reader roles from system.roles');
  }
  for (const role of configured) log.info({ role }, `role ${role}: defined in the server's configuration (users.xml), left as it is`);
  for (const access of planned) {
    if (configured.has(access.role)) continue;
    for (const statement of access.statements) await run(client, statement, `making ${access.what}`);
  }
}

/**
 * The checksums of applied migrations by "component/version". Databases made
 * before migrations had namespaces list kpi-stream's in `schema_migrations`;
 * those are carried over once.
 */
async function appliedChecksums(client: ClickHouseClient, createTable: readonly string[]): Promise<Map<string, string>> {
  for (const statement of createTable) await run(client, statement, 'creating applied_migrations');
  const read = async (query: string) => {
    const result = await client.query({ query, format: 'JSONEachRow' });
    return result.json<{ component: string; version: number; name: string; checksum: string }>();
  };
  try {
    let rows = await read('SELECT component, version, name, checksum FROM applied_migrations FINAL');
    if (
      rows.length === 0 &&
      (
        await read(
          "SELECT 'x' AS component, 0 AS version, name, '' AS checksum FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'",
        )
      ).length > 0
    ) {
      const legacy = (await read('SELECT version, name, checksum FROM schema_migrations FINAL')).map((r) => ({ ...r, component: CORE_COMPONENT }));
      if (legacy.length > 0) await recordApplied(client, legacy);
      rows = legacy;
    }
    return new Map(rows.map((r) => [`${r.component}/${Number(r.version)}`, r.checksum]));
  } catch (error) {
    throw sinkFailure(error, 'reading applied_migrations');
  }
}

/** Records applied migrations; the token is each one's component, version and checksum. */
function recordApplied(client: ClickHouseClient, rows: readonly { component: string; version: number; name: string; checksum: string }[]): Promise<void> {
  return insertRows(client, 'applied_migrations', rows, (row) => [row.component, row.version, row.checksum]);
}

async function run(client: ClickHouseClient, query: string, what: string, token?: string): Promise<void> {
  try {
    await client.command({ query, ...(token ? { clickhouse_settings: deduplicationSettings(token) } : {}) });
  } catch (error) {
    throw sinkFailure(error, what);
  }
}

function label(migration: Migration): string {
  return `${migration.component}/${String(migration.version).padStart(4, '0')}_${migration.name}`;
}
