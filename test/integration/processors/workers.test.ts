import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../../core/net.js';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import { defaultStart, simulatePlant } from '../../../simulator/run.js';
import { inputTopic } from '../../../topics/definitions.js';
import { dropTestResources, testContext, testSeed } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { assignedPartitions, exited, killProcessors, logOf, startProcessor, until } from '../support/processor.js';
import { buildPromcheck, checkExposition, family, total, type Exposition } from '../support/prometheus.js';

/**
 * One `kpi-stream run` process with two worker threads over a simulated
 * plant: both join the group and share the six partitions, the process
 * serves their metrics summed (read by Prometheus' own parser and linter)
 * and is ready when both are, a SIGTERM stops both cleanly mid-stream, and
 * after a restart every row is exactly the simulator's. KPI_WORKERS is pinned
 * to 2 here, whatever the machine's cores: the test is about worker threads.
 */
const ctx = testContext('workers', { KPI_WORKERS: '2', KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '300ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-workers-'));
let promcheck: string;

beforeAll(async () => {
  promcheck = await buildPromcheck(ctx.config);
}, 900_000);

afterAll(async () => {
  await killProcessors();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('one process, two workers: the partitions shared, metrics summed, ready when both are, and every row exact after a stop and a restart', async () => {
  const seed = testSeed('workers test');
  const plant = { employees: 60, days: 20, start: defaultStart(20), seed, duplicateRate: 0.02, malformedRate: 0.002, disorderMs: 20 * 60_000, out };
  // The first half is in Kafka before the process starts; the whole month arrives while it runs (the first half again, as duplicates).
  const firstHalf = await simulatePlant({ ...plant, days: 10 }, ctx.config, ctx.log);
  const { counts } = firstHalf.simulation;

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const get = (path: string) => fetch(`${url}${path}`).then(async (r) => ({ status: r.status, body: await r.text() }));
  const scrape = async (): Promise<Exposition> => checkExposition(promcheck, (await get('/metrics')).body);
  const processor = startProcessor(ctx, 'workers', [], { KPI_METRICS_PORT: String(port) });

  // Both workers joined, three partitions each; the process holds all six and is ready.
  await until('/readyz answers 200', async () => (await get('/readyz').catch(() => ({ status: 0 }))).status === 200, 120_000);
  const ready = (await get('/readyz')).body;
  expect(ready).toMatch(/^\[\+\] consumer-group: worker 0: member of group \S+ with 3 partitions; worker 1: member of group \S+ with 3 partitions$/m);
  expect(ready).toMatch(/^\[\+\] progress: worker 0: last flush .*; worker 1: last flush /m);
  expect(ready).toMatch(/^\[\+\] clickhouse: .* answered \/ping/m);
  await until('the log says the process holds all six partitions', () => assignedPartitions(ctx, 'workers').join() === '0,1,2,3,4,5');
  const log = logOf(ctx, 'workers');
  expect(log).toMatch(/worker 0 joined group \S+ with 3 partitions/);
  expect(log).toMatch(/worker 1 joined group \S+ with 3 partitions/);
  expect(log).toMatch(/ worker=1\b/); // the workers' own lines carry their index

  // The first half processed: the process's metrics are both workers' summed, to the record.
  let metrics!: Exposition;
  await until(
    'the metrics show the first half processed, no window open and no lag',
    async () => {
      metrics = await scrape();
      return (
        total(metrics, 'kpi_records_total') === firstHalf.sent &&
        total(metrics, 'kpi_open_windows') === 0 &&
        family(metrics, 'kpi_consumer_lag_records')?.samples.length === EVENT_KINDS.length * 6 &&
        total(metrics, 'kpi_consumer_lag_records') === 0
      );
    },
    180_000,
  );
  expect(metrics.problems.filter((p) => p.metric.startsWith('kpi_'))).toEqual([]);
  const malformed = Object.values(counts.malformed).reduce((a, b) => a + b, 0);
  expect(total(metrics, 'kpi_records_total', { outcome: 'accepted' })).toBe(Object.values(counts.events).reduce((a, b) => a + b, 0));
  expect(total(metrics, 'kpi_records_total', { outcome: 'duplicate' })).toBe(counts.duplicates);
  expect(total(metrics, 'kpi_records_total', { outcome: 'invalid' })).toBe(malformed);
  for (const kind of EVENT_KINDS) expect(total(metrics, 'kpi_records_total', { topic: inputTopic(ctx.config, kind) })).toBe(counts.messages[kind]);
  expect(total(metrics, 'kpi_dead_letters_total')).toBe(malformed);
  expect(counts.duplicates * malformed).toBeGreaterThan(0);
  expect(total(metrics, 'kpi_window_close_to_queryable_seconds')).toBe(total(metrics, 'kpi_rows_written_total'));
  expect(total(metrics, 'kpi_assigned_partitions')).toBe(6);
  for (const name of ['kpi_build_info', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
    expect(family(metrics, name)).toBeDefined();
  }

  // The month arrives while both work; a SIGTERM mid-stream stops both cleanly.
  const producing = simulatePlant(plant, ctx.config, ctx.log);
  await sleep(3000);
  processor.kill('SIGTERM');
  expect(await exited(processor)).toBe(0);
  expect(logOf(ctx, 'workers')).toMatch(/stopped after \d+ records/);
  await producing;

  // A new process with its two workers finishes the month from the commits.
  const last = startProcessor(ctx, 'last', ['--exit-when-idle', '5s']);
  expect(await exited(last)).toBe(0);
  expect(assignedPartitions(ctx, 'last')).toEqual([0, 1, 2, 3, 4, 5]);
  await expectExactlyTheSimulatedRows(ctx, out);
}, 600_000);
