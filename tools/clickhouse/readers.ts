import { READER_SYSTEM_TABLES, type ReaderRoleName } from '../../privacy/roles.js';
import { SqlRefusal, type Statement } from './sqlText.js';

/**
 * The users the embedded HTTP interface serves besides the main one: one per
 * reader role (privacy/roles.ts), as a deployment's users would each have one
 * of those roles on a server.
 *
 * Every chDB session runs as the engine's one user, but the roles of its
 * users file are real roles (engine.ts): a reader's request runs after
 * `SET ROLE <its role>` and `SET readonly = 2`, so the engine's own grants
 * decide which databases, tables and views it reads and refuse every write,
 * file(), url() and remote(). What the engine does not confine is the system
 * database: chDB lets every role read every system table (it ignores
 * `select_from_system_db_requires_grant`). So the interface, before it runs a
 * reader's statement, asks the engine's analyzer what the statement reads
 * (`EXPLAIN QUERY TREE`: every table, view and table function of every
 * subquery, JOIN, IN, CTE and UNION, views unexpanded as a SQL SECURITY
 * DEFINER view is read) and refuses a system table outside
 * READER_SYSTEM_TABLES and any table function that reads more than its
 * arguments. And a reader may not change its role.
 */
export interface ReaderAccount {
  readonly user: string;
  readonly password: string;
  readonly role: ReaderRoleName;
}

/** Table functions that read nothing but what their arguments make. */
export const READER_TABLE_FUNCTIONS = ['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values'] as const;

/** What a statement reads, as the engine's analyzer resolved it: `db.name` tables and views, and table functions. */
export interface ObjectsRead {
  readonly tables: readonly string[];
  readonly tableFunctions: readonly string[];
}

/**
 * The objects of an `EXPLAIN QUERY TREE` answer. The analyzer prints one node
 * a line, its fields after `id:`, the name last; aliases it prints are its own
 * (`__table1`), never the statement's.
 */
export function objectsRead(queryTree: string): ObjectsRead {
  const tables: string[] = [];
  const tableFunctions: string[] = [];
  const field = (line: string, name: string) => line.slice(line.lastIndexOf(`, ${name}: `) + name.length + 4);
  for (const raw of queryTree.split('\n')) {
    const line = raw.trimStart();
    if (line.startsWith('TABLE id: ') && line.includes(', table_name: ')) tables.push(field(line, 'table_name'));
    else if (line.startsWith('TABLE_FUNCTION id: ') && line.includes(', table_function_name: ')) tableFunctions.push(field(line, 'table_function_name'));
  }
  return { tables, tableFunctions };
}

/** A refusal as a server answers one: `<user>: Not enough privileges …` (ACCESS_DENIED, HTTP 403). */
export function readerRefusal(account: ReaderAccount, what: string): SqlRefusal {
  return new SqlRefusal(
    497,
    'ACCESS_DENIED',
    `${account.user}: Not enough privileges. ${what}, which the role ${account.role} does not read (refused by the embedded ClickHouse's HTTP interface)`,
  );
}

/** The first object of `read` the reader may not read, refused; undefined when the engine's grants decide the rest. */
export function refusedRead(account: ReaderAccount, read: ObjectsRead): SqlRefusal | undefined {
  const systemTables: readonly string[] = READER_SYSTEM_TABLES;
  for (const table of read.tables) {
    const dot = table.indexOf('.');
    const database = table.slice(0, dot);
    if (database === 'system' && !systemTables.includes(table.slice(dot + 1))) return readerRefusal(account, `The statement reads ${table}`);
  }
  const functions: readonly string[] = READER_TABLE_FUNCTIONS;
  const reaching = read.tableFunctions.find((f) => !functions.includes(f));
  if (reaching !== undefined) return readerRefusal(account, `The statement reads the table function ${reaching}()`);
  return undefined;
}

/**
 * What the analyzer must see of a reader's statement before it runs: the
 * SELECT itself, or for `DESCRIBE TABLE x` the SELECT of x (describing a
 * subquery analyses it too). Undefined for what reads nothing (a setting, USE).
 * Anything else a reader may not run: writes, SHOW (it reads system tables a
 * reader may not), EXPLAIN, SET ROLE.
 */
export function readerAnalysis(account: ReaderAccount, statement: Statement): string | undefined {
  const sql = statement.withoutFormat;
  if (statement.kind === 'use') return undefined;
  if (statement.kind === 'set') {
    if (/^SET (DEFAULT )?ROLE\b/.test(sql)) throw readerRefusal(account, 'SET ROLE changes the role of a session');
    return undefined;
  }
  if (/^(SELECT|WITH)\b/.test(sql)) return sql;
  const describe = /^DESCRIBE TABLE /.exec(sql);
  if (describe) return `SELECT * FROM ${sql.slice(describe[0].length)}`;
  throw new SqlRefusal(
    497,
    'ACCESS_DENIED',
    `${account.user}: Not enough privileges. The embedded ClickHouse serves ${account.user} (role ${account.role}) reads only: SELECT and DESCRIBE, settings and USE`,
  );
}

/**
 * Error codes whose messages name only what the statement itself says (its
 * identifiers, types, functions). Any other error while the analyzer reads a
 * reader's statement is answered without its message: the analyzer runs scalar
 * subqueries, and a failing one can quote the rows it read.
 */
const ANALYSIS_MESSAGES_KEPT = new Set([10, 16, 42, 43, 46, 47, 48, 60, 62, 81, 115, 164, 184, 215, 497]);

/** The message a reader gets for an error of the analysis: the engine's (undefined), or one withheld. */
export function analysisMessage(account: ReaderAccount, code: number): string | undefined {
  if (ANALYSIS_MESSAGES_KEPT.has(code)) return undefined;
  return `${account.user}: the statement failed while the embedded ClickHouse's HTTP interface checked what it reads; the engine's message is withheld from the role ${account.role}, as it may quote rows the role does not read`;
}
