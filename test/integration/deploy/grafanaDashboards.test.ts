import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouseClient, type ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { dropTestResources, testContext } from '../support/context.js';
import { pastMonth, simulateMonth } from '../support/simulatedMonth.js';
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
const month = pastMonth();
const dashboards = readDashboards();
let client: ClickHouseClient;

const inTestDatabase = (sql: string) => sql.replace(/\bkpi\./g, `${ctx.config.clickhouseDatabase}.`);
const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

beforeAll(async () => {
  process.stdout.write(`grafana dashboards test: KPI_TEST_SEED=${seed}\n`);
  await simulateMonth(ctx, month, { employees: 36, seed, malformed: 0.003, out });
  client = createClickHouseClient(ctx.config);
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
      const context: QueryContext = { from: month.start, to: Date.now(), intervalMs: DAY, variables };
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

/** Values a viewer can put in the dashboard's URL (var-period_type=…, var-station=…): each must stay a value. */
const HOSTILE = [
  "month' OR 1=1 --",
  "x\\' UNION ALL SELECT name, 1, 1, 1 FROM system.tables --",
  "'); SELECT * FROM kpi.employee_window_metrics --",
  "S1', 'S2') OR (1 = 1",
];
const withVariables = dashboards.flatMap(({ file, dashboard }) =>
  dashboard.panels.filter((p) => p.targets.some((t) => /\$\{?(?!__)\w/.test(t.rawSql))).map((panel) => [`${file}: ${panel.title}`, dashboard, panel] as const),
);

test.each(withVariables)(
  '%s: a hostile variable value is only ever a value',
  async (_name, dashboard, panel) => {
    const defaults: Record<string, string[]> = {};
    for (const v of dashboard.templating.list) defaults[v.name] = await variableValues(v);
    const run = async (variables: Record<string, string[]>) => {
      const sql = inTestDatabase(expandPanelSql(panel.targets[0]!.rawSql, { from: month.start, to: Date.now(), intervalMs: DAY, variables }));
      return (await (await client.query({ query: sql, format: 'JSON' })).json<Record<string, unknown>>()).data;
    };
    for (const { name, multi } of dashboard.templating.list) {
      const unmatched = await run({ ...defaults, [name]: [`no-such-${name}`] });
      for (const hostile of HOSTILE) {
        expect({ name, hostile, data: await run({ ...defaults, [name]: [hostile] }) }).toEqual({ name, hostile, data: unmatched });
        // Beside real values (of a variable that takes several) it selects nothing more than they do.
        if (multi)
          expect({ name, hostile, data: await run({ ...defaults, [name]: [...defaults[name]!, hostile] }) }).toEqual({
            name,
            hostile,
            data: await run(defaults),
          });
      }
    }
  },
  120_000,
);
