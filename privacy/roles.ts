import { biDatabase } from '../sinks/clickhouse/queries/biViews.js';
import { PLANT_METRICS_VIEW, TEAM_METRICS_VIEW } from '../sinks/clickhouse/queries/groupMetrics.js';

/**
 * The ClickHouse roles of direct readers (BI tools, SQL consoles), as the
 * contract names them, and what each may read. One definition: `migrate`
 * grants it on a server, the embedded engine's HTTP interface enforces it for
 * the users it serves, and the manifest prints it.
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
