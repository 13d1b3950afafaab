import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSimulateArgs, runSimulation } from '../../../cli/commands/simulate.js';
import { loadConfig } from '../../../core/config.js';
import { Pipeline } from '../../../processors/pipeline.js';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { inputTopic } from '../../../topics/definitions.js';
import { createKafka } from '../../../topics/kafka.js';
import { dropTestResources, testContext, type TestContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { FaultyProxy } from '../support/faultyProxy.js';
import { exited, killProcessors, logOf, startProcessor } from '../support/processor.js';

afterAll(() => killProcessors());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settled = (promise: Promise<unknown>) => Promise.race([promise.then(() => true, () => true), pause(0).then(() => false)]);

async function simulated(ctx: TestContext, seed: number): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'kpi-faults-'));
  await runSimulation(parseSimulateArgs(['--employees', '40', '--days', '10', '--seed', String(seed), '--duplicates', '0.02', '--out', out]), ctx.config, ctx.log);
  return out;
}

describe('a schema registry that is down', () => {
  const ctx = testContext('registry_down', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
  afterAll(() => dropTestResources(ctx));

  test('is waited for, not dead-lettered; when it is back the stream goes on exactly', async () => {
    const out = await simulated(ctx, 5);
    const proxy = await FaultyProxy.start(ctx.config.registry.url);
    proxy.down();
    const config = loadConfig({ ...ctx.env, LOG_LEVEL: 'error', SCHEMA_REGISTRY_URL: proxy.url(ctx.config.registry.url) });
    const pipeline = await Pipeline.start(config, ctx.log, { exitWhenIdleMs: 4000 });
    try {
      await pause(4000);
      expect(pipeline.metrics.processed).toBe(0);
      expect(pipeline.metrics.records.invalid).toBe(0);
      expect(await settled(pipeline.done)).toBe(false);
      proxy.restore();
      await pipeline.done;
    } finally {
      await proxy.close();
    }
    expect(pipeline.metrics.records.invalid).toBe(0);
    await expectExactlyTheSimulatedRows(ctx, out);
    rmSync(out, { recursive: true, force: true });
  }, 120_000);
});

describe('a ClickHouse that goes away', () => {
  const ctx = testContext('clickhouse_down', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms', KPI_SINK_MAX_ROWS: '1000' });
  afterAll(() => dropTestResources(ctx));

  test('holds consumption back while writes are retried, then catches up exactly', async () => {
    const out = await simulated(ctx, 6);
    const proxy = await FaultyProxy.start(ctx.config.clickhouse.url);
    const config = loadConfig({ ...ctx.env, LOG_LEVEL: 'error', CLICKHOUSE_URL: proxy.url(ctx.config.clickhouse.url) });
    const pipeline = await Pipeline.start(config, ctx.log, { exitWhenIdleMs: 4000 });
    try {
      proxy.down();
      await pause(2500);
      const stalled = pipeline.metrics.processed;
      await pause(2500);
      // Backpressure: nothing more is consumed while nothing can be written.
      expect(pipeline.metrics.processed).toBe(stalled);
      expect(await settled(pipeline.done)).toBe(false);
      proxy.restore();
      await pipeline.done;
    } finally {
      await proxy.close();
    }
    await expectExactlyTheSimulatedRows(ctx, out);
    rmSync(out, { recursive: true, force: true });
  }, 120_000);
});

describe('a write ClickHouse refuses for good', () => {
  const ctx = testContext('sink_refuses', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
  afterAll(() => dropTestResources(ctx));

  test('stops the processor with exit code 1 and a clear message, committing nothing past the unwritten rows', async () => {
    await migrate(ctx.config, ctx.log);
    const client = createClickHouseClient(ctx.config);
    await client.command({ query: 'ALTER TABLE employee_window_metrics ADD CONSTRAINT refuse_every_row CHECK units > 1000000000' });
    await client.close();
    const out = await simulated(ctx, 7);

    const child = startProcessor(ctx, 'refused');
    expect(await exited(child)).toBe(1);
    const log = logOf(ctx, 'refused');
    expect(log).toMatch(/FATAL .*inserting \d+ rows into employee_window_metrics: .*refuse_every_row/);

    const admin = createKafka(ctx.config, 'sink-refuses-check', ctx.log).admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: ctx.config.groupId, topics: EVENT_KINDS.map((kind) => inputTopic(ctx.config, kind)) });
    await admin.disconnect();
    for (const { partitions } of committed) for (const p of partitions) expect(Number(p.offset)).toBeLessThanOrEqual(0);
    rmSync(out, { recursive: true, force: true });
  }, 120_000);
});
