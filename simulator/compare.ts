import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { fromClickHouseTime, toClickHouseTime } from '../sinks/clickhouse/time.js';
import type { ExpectedRow } from './expected.js';

/** The CONTRACT.md columns of kpi.employee_window_metrics, compared one by one. */
export const CONTRACT_COLUMNS = [
  'employee_id', 'window_start', 'window_end', 'units', 'standard_hours', 'run_hours', 'efficiency', 'units_inspected',
  'units_defective', 'defect_rate', 'feedback_count', 'complaints', 'satisfaction_avg', 'reported_units',
  'reported_run_hours', 'reported_defective_units', 'self_score',
] as const satisfies readonly (keyof ExpectedRow)[];

export interface Comparison {
  expected: number;
  actual: number;
  equal: number;
  /** Keys expected but not in ClickHouse. */
  missing: string[];
  /** Keys in ClickHouse that were not expected. */
  unexpected: string[];
  /** The first differences, column by column. */
  differences: { key: string; column: string; expected: unknown; actual: unknown }[];
}

export async function readExpectedRows(file: string): Promise<ExpectedRow[]> {
  const rows: ExpectedRow[] = [];
  for await (const line of createInterface({ input: createReadStream(file) })) if (line.trim()) rows.push(JSON.parse(line) as ExpectedRow);
  return rows;
}

const keyOf = (employeeId: string, windowStart: number) => `${employeeId}@${new Date(windowStart).toISOString()}`;

/**
 * Compares kpi.employee_window_metrics_current with expected rows, every
 * contract column, exactly (numbers must be identical, not close), over the
 * time span the expected rows cover.
 */
export async function compareWithExpected(client: ClickHouseClient, expected: readonly ExpectedRow[]): Promise<Comparison> {
  const from = Math.min(...expected.map((r) => r.window_start));
  const to = Math.max(...expected.map((r) => r.window_start));
  const result = await client.query({
    query: `SELECT ${CONTRACT_COLUMNS.join(', ')} FROM employee_window_metrics_current
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start <= {to:DateTime64(3, 'UTC')}`,
    query_params: { from: toClickHouseTime(from), to: toClickHouseTime(to) },
    format: 'JSONEachRow',
  });
  const actual = new Map<string, Record<string, unknown>>();
  for (const row of await result.json<Record<string, unknown>>()) {
    const normalised = {
      ...row,
      window_start: fromClickHouseTime(String(row.window_start)),
      window_end: fromClickHouseTime(String(row.window_end)),
    };
    actual.set(keyOf(String(row.employee_id), normalised.window_start), normalised);
  }
  const comparison: Comparison = { expected: expected.length, actual: actual.size, equal: 0, missing: [], unexpected: [], differences: [] };
  const seen = new Set<string>();
  for (const row of expected) {
    const key = keyOf(row.employee_id, row.window_start);
    seen.add(key);
    const got = actual.get(key);
    if (!got) {
      comparison.missing.push(key);
      continue;
    }
    let same = true;
    for (const column of CONTRACT_COLUMNS) {
      const want = row[column];
      const have = got[column] === null || typeof want === 'string' ? got[column] : Number(got[column]);
      if (!Object.is(want, have)) {
        same = false;
        if (comparison.differences.length < 20) comparison.differences.push({ key, column, expected: want, actual: have });
      }
    }
    if (same) comparison.equal += 1;
  }
  for (const key of actual.keys()) if (!seen.has(key)) comparison.unexpected.push(key);
  return comparison;
}
