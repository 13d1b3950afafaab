import { runDetection } from '../../../detection/runner.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { scorePeriods } from '../../../scoring/score.js';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { PERIOD_TYPES } from '../../../sinks/clickhouse/queries/scores.js';
import type { TestContext } from './context.js';

const DAY = 86_400_000;

/** The whole calendar month (UTC) about a hundred days back: its scores are of the simulated days alone. */
export function pastMonth(now = Date.now()): { start: number; end: number } {
  const back = new Date(now - 100 * DAY);
  return { start: Date.UTC(back.getUTCFullYear(), back.getUTCMonth(), 1), end: Date.UTC(back.getUTCFullYear(), back.getUTCMonth() + 1, 1) };
}

/**
 * A plant simulated over a calendar month into the test's topics, processed
 * by the real processors, every window, week and month scored and the flags
 * raised — what a report or a dashboard shows. Inflators, measurement gaps
 * and malformed records (dead letters) included.
 */
export async function simulateMonth(
  ctx: TestContext,
  month: { start: number; end: number },
  plant: { employees: number; seed: number; malformed: number; out: string },
): Promise<void> {
  const options = simulateOptions({
    employees: plant.employees,
    seed: plant.seed,
    out: plant.out,
    start: month.start,
    days: Math.round((month.end - month.start) / DAY),
    inflatorShare: 0.2,
    gapShare: 0.05,
    malformedRate: plant.malformed,
  });
  await simulatePlant(options, ctx.config, ctx.log);
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 3000 });
  await pipeline.done;
  const client = createClickHouseClient(ctx.config);
  try {
    const catalog = KpiCatalog.of();
    for (const period of PERIOD_TYPES) await scorePeriods(client, catalog, { period, timeZone: 'UTC' });
    await runDetection(client, catalog, ctx.log, { from: month.start, to: month.end, timeZone: 'UTC' });
  } finally {
    await client.close();
  }
}
