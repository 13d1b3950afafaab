import { Counter, Gauge, Registry } from 'prom-client';
import { defaultConfig } from '../../../../core/config.js';
import { ProcessorMetrics } from '../../../../processors/metrics.js';
import {
  combineCheck,
  countsOfStopped,
  joinedTogether,
  mergeMetrics,
  sumTotals,
  totalsOf,
  workerConfig,
  type NamedCheckResult,
} from '../../../../processors/kafka/workerProtocol.js';

/** The main thread's registry: what createProcessRegistry holds besides the default metrics (which a unit test does not start). */
function mainRegistry(): Registry {
  const registry = new Registry();
  new Gauge({ name: 'kpi_build_info', help: 'build', labelNames: ['version'], registers: [registry] }).set({ version: 'test' }, 1);
  return registry;
}

/** A worker's metrics after it processed some records, as it sends them to the main thread. */
async function workerMetrics(work: (m: ProcessorMetrics) => void) {
  const metrics = new ProcessorMetrics(new Registry(), () => Date.UTC(2026, 11, 1));
  work(metrics);
  return { metrics, json: await metrics.registry.getMetricsAsJSON() };
}

/** One sample of the exposition: `name{labels} value`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test("the process's /metrics sums its workers' counters and histograms, keeps per-partition series apart, and adds the main thread's", async () => {
  const a = await workerMetrics((m) => {
    m.countBatch('factory.production.v1', ['accepted', 'accepted', 'duplicate']);
    m.rowsAcknowledged(5);
    m.assigned(3);
    m.consumerLag([{ topic: 'factory.production.v1', partition: 0, lag: 7 }]);
    m.windowState(10, 12, 3);
    m.rowQueryable(0.3);
  });
  const b = await workerMetrics((m) => {
    m.countBatch('factory.production.v1', ['accepted', 'KPI_ERR_TOO_LATE']);
    m.rowsAcknowledged(2);
    m.assigned(3);
    m.consumerLag([{ topic: 'factory.production.v1', partition: 1, lag: 4 }]);
    m.windowState(5, 6, 0);
    m.rowQueryable(2.2);
  });
  const text = await mergeMetrics(mainRegistry(), [a.json, b.json]).metrics();

  expect(sample(text, 'kpi_records_total{topic="factory.production.v1",outcome="accepted"}')).toBe(3);
  expect(sample(text, 'kpi_records_total{topic="factory.production.v1",outcome="duplicate"}')).toBe(1);
  expect(sample(text, 'kpi_records_total{topic="factory.production.v1",outcome="too_late"}')).toBe(1);
  expect(sample(text, 'kpi_dead_letters_total{topic="factory.production.v1",code="KPI_ERR_TOO_LATE"}')).toBe(1);
  expect(sample(text, 'kpi_rows_written_total')).toBe(7);
  // Gauges of what the process holds add up; per-partition series are each one worker's.
  expect(sample(text, 'kpi_assigned_partitions')).toBe(6);
  expect(sample(text, 'kpi_open_windows')).toBe(15);
  expect(sample(text, 'kpi_windows_in_memory')).toBe(18);
  expect(sample(text, 'kpi_consumer_lag_records{topic="factory.production.v1",partition="0"}')).toBe(7);
  expect(sample(text, 'kpi_consumer_lag_records{topic="factory.production.v1",partition="1"}')).toBe(4);
  // A histogram's buckets, count and sum add up.
  expect(sample(text, 'kpi_window_close_to_queryable_seconds_count')).toBe(2);
  expect(sample(text, 'kpi_window_close_to_queryable_seconds_bucket{le="0.3"}')).toBe(1);
  expect(sample(text, 'kpi_window_close_to_queryable_seconds_bucket{le="2.5"}')).toBe(2);
  expect(sample(text, 'kpi_window_close_to_queryable_seconds_sum')).toBeCloseTo(2.5);
  expect(sample(text, 'kpi_build_info{version="test"}')).toBe(1);
  // Each family once, with its help and type.
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  expect(new Set(types).size).toBe(types.length);
  expect(types).toContain('# TYPE kpi_records_total counter');
  expect(types).toContain('# TYPE kpi_window_close_to_queryable_seconds histogram');
});

test("a stopped worker's counters stay in the process's metrics, its gauges leave", async () => {
  const stopped = await workerMetrics((m) => {
    m.countBatch('factory.production.v1', ['accepted', 'accepted']);
    m.assigned(3);
    m.windowState(4, 4, 0);
    m.rowQueryable(0.3);
  });
  const running = await workerMetrics((m) => {
    m.countBatch('factory.production.v1', ['accepted']);
    m.assigned(6);
  });
  const text = await mergeMetrics(mainRegistry(), [countsOfStopped(stopped.json), running.json]).metrics();
  expect(sample(text, 'kpi_records_total{topic="factory.production.v1",outcome="accepted"}')).toBe(3);
  expect(sample(text, 'kpi_window_close_to_queryable_seconds_count')).toBe(1);
  expect(sample(text, 'kpi_assigned_partitions')).toBe(6);
  expect(sample(text, 'kpi_open_windows')).toBe(0);
});

test('a name both the main thread and a worker register is an error, never counted twice', async () => {
  const worker = new Registry();
  new Counter({ name: 'kpi_build_info', help: 'the same name', registers: [worker] }).inc();
  expect(() => mergeMetrics(mainRegistry(), [[], []])).not.toThrow();
  const json = await worker.getMetricsAsJSON();
  expect(() => mergeMetrics(mainRegistry(), [json])).toThrow(/kpi_build_info/);
});

test("the process's totals are its workers' summed, and a worker's are plain data that cross threads", () => {
  const m = new ProcessorMetrics(new Registry());
  m.countBatch('t', ['accepted', 'accepted', 'duplicate', 'KPI_ERR_TOO_LATE', 'KPI_ERR_DECODE_NOT_AVRO']);
  m.rowsAcknowledged(4);
  m.windowState(9, 9, 0);
  const one = totalsOf(m);
  expect(structuredClone(one)).toEqual({
    processed: 5,
    records: { accepted: 2, duplicate: 1, tooLate: 1, invalid: 1 },
    rowsWritten: 4,
    inserts: 1,
    openWindows: 9,
  });
  expect(sumTotals([one, one, totalsOf(new ProcessorMetrics(new Registry()))])).toEqual({
    processed: 10,
    records: { accepted: 4, duplicate: 2, tooLate: 2, invalid: 2 },
    rowsWritten: 8,
    inserts: 2,
    openWindows: 18,
  });
  expect(sumTotals([]).processed).toBe(0);
});

test('readiness: a check passes when it passes in every worker; the detail names each, or only the failing ones', () => {
  const member = (partitions: number): NamedCheckResult[] => [
    { name: 'consumer-group', ok: true, detail: `member of group g with ${partitions} partitions` },
    { name: 'progress', ok: true, detail: 'last flush 0.4s ago' },
  ];
  expect(combineCheck('consumer-group', [member(3), member(3)])).toEqual({
    ok: true,
    detail: 'worker 0: member of group g with 3 partitions; worker 1: member of group g with 3 partitions',
  });
  const stalled: NamedCheckResult[] = [member(3)[0]!, { name: 'progress', ok: false, detail: 'stalled: no flush has finished for 121.0s' }];
  expect(combineCheck('progress', [member(3), stalled])).toEqual({ ok: false, detail: 'worker 1: stalled: no flush has finished for 121.0s' });
  expect(combineCheck('consumer-group', [member(3), stalled]).ok).toBe(true);
  // A worker still starting, or stopped, is not ready; nor is one whose answer lacks the check.
  expect(combineCheck('consumer-group', ['starting: joining group g', member(6)])).toEqual({ ok: false, detail: 'worker 0: starting: joining group g' });
  expect(combineCheck('progress', [member(3), 'stopped'])).toEqual({ ok: false, detail: 'worker 1: stopped' });
  expect(combineCheck('clickhouse', [member(3)])).toEqual({ ok: false, detail: 'worker 0: no answer' });
});

test('workers process once they have settled in the group together: each joined, no partition held by two', () => {
  expect(
    joinedTogether([
      [0, 1, 2],
      [3, 4, 5],
    ]),
  ).toBe(true);
  expect(joinedTogether([[0, 1, 2, 3, 4, 5], []])).toBe(true); // a standby beside a worker holding everything
  // The first joined alone and holds everything; the second's join has begun a rebalance it has not noticed yet.
  expect(
    joinedTogether([
      [0, 1, 2, 3, 4, 5],
      [1, 3, 5],
    ]),
  ).toBe(false);
  expect(joinedTogether([[0, 2, 4], undefined])).toBe(false);
  expect(joinedTogether([])).toBe(true);
});

test("each worker holds its share of the process's memory bounds; one worker holds them all", () => {
  const config = { ...defaultConfig(), maxOpenWindows: 250_000, closedWindowCache: 100_000 };
  expect(workerConfig(config, 1)).toBe(config);
  const share = workerConfig(config, 3);
  expect(share.maxOpenWindows).toBe(83_333);
  expect(share.closedWindowCache).toBe(33_333);
  expect(share.maxWindowEvents).toBe(config.maxWindowEvents);
  expect(Object.isFrozen(share)).toBe(true);
  expect(workerConfig({ ...config, maxOpenWindows: 2, closedWindowCache: 0 }, 4)).toMatchObject({ maxOpenWindows: 1, closedWindowCache: 0 });
});
