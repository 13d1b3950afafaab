import { DAY } from '../../../core/time.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { readDisputeFigures } from '../../../sinks/clickhouse/queries/reviews.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { dropTestResources, testContext } from '../support/context.js';
import { windowRowWith } from '../support/rows.js';

/**
 * The months of dispute figures a range [from, to) gives (the report's range,
 * reporting/run.ts): every month that overlaps it, so the month `from` falls
 * in, and never the month that starts at `to`. One person of plant P1 with a
 * day's window in each month from January to April 2026, so each of those
 * months has its row of kpi.dispute_figures.
 */
const ctx = testContext('dispute_figures');
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const [JANUARY, FEBRUARY, MARCH, APRIL] = [0, 1, 2, 3].map((month) => Date.UTC(2026, month, 1)) as [number, number, number, number];
const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The dispute figures for [from, to), each as its plant and month ("P1 YYYY-MM-DD"). */
async function monthsOf(from: number, to: number): Promise<string[]> {
  return (await readDisputeFigures(client, 1, undefined, { from, to })).map((f) => `${f.plant_id} ${f.period_start}`);
}

beforeAll(async () => {
  await migrate(ctx.config, ctx.log, catalog);
  const windows = [JANUARY, FEBRUARY, MARCH, APRIL].map((start) =>
    windowRowWith(catalog, { employee: 'E1', start, end: start + DAY, station: 'S1', measures: { units: 10, standard_ms: 600_000, run_ms: 600_000 } }),
  );
  await new ClickHouseWindowStore(client, catalog, ctx.log).write(windows, batchToken(windows));
  await client.insert({
    table: 'assignments',
    values: [
      {
        employee_id: 'E1',
        valid_from: at(JANUARY - 30 * DAY),
        plant_id: 'P1',
        team_id: 'line-1',
        supervisor_id: 'S1',
        submitted_time: at(JANUARY - 30 * DAY),
        event_id: 'assignment-E1',
      },
    ],
    format: 'JSONEachRow',
  });
}, 120_000);

afterAll(async () => {
  await client.close();
  await dropTestResources(ctx);
});

test('a month that starts at `from` is in, one that starts at `to` is not, nor one before `from`', async () => {
  expect(await monthsOf(FEBRUARY, APRIL)).toEqual(['P1 2026-02-01', 'P1 2026-03-01']);
  // From mid-February: February overlaps the range, so it stays.
  expect(await monthsOf(FEBRUARY + 14 * DAY, APRIL)).toEqual(['P1 2026-02-01', 'P1 2026-03-01']);
  // A millisecond past April's start: April overlaps the range now.
  expect(await monthsOf(FEBRUARY, APRIL + 1)).toEqual(['P1 2026-02-01', 'P1 2026-03-01', 'P1 2026-04-01']);
});
