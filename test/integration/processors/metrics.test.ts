import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import { OUTPUT_FILES } from '../../../simulator/output.js';
import { simulatePlant, type SimulationReport } from '../../../simulator/run.js';
import { inputTopic } from '../../../topics/definitions.js';
import { dropTestResources, testContext, testSeed } from '../support/context.js';
import { FaultyProxy } from '../support/faultyProxy.js';
import { freePort } from '../../../core/net.js';
import { exited, killProcessors, logOf, startProcessor, until } from '../support/processor.js';
import { buildPromcheck, checkExposition, family, total, type Exposition } from '../support/prometheus.js';

/**
 * A processor's /metrics, /healthz and /readyz on the real services: the
 * exposition is read by Prometheus' own parser and linter (promcheck: expfmt
 * and promlint, built with Go), its counters must account for every record the
 * simulator sent, and readiness follows ClickHouse (behind a proxy that can
 * cut it off) and the processor's progress. The scrape by a real Prometheus
 * is in the long suite (metricsScrape.long.test.ts).
 */
const ctx = testContext('metrics', { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '500ms', KPI_STALL_TIMEOUT: '4s' });
const out = mkdtempSync(join(tmpdir(), 'kpi-metrics-'));
const seed = testSeed('metrics test');
let promcheck: string;
let clickhouse: FaultyProxy;
let report: SimulationReport;
let url: string;

const get = (path: string) => fetch(`${url}${path}`).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }));
const scrape = async (): Promise<Exposition> => checkExposition(promcheck, (await get('/metrics')).body);

beforeAll(async () => {
  promcheck = await buildPromcheck(ctx.config);
  clickhouse = await FaultyProxy.start(ctx.config.clickhouse.url);
  report = await simulatePlant(
    { employees: 40, days: 7, seed, duplicateRate: 0.02, malformedRate: 0.005, tooLateRate: 0.02, disorderMs: 20 * 60_000, out },
    ctx.config,
    ctx.log,
  );
}, 900_000);

afterAll(async () => {
  await killProcessors();
  await clickhouse?.close();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('a processor serves metrics that account for every record, by topic and outcome, and tells when it is not ready', async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const processor = startProcessor(ctx, 'metrics', [], { KPI_METRICS_PORT: String(port), CLICKHOUSE_URL: clickhouse.url(ctx.config.clickhouse.url) });

  // Served from the start of start-up, but not ready until it has joined the group: the first answer
  // (asked every 20 ms from the spawn on) comes while it creates topics, migrates ClickHouse and joins.
  const deadline = Date.now() + 60_000;
  let first: { status: number; body: string } | undefined;
  while (!(first = await get('/readyz').catch(() => undefined))) {
    if (Date.now() > deadline || processor.exitCode !== null) throw new Error(`the processor never served /readyz; its log:\n${logOf(ctx, 'metrics')}`);
    await sleep(20);
  }
  expect(first).toMatchObject({ status: 503 });
  expect(first.body).toMatch(/^\[-\] consumer-group: starting: creating topics, migrating ClickHouse, joining group \S+$/m);

  // Ready once it has joined the group; every check has its line.
  await until('/readyz answers 200', async () => (await get('/readyz')).status === 200, 120_000);
  const ready = await get('/readyz');
  // One processor holds the six partitions; with worker threads (KPI_WORKERS, the cores by default) each worker says what it holds.
  expect(ready.body).toMatch(
    /^\[\+\] consumer-group: (member of group \S+ with 6 partitions|worker 0: member of group \S+ with \d partitions(; worker \d+: member of group \S+ with \d partitions)+)$/m,
  );
  expect(ready.body).toMatch(/^\[\+\] progress: /m);
  expect(ready.body).toMatch(/^\[\+\] clickhouse: .* answered \/ping/m);
  expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  expect((await get('/nothing')).status).toBe(404);

  // Every record counted, every window written and left memory, the broker read to its end.
  const { counts } = report.simulation;
  const expectedRows = readFileSync(join(out, OUTPUT_FILES.expected), 'utf8').trim().split('\n').length;
  let metrics!: Exposition;
  await until(
    'the metrics show every record processed, every row written, no window open and no lag',
    async () => {
      metrics = await scrape();
      return (
        total(metrics, 'kpi_records_total') === report.sent &&
        total(metrics, 'kpi_rows_written_total') >= expectedRows &&
        total(metrics, 'kpi_open_windows') === 0 &&
        family(metrics, 'kpi_consumer_lag_records')?.samples.length === EVENT_KINDS.length * 6 &&
        total(metrics, 'kpi_consumer_lag_records') === 0
      );
    },
    180_000,
  );
  expect((await get('/metrics')).type).toBe('text/plain; version=0.0.4; charset=utf-8');

  // Conventions: promlint finds nothing in kpi-stream's metrics, and each has its help text.
  const ours = metrics.families.filter((f) => f.name.startsWith('kpi_'));
  expect(metrics.problems.filter((p) => p.metric.startsWith('kpi_'))).toEqual([]);
  for (const f of ours) expect(f.help.length).toBeGreaterThan(20);
  expect(ours.map((f) => `${f.name} ${f.type}`).sort()).toEqual(
    [
      'kpi_assigned_partitions GAUGE',
      'kpi_batch_duration_seconds HISTOGRAM',
      'kpi_build_info GAUGE',
      'kpi_clickhouse_insert_duration_seconds HISTOGRAM',
      'kpi_consumer_lag_records GAUGE',
      'kpi_dead_letters_total COUNTER',
      'kpi_duplicates_total COUNTER',
      'kpi_offset_commit_duration_seconds HISTOGRAM',
      'kpi_open_windows GAUGE',
      'kpi_partition_rewinds_total COUNTER',
      'kpi_records_total COUNTER',
      'kpi_refused_rows_total COUNTER',
      'kpi_rows_written_total COUNTER',
      'kpi_sink_pending_records GAUGE',
      'kpi_stage_cpu_seconds_total COUNTER',
      'kpi_stage_seconds_total COUNTER',
      'kpi_topic_partitions_paused GAUGE',
      'kpi_window_close_to_queryable_seconds HISTOGRAM',
      'kpi_windows_in_memory GAUGE',
      'kpi_watermark_lag_seconds GAUGE',
      'kpi_windows_restored_total COUNTER',
    ].sort(),
  );
  // Node's and the process's own.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
    expect(family(metrics, name)).toBeDefined();
  }

  // The counts are the simulator's: by outcome, by topic, by dead-letter code.
  const malformed = Object.values(counts.malformed).reduce((a, b) => a + b, 0);
  expect(total(metrics, 'kpi_records_total', { outcome: 'accepted' })).toBe(Object.values(counts.events).reduce((a, b) => a + b, 0));
  expect(total(metrics, 'kpi_records_total', { outcome: 'duplicate' })).toBe(counts.duplicates);
  expect(total(metrics, 'kpi_records_total', { outcome: 'too_late' })).toBe(counts.tooLate);
  expect(total(metrics, 'kpi_records_total', { outcome: 'invalid' })).toBe(malformed);
  for (const kind of EVENT_KINDS) expect(total(metrics, 'kpi_records_total', { topic: inputTopic(ctx.config, kind) })).toBe(counts.messages[kind]);
  expect(total(metrics, 'kpi_duplicates_total', { content: 'identical' })).toBe(counts.duplicates);
  expect(total(metrics, 'kpi_dead_letters_total', { code: 'KPI_ERR_TOO_LATE' })).toBe(counts.tooLate);
  expect(total(metrics, 'kpi_dead_letters_total', { code: 'KPI_ERR_DECODE_UNKNOWN_SCHEMA' })).toBe(counts.malformed['unknown-schema-id']);
  expect(total(metrics, 'kpi_dead_letters_total')).toBe(counts.tooLate + malformed);
  expect(counts.tooLate * malformed * counts.duplicates).toBeGreaterThan(0);

  // Durations: every batch, insert and commit observed, in seconds.
  expect(total(metrics, 'kpi_batch_duration_seconds')).toBeGreaterThanOrEqual(EVENT_KINDS.length);
  for (const kind of EVENT_KINDS) expect(total(metrics, 'kpi_batch_duration_seconds', { topic: inputTopic(ctx.config, kind) })).toBeGreaterThan(0);
  expect(total(metrics, 'kpi_clickhouse_insert_duration_seconds', { table: 'employee_window_metrics' })).toBeGreaterThan(0);
  expect(total(metrics, 'kpi_clickhouse_insert_duration_seconds', { table: 'dead_letters' })).toBeGreaterThan(0);
  expect(total(metrics, 'kpi_offset_commit_duration_seconds')).toBeGreaterThan(0);
  // Stages: CPU in the ones that compute, wall time in every one; each row written was timed from its window's close.
  for (const stage of ['decode', 'validate', 'window', 'encode']) expect(total(metrics, 'kpi_stage_cpu_seconds_total', { stage })).toBeGreaterThan(0);
  for (const stage of ['restore', 'insert', 'commit']) expect(total(metrics, 'kpi_stage_seconds_total', { stage })).toBeGreaterThan(0);
  expect(total(metrics, 'kpi_window_close_to_queryable_seconds')).toBe(total(metrics, 'kpi_rows_written_total'));
  // Written windows stay in memory for corrections (KPI_CLOSED_WINDOW_CACHE) while none is open.
  expect(total(metrics, 'kpi_windows_in_memory')).toBeGreaterThan(0);
  const batches = family(metrics, 'kpi_batch_duration_seconds')!.samples;
  for (const s of batches) expect(s.buckets!['+Inf']).toBe(s.count);
  expect(batches.every((s) => s.sum! > 0 && s.sum! / s.count! < 10)).toBe(true);

  // Gauges: one watermark per partition (the simulated plant's last days are weeks past), all six partitions here.
  const watermarks = family(metrics, 'kpi_watermark_lag_seconds')!.samples;
  expect(watermarks.map((s) => s.labels.partition).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
  for (const s of watermarks) expect(s.value!).toBeGreaterThan(0);
  expect(total(metrics, 'kpi_assigned_partitions')).toBe(6);
  expect(total(metrics, 'kpi_sink_pending_records')).toBe(0);
  expect(family(metrics, 'kpi_build_info')!.samples[0]!.labels.version).toMatch(/^\d+\.\d+\.\d+/);

  // ClickHouse away: not ready, naming it, while still alive; back: ready again.
  clickhouse.down();
  await until('/readyz fails on ClickHouse', async () => (await get('/readyz')).status === 503, 30_000);
  expect((await get('/readyz')).body).toMatch(/^\[-\] clickhouse: http:\/\/127\.0\.0\.1:\d+ does not answer \/ping: /m);
  expect((await get('/healthz')).status).toBe(200);

  // Records arriving meanwhile cannot be written: flushes stop finishing, and past KPI_STALL_TIMEOUT it is stalled.
  await simulatePlant({ employees: 3, days: 1, seed: seed + 1, out: join(out, 'more') }, ctx.config, ctx.log);
  await until('/readyz says the processor is stalled', async () => /^\[-\] progress: (worker \d+: )?stalled: /m.test((await get('/readyz')).body), 60_000);

  clickhouse.restore();
  await until('/readyz answers 200 again', async () => (await get('/readyz')).status === 200, 60_000);
  expect(logOf(ctx, 'metrics')).toMatch(/not ready: .*clickhouse/);

  processor.kill('SIGTERM');
  expect(await exited(processor)).toBe(0);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
}, 600_000);
