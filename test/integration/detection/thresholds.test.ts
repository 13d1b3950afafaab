import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEvaluation } from '../../../evaluation/evaluationTable.js';
import { evaluateSimulation } from '../../../evaluation/groundTruth.js';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { runDetection } from '../../../detection/runner.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { createClickHouseClient, withClickHouse } from '../../../sinks/clickhouse/client.js';
import { dropTestResources, testContext, testSeed } from '../support/context.js';

const ctx = testContext('detection', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '500ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-detect-'));
afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

const seed = testSeed('detection test');
const catalog = KpiCatalog.of();

beforeAll(async () => {
  const options = simulateOptions({ employees: 240, days: 21, seed, inflatorShare: 0.25, malformedRate: 0.001, out });
  await simulatePlant(options, ctx.config, ctx.log);
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 3000 });
  await pipeline.done;
  const client = createClickHouseClient(ctx.config);
  try {
    await runDetection(client, catalog, ctx.log, { from: options.start, to: options.start + options.days * 86_400_000, timeZone: 'UTC' });
  } finally {
    await client.close();
  }
}, 300_000);

test("at today's small honest errors: precision 0.95, recall 0.90 for 15%+ inflation, at most 1% of honest windows and 2% of honest employees flagged", async () => {
  const result = await withClickHouse(ctx.config, (client) => evaluateSimulation(client, out));
  process.stdout.write(`seed ${seed}\n${formatEvaluation(result)}\n`);
  expect(result.recallAtLeast15.inflated).toBeGreaterThan(100);
  expect(result.precision).toBeGreaterThanOrEqual(0.95);
  expect(result.recallAtLeast15.recall).toBeGreaterThanOrEqual(0.9);
  expect(result.honestFlagRate).toBeLessThanOrEqual(0.01);
  expect(result.honestEmployeeFlagRate).toBeLessThanOrEqual(0.02);
});
