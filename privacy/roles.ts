/**
 * The ClickHouse roles of direct readers — kpi_hr, kpi_analyst, kpi_works_council —
 * and what each may read: one definition, kept beside the migrations that grant it
 * (sinks/clickhouse/readerRoles.ts, since sinks/ imports nothing above it).
 */
export {
  biDatabase,
  GROUP_VIEWS,
  grantObjects,
  READER_ROLES,
  READER_SYSTEM_TABLES,
  readerRoleStatements,
  type Readable,
  type ReaderRole,
  type ReaderRoleName,
} from '../sinks/clickhouse/readerRoles.js';
