import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateSimulation, formatEvaluation } from '../../../detection/groundTruth.js';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { runDetection } from '../../../detection/runner.js';
import { startPipeline } from '../../../processors/bootstrap.js';
import { projectRoot } from '../../../core/paths.js';
import { createClickHouseClient, withClickHouse } from '../../../sinks/clickhouse/client.js';
import { scorePeriods } from '../../../scoring/score.js';
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

test('on a simulated plant, flags meet precision 0.95, recall 0.90 for 15%+ inflation, and at most 1% honest flags', async () => {
  const result = await withClickHouse(ctx.config, (client) => evaluateSimulation(client, out));
  process.stdout.write(`seed ${seed}\n${formatEvaluation(result)}\n`);
  expect(result.recallAtLeast15.inflated).toBeGreaterThan(100);
  expect(result.precision).toBeGreaterThanOrEqual(0.95);
  expect(result.recallAtLeast15.recall).toBeGreaterThanOrEqual(0.9);
  expect(result.honestFlagRate).toBeLessThanOrEqual(0.01);
});

test('every example query of docs/analysts.md runs, and those not tied to today return rows', async () => {
  const doc = readFileSync(join(projectRoot(), 'docs', 'analysts.md'), 'utf8');
  const queries = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\bkpi\./g, ''));
  expect(queries.length).toBeGreaterThanOrEqual(6);
  const client = createClickHouseClient(ctx.config);
  try {
    for (const period of ['week', 'month'] as const) await scorePeriods(client, catalog, { period, timeZone: 'UTC' });
    for (const query of queries) {
      const result = await client.query({ query, query_params: { employee: 'E000001' }, format: 'JSONEachRow' });
      const rows = await result.json();
      if (!/now64\(/.test(query)) expect({ query, empty: rows.length === 0 }).toEqual({ query, empty: false });
    }
  } finally {
    await client.close();
  }
}, 120_000);
