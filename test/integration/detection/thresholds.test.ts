import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateSimulation, formatEvaluation } from '../../../cli/commands/analytics.js';
import { parseSimulateArgs, runSimulation } from '../../../cli/commands/simulate.js';
import { runDetection } from '../../../detection/runner.js';
import { Pipeline } from '../../../processors/pipeline.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { dropTestResources, testContext } from '../support/context.js';

const ctx = testContext('detection', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '500ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-detect-'));
afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('on a simulated plant, flags meet precision 0.95, recall 0.90 for 15%+ inflation, and at most 1% honest flags', async () => {
  const seed = Math.floor(Math.random() * 1_000_000);
  process.stdout.write(`detection test seed ${seed}\n`);
  const args = parseSimulateArgs(['--employees', '240', '--days', '21', '--seed', String(seed), '--inflators', '0.25', '--out', out]);
  await runSimulation(args, ctx.config, ctx.log);
  const pipeline = await Pipeline.start(ctx.config, ctx.log, { exitWhenIdleMs: 3000 });
  await pipeline.done;

  const client = createClickHouseClient(ctx.config);
  try {
    await runDetection(client, ctx.log, { from: args.options.start, to: args.options.start + args.options.days * 86_400_000, timeZone: 'UTC' });
  } finally {
    await client.close();
  }
  const result = await evaluateSimulation(ctx.config, out);
  process.stdout.write(`seed ${seed}\n${formatEvaluation(result)}\n`);
  expect(result.recallAtLeast15.inflated).toBeGreaterThan(100);
  expect(result.precision).toBeGreaterThanOrEqual(0.95);
  expect(result.recallAtLeast15.recall).toBeGreaterThanOrEqual(0.9);
  expect(result.honestFlagRate).toBeLessThanOrEqual(0.01);
}, 300_000);
