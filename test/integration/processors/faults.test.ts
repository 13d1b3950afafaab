import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { TumblingWindows } from '../../../processors/windows.js';
import { avroTypeOf } from '../../../schemas/avro.js';
import { windowTimeOf } from '../../../schemas/inputs.js';
import { eventKeyOf } from '../../../contract/windowRow.js';
import { kindOfTopic } from '../../../topics/definitions.js';
import type { KindedEvent } from '../../../schemas/kinds.js';
import { compareWithExpected, readExpectedRows } from '../../../simulator/compare.js';
import { OUTPUT_FILES } from '../../../simulator/output.js';
import { Simulation } from '../../../simulator/simulation.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { dropTestResources, testContext, type TestContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { FaultyProxy } from '../support/faultyProxy.js';
import { ReadOnlyProxy } from '../support/readOnlyProxy.js';
import { exited, killProcessors, logOf, startProcessor, until } from '../support/processor.js';

afterAll(() => killProcessors());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settled = (promise: Promise<unknown>) =>
  Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    pause(0).then(() => false),
  ]);

async function simulated(ctx: TestContext, seed: number): Promise<string> {
  return (await simulatedPlant(ctx, seed)).out;
}

async function simulatedPlant(ctx: TestContext, seed: number) {
  const options = simulateOptions({ employees: 40, days: 10, seed, duplicateRate: 0.02, out: mkdtempSync(join(tmpdir(), 'kpi-faults-')) });
  await simulatePlant(options, ctx.config, ctx.log);
  return { out: options.out, options };
}

describe('a schema registry that is down', () => {
  const ctx = testContext('registry_down', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
  afterAll(() => dropTestResources(ctx));

  test('is waited for, not dead-lettered; when it is back the stream goes on exactly', async () => {
    const out = await simulated(ctx, 5);
    const proxy = await FaultyProxy.start(ctx.config.registry.url);
    proxy.down();
    const config = loadConfig({ ...ctx.env, LOG_LEVEL: 'error', SCHEMA_REGISTRY_URL: proxy.url(ctx.config.registry.url) });
    const pipeline = await startPipeline(config, ctx.log, { exitWhenIdleMs: 4000 });
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
    const pipeline = await startPipeline(config, ctx.log, { exitWhenIdleMs: 4000 });
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

describe('rows ClickHouse refuses for their content', () => {
  const ctx = testContext('sink_refuses', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
  afterAll(() => dropTestResources(ctx));

  test("are isolated: their windows' records go to the dead letters, every other row is written exactly, and the stream goes on", async () => {
    const catalog = KpiCatalog.of();
    await migrate(ctx.config, ctx.log, catalog);
    await withClickHouse(ctx.config, (client) =>
      client.command({ query: 'ALTER TABLE employee_window_metrics ADD CONSTRAINT refuse_busy_days CHECK units < 150' }),
    );
    const { out, options } = await simulatedPlant(ctx, 7);

    const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 4000 });
    await pipeline.done;

    const expected = await readExpectedRows(join(out, OUTPUT_FILES.expected));
    const refused = new Set(expected.filter((r) => r.units >= 150).map((r) => `${r.employee_id}@${r.window_start}`));
    expect(refused.size).toBeGreaterThan(5);
    expect(refused.size).toBeLessThan(expected.length / 2);
    // Every event of a refused window is in exactly one place: the window's last accepted row (a version
    // written before the window grew past the constraint), or the dead letters, with its original bytes.
    const windows = TumblingWindows.of(86_400_000);
    const eventsOfRefused: KindedEvent[] = [];
    for (const m of new Simulation(options, { production: 1, telemetry: 2, inspection: 3, feedback: 4, selfReport: 5 }).messages({
      expected: () => undefined,
      truth: () => undefined,
      tooLate: () => undefined,
    })) {
      if (m.label !== 'event') continue;
      const tagged = { kind: m.kind, event: avroTypeOf(m.kind).fromBuffer(m.value.subarray(5)) } as KindedEvent;
      if (refused.has(`${tagged.event.employee_id}@${windows.windowFor(windowTimeOf(tagged)).start}`)) eventsOfRefused.push(tagged);
    }
    const { lettered, accepted } = await withClickHouse(ctx.config, async (client) => {
      const letters = await client.query({
        query: "SELECT source_topic, value_base64 FROM dead_letters FINAL WHERE error_code = 'KPI_ERR_SINK_REJECTED'",
        format: 'JSONEachRow',
      });
      const lettered = new Set<number>();
      for (const l of await letters.json<{ source_topic: string; value_base64: string }>()) {
        const kind = kindOfTopic(ctx.config, l.source_topic)!;
        const event = avroTypeOf(kind).fromBuffer(Buffer.from(l.value_base64, 'base64').subarray(5)) as { event_id: string };
        lettered.add(eventKeyOf(kind, event.event_id));
      }
      const rows = await client.query({
        query: 'SELECT employee_id, toUnixTimestamp64Milli(window_start) AS start_ms, event_keys FROM employee_window_metrics FINAL',
        format: 'JSONEachRow',
      });
      const accepted = new Map<string, Set<number>>();
      for (const r of await rows.json<{ employee_id: string; start_ms: number; event_keys: number[] }>())
        accepted.set(`${r.employee_id}@${Number(r.start_ms)}`, new Set(r.event_keys.map(Number)));
      return { lettered, accepted };
    });
    const misplaced = eventsOfRefused.filter((tagged) => {
      const key = eventKeyOf(tagged.kind, tagged.event.event_id);
      const inRow = accepted.get(`${tagged.event.employee_id}@${windows.windowFor(windowTimeOf(tagged)).start}`)?.has(key) ?? false;
      return inRow === lettered.has(key);
    });
    expect(misplaced.map((t) => `${t.kind} ${t.event.event_id}`)).toEqual([]);
    // Each refused window's full row was refused, so some of its events were dead-lettered (how many depends on
    // how many versions were written before it grew past the constraint: on how the flushes fell).
    const windowsLettered = new Set(
      eventsOfRefused
        .filter((tagged) => lettered.has(eventKeyOf(tagged.kind, tagged.event.event_id)))
        .map((tagged) => `${tagged.event.employee_id}@${windows.windowFor(windowTimeOf(tagged)).start}`),
    );
    expect([...refused].filter((key) => !windowsLettered.has(key))).toEqual([]);
    expect(pipeline.metrics.refusedRows).toBeGreaterThanOrEqual(refused.size);

    // Every other window is exactly as expected; refused ones hold at most their last accepted version.
    const comparison = await withClickHouse(ctx.config, async (client) =>
      compareWithExpected(
        client,
        expected.filter((r) => r.units < 150),
      ),
    );
    expect(comparison.differences).toEqual([]);
    expect(comparison.missing).toEqual([]);
    expect(comparison.unexpected.filter((key) => !refused.has(key.replace(/@(.*)$/, (_, iso: string) => `@${Date.parse(iso)}`)))).toEqual([]);
    expect(comparison.equal).toBe(comparison.expected);
    rmSync(out, { recursive: true, force: true });
  }, 180_000);
});

describe('a store that turns read-only', () => {
  const ctx = testContext('sink_readonly', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms', KPI_SINK_MAX_ROWS: '2000' });
  afterAll(() => dropTestResources(ctx));

  test('stops the processor with exit code 1 and a message naming it, not retrying forever; what it committed loses nothing', async () => {
    const out = await simulated(ctx, 8);
    const proxy = await ReadOnlyProxy.start(ctx.config.clickhouse.url);
    try {
      const child = startProcessor(ctx, 'readonly', [], { CLICKHOUSE_URL: proxy.url, LOG_LEVEL: 'debug' });
      await until('the processor wrote rows', async () => (await countRows(ctx)) > 0);
      proxy.readOnly();
      const turned = Date.now();
      expect(await exited(child)).toBe(1);
      expect(Date.now() - turned).toBeLessThan(30_000);
      expect(logOf(ctx, 'readonly')).toMatch(/FATAL .*readonly mode/i);
    } finally {
      await proxy.close();
    }
    // A processor on the writable store picks up from the last commit: nothing was committed past an unwritten row.
    const next = startProcessor(ctx, 'after', ['--exit-when-idle', '4s']);
    expect(await exited(next)).toBe(0);
    await expectExactlyTheSimulatedRows(ctx, out);
    rmSync(out, { recursive: true, force: true });
  }, 180_000);
});

/** Rows written so far, all versions. */
function countRows(ctx: TestContext): Promise<number> {
  return withClickHouse(ctx.config, async (client) => {
    const result = await client.query({ query: 'SELECT count() AS n FROM employee_window_metrics', format: 'JSONEachRow' });
    return Number((await result.json<{ n: number }>())[0]!.n);
  }).catch(() => 0);
}
