import { biDatabase } from './queries/biViews.js';
import { PLANT_METRICS_VIEW, TEAM_METRICS_VIEW } from './queries/groupMetrics.js';

/**
 * The ClickHouse roles of direct readers (BI tools, SQL consoles), as the
 * contract names them, and what each may read. One definition: `migrate`
 * grants it on a server (`readerRoleStatements`), the embedded engine defines
 * the same roles in its users file and its HTTP interface serves a user per
 * role (tools/clickhouse), and the manifest prints it. Re-exported by
 * privacy/roles.ts; it lives here because migrate (sinks/) grants it.
 */
export type ReaderRoleName = 'kpi_hr' | 'kpi_analyst' | 'kpi_works_council';

/** What a role may read: every table and view of a database, or the named ones. */
export interface Readable {
  readonly database: string;
  /** Undefined: every table and view of the database. */
  readonly tables?: readonly string[];
}

export interface ReaderRole {
  readonly name: ReaderRoleName;
  /** Who is given the role, for people (docs, the manifest). */
  readonly for: string;
  /** What the role reads, for people. */
  readonly sees: string;
  /** Its grants (SELECT only), for the deployment's databases. */
  readable(database: string): readonly Readable[];
}

export { biDatabase };

/** The views of 5 people or more (team and plant figures, calibration per team). */
export const GROUP_VIEWS = [TEAM_METRICS_VIEW, PLANT_METRICS_VIEW, 'team_calibration'] as const;

export const READER_ROLES: readonly ReaderRole[] = [
  {
    name: 'kpi_hr',
    for: 'HR, for the plants of the deployment',
    sees: 'every table and view of the database, named people included',
    readable: (database) => [{ database }],
  },
  {
    name: 'kpi_analyst',
    for: 'analysts and their BI tools',
    sees: 'only the views of the BI database: people by pseudonym, no free text about a person',
    readable: (database) => [{ database: biDatabase(database) }],
  },
  {
    name: 'kpi_works_council',
    for: 'the works council',
    sees: 'only figures of groups of 5 people or more (teams, plants, calibration per team); smaller groups withheld',
    readable: (database) => [{ database, tables: GROUP_VIEWS }],
  },
];

/**
 * The system tables every reader role may read: what BI tools (clickhouse-connect,
 * the JDBC driver, Grafana) read when they connect and list tables. None holds
 * rows of kpi-stream or the text of anyone's queries; `databases`, `tables` and
 * `columns` list only what the role may read. Granted on a server (where
 * `select_from_system_db_requires_grant` makes the rest unreadable), and the
 * only ones the embedded interface lets a reader's statement read.
 */
export const READER_SYSTEM_TABLES = [
  'one',
  'numbers',
  'zeros',
  'settings',
  'functions',
  'table_functions',
  'aggregate_function_combinators',
  'data_type_families',
  'formats',
  'time_zones',
  'collations',
  'table_engines',
  'databases',
  'tables',
  'columns',
  'current_roles',
  'enabled_roles',
] as const;

/** Grant objects as ClickHouse writes them: `db.*` or `db.table`, a name that is no plain identifier in backquotes. */
export function grantObjects(readable: readonly Readable[]): string[] {
  const name = (id: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? id : `\`${id.replace(/`/g, '``')}\``);
  return readable.flatMap(({ database, tables }) => (tables === undefined ? [`${name(database)}.*`] : tables.map((t) => `${name(database)}.${name(t)}`)));
}

/**
 * The statements that make the reader roles on a server, as `migrate` runs them:
 * each role, then one GRANT of exactly its objects and READER_SYSTEM_TABLES
 * (WITH REPLACE OPTION: a grant dropped from READER_ROLES is revoked on the
 * next run, and none is ever added by hand to these roles). SELECT only. No
 * row policy: the works council reads views that already withhold groups of
 * fewer than 5 people (groupMetrics.ts) and no table, so a policy would filter
 * nothing it can read. Users are the deployment's: `CREATE USER … DEFAULT ROLE
 * kpi_analyst` (docs/analysts.md, "Roles").
 */
export function readerRoleStatements(database: string): { what: string; role: ReaderRoleName; statement: string }[] {
  return READER_ROLES.flatMap((role) => {
    const objects = [...grantObjects(role.readable(database)), ...READER_SYSTEM_TABLES.map((t) => `system.${t}`)];
    return [
      { what: `the role ${role.name}`, role: role.name, statement: `CREATE ROLE IF NOT EXISTS ${role.name}` },
      {
        what: `the grants of ${role.name}`,
        role: role.name,
        statement: `GRANT ${objects.map((o) => `SELECT ON ${o}`).join(', ')} TO ${role.name} WITH REPLACE OPTION`,
      },
    ];
  });
}
