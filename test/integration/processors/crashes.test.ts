import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSimulateArgs, runSimulation } from '../../../cli/commands/simulate.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { Random } from '../../../simulator/random.js';
import { dropTestResources, testContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { exited, killProcessors, startProcessor } from '../support/processor.js';

const processorEnv = { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '300ms', KPI_SINK_MAX_ROWS: '5000' };
const ctx = testContext('crashes', processorEnv);
const out = mkdtempSync(join(tmpdir(), 'kpi-crashes-'));

afterAll(async () => {
  await killProcessors();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

async function rowCount(): Promise<number> {
  const client = createClickHouseClient(ctx.config);
  try {
    const result = await client.query({ query: 'SELECT count() AS n FROM employee_window_metrics', format: 'JSONEachRow' });
    return Number((await result.json<{ n: number }>())[0]!.n);
  } catch {
    return 0; // the table does not exist before the first processor migrated
  } finally {
    await client.close();
  }
}

test('a processor killed with SIGKILL at random moments still produces exactly the expected month', async () => {
  const seed = Date.now() % 100_000;
  process.stdout.write(`crash test seed ${seed}\n`);
  const args = parseSimulateArgs(['--employees', '80', '--days', '30', '--seed', String(seed), '--duplicates', '0.02', '--too-late', '0.02', '--malformed', '0.001', '--disorder', '20m', '--out', out]);
  await runSimulation(args, ctx.config, ctx.log);

  const random = new Random(seed, 'kills');
  const kills: { afterMs: number; rowsBefore: number }[] = [];
  for (let i = 0; i < 12; i += 1) {
    const child = startProcessor(ctx, `run-${i}`);
    const afterMs = Math.round(random.uniform(1500, 4500));
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    const rowsBefore = await rowCount();
    child.kill('SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
    kills.push({ afterMs, rowsBefore });
  }
  // Work was interrupted in the middle: rows were being written while processors died.
  expect(kills.filter((k) => k.rowsBefore > 0).length).toBeGreaterThan(5);

  const last = startProcessor(ctx, 'final', ['--exit-when-idle', '5s']);
  expect(await exited(last)).toBe(0);

  await expectExactlyTheSimulatedRows(ctx, out);
}, 600_000);
