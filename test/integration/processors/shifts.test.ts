import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTRACT_COLUMNS } from '../../../contract/windowRow.js';
import { projectRoot } from '../../../core/paths.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { readExpectedRows } from '../../../simulator/compare.js';
import { OUTPUT_FILES } from '../../../simulator/output.js';
import { SHIFT_PRESETS } from '../../../simulator/plantTime.js';
import { simulatePlant, type SimulateOptions } from '../../../simulator/run.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { readCurrentMetrics } from '../../../sinks/clickhouse/queries/windowMetrics.js';
import { dropTestResources, testContext, type TestContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';

/**
 * Plant time on the real services: a plant simulated in Europe/Berlin across
 * the night the clocks go back (25 October 2026), its events through Kafka and
 * the processors into ClickHouse, and every row exactly as the simulator
 * computed it on its own — contract columns, plant day, shift, crew and the
 * report's period — with windows that are the shifts of a calendar, and with
 * plant days from 06:00. And an old deployment's settings still give exactly
 * the rows they gave before shifts existed.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const FAST = { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '500ms' };
const outs: string[] = [];
const contexts: TestContext[] = [];

afterAll(async () => {
  for (const out of outs) rmSync(out, { recursive: true, force: true });
  for (const ctx of contexts) await dropTestResources(ctx);
});

/** Simulates the plant under the context's settings, runs the processors until the stream is drained, and returns where the expected rows are. */
async function simulateAndProcess(ctx: TestContext, plant: Partial<SimulateOptions>): Promise<string> {
  contexts.push(ctx);
  const out = mkdtempSync(join(tmpdir(), 'kpi-shifts-'));
  outs.push(out);
  await simulatePlant({ ...plant, out }, ctx.config, ctx.log);
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 3000 });
  await pipeline.done;
  return out;
}

test('windows that are the shifts of a calendar with rotating crews, from 06:00 in Europe/Berlin: exactly the expected rows; the night the clocks go back lasts 9 hours', async () => {
  const ctx = testContext('shift_windows', {
    ...FAST,
    KPI_TIME_ZONE: 'Europe/Berlin',
    KPI_DAY_START: '06:00',
    KPI_SHIFT_CALENDAR: join(projectRoot(), 'examples', 'shifts', 'rotating-crews.yaml'),
  });
  const out = await simulateAndProcess(ctx, { employees: 40, days: 10, seed: 1401, start: Date.UTC(2026, 9, 20), duplicateRate: 0.02 });
  await expectExactlyTheSimulatedRows(ctx, out);

  const rows = await withClickHouse(ctx.config, (client) => readCurrentMetrics(client, { from: Date.UTC(2026, 9, 20), to: Date.UTC(2026, 10, 1) }));
  expect(new Set(rows.map((r) => `${r.shift}/${r.crew}`))).toEqual(
    new Set(['day/A', 'day/B', 'day/C', 'day/D', 'swing/A', 'swing/B', 'swing/C', 'swing/D', 'night/A', 'night/B', 'night/C', 'night/D']),
  );
  const longNight = rows.filter((r) => r.shift === 'night' && r.plant_day === '2026-10-24');
  expect(longNight.length).toBeGreaterThan(0);
  for (const r of longNight) {
    expect(r.window_end - r.window_start).toBe(9 * HOUR);
    expect(r.report_period_end! - r.report_period_start!).toBe(9 * HOUR);
    expect(r.window_start).toBe(Date.UTC(2026, 9, 24, 20)); // 22:00 summer time
  }
  // The view says how long each window lasted.
  const hours = await withClickHouse(ctx.config, async (client) =>
    (
      await client.query({
        query: `SELECT DISTINCT window_hours FROM employee_window_metrics_current WHERE shift = 'night' AND plant_day = '2026-10-24'`,
        format: 'JSONEachRow',
      })
    ).json<{ window_hours: number }>(),
  );
  expect(hours).toEqual([{ window_hours: 9 }]);
}, 600_000);

test('plant days from 06:00 in Europe/Berlin with day, swing, night and twelve-hour shifts: exactly the expected rows; the plant day the clocks go back lasts 25 hours', async () => {
  const ctx = testContext('plant_days', { ...FAST, KPI_TIME_ZONE: 'Europe/Berlin', KPI_DAY_START: '06:00' });
  const out = await simulateAndProcess(ctx, {
    employees: 40,
    days: 10,
    seed: 1402,
    start: Date.UTC(2026, 9, 20),
    shifts: SHIFT_PRESETS.all,
    duplicateRate: 0.02,
    inflatorShare: 0.2,
  });
  await expectExactlyTheSimulatedRows(ctx, out);
  const expected = await readExpectedRows(join(out, OUTPUT_FILES.expected));
  const autumn = expected.filter((r) => r.plant_day === '2026-10-24');
  expect(autumn.length).toBeGreaterThan(10);
  for (const r of autumn) expect(r.window_end - r.window_start).toBe(25 * HOUR);
  // A 12-hour night of that plant day: 13 hours, inside its 06:00-06:00 window.
  expect(autumn.some((r) => r.report_period_end! - r.report_period_start! === 13 * HOUR && r.report_period_end === r.window_end)).toBe(true);
}, 600_000);

test("an old deployment's settings (UTC, midnight, one-day windows) give exactly the rows they gave before shifts were planted", async () => {
  const ctx = testContext('old_settings', FAST);
  // The plant of test/unit/simulator/simulation.test.ts's "today's plant": its rows were hashed before shifts existed.
  const out = await simulateAndProcess(ctx, { employees: 60, days: 14, seed: 7, start: Date.UTC(2026, 9, 19) });
  await expectExactlyTheSimulatedRows(ctx, out);
  const expected = await readExpectedRows(join(out, OUTPUT_FILES.expected));
  const stored = await withClickHouse(ctx.config, (client) =>
    readCurrentMetrics(client, { from: Date.UTC(2026, 9, 19), to: Date.UTC(2026, 9, 19) + 14 * DAY }),
  );
  const byKey = new Map(stored.map((r) => [`${r.employee_id}@${r.window_start}`, r]));
  // The rows in ClickHouse, in the simulator's order, contract columns only: byte for byte what they were.
  const lines = expected.map((e) => {
    const r = byKey.get(`${e.employee_id}@${e.window_start}`)!;
    return `${JSON.stringify(Object.fromEntries(CONTRACT_COLUMNS.map((c) => [c, r[c]])))}\n`;
  });
  expect(createHash('sha256').update(lines.join('')).digest('hex')).toBe('6bcad04cb6d2392e57b9113d0a2d24431fbdb5e4c135e5d6cde0b06c69dc8d75');
  expect(stored.every((r) => r.shift === '' && r.crew === '' && r.plant_day === new Date(r.window_start).toISOString().slice(0, 10))).toBe(true);
}, 600_000);
