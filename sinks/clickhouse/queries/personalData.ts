import { SinkError } from '../../../core/errors.js';
import { placementOf, sinkFailure, type ClickHouseClient } from '../client.js';
import { ClusterRenderer, LOCAL_SUFFIX, type ClusterPlacement } from '../cluster.js';
import { ACCESS_LOG_TABLE } from './accessLog.js';
import { ALERT_DELIVERIES_TABLE } from './alertDeliveries.js';
import { ASSIGNMENTS_TABLE } from './assignments.js';
import { ANOMALIES_TABLE } from './anomalies.js';
import { DEAD_LETTERS_TABLE } from './deadLetters.js';
import { PSEUDONYMS_TABLE } from './pseudonyms.js';
import { REVIEWS_TABLE } from './reviews.js';
import { SCORES_TABLE } from './scores.js';
import { WINDOW_METRICS_TABLE } from './windowMetrics.js';

/** A table that holds rows about one person, and the column that names them. */
export interface PersonalTable {
  readonly table: string;
  readonly employeeColumn: string;
  /** What the person's rows there are, for the reader of an export. */
  readonly holds: string;
  /** Whether `subject erase` removes them: every table but the audit trail. */
  readonly erasable: boolean;
  /** Columns that name the person in rows about someone else (a team's supervisor): exported, and emptied by erase. */
  readonly mentionColumns?: readonly string[];
  /** Rows of what left the database (alerts as sent): `employeeColumn` holds the person's pseudonym unless a rule disclosed the id. */
  readonly byPseudonym?: boolean;
  /** Free text that may name the person in rows about someone else (why a decision lost to theirs): exported, the name replaced by erase. */
  readonly textColumns?: readonly string[];
}

/** One person of a subject request: their id, and the pseudonyms what left the database knows them by. */
export interface Subject {
  readonly employeeId: string;
  readonly pseudonyms: readonly string[];
}

/** The name erase leaves in free text where the person's id stood. */
export const ERASED_NAME = '[erased]';

/** The person's id as a word of free text (RE2): not inside a longer id (E1 in E10). */
export function namePattern(employeeId: string): string {
  return `(^|[^A-Za-z0-9_.:-])${employeeId.replace(/[\\^$.|?*+()[\]{}-]/g, '\\$&')}($|[^A-Za-z0-9_.:-])`;
}

/** The query parameters of aboutOrNaming and the erase statements. */
const subjectParams = (subject: Subject) => ({ employee: subject.employeeId, pseudonyms: subject.pseudonyms, name: namePattern(subject.employeeId) });

/** The rows of a table that are about the person (by id, or by pseudonym where rows were sent) or name them. */
function aboutOrNaming({ employeeColumn, mentionColumns = [], byPseudonym = false, textColumns = [] }: PersonalTable): string {
  return [
    ...[employeeColumn, ...mentionColumns].map((column) => `${column} = {employee:String}`),
    ...(byPseudonym ? [`${employeeColumn} IN {pseudonyms:Array(String)}`] : []),
    ...textColumns.map((column) => `match(${column}, {name:String})`),
  ].join(' OR ');
}

/**
 * Every table of the database that holds rows about a person: what subject
 * export reads and subject erase removes. A table with an `employee_id`
 * column that is missing here stops both (unlistedPersonalTables), and a test
 * checks the migrations against this list. Views are not listed: they read
 * these tables.
 */
export const PERSONAL_TABLES: readonly PersonalTable[] = [
  {
    table: WINDOW_METRICS_TABLE,
    employeeColumn: 'employee_id',
    holds: "the person's measured figures and self-reports per window, every version stored, with the fingerprints of the events applied",
    erasable: true,
  },
  { table: SCORES_TABLE, employeeColumn: 'employee_id', holds: 'scores and grades per window, week and month, by scoring model', erasable: true },
  {
    table: ANOMALIES_TABLE,
    employeeColumn: 'employee_id',
    holds: 'flags of inflated self-reports and measurement gaps, with their explanation and evidence',
    erasable: true,
  },
  {
    table: ALERT_DELIVERIES_TABLE,
    employeeColumn: 'employee_id',
    holds:
      'every attempt to deliver an alert about the person (rules of scope employee) to the webhook or Alertmanager, as sent: by pseudonym unless the rule disclosed the id',
    erasable: true,
    byPseudonym: true,
  },
  {
    table: ASSIGNMENTS_TABLE,
    employeeColumn: 'employee_id',
    holds:
      'which plant and team the person belonged to and when, and who led it, from hr.assignments.v1; and the members of the teams the person led (supervisor_id)',
    erasable: true,
    mentionColumns: ['supervisor_id'],
  },
  {
    table: DEAD_LETTERS_TABLE,
    employeeColumn: 'employee_id',
    holds: "records the processors could not use whose Kafka key is the person's id, with their original bytes",
    erasable: true,
  },
  {
    table: REVIEWS_TABLE,
    employeeColumn: 'employee_id',
    holds:
      'decisions about the flags and disputes about the person (who decided, when, why, and their own statements); and the decisions the person took about others (actor_id)',
    erasable: true,
    mentionColumns: ['actor_id'],
    textColumns: ['conflict_reason'],
  },
  {
    table: PSEUDONYMS_TABLE,
    employeeColumn: 'employee_id',
    holds: "the person's pseudonym (a keyed hash of their id, the name the BI views and alerts know them by) and which key made it",
    erasable: true,
  },
  {
    table: ACCESS_LOG_TABLE,
    employeeColumn: 'employee_id',
    holds: "who read or erased the person's data through kpi-stream, when and why; kept by erase: it is the audit trail",
    erasable: false,
  },
];

/**
 * Tables of the client's database with an `employee_id` column that are not
 * in PERSONAL_TABLES (views aside; on a cluster, the local tables of listed
 * ones aside): an export would miss their rows and an erase leave them.
 */
export async function unlistedPersonalTables(client: ClickHouseClient): Promise<string[]> {
  const listed = new Set(PERSONAL_TABLES.flatMap((t) => [t.table, `${t.table}${LOCAL_SUFFIX}`]));
  try {
    const result = await client.query({
      query: `SELECT DISTINCT c.table AS table FROM system.columns AS c
              INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
              WHERE c.database = currentDatabase() AND c.name = 'employee_id' AND t.engine NOT IN ('View', 'MaterializedView')
              ORDER BY table`,
      format: 'JSONEachRow',
    });
    return (await result.json<{ table: string }>()).map((r) => r.table).filter((table) => !listed.has(table));
  } catch (error) {
    throw sinkFailure(error, 'listing the tables that hold employee ids');
  }
}

/** Stops with a SinkError naming the tables unlistedPersonalTables finds. */
export async function checkPersonalTablesListed(client: ClickHouseClient): Promise<void> {
  const unlisted = await unlistedPersonalTables(client);
  if (unlisted.length > 0) {
    throw new SinkError(
      `table${unlisted.length > 1 ? 's' : ''} ${unlisted.join(', ')} of the database hold${unlisted.length > 1 ? '' : 's'} an employee_id column but ` +
        'not in PERSONAL_TABLES (sinks/clickhouse/queries/personalData.ts): a subject request would miss their rows; add them there',
    );
  }
}

/** A column of an exported table: its name and ClickHouse type. */
export interface ColumnOf {
  readonly name: string;
  readonly type: string;
}

/** Every row the table holds about the person, as stored (older versions of a row too, until ClickHouse merges them away). */
export async function readPersonalRows(
  client: ClickHouseClient,
  personal: PersonalTable,
  subject: Subject,
): Promise<{ columns: ColumnOf[]; rows: Record<string, unknown>[] }> {
  const { table } = personal;
  try {
    const result = await client.query({
      query: `SELECT * FROM ${table} WHERE ${aboutOrNaming(personal)}`,
      query_params: subjectParams(subject),
      format: 'JSON',
    });
    const { meta, data } = await result.json<Record<string, unknown>>();
    return { columns: (meta ?? []).map((c) => ({ name: c.name, type: c.type })), rows: data };
  } catch (error) {
    throw sinkFailure(error, `reading ${table} for a subject export`);
  }
}

/** How many rows the table holds about the person, as stored. */
export async function countPersonalRows(client: ClickHouseClient, personal: PersonalTable, subject: Subject): Promise<number> {
  const { table } = personal;
  try {
    const result = await client.query({
      query: `SELECT count() AS rows FROM ${table} WHERE ${aboutOrNaming(personal)}`,
      query_params: subjectParams(subject),
      format: 'JSONEachRow',
    });
    return Number((await result.json<{ rows: number }>())[0]?.rows ?? 0);
  } catch (error) {
    throw sinkFailure(error, `counting the rows of ${table} for a subject request`);
  }
}

/**
 * The statements that remove a person's rows from a table: a mutation that
 * rewrites the parts holding them and returns when it is done (mutations_sync
 * = 2: on every replica). Not a lightweight DELETE, which only masks the rows
 * until a later merge, for an unknown time: an erasure must leave no copy in
 * the active parts. On a cluster it runs on the local tables of every node
 * (cluster.ts), where the rows are stored.
 */
export function eraseStatements(personal: PersonalTable, placement: ClusterPlacement | undefined): string[] {
  const { table, employeeColumn, mentionColumns = [], byPseudonym = false, textColumns = [] } = personal;
  const about = `${employeeColumn} = {employee:String}${byPseudonym ? ` OR ${employeeColumn} IN {pseudonyms:Array(String)}` : ''}`;
  const statements = [
    `ALTER TABLE ${table} DELETE WHERE ${about} SETTINGS mutations_sync = 2`,
    // Where the person is named in someone else's row, the name goes (NULL, or '' in a column that is not Nullable) and the row stays.
    ...mentionColumns.map(
      (column) =>
        `ALTER TABLE ${table} UPDATE ${column} = defaultValueOfArgumentType(${column}) WHERE ${column} = {employee:String} SETTINGS mutations_sync = 2`,
    ),
    // Where free text names the person, the name goes and the text stays.
    ...textColumns.map(
      (column) =>
        `ALTER TABLE ${table} UPDATE ${column} = replaceRegexpAll(${column}, {name:String}, '\\\\1${ERASED_NAME}\\\\2') WHERE match(${column}, {name:String}) SETTINGS mutations_sync = 2`,
    ),
  ];
  return statements.flatMap((statement) => (placement ? new ClusterRenderer(placement).render({ statement, where: `erasing from ${table}` }) : [statement]));
}

/** Removes every row the table holds about the person (eraseStatements). */
export async function erasePersonalRows(client: ClickHouseClient, table: PersonalTable, subject: Subject): Promise<void> {
  if (!table.erasable) throw new SinkError(`${table.table} is not erased: ${table.holds}`);
  try {
    for (const query of eraseStatements(table, placementOf(client))) await client.command({ query, query_params: subjectParams(subject) });
  } catch (error) {
    throw sinkFailure(error, `erasing from ${table.table}`);
  }
}
