/**
 * The embedded engine (npm chdb) as the HTTP interface uses it: one data
 * directory, opened once with the server's configuration (limits, durability),
 * and a fresh connection per request. Each chDB connection has its own
 * settings, query parameters and current database, so whatever one request
 * sets dies with its connection and never reaches the next.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Session } from 'chdb';
import { grantObjects, READER_ROLES, READER_SYSTEM_TABLES } from '../../privacy/roles.js';

export interface QueryResult {
  readonly bytes: Uint8Array;
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly elapsedSeconds: number;
}

export interface InsertResult {
  readonly rowsWritten: number;
  readonly bytesWritten: number;
  readonly elapsedSeconds: number;
}

/** One request's connection to the engine. */
export interface EngineConnection {
  /**
   * The engine's canonical form of `sql`, as its parser understood it
   * (formatQuerySingleLine): one statement, comments dropped, ASCII spaces.
   * Throws the parser's error (a syntax error, several statements).
   */
  canonical(sql: string): Promise<Buffer>;
  /** Runs one statement; `format` is the output format when the statement names none. */
  query(sql: string, format: string): Promise<QueryResult>;
  /**
   * Runs an INSERT with data (any format, any bytes): the data goes to a
   * private file and `statementFor(file)` reads it FROM INFILE, so the engine
   * never reads any of it as SQL.
   */
  insert(statementFor: (file: string) => string, data: Buffer): Promise<InsertResult>;
  close(): void;
}

export interface Engine {
  connect(): EngineConnection;
  readonly version: string;
  readonly timeZone: string;
  close(): void;
}

export interface EngineLimits {
  readonly maxExecutionSeconds: number;
  readonly maxMemoryBytes: number;
}

/**
 * The role that holds the main user's grants. Every chDB session runs as the
 * engine's one user (`default`), whose privileges are its own grants and those
 * of its enabled roles: so it has none of its own, this role and the reader
 * roles, and a reader's request is confined to its role by `SET ROLE`.
 */
export const ENGINE_OWNER_ROLE = 'kpi_stream_owner';

/**
 * chDB's native insert entry point: it runs a statement and reports the rows
 * it wrote (the public query API does not), which X-ClickHouse-Summary needs.
 */
interface NativeAddon {
  InsertRawAsyncConnection(
    connection: unknown,
    statement: string,
    data: Buffer,
    countLines: boolean,
  ): Promise<{ rowsWritten: number; bytesWritten: number; elapsed: number }>;
}

function loadNativeAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  const loader = join(dirname(require.resolve('chdb')), 'dist', 'loader.js');
  return (require(loader) as { loadNative(): NativeAddon }).loadNative();
}

/**
 * Table engines a request may create tables with: none reaches files, URLs,
 * other servers or programs. Every other engine needs a grant nobody has.
 */
export const GRANTED_TABLE_ENGINES = [
  'MergeTree',
  'ReplacingMergeTree',
  'SummingMergeTree',
  'AggregatingMergeTree',
  'CollapsingMergeTree',
  'VersionedCollapsingMergeTree',
  'Memory',
  'Null',
  'Log',
  'TinyLog',
  'StripeLog',
  'Set',
  'Join',
  'Buffer',
  'Merge',
  'View',
  'MaterializedView',
] as const;

/**
 * Settings fixed for every request: those that name files on the host (format
 * schemas and templates read, inferred schemas and parse errors written, files
 * renamed), so no request reads or writes a file through them, and the
 * dialect, so a statement runs as the engine's SQL parser judged it.
 */
export const FIXED_SETTINGS = [
  'dialect',
  'format_schema',
  'format_schema_source',
  'output_format_schema',
  'format_template_resultset',
  'format_template_row',
  'input_format_record_errors_file_path',
  'rename_files_after_processing',
  // A MergeTree table's disk or storage policy: only the data directory's own.
  'merge_tree_disk',
  'merge_tree_storage_policy',
] as const;

/**
 * The engine's server configuration: the default user's profile sets the
 * limits of every query and forbids raising them, and fixes every setting
 * that names a file (constraints), as a server's settings profile would.
 * Its grants decide what reaches outside the data directory: no source
 * (file(), url(), s3(), remote() … and the engines reading them), table
 * engines only from GRANTED_TABLE_ENGINES (`table_engines_require_grant`;
 * chDB's local mode checks the grant for the engines that reach a source,
 * which are the ones that matter here), no dictionaries (their sources run
 * programs and reach files and servers unchecked), no SYSTEM, no BACKUP.
 * Those grants are ENGINE_OWNER_ROLE's; the reader roles (READER_ROLES) grant
 * SELECT on what each reads in `readerDatabase` and its BI database, as
 * `migrate` grants them on a server (users.xml roles: chDB has no storage SQL
 * could create roles in).
 * MergeTree tables fsync each inserted part before the insert is acknowledged.
 */
function engineConfig(limits: EngineLimits, usersFile: string, readerDatabase: string): { config: string; users: string } {
  const config = `<clickhouse>
  <users_config>${usersFile}</users_config>
  <access_control_improvements>
    <table_engines_require_grant>true</table_engines_require_grant>
  </access_control_improvements>
  <merge_tree>
    <fsync_after_insert>1</fsync_after_insert>
    <fsync_part_directory>1</fsync_part_directory>
  </merge_tree>
</clickhouse>
`;
  const fixed = FIXED_SETTINGS.map((name) => `        <${name}><const/></${name}>`).join('\n');
  const engines = GRANTED_TABLE_ENGINES.map((name) => `        <query>GRANT TABLE ENGINE ON ${name}</query>`).join('\n');
  const readerRoles = READER_ROLES.map((role) => {
    const grants = [...grantObjects(role.readable(readerDatabase)), ...READER_SYSTEM_TABLES.map((t) => `system.${t}`)]
      .map((object) => `        <query>GRANT SELECT ON ${object}</query>`)
      .join('\n');
    return `    <${role.name}>\n      <grants>\n${grants}\n      </grants>\n    </${role.name}>`;
  }).join('\n');
  const roleNames = [ENGINE_OWNER_ROLE, ...READER_ROLES.map((r) => r.name)].join(', ');
  const users = `<clickhouse>
  <profiles>
    <default>
      <max_execution_time>${limits.maxExecutionSeconds}</max_execution_time>
      <max_memory_usage>${limits.maxMemoryBytes}</max_memory_usage>
      <wait_for_async_insert>1</wait_for_async_insert>
      <constraints>
        <max_execution_time><min>1</min><max>${limits.maxExecutionSeconds}</max></max_execution_time>
        <max_memory_usage><min>1</min><max>${limits.maxMemoryBytes}</max></max_memory_usage>
        <wait_for_async_insert><const/></wait_for_async_insert>
${fixed}
      </constraints>
    </default>
  </profiles>
  <roles>
    <${ENGINE_OWNER_ROLE}>
      <grants>
        <query>GRANT ALL ON *.*</query>
        <query>REVOKE SOURCES, SYSTEM, BACKUP, CREATE DICTIONARY ON *.*</query>
        <query>REVOKE TABLE ENGINE ON *</query>
${engines}
      </grants>
    </${ENGINE_OWNER_ROLE}>
${readerRoles}
  </roles>
  <users>
    <default>
      <password></password>
      <profile>default</profile>
      <quota>default</quota>
      <networks><ip>::/0</ip></networks>
      <grants>
        <query>GRANT ${roleNames}</query>
      </grants>
    </default>
  </users>
  <quotas><default></default></quotas>
</clickhouse>
`;
  return { config, users };
}

/**
 * Opens the data directory; `configDir` receives the engine's configuration
 * files, `insertDir` (private, emptied now) the data of inserts while they run.
 */
export async function openEngine(dataDir: string, configDir: string, insertDir: string, limits: EngineLimits, readerDatabase: string): Promise<Engine> {
  mkdirSync(configDir, { recursive: true });
  rmSync(insertDir, { recursive: true, force: true });
  mkdirSync(insertDir, { recursive: true, mode: 0o700 });
  const configFile = join(configDir, 'config.xml');
  const usersFile = join(configDir, 'users.xml');
  const { config, users } = engineConfig(limits, usersFile, readerDatabase);
  writeFileSync(usersFile, users);
  writeFileSync(configFile, config);
  // The first connection starts the engine with this configuration; later ones share it.
  const owner = new Session(dataDir, { connectionArgs: [`--config-file=${configFile}`] });
  const native = loadNativeAddon();
  const about = (await owner.queryAsync('SELECT version(), timezone()', { format: 'TabSeparated' })).text().trim().split('\t');

  return {
    version: about[0]!,
    timeZone: about[1]!,
    connect(): EngineConnection {
      const session = new Session(dataDir);
      return {
        async canonical(sql) {
          try {
            const result = await session.queryBindAsync('SELECT formatQuerySingleLine({statement:String})', { statement: sql }, { format: 'RawBLOB' });
            return Buffer.from(result.bytes());
          } catch (error) {
            // The parser's error, without the query that asked for it.
            throw new Error((error as Error).message.replace(/:? In scope SELECT formatQuerySingleLine\(\{statement:String\}\)\.?/, ''), { cause: error });
          }
        },
        async query(sql, format) {
          const result = await session.queryAsync(sql, { format });
          return { bytes: result.bytes(), rowsRead: result.rowsRead, bytesRead: result.bytesRead, elapsedSeconds: result.elapsed };
        },
        async insert(statementFor, data) {
          const file = join(insertDir, randomUUID());
          writeFileSync(file, data, { mode: 0o600 });
          try {
            const result = await native.InsertRawAsyncConnection(session.connection, statementFor(file), Buffer.alloc(0), false);
            return { rowsWritten: result.rowsWritten, bytesWritten: result.bytesWritten, elapsedSeconds: result.elapsed };
          } finally {
            rmSync(file, { force: true });
          }
        },
        close: () => session.close(),
      };
    },
    close: () => owner.close(),
  };
}
