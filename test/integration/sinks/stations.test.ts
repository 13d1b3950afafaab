import { KpiCatalog } from '../../../kpis/catalog.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { readStationFigures } from '../../../sinks/clickhouse/queries/stations.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { dropTestResources, testContext } from '../support/context.js';
import { windowRowWith } from '../support/rows.js';

const ctx = testContext('stations');
const catalog = KpiCatalog.of();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2026, 9, 5);

afterAll(() => dropTestResources(ctx));

test("a station's figures and OEE come from the sums of its windows, not from a mean of the employees' ratios", async () => {
  await migrate(ctx.config, ctx.log, catalog);
  const row = (
    employee: string,
    day: number,
    station: string,
    m: { units: number; standardHours: number; run: number; idle: number; down: number; inspected: number; defective: number },
  ) =>
    windowRowWith(catalog, {
      employee,
      start: MONDAY + day * DAY,
      end: MONDAY + (day + 1) * DAY,
      station,
      measures: {
        units: m.units,
        standard_ms: m.standardHours * HOUR,
        run_ms: m.run * HOUR,
        idle_ms: m.idle * HOUR,
        down_ms: m.down * HOUR,
        units_inspected: m.inspected,
        units_defective: m.defective,
      },
    });
  const rows = [
    row('E1', 0, 'S1', { units: 100, standardHours: 6, run: 6, idle: 1, down: 1, inspected: 100, defective: 2 }),
    row('E2', 0, 'S1', { units: 10, standardHours: 1, run: 2, idle: 0, down: 0, inspected: 10, defective: 5 }),
    row('E1', 1, 'S1', { units: 50, standardHours: 3, run: 4, idle: 4, down: 0, inspected: 0, defective: 0 }),
    row('E3', 0, 'S2', { units: 0, standardHours: 0, run: 0, idle: 8, down: 0, inspected: 0, defective: 0 }),
    // Outside the range asked for.
    row('E3', 3, 'S2', { units: 80, standardHours: 5, run: 5, idle: 0, down: 0, inspected: 80, defective: 0 }),
  ];
  const client = createClickHouseClient(ctx.config);
  try {
    await new ClickHouseWindowStore(client, catalog, ctx.log).write(rows, batchToken(rows));
    const figures = await readStationFigures(client, { from: MONDAY, to: MONDAY + 2 * DAY });
    // S1: run 12 of 18 reported hours, 10 standard hours over 12 run hours, 103 good of 110 inspected.
    expect(figures).toEqual([
      {
        stationId: 'S1',
        employees: 2,
        units: 160,
        efficiency: expect.closeTo(10 / 12, 12),
        defectRate: expect.closeTo(7 / 110, 12),
        oee: {
          availability: expect.closeTo(12 / 18, 12),
          performance: expect.closeTo(10 / 12, 12),
          quality: expect.closeTo(103 / 110, 12),
          value: expect.closeTo((12 / 18) * (10 / 12) * (103 / 110), 12),
        },
      },
      // S2 ran not at all and inspected nothing: no ratio without its denominator.
      { stationId: 'S2', employees: 1, units: 0, efficiency: null, defectRate: null, oee: { availability: 0, performance: null, quality: null, value: null } },
    ]);
  } finally {
    await client.close();
  }
});
