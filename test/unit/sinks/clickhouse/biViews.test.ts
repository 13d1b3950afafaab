import { DEFAULT_RETENTION } from '../../../../core/retention.js';
import { loadCatalog } from '../../../../kpis/extensions.js';
import { READER_ROLES } from '../../../../privacy/roles.js';
import { BI_VIEWS, biDatabase, biStatements } from '../../../../sinks/clickhouse/queries/biViews.js';
import { allMigrations, plannedStatements } from '../../../../sinks/clickhouse/migrate.js';
import { readContractDoc } from '../../support/contractDoc.js';

/** The statements of the BI database, pure: what `migrate` runs after the views of the database (test/integration/privacy/biViews.test.ts reads them back). */

test('the BI database is the one the reader roles name, beside the configured database', () => {
  expect(biDatabase('kpi')).toBe('kpi_bi');
  expect(READER_ROLES.find((r) => r.name === 'kpi_analyst')!.readable('plant_7')).toEqual([{ database: biDatabase('plant_7') }]);
});

test('the database first, then every view of BI_VIEWS, each made anew with SQL SECURITY DEFINER over the configured database', () => {
  const statements = biStatements('plant_7');
  expect(statements[0]).toEqual({ what: 'the database plant_7_bi', statement: 'CREATE DATABASE IF NOT EXISTS plant_7_bi' });
  const views = statements.slice(1);
  expect(views.map((v) => /^CREATE OR REPLACE VIEW plant_7_bi\.(\w+) SQL SECURITY DEFINER AS\n/.exec(v.statement)?.[1])).toEqual(Object.keys(BI_VIEWS));
  // What they read is the configured database's, named with it: the views live in another.
  for (const { statement } of views) expect(statement).toMatch(/\bFROM plant_7\.\w+/);
});

test('a person is their pseudonym: joined, inner, from kpi.pseudonyms; no id, no explanation, evidence or supervisor', () => {
  const perPerson = biStatements('kpi').filter((v) => v.statement.includes('pseudonym'));
  expect(perPerson.map((v) => v.what)).toEqual(
    ['employee_window_metrics', 'employee_scores', 'employee_grades', 'anomalies'].map((n) => `the view kpi_bi.${n}`),
  );
  for (const { statement } of perPerson) {
    expect(statement).toContain('SELECT p.pseudonym AS employee, ');
    expect(statement).toContain('INNER JOIN (SELECT employee_id, argMax(pseudonym, made_at) AS pseudonym FROM kpi.pseudonyms GROUP BY employee_id) AS p');
    // The id is used to join, and selected by no view: either every column but it, or the columns named.
    expect(statement.split('\nFROM')[0]).not.toMatch(/r\.employee_id|r\.\*(?! EXCEPT \(employee_id\))/);
  }
  for (const { statement } of biStatements('kpi')) expect(statement).not.toMatch(/explanation|evidence|supervisor/);
  // The key never enters ClickHouse: no view computes a hash.
  for (const { statement } of biStatements('kpi')) expect(statement).not.toMatch(/hmac|\bsha\d|hash\w*\(/i);
});

test('on a cluster the BI statements run ON CLUSTER, and the tables they share names with keep their TTLs', async () => {
  const catalog = await loadCatalog([]);
  const plan = plannedStatements(allMigrations(catalog), catalog, { cluster: 'kpi', database: 'plant_7' }, DEFAULT_RETENTION, 'plant_7');
  expect(plan.bi.map((v) => v.statements)).toEqual(
    biStatements('plant_7').map(({ statement }) => [statement.replace(/^(CREATE (?:DATABASE IF NOT EXISTS|OR REPLACE VIEW) [\w.]+)/, '$1 ON CLUSTER kpi')]),
  );
  // kpi_bi.anomalies is a view; plant_7.anomalies stays a table, whose TTL goes to its local table.
  expect(plan.retention.find((r) => r.table === 'anomalies')!.statements).toEqual([
    'ALTER TABLE anomalies_local ON CLUSTER kpi MODIFY TTL window_start + toIntervalMonth(25)',
  ]);
});

test('on one node the statements run as they are, for the configured database', async () => {
  const catalog = await loadCatalog([]);
  const plan = plannedStatements(allMigrations(catalog), catalog, undefined, DEFAULT_RETENTION, 'plant_7');
  expect(plan.bi.map((v) => v.statements)).toEqual(biStatements('plant_7').map(({ statement }) => [statement]));
});

test('docs/contract.md lists the views of the BI database', () => {
  expect([...readContractDoc().biViews].sort()).toEqual(Object.keys(BI_VIEWS).sort());
});
