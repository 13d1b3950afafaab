import { loadCatalog } from '../../../kpis/extensions.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { readContractDoc } from '../../unit/support/contractDoc.js';
import { dropTestResources, testContext } from '../support/context.js';

/** The migrations make what docs/contract.md promises: the contract table's columns with their types, every table and view by name. */
const ctx = testContext('contract_tables');
const client = createClickHouseClient(ctx.config);
const doc = readContractDoc();

beforeAll(async () => {
  await migrate(ctx.config, ctx.log, await loadCatalog([]));
}, 120_000);

afterAll(async () => {
  await client.close();
  await dropTestResources(ctx);
});

async function columnsOf(table: string): Promise<Map<string, string>> {
  const rows = await (
    await client.query({
      query: 'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String}',
      query_params: { table },
      format: 'JSONEachRow',
    })
  ).json<{ name: string; type: string }>();
  return new Map(rows.map((r) => [r.name, r.type]));
}

test.each(['employee_window_metrics', 'employee_window_metrics_current'])('%s has every column of the page, with its type', async (table) => {
  const columns = await columnsOf(table);
  expect(doc.columns.map((c) => [c.name, columns.get(c.name)])).toEqual(doc.columns.map((c) => [c.name, c.type]));
});

test('every table and view the page names exists, as a table or a view', async () => {
  const rows = await (
    await client.query({ query: 'SELECT name, engine FROM system.tables WHERE database = currentDatabase()', format: 'JSONEachRow' })
  ).json<{ name: string; engine: string }>();
  const kinds = new Map(rows.map((r) => [r.name, r.engine === 'View' ? 'view' : 'table']));
  expect(doc.relations.map((r) => [r.name, kinds.get(r.name)])).toEqual(doc.relations.map((r) => [r.name, r.kind]));
});
