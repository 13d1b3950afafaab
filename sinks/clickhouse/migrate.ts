import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import { SinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { projectRoot } from '../../core/paths.js';
import { createClickHouseClient, sinkFailure, type ClickHouseClient } from './client.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
  readonly checksum: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migrations in sinks/clickhouse/migrations, in version order. */
export function loadMigrations(dir = join(projectRoot(), 'sinks', 'clickhouse', 'migrations')): Migration[] {
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
      return { version: Number(version), name: name!, statements, checksum: createHash('sha256').update(text).digest('hex').slice(0, 16) };
    });
}

/**
 * Applies the migrations not yet applied, one statement per request (so the
 * same files run on a ClickHouse server and on the embedded engine), and
 * records each in `schema_migrations`. Statements are idempotent, so a run
 * that stopped half-way can simply run again. A migration whose file changed
 * after it was applied stops the run: write a new migration instead.
 */
export async function migrate(config: Config, log: Logger): Promise<{ applied: number[]; current: number }> {
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
    return await applyMigrations(client, loadMigrations(), log);
  } finally {
    await client.close();
  }
}

async function applyMigrations(client: ClickHouseClient, migrations: Migration[], log: Logger) {
  await run(client, `CREATE TABLE IF NOT EXISTS schema_migrations
    (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
    ENGINE = ReplacingMergeTree ORDER BY version`, 'creating schema_migrations');
  const done = new Map<number, string>();
  try {
    const result = await client.query({ query: 'SELECT version, checksum FROM schema_migrations FINAL', format: 'JSONEachRow' });
    for (const row of await result.json<{ version: number; checksum: string }>()) done.set(Number(row.version), row.checksum);
  } catch (error) {
    throw sinkFailure(error, 'reading schema_migrations');
  }

  const applied: number[] = [];
  for (const migration of migrations) {
    const checksum = done.get(migration.version);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new SinkError(`migration ${label(migration)} changed after it was applied (checksum ${checksum} → ${migration.checksum}); add a new migration instead`);
      }
      continue;
    }
    for (const statement of migration.statements) await run(client, statement, `migration ${label(migration)}`);
    try {
      await client.insert({
        table: 'schema_migrations',
        values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
        format: 'JSONEachRow',
      });
    } catch (error) {
      throw sinkFailure(error, `recording migration ${migration.version}`);
    }
    applied.push(migration.version);
    log.info({ version: migration.version }, `applied migration ${label(migration)}`);
  }
  return { applied, current: migrations.at(-1)?.version ?? 0 };
}

async function run(client: ClickHouseClient, query: string, what: string): Promise<void> {
  try {
    await client.command({ query });
  } catch (error) {
    throw sinkFailure(error, what);
  }
}

function label(migration: Migration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}`;
}
