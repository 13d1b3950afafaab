import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import { SinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { projectRoot } from '../../core/paths.js';
import type { KpiCatalog } from '../../kpis/catalog.js';
import { createClickHouseClient, sinkFailure, type ClickHouseClient } from './client.js';
import { currentViewStatement, hourViewStatement } from './queries/windowMetrics.js';

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

/**
 * Applies the migrations not yet applied, one statement per request (so the
 * same files run on a ClickHouse server and on the embedded engine), records
 * each in `applied_migrations`, and makes the view BI tools read follow the
 * KPIs. Statements are idempotent, so a run that stopped half-way can simply
 * run again. A migration whose file changed after it was applied stops the
 * run: write a new migration instead.
 */
export async function migrate(config: Config, log: Logger, catalog: KpiCatalog): Promise<{ applied: string[] }> {
  const admin = createClickHouseClient(config, { withDatabase: false });
  try {
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.clickhouseDatabase}` });
  } catch (error) {
    throw sinkFailure(error, `creating database ${config.clickhouseDatabase}`);
  } finally {
    await admin.close();
  }
  const client = createClickHouseClient(config);
  try {
    const applied = await applyMigrations(client, allMigrations(catalog), log);
    await run(client, currentViewStatement(catalog), 'making the view employee_window_metrics_current');
    await run(client, hourViewStatement(catalog), 'making the view employee_hour_metrics');
    return { applied };
  } finally {
    await client.close();
  }
}

async function applyMigrations(client: ClickHouseClient, migrations: readonly Migration[], log: Logger): Promise<string[]> {
  const done = await appliedChecksums(client);
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
    for (const statement of migration.statements) await run(client, statement, `migration ${label(migration)}`);
    try {
      await client.insert({
        table: 'applied_migrations',
        values: [{ component: migration.component, version: migration.version, name: migration.name, checksum: migration.checksum }],
        format: 'JSONEachRow',
      });
    } catch (error) {
      throw sinkFailure(error, `recording migration ${label(migration)}`);
    }
    applied.push(label(migration));
    log.info({ component: migration.component, version: migration.version }, `applied migration ${label(migration)}`);
  }
  return applied;
}

/**
 * The checksums of applied migrations by "component/version". Databases made
 * before migrations had namespaces list kpi-stream's in `schema_migrations`;
 * those are carried over once.
 */
async function appliedChecksums(client: ClickHouseClient): Promise<Map<string, string>> {
  await run(
    client,
    `CREATE TABLE IF NOT EXISTS applied_migrations
    (component String, version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
    ENGINE = ReplacingMergeTree ORDER BY (component, version)`,
    'creating applied_migrations',
  );
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
      if (legacy.length > 0) await client.insert({ table: 'applied_migrations', values: legacy, format: 'JSONEachRow' });
      rows = legacy;
    }
    return new Map(rows.map((r) => [`${r.component}/${Number(r.version)}`, r.checksum]));
  } catch (error) {
    throw sinkFailure(error, 'reading applied_migrations');
  }
}

async function run(client: ClickHouseClient, query: string, what: string): Promise<void> {
  try {
    await client.command({ query });
  } catch (error) {
    throw sinkFailure(error, what);
  }
}

function label(migration: Migration): string {
  return `${migration.component}/${String(migration.version).padStart(4, '0')}_${migration.name}`;
}
