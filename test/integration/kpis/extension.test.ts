import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { DAY } from '../../../core/time.js';
import { toMillis } from '../../../kpis/definition.js';
import { avroTypeOf } from '../../../schemas/avro.js';
import type { MachineTelemetry } from '../../../schemas/events.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { Simulation } from '../../../simulator/simulation.js';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { dropTestResources, testContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { exited, killProcessors, startProcessor } from '../support/processor.js';

// The example in examples/mtbf adds a KPI from outside kpi-stream's folders; processors load it by KPI_EXTENSIONS.
const extension = join(projectRoot(), 'examples', 'mtbf', 'mtbf.js');
const ctx = testContext('extension', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms', KPI_EXTENSIONS: extension });
const out = mkdtempSync(join(tmpdir(), 'kpi-extension-'));

afterAll(async () => {
  await killProcessors();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('a KPI defined in examples/ runs end to end: its migration, its columns in every row, its indicator in the scores', async () => {
  const options = simulateOptions({ employees: 30, days: 6, seed: 11, duplicateRate: 0.02, out });
  await simulatePlant(options, ctx.config, ctx.log);
  expect(await exited(startProcessor(ctx, 'with-extension', ['--exit-when-idle', '4s']))).toBe(0);
  await expectExactlyTheSimulatedRows(ctx, out);

  // What the KPI should say, computed here from the simulated telemetry, independently of the processors.
  const expected = new Map<string, { failures: number; runMs: number; downMs: number }>();
  const noSink = { expected: () => undefined, truth: () => undefined, tooLate: () => undefined };
  for (const m of new Simulation(options, { production: 1, telemetry: 2, inspection: 3, feedback: 4, selfReport: 5 }).messages(noSink)) {
    if (m.kind !== 'telemetry' || m.label !== 'event') continue;
    const e = avroTypeOf('telemetry').fromBuffer(m.value.subarray(5)) as MachineTelemetry;
    const key = `${e.employee_id}@${e.interval_start - (e.interval_start % DAY)}`;
    const sums = expected.get(key) ?? { failures: 0, runMs: 0, downMs: 0 };
    sums.failures += e.down_seconds > 0 ? 1 : 0;
    sums.runMs += toMillis(e.run_seconds);
    sums.downMs += toMillis(e.down_seconds);
    expected.set(key, sums);
  }

  await withClickHouse(ctx.config, async (client) => {
    const result = await client.query({
      query:
        'SELECT employee_id, toUnixTimestamp64Milli(window_start) AS start_ms, failures, mtbf_hours, mttr_minutes, oee FROM employee_window_metrics_current',
      format: 'JSONEachRow',
    });
    const rows = await result.json<{
      employee_id: string;
      start_ms: number;
      failures: number;
      mtbf_hours: number | null;
      mttr_minutes: number | null;
      oee: number | null;
    }>();
    expect(rows.length).toBe(expected.size);
    let withFailures = 0;
    for (const row of rows) {
      const sums = expected.get(`${row.employee_id}@${row.start_ms}`)!;
      expect(Number(row.failures)).toBe(sums.failures);
      if (sums.failures === 0) {
        expect([row.mtbf_hours, row.mttr_minutes]).toEqual([null, null]);
        continue;
      }
      withFailures += 1;
      expect(row.mtbf_hours).toBe(sums.runMs / sums.failures / 3_600_000);
      expect(row.mttr_minutes).toBe(sums.downMs / sums.failures / 60_000);
    }
    expect(withFailures).toBeGreaterThan(10);
    expect(rows.filter((r) => r.oee !== null).length).toBeGreaterThan(rows.length / 2);

    const migrations = await client.query({
      query: "SELECT component, version, name FROM applied_migrations FINAL WHERE component != 'kpi-stream' ORDER BY component",
      format: 'JSONEachRow',
    });
    expect(await migrations.json()).toEqual([
      { component: 'mtbf', version: 1, name: 'mtbf_columns' },
      { component: 'oee', version: 1, name: 'oee_columns' },
    ]);
  });

  // The scores carry the extension's indicator beside kpi-stream's own.
  const score = startProcessorCommand('score', ['--period', 'week']);
  expect(await exited(score)).toBe(0);
  await withClickHouse(ctx.config, async (client) => {
    const result = await client.query({
      query:
        "SELECT countIf(mapContains(indicator_values, 'mtbf')) AS mtbf, countIf(mapContains(indicator_values, 'oee')) AS oee, count() AS n FROM employee_scores_current WHERE period_type = 'week'",
      format: 'JSONEachRow',
    });
    const [counts] = await result.json<{ mtbf: number; oee: number; n: number }>();
    expect(Number(counts!.n)).toBeGreaterThan(0);
    expect(Number(counts!.mtbf)).toBeGreaterThan(0);
    expect(Number(counts!.oee)).toBeGreaterThan(0);
  });
}, 240_000);

function startProcessorCommand(command: string, args: string[]) {
  return startProcessor(ctx, command, args, {}, { command });
}
