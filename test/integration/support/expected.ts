import { join } from 'node:path';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { compareWithExpected, readExpectedRows } from '../../../simulator/compare.js';
import { OUTPUT_FILES } from '../../../simulator/output.js';
import type { TestContext } from './context.js';

/** Asserts that kpi.employee_window_metrics_current holds exactly the simulator's expected rows, every column. */
export async function expectExactlyTheSimulatedRows(ctx: TestContext, simulationDir: string): Promise<void> {
  const client = createClickHouseClient(ctx.config);
  try {
    const comparison = await compareWithExpected(client, await readExpectedRows(join(simulationDir, OUTPUT_FILES.expected)));
    expect(comparison.differences).toEqual([]);
    expect(comparison.missing).toEqual([]);
    expect(comparison.unexpected).toEqual([]);
    expect(comparison.equal).toBe(comparison.expected);
    expect(comparison.expected).toBeGreaterThan(100);
  } finally {
    await client.close();
  }
}

/** Rows in kpi.employee_window_metrics, every version (0 before the first processor migrated). */
export async function windowRowCount(ctx: TestContext): Promise<number> {
  const client = createClickHouseClient(ctx.config);
  try {
    const result = await client.query({ query: 'SELECT count() AS n FROM employee_window_metrics', format: 'JSONEachRow' });
    return Number((await result.json<{ n: number }>())[0]!.n);
  } catch {
    return 0; // the table does not exist before the first processor migrated
  } finally {
    await client.close();
  }
}
