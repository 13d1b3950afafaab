import { analyticsCycle } from '../../../detection/analytics.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { isPseudonym, pseudonymOf } from '../../../privacy/pseudonym.js';
import { pseudonymise } from '../../../privacy/pseudonymise.js';
import { eraseSubject, exportSubject } from '../../../privacy/subjectRequests.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { BI_VIEWS, biDatabase } from '../../../sinks/clickhouse/queries/biViews.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { readContractDoc } from '../../unit/support/contractDoc.js';
import { dropTestResources, testContext } from '../support/context.js';
import { windowRowWith } from '../support/rows.js';

/**
 * The pseudonymous BI database on the real ClickHouse: window rows written as
 * the processors write them, one analytics cycle (pseudonyms, scores, flags),
 * then every view of `<database>_bi` read back. People are their pseudonym
 * under KPI_PSEUDONYM_KEY, and no value of any column of any view is an
 * employee id, a supervisor's id or a flag's explanation; a new employee
 * appears after the next cycle; a new key renames everyone; erase removes the
 * pseudonym.
 */
const KEY = 'the bi views test key, 32 chars or more';
const NEW_KEY = 'a second key for the bi views test, 32+';
const ctx = testContext('bi_views', { KPI_PSEUDONYM_KEY: KEY });
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const bi = biDatabase(ctx.config.clickhouseDatabase);
const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 9, 5);
const DAYS = 8;
const SUPERVISOR = 'LEAD-7';
const offsets = [-2, 1, 0, 2, -1, 1, 0, -2];
const honest = Array.from({ length: 8 }, (_, i) => `E-honest-${i}`);
const people = [...honest, 'E-over'];

/** A shift of `employee` on `day`: 200 units measured, `reported` claimed. */
const shift = (employee: string, day: number, reported: number) =>
  windowRowWith(catalog, {
    employee,
    start: MONDAY + day * DAY,
    end: MONDAY + (day + 1) * DAY,
    station: 'S1',
    measures: { units: 200, standard_ms: 20_000_000, run_ms: 21_600_000, idle_ms: 7_200_000 },
    report: {
      eventId: `r-${employee}-${day}`,
      submittedTime: MONDAY,
      units: reported,
      runHours: 6 + offsets[(day + employee.length) % 8]! / 100,
      defectiveUnits: 0,
      selfScore: 80,
    },
  });

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Every view of the BI database and its columns, from system.columns. */
async function biColumns(): Promise<Map<string, string[]>> {
  const columns = await rows<{ table: string; name: string }>(`SELECT table, name FROM system.columns WHERE database = '${bi}' ORDER BY table, position`);
  const byView = new Map<string, string[]>();
  for (const { table, name } of columns) byView.set(table, [...(byView.get(table) ?? []), name]);
  return byView;
}

/** Every distinct value of every column of every view of the BI database, as text. */
async function everyBiValue(): Promise<{ view: string; column: string; value: string }[]> {
  const values = [];
  for (const [view, columns] of await biColumns()) {
    for (const column of columns) {
      // NULLs aside: they name nobody.
      const distinct = await rows<{ value: string }>(`SELECT DISTINCT toString(\`${column}\`) AS value FROM ${bi}.${view} WHERE \`${column}\` IS NOT NULL`);
      values.push(...distinct.map(({ value }) => ({ view, column, value })));
    }
  }
  return values;
}

/** The pseudonyms of the people a BI view shows, sorted. */
async function shown(view: string): Promise<string[]> {
  return (await rows<{ employee: string }>(`SELECT DISTINCT employee FROM ${bi}.${view} ORDER BY employee`)).map((r) => r.employee);
}

const cycle = () => analyticsCycle(client, catalog, ctx.config, ctx.log, async () => undefined, { settleMs: 0 });
const store = new ClickHouseWindowStore(client, catalog, ctx.log);
const named = (key: string, ids: readonly string[]) => ids.map((id) => pseudonymOf(key, id)).sort();

beforeAll(async () => {
  await migrate(ctx.config, ctx.log, catalog);
  const written = Array.from({ length: DAYS }, (_, day) => [
    ...honest.map((e, i) => shift(e, day, 200 + offsets[(day + i) % 8]!)),
    shift('E-over', day, 300),
  ]).flat();
  await store.write(written, batchToken(written));
  // Everyone in one team, led by a supervisor kpi-stream has no rows of.
  await client.insert({
    table: 'assignments',
    format: 'JSONEachRow',
    values: people.map((employee, i) => ({
      employee_id: employee,
      valid_from: '2026-10-01 00:00:00.000',
      plant_id: 'P1',
      team_id: 'line-1',
      supervisor_id: SUPERVISOR,
      submitted_time: '2026-10-01 00:00:00.000',
      event_id: `a-${employee}`,
      source_offset: i,
    })),
  });
}, 120_000);

afterAll(async () => {
  await client.close();
  await dropTestResources(ctx);
});

test('the BI database holds the views of the contract, people by pseudonym, and nothing that names a person', async () => {
  // Before any pass nobody has a pseudonym, so no view shows a person.
  expect(await shown('employee_window_metrics')).toEqual([]);
  const first = await cycle();
  expect(first).toMatchObject({ employees: people.length, pseudonymised: people.length });
  expect(first.flags).toBeGreaterThan(0);

  const views = await rows<{ name: string; engine: string }>(`SELECT name, engine FROM system.tables WHERE database = '${bi}' ORDER BY name`);
  expect(views.map((v) => [v.name, v.engine])).toEqual(
    Object.keys(BI_VIEWS)
      .sort()
      .map((name) => [name, 'View']),
  );
  expect(readContractDoc().biViews.slice().sort()).toEqual(Object.keys(BI_VIEWS).sort());

  // The same rows as the database's views, each person's id replaced by pseudonymOf(key, id).
  const same: [string, string, string][] = [
    ['employee_window_metrics', 'employee_window_metrics_current', 'window_start, units, reported_units, plant_id, team_id'],
    ['employee_scores', 'employee_scores_current', 'period_type, period_start, score, grade, team_id'],
    ['employee_grades', 'employee_grades', 'period_type, period_start, score, calibrated_grade'],
    ['anomalies', 'anomalies_current', 'window_start, kind, method, severity, reported, measured'],
  ];
  for (const [view, source, columns] of same) {
    const inBi = await rows<Record<string, unknown>>(`SELECT employee, ${columns} FROM ${bi}.${view}`);
    const inDatabase = await rows<Record<string, unknown>>(`SELECT employee_id, ${columns} FROM ${source}`);
    expect(inBi.length).toBeGreaterThan(0);
    const key = (r: Record<string, unknown>) => JSON.stringify(r);
    expect([view, inBi.map(key).sort()]).toEqual([
      view,
      inDatabase.map(({ employee_id: id, ...rest }) => key({ employee: pseudonymOf(KEY, id as string), ...rest })).sort(),
    ]);
  }
  expect(await shown('employee_window_metrics')).toEqual(named(KEY, people));
  expect(await shown('anomalies')).toEqual(named(KEY, ['E-over']));
  // Group views as in the database: the team of 9 is shown.
  for (const view of ['team_window_metrics', 'plant_window_metrics', 'team_calibration', 'calibration']) {
    const [inBi, inDatabase] = await Promise.all([
      rows<Record<string, unknown>>(`SELECT * FROM ${bi}.${view}`),
      rows<Record<string, unknown>>(`SELECT * FROM ${view}`),
    ]);
    const sorted = (list: Record<string, unknown>[]) => list.map((r) => JSON.stringify(r)).sort();
    expect([view, inBi.length > 0, sorted(inBi)]).toEqual([view, true, sorted(inDatabase)]);
  }

  // No column is named for an id or free text, and no value of any column is an id or an explanation.
  const columns = [...(await biColumns()).values()].flat();
  expect(columns.filter((c) => /employee_id|supervisor|explanation|evidence/.test(c))).toEqual([]);
  const explanations = (await rows<{ explanation: string }>('SELECT DISTINCT explanation FROM anomalies')).map((r) => r.explanation);
  expect(explanations.length).toBeGreaterThan(0);
  const values = await everyBiValue();
  expect(values.length).toBeGreaterThan(100);
  const naming = values.filter(({ value }) => [...people, SUPERVISOR].some((id) => value.includes(id)) || explanations.includes(value));
  expect(naming).toEqual([]);
  expect(values.filter((v) => v.column === 'employee' && !isPseudonym(v.value))).toEqual([]);
  // The key is in no view's definition, nor anywhere ClickHouse keeps tables.
  const definitions = await rows<{ create_table_query: string }>(`SELECT create_table_query FROM system.tables WHERE database IN ('${bi}', currentDatabase())`);
  expect(definitions.filter((d) => d.create_table_query.includes(KEY))).toEqual([]);
}, 120_000);

test('a new employee appears after the next cycle, and a second cycle writes nobody again', async () => {
  const written = [shift('E-new', 0, 200)];
  await store.write(written, batchToken(written));
  expect(await shown('employee_window_metrics')).not.toContain(pseudonymOf(KEY, 'E-new'));
  expect(await cycle()).toMatchObject({ windows: 1, pseudonymised: 1 });
  expect(await shown('employee_window_metrics')).toEqual(named(KEY, [...people, 'E-new']));
  expect(await cycle()).toMatchObject({ windows: 0, pseudonymised: 0 });
  expect(await pseudonymise(client, KEY)).toBe(0);
}, 60_000);

test('export shows the pseudonym; erase removes it, and the BI views show nothing of the person', async () => {
  const request = { employeeId: 'E-new', actor: 'test', purpose: 'bi views test' };
  const exported = await exportSubject(client, ctx.config, request);
  expect(exported.tables.pseudonyms!.rows.map((r) => r.pseudonym)).toEqual([pseudonymOf(KEY, 'E-new')]);
  const erased = await eraseSubject(client, ctx.config, request);
  expect(erased.removed).toContainEqual({ table: 'pseudonyms', rows: 1 });
  expect(await rows(`SELECT * FROM pseudonyms WHERE employee_id = 'E-new'`)).toEqual([]);
  expect(await shown('employee_window_metrics')).toEqual(named(KEY, people));
  // Nobody to pseudonymise: the erased person has no rows left.
  expect(await pseudonymise(client, KEY)).toBe(0);
}, 60_000);

test('a new key renames everyone in one pass: no view mixes two keys', async () => {
  expect(await pseudonymise(client, NEW_KEY)).toBe(people.length);
  for (const view of ['employee_window_metrics', 'employee_scores', 'employee_grades'])
    expect([view, await shown(view)]).toEqual([view, named(NEW_KEY, people)]);
  expect(await shown('anomalies')).toEqual(named(NEW_KEY, ['E-over']));
  expect(await pseudonymise(client, NEW_KEY)).toBe(0);
}, 60_000);
