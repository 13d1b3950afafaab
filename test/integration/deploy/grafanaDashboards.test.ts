import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSimulateFlags } from '../../../cli/commands/simulate.js';
import { runDetection } from '../../../detection/runner.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { startPipeline } from '../../../processors/bootstrap.js';
import { scorePeriods } from '../../../scoring/score.js';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { createClickHouseClient, type ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { PERIOD_TYPES } from '../../../sinks/clickhouse/queries/scores.js';
import { dropTestResources, testContext } from '../support/context.js';
import { columnsRead, expandPanelSql, readDashboards, type QueryContext, type TemplateVariable } from '../support/grafana.js';

/**
 * Grafana cannot run here, so its dashboards are checked as Grafana would use
 * them: on a simulated month through the real services (with flags, gaps and
 * dead letters), every panel's SQL is run as the ClickHouse data source sends
 * it — template variables filled in from their own queries, the plugin's
 * macros expanded as its backend expands them, the dashboard's time range
 * from the month's start to now — and must return rows holding the columns
 * the panel reads. Panels query the `kpi` database by name, as deployed; here
 * it names the test's database.
 */
const ctx = testContext('grafana', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '500ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-grafana-'));
const DAY = 86_400_000;
const seed = Number(process.env.KPI_TEST_SEED ?? Date.now() % 100_000);
const back = new Date(Date.now() - 100 * DAY);
const monthStart = Date.UTC(back.getUTCFullYear(), back.getUTCMonth(), 1);
const monthEnd = Date.UTC(back.getUTCFullYear(), back.getUTCMonth() + 1, 1);
const dashboards = readDashboards();
let client: ClickHouseClient;

const inTestDatabase = (sql: string) => sql.replace(/\bkpi\./g, `${ctx.config.clickhouseDatabase}.`);
const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

beforeAll(async () => {
  process.stdout.write(`grafana dashboards test: KPI_TEST_SEED=${seed}\n`);
  const options = simulateOptions(
    parseSimulateFlags([
      '--employees',
      '36',
      '--days',
      String(Math.round((monthEnd - monthStart) / DAY)),
      '--seed',
      String(seed),
      '--start',
      new Date(monthStart).toISOString().slice(0, 10),
      '--inflators',
      '0.2',
      '--gaps',
      '0.05',
      '--malformed',
      '0.003',
      '--out',
      out,
    ]),
  );
  await simulatePlant(options, ctx.config, ctx.log);
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 3000 });
  await pipeline.done;
  client = createClickHouseClient(ctx.config);
  const catalog = KpiCatalog.of();
  for (const period of PERIOD_TYPES) await scorePeriods(client, catalog, { period, timeZone: 'UTC' });
  await runDetection(client, catalog, ctx.log, { from: options.start, to: monthEnd, timeZone: 'UTC' });
}, 600_000);

afterAll(async () => {
  await client?.close();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

/** A variable's values as the dashboard would offer them: a query variable runs its query, a custom one keeps its current value. */
async function variableValues(variable: TemplateVariable): Promise<string[]> {
  if (variable.type === 'custom') return [variable.current!.value as string];
  const result = await client.query({ query: inTestDatabase(variable.query), format: 'JSONCompactEachRow' });
  return (await result.json<unknown[]>()).map((row) => String(row[0]));
}

test('the dashboards are the four of the issue', () => {
  expect(dashboards.map((d) => d.file)).toEqual(['inflation-flags.json', 'plant-overview.json', 'processor-health.json', 'station-trends.json']);
});

describe.each(dashboards)('$file', ({ dashboard }) => {
  test.each(dashboard.panels.map((p) => [p.title, p] as const))(
    'panel "%s" returns rows with the columns it reads',
    async (_title, panel) => {
      const variables: Record<string, string[]> = {};
      for (const v of dashboard.templating.list) variables[v.name] = await variableValues(v);
      for (const [name, values] of Object.entries(variables)) expect({ name, values: values.length > 0 }).toEqual({ name, values: true });
      const context: QueryContext = { from: monthStart, to: Date.now(), intervalMs: DAY, variables };
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) {
        const sql = inTestDatabase(expandPanelSql(target.rawSql, context));
        const result = await client.query({ query: sql, format: 'JSON' });
        const { meta, data } = await result.json<Record<string, unknown>>();
        const names = meta!.map((m) => m.name);
        const { names: read, exact } = columnsRead(panel);
        expect({ sql, rows: data.length > 0 }).toEqual({ sql, rows: true });
        if (exact) expect(names).toEqual(read);
        else expect(names).toEqual(expect.arrayContaining(read));
        // Every panel but a table draws numbers: a time series needs its time first and a number beside it.
        if (panel.type !== 'table') expect(meta!.some((m) => NUMERIC.test(m.type))).toBe(true);
        if (panel.type === 'timeseries') expect(meta![0]!.type).toMatch(/^DateTime/);
        if (panel.type === 'stat') expect(meta!.find((m) => m.name === read[0])!.type).toMatch(NUMERIC);
      }
    },
    60_000,
  );
});
