import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CONTRACT_COLUMNS, PLANT_TIME_COLUMNS } from '../contract/windowRow.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { readCurrentMetrics } from '../sinks/clickhouse/queries/windowMetrics.js';
import type { ExpectedRow } from './expected.js';

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
 * contract column and every plant-time column an expected row holds (plant
 * day, shift, crew, the report's period), exactly (numbers must be identical,
 * not close), over the time span the expected rows cover.
 */
export async function compareWithExpected(client: ClickHouseClient, expected: readonly ExpectedRow[]): Promise<Comparison> {
  const from = Math.min(...expected.map((r) => r.window_start));
  const to = Math.max(...expected.map((r) => r.window_start));
  const actual = new Map<string, Record<string, unknown>>();
  for (const row of await readCurrentMetrics(client, { from, to }))
    actual.set(keyOf(row.employee_id, row.window_start), row as unknown as Record<string, unknown>);
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
    for (const column of [...CONTRACT_COLUMNS, ...PLANT_TIME_COLUMNS.filter((c) => c in row)]) {
      const want = row[column];
      const have = got[column];
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
