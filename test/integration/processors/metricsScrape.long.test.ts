import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import { simulatePlant, type SimulationReport } from '../../../simulator/run.js';
import { inputTopic } from '../../../topics/definitions.js';
import { dropTestResources, testContext, testSeed } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { freePort } from '../../../core/net.js';
import { exited, killProcessors, logOf, processorLog, startProcessor, until } from '../support/processor.js';
import { installPrometheus, PrometheusServer } from '../support/prometheus.js';

/**
 * A real Prometheus scrapes two processors sharing a demo-sized plant, and
 * what it stored, asked through its query API, accounts for every record sent:
 * by outcome, topic and dead-letter code, summed over the group. In the long
 * suite (`npm run test:long`): building Prometheus from the Go module proxy
 * takes half an hour the first time (README "Tests").
 */
const ctx = testContext('scrape', { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '500ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-scrape-'));
const seed = testSeed('metrics scrape test');
let prometheus: PrometheusServer | undefined;
let report: SimulationReport;
let processors: ChildProcess[] = [];

beforeAll(async () => {
  const binary = await installPrometheus(ctx.config);
  const ports = [await freePort(), await freePort()];
  processors = ports.map((port, i) => startProcessor(ctx, `p${i}`, [], { KPI_METRICS_PORT: String(port) }));
  prometheus = await PrometheusServer.start(
    binary,
    ctx.config,
    ports.map((port) => `127.0.0.1:${port}`),
    processorLog(ctx, 'prometheus'),
  );
  // The group settles before the first record: a rebalance during the run would have the new owner of a
  // partition process again what its former owner had not committed, and each process counts what it
  // processes (README "Metrics and health"), so the sum would exceed the records sent.
  await until(
    'both processors hold three partitions each, as Prometheus sees them',
    async () => (await prometheus!.query('kpi_assigned_partitions')).map((r) => r.value).join() === '3,3',
    180_000,
  );
  // The demo's plant: 200 employees for a fortnight, with duplicates, bad and too-late records.
  report = await simulatePlant({ employees: 200, days: 14, seed, malformedRate: 0.001, tooLateRate: 0.01, out }, ctx.config, ctx.log);
}, 3_600_000);

afterAll(async () => {
  await killProcessors();
  await prometheus?.stop();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('Prometheus scrapes both processors, and its counters match the records the plant sent', async () => {
  const p = prometheus!;
  await until('Prometheus scrapes both processors', async () => (await p.scalar('sum(up{job="kpi-stream"})')) === 2, 60_000);
  await until(
    'Prometheus has seen every record processed',
    async () => {
      const processed = (await p.scalar('sum(kpi_records_total)')) ?? 0;
      if (processed > report.sent) {
        const joins = processors.map((_, i) => logOf(ctx, `p${i}`).match(/joined group/g)?.length ?? 0);
        throw new Error(`${processed} records processed of ${report.sent} sent: some twice, after a rebalance (joins per processor: ${joins.join(', ')})`);
      }
      return processed === report.sent;
    },
    300_000,
  );
  await until('the group has read everything', async () => (await p.scalar('sum(kpi_consumer_lag_records)')) === 0, 60_000);
  await until('every window is written', async () => (await p.scalar('sum(kpi_open_windows)')) === 0, 60_000);

  const { counts } = report.simulation;
  const byOutcome = Object.fromEntries((await p.query('sum by (outcome) (kpi_records_total)')).map((r) => [r.labels.outcome, r.value]));
  const malformed = Object.values(counts.malformed).reduce((a, b) => a + b, 0);
  expect(byOutcome).toEqual({
    accepted: Object.values(counts.events).reduce((a, b) => a + b, 0),
    duplicate: counts.duplicates,
    too_late: counts.tooLate,
    invalid: malformed,
  });
  const byTopic = Object.fromEntries((await p.query('sum by (topic) (kpi_records_total)')).map((r) => [r.labels.topic, r.value]));
  expect(byTopic).toEqual(Object.fromEntries(EVENT_KINDS.map((kind) => [inputTopic(ctx.config, kind), counts.messages[kind]])));
  expect(await p.scalar('sum(kpi_dead_letters_total{code="KPI_ERR_TOO_LATE"})')).toBe(counts.tooLate);
  expect(await p.scalar('sum(kpi_dead_letters_total)')).toBe(counts.tooLate + malformed);
  expect(await p.scalar('sum(kpi_duplicates_total{content="identical"})')).toBe(counts.duplicates);

  // Both members hold partitions, six in all; each reported its own work.
  const assigned = await p.query('kpi_assigned_partitions');
  expect(assigned.map((r) => r.value).sort()).toEqual([3, 3]);
  for (const { labels } of assigned) expect(await p.scalar(`sum(kpi_records_total{instance="${labels.instance}"})`)).toBeGreaterThan(0);
  expect((await p.query('kpi_watermark_lag_seconds')).length).toBe(6);
  // The histograms answer the questions they are for.
  const p99 = await p.scalar('histogram_quantile(0.99, sum by (le) (kpi_batch_duration_seconds_bucket))');
  expect(p99).toBeGreaterThan(0);
  expect(p99).toBeLessThanOrEqual(60);
  expect(await p.scalar('sum(kpi_clickhouse_insert_duration_seconds_count{table="employee_window_metrics"})')).toBeGreaterThan(0);
  expect(await p.scalar('sum(kpi_offset_commit_duration_seconds_count)')).toBeGreaterThan(0);

  // What a demo-sized run exposes, summed over the group, for the record.
  const summary: string[] = [];
  for (const promql of [
    'sum by (outcome) (kpi_records_total)',
    'sum by (code) (kpi_dead_letters_total)',
    'sum by (content) (kpi_duplicates_total)',
    'sum(kpi_rows_written_total)',
    'sum by (table) (kpi_clickhouse_insert_duration_seconds_count)',
    'sum(kpi_offset_commit_duration_seconds_count)',
    'sum(kpi_windows_restored_total)',
    'sum(kpi_open_windows)',
    'max(kpi_watermark_lag_seconds)',
    'histogram_quantile(0.99, sum by (le) (kpi_batch_duration_seconds_bucket))',
  ]) {
    for (const r of await p.query(promql)) summary.push(`${promql} ${JSON.stringify(r.labels)} = ${r.value}`);
  }
  process.stdout.write(`metrics scrape: ${report.sent} records sent\n${summary.join('\n')}\n`);

  await expectExactlyTheSimulatedRows(ctx, out);
  for (const processor of processors) processor.kill('SIGTERM');
  expect(await Promise.all(processors.map(exited))).toEqual([0, 0]);
}, 600_000);
