import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { STAGES, threadCpu, type Stage } from '../processors/metrics.js';
import { startPipeline } from '../processors/kafka/bootstrap.js';
import { createClickHouseClient } from '../sinks/clickhouse/client.js';
import { WINDOW_METRICS_VIEW } from '../sinks/clickhouse/queries/windowMetrics.js';
import { stageResult, type StageResult } from './baselines.js';
import { serviceCpu, servicePids } from './machine.js';

/** Per record: the CPU (µs) of the processor's JavaScript thread in a stage, and the wall time (µs) spent in it. */
export interface StageCost {
  readonly cpuMicros: number;
  readonly wallMicros: number;
}

export interface PipelineResult extends StageResult {
  /** From the last record processed to every row written (the last windows close and are inserted). */
  readonly drainSeconds: number;
  readonly rows: number;
  readonly inserts: number;
  readonly restoredWindows: number;
  /** Per record, by stage; `other` is the thread's CPU outside the timed stages (kafkajs fetching, restore parsing, HTTP, GC). */
  readonly stages: Record<Stage, StageCost>;
  readonly threadCpuMicros: number;
  readonly otherCpuMicros: number;
  /** CPU (µs per record) of the local ClickHouse and Kafka processes meanwhile, where the benchmark runs them. */
  readonly services: { readonly clickhouse?: number; readonly kafka?: number };
  /** Window close → row queryable: quantiles (s) and the share within 2 s, over every row written. */
  readonly closeToQueryable: { readonly windows: number; readonly p50: number | null; readonly p99: number | null; readonly within2s: number };
  readonly peakRssMiB: number;
}

/**
 * The processors end to end, in this process, on the plant's records in a
 * consumer group and database of their own: from joining the group (holding
 * the partitions) until every row is written (the last windows are closed by stopping, as
 * `run --exit-when-idle` does) and every window is queryable. Start-up
 * (topics check, migrations, joining the group) is reported apart.
 */
export async function measurePipeline(config: Config, log: Logger, records: number, windows: number): Promise<PipelineResult> {
  const pids = servicePids(config);
  const started = performance.now();
  const pipeline = await startPipeline(config, log, {});
  const m = pipeline.metrics;
  let peakRss = 0;
  while (m.assignedPartitions === 0) await sleep(2);
  const first = performance.now();
  const cpuBefore = threadCpu();
  const servicesBefore = serviceCpu(pids);
  const stagesBefore = structuredClone(m.stages);
  while (m.processed < records) {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    await sleep(5);
  }
  const processed = performance.now();
  await pipeline.stop(true);
  const done = performance.now();
  const cpu = threadCpu() - cpuBefore;
  const servicesAfter = serviceCpu(pids);

  const client = createClickHouseClient(config);
  try {
    const result = await client.query({ query: `SELECT count() AS n FROM ${WINDOW_METRICS_VIEW}`, format: 'JSONEachRow' });
    const queryable = Number((await result.json<{ n: number }>())[0]!.n);
    if (queryable !== windows)
      throw new Error(`the processors left ${queryable} windows queryable; the simulator expects ${windows}: the run is not a valid measurement`);
  } finally {
    await client.close();
  }

  const perRecord = (micros: number) => Number((micros / records).toFixed(2));
  const stages = Object.fromEntries(
    STAGES.map((stage) => [
      stage,
      {
        cpuMicros: perRecord(m.stages[stage].cpuMicros - stagesBefore[stage].cpuMicros),
        wallMicros: perRecord(m.stages[stage].wallMicros - stagesBefore[stage].wallMicros),
      },
    ]),
  ) as Record<Stage, StageCost>;
  const timedCpu = STAGES.reduce((sum, stage) => sum + m.stages[stage].cpuMicros - stagesBefore[stage].cpuMicros, 0);
  const services: { clickhouse?: number; kafka?: number } = {};
  for (const name of ['clickhouse', 'kafka'] as const) {
    const before = servicesBefore[name];
    const after = servicesAfter[name];
    if (before !== undefined && after !== undefined) services[name] = perRecord((after - before) * 1e6);
  }
  const latency = m.closeToQueryable;
  const seconds = (s: number | undefined) => (s === undefined ? null : Number(s.toFixed(3)));
  return {
    ...stageResult(records, (first - started) / 1000, (done - first) / 1000),
    drainSeconds: Number(((done - processed) / 1000).toFixed(3)),
    rows: m.rowsWritten,
    inserts: m.inserts,
    restoredWindows: m.restoredWindows,
    stages,
    threadCpuMicros: perRecord(cpu),
    otherCpuMicros: perRecord(cpu - timedCpu),
    services,
    closeToQueryable: { windows: latency.count, p50: seconds(latency.quantile(0.5)), p99: seconds(latency.quantile(0.99)), within2s: latency.shareWithin(2) },
    peakRssMiB: Math.round(peakRss / 2 ** 20),
  };
}
