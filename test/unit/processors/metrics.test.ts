import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { INPUTS } from '../../../schemas/inputs.js';
import { TopologyTestDriver } from '../../../processors/testDriver.js';
import { inspection, production } from '../support/events.js';

const MINUTE = 60_000;
const day = (d: number, hour = 0) => Date.UTC(2026, 10, d, hour);
const PRODUCTION = INPUTS.production.topic;
const INSPECTIONS = INPUTS.inspection.topic;

/** The registry's metrics as prom-client hands them to the exposition (its own structured form, not text parsed here). */
async function scrape(d: TopologyTestDriver): Promise<Map<string, MetricObjectWithValues<MetricValue<string>>>> {
  const metrics = await d.metrics.registry.getMetricsAsJSON();
  return new Map(metrics.map((m) => [m.name, m as MetricObjectWithValues<MetricValue<string>>]));
}
const valuesOf = (metric: MetricObjectWithValues<MetricValue<string>> | undefined) =>
  (metric?.values ?? []).map((v) => ({ labels: v.labels, value: v.value, ...('metricName' in v ? { metricName: v.metricName } : {}) }));

test('records are counted by topic and outcome, dead letters by topic and code, duplicates by content, as the plain totals say', async () => {
  const d = new TopologyTestDriver();
  await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9) }));
  await d.pipe('production', production({ event_id: 'b', event_time: day(20, 10) }));
  await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9) })); // a producer retry
  await d.pipe('production', production({ event_id: 'b', event_time: day(20, 10), units: 999 })); // the id reused
  await d.pipeBytes('inspection', Buffer.from('not avro at all'), { key: 'emp-1' });
  await d.pipe('inspection', inspection({ event_id: 'i', production_time: day(20, 9), inspected_time: day(20, 12) }));
  // The partition's clock moves past the correction horizon of 20 November: a record for it is too late.
  await d.pipe('production', production({ event_id: 'c', event_time: Date.UTC(2026, 11, 30, 9) }));
  await d.pipe('production', production({ event_id: 'd', event_time: day(20, 11) }));

  const m = await scrape(d);
  expect(valuesOf(m.get('kpi_records_total'))).toEqual([
    { labels: { topic: PRODUCTION, outcome: 'accepted' }, value: 3 },
    { labels: { topic: PRODUCTION, outcome: 'duplicate' }, value: 2 },
    { labels: { topic: INSPECTIONS, outcome: 'invalid' }, value: 1 },
    { labels: { topic: INSPECTIONS, outcome: 'accepted' }, value: 1 },
    { labels: { topic: PRODUCTION, outcome: 'too_late' }, value: 1 },
  ]);
  expect(valuesOf(m.get('kpi_duplicates_total'))).toEqual([
    { labels: { topic: PRODUCTION, content: 'identical' }, value: 1 },
    { labels: { topic: PRODUCTION, content: 'conflicting' }, value: 1 },
  ]);
  expect(valuesOf(m.get('kpi_dead_letters_total'))).toEqual([
    { labels: { topic: INSPECTIONS, code: 'KPI_ERR_DECODE_NOT_AVRO' }, value: 1 },
    { labels: { topic: PRODUCTION, code: 'KPI_ERR_TOO_LATE' }, value: 1 },
  ]);
  expect(d.metrics.records).toEqual({ accepted: 4, duplicate: 2, tooLate: 1, invalid: 1 });
  expect(d.metrics.conflictingDuplicates).toBe(1);
  expect([...d.metrics.deadLetters]).toEqual([
    ['KPI_ERR_DECODE_NOT_AVRO', 1],
    ['KPI_ERR_TOO_LATE', 1],
  ]);
  // One histogram observation per batch (the driver pipes one record a batch).
  const batches = valuesOf(m.get('kpi_batch_duration_seconds')).filter((v) => v.metricName === 'kpi_batch_duration_seconds_count');
  expect(batches).toEqual([
    { labels: { topic: PRODUCTION }, value: 6, metricName: 'kpi_batch_duration_seconds_count' },
    { labels: { topic: INSPECTIONS }, value: 2, metricName: 'kpi_batch_duration_seconds_count' },
  ]);
});

test('a flush is timed and counted: rows, inserts by table, commits; the windows left and the pending records are gauges', async () => {
  const d = new TopologyTestDriver();
  await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9) }));
  await d.pipe('production', production({ event_id: 'b', employee_id: 'emp-2', event_time: day(20, 9) }));
  let m = await scrape(d);
  expect(valuesOf(m.get('kpi_open_windows'))).toEqual([{ labels: {}, value: 2 }]);
  expect(valuesOf(m.get('kpi_sink_pending_records'))).toEqual([{ labels: {}, value: 2 }]);

  d.advanceWallClock(6 * MINUTE); // past KPI_IDLE_CLOSE: the partition's windows close
  await d.flush();
  m = await scrape(d);
  expect(valuesOf(m.get('kpi_rows_written_total'))).toEqual([{ labels: {}, value: 2 }]);
  const count = (name: string) => valuesOf(m.get(name)).filter((v) => v.metricName === `${name}_count`);
  expect(count('kpi_clickhouse_insert_duration_seconds')).toEqual([
    { labels: { table: 'employee_window_metrics' }, value: 1, metricName: 'kpi_clickhouse_insert_duration_seconds_count' },
  ]);
  expect(count('kpi_offset_commit_duration_seconds')).toEqual([{ labels: {}, value: 1, metricName: 'kpi_offset_commit_duration_seconds_count' }]);
  expect(valuesOf(m.get('kpi_sink_pending_records'))).toEqual([{ labels: {}, value: 0 }]);
  expect([d.metrics.rowsWritten, d.metrics.inserts, d.metrics.commits]).toEqual([2, 1, 1]);

  // No rows due: no insert; the written windows have left memory.
  await d.flush();
  m = await scrape(d);
  expect(count('kpi_clickhouse_insert_duration_seconds')[0]!.value).toBe(1);
  expect(valuesOf(m.get('kpi_open_windows'))).toEqual([{ labels: {}, value: 0 }]);

  // A late inspection reads its window back from the store.
  await d.pipe('inspection', inspection({ event_id: 'late', production_time: day(20, 9), inspected_time: day(22, 9) }));
  m = await scrape(d);
  expect(valuesOf(m.get('kpi_windows_restored_total'))).toEqual([{ labels: {}, value: 1 }]);
});

test("the watermark lag is the wall clock minus each partition's watermark, growing while the partition is quiet", async () => {
  const d = new TopologyTestDriver({ now: day(21) });
  await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9) }), { partition: 2 });
  await d.pipe('production', production({ event_id: 'b', employee_id: 'emp-9', event_time: day(20, 12) }), { partition: 5 });
  const lag = async () => valuesOf((await scrape(d)).get('kpi_watermark_lag_seconds'));
  // Watermark = latest event time − 10 minutes of allowed lateness.
  expect(await lag()).toEqual([
    { labels: { partition: '2' }, value: (day(21) - day(20, 9) + 10 * MINUTE) / 1000 },
    { labels: { partition: '5' }, value: (day(21) - day(20, 12) + 10 * MINUTE) / 1000 },
  ]);
  d.advanceWallClock(MINUTE);
  expect((await lag())[0]!.value).toBe((day(21) + MINUTE - day(20, 9) + 10 * MINUTE) / 1000);
});

test('refused rows and the rewinds they cause are counted', async () => {
  const d = new TopologyTestDriver({ refuse: (row) => row.employee_id === 'emp-bad' });
  await d.pipe('production', production({ event_id: 'a', employee_id: 'emp-bad', event_time: day(20, 9) }));
  d.advanceWallClock(6 * MINUTE);
  await d.flush();
  const m = await scrape(d);
  expect(valuesOf(m.get('kpi_refused_rows_total'))).toEqual([{ labels: {}, value: 1 }]);
  expect(valuesOf(m.get('kpi_partition_rewinds_total'))).toEqual([{ labels: {}, value: 1 }]);
  expect([d.metrics.refusedRows, d.metrics.rewinds]).toEqual([1, 1]);
});
