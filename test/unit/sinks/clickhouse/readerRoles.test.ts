import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { DEFAULT_RETENTION } from '../../../../core/retention.js';
import { loadCatalog } from '../../../../kpis/extensions.js';
import { allMigrations, plannedStatements } from '../../../../sinks/clickhouse/migrate.js';
import { readerRoleStatements } from '../../../../sinks/clickhouse/readerRoles.js';

/**
 * The reader roles as `migrate` makes them on a server, on one node and on a
 * cluster, judged by ClickHouse's own parser (the embedded engine parses what
 * it cannot run: it has no storage to create roles in). A server runs them.
 */
const dir = mkdtempSync(join(tmpdir(), 'kpi-roles-parse-'));
let session: Session;

beforeAll(() => {
  session = new Session(dir);
});

afterAll(() => {
  session.close();
  rmSync(dir, { recursive: true, force: true });
});

const parsed = async (statement: string) =>
  (await session.queryBindAsync('SELECT formatQuerySingleLine({statement:String})', { statement }, { format: 'RawBLOB' })).text();

test('each role is made, then granted SELECT on exactly what it reads, replacing what it had', () => {
  const statements = readerRoleStatements('kpi').map((s) => s.statement);
  const grantOf = (role: string) => statements.find((s) => s.startsWith('GRANT') && s.endsWith(`TO ${role} WITH REPLACE OPTION`))!;
  expect(statements.filter((s) => s.startsWith('CREATE ROLE'))).toEqual([
    'CREATE ROLE IF NOT EXISTS kpi_hr',
    'CREATE ROLE IF NOT EXISTS kpi_analyst',
    'CREATE ROLE IF NOT EXISTS kpi_works_council',
  ]);
  expect(grantOf('kpi_hr')).toMatch(/^GRANT SELECT ON kpi\.\*, SELECT ON system\.one, /);
  expect(grantOf('kpi_analyst')).toMatch(/^GRANT SELECT ON kpi_bi\.\*, SELECT ON system\.one, /);
  expect(grantOf('kpi_analyst')).not.toMatch(/ON kpi\./);
  expect(grantOf('kpi_works_council')).toMatch(
    /^GRANT SELECT ON kpi\.team_window_metrics, SELECT ON kpi\.plant_window_metrics, SELECT ON kpi\.team_calibration, SELECT ON system\.one, /,
  );
  for (const grant of statements.filter((s) => s.startsWith('GRANT'))) {
    expect(grant).toContain('SELECT ON system.columns');
    expect(grant).not.toMatch(/system\.(query_log|processes|mutations)|INSERT|ALTER|ALL/);
  }
  // A database that is no plain identifier is quoted.
  expect(readerRoleStatements('it-x')[1]!.statement).toMatch(/^GRANT SELECT ON `it-x`\.\*/);
});

test('migrate plans the roles after the views, on one node as they are and on a cluster ON CLUSTER; the parser reads each', async () => {
  const catalog = await loadCatalog([]);
  const single = plannedStatements(allMigrations(catalog), catalog, undefined, DEFAULT_RETENTION, 'kpi').access;
  expect(single.flatMap((a) => a.statements)).toEqual(readerRoleStatements('kpi').map((s) => s.statement));
  const cluster = plannedStatements(allMigrations(catalog), catalog, { cluster: 'kpi', database: 'kpi' }, DEFAULT_RETENTION, 'kpi').access;
  const rendered = cluster.flatMap((a) => a.statements);
  expect(rendered).toContain('CREATE ROLE IF NOT EXISTS kpi_hr ON CLUSTER kpi');
  // The works council's grants name views: no local table to grant as well.
  expect(rendered.filter((s) => s.includes('TO kpi_works_council'))).toEqual([
    expect.stringMatching(/^GRANT ON CLUSTER kpi SELECT ON kpi\.team_window_metrics, /),
  ]);
  for (const statement of [...single, ...cluster].flatMap((a) => a.statements)) {
    expect(await parsed(statement)).toBe(statement);
  }
});
