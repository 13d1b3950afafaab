import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';
import { WINDOW_METRICS_TABLE } from './windowMetrics.js';

/** kpi.analytics_progress: how far the analytics service got (migration 0010). */
export const ANALYTICS_PROGRESS_TABLE = 'analytics_progress';

/** Windows written up to this time (epoch ms) are scored and checked; 0 before the first cycle. */
export async function readProgress(client: ClickHouseClient, name: string): Promise<number> {
  const result = await client.query({
    query: `SELECT toUnixTimestamp64Milli(through) AS through_ms FROM ${ANALYTICS_PROGRESS_TABLE} FINAL WHERE name = {name:String}`,
    query_params: { name },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ through_ms: number }>())[0]?.through_ms ?? 0);
}

/** Saves where a cycle got to; the token is the whole row, updated_at (its version) included: a point saved again after another (a cycle run again from an earlier point) is written again. */
export async function saveProgress(client: ClickHouseClient, name: string, through: number): Promise<void> {
  await insertRows(client, ANALYTICS_PROGRESS_TABLE, [{ name, through: toClickHouseTime(through), updated_at: toClickHouseTime(Date.now()) }], (row) => [
    row.name,
    row.through,
    row.updated_at,
  ]);
}

/** The employees and the span of the window rows written in (after, through]: what changed since a cycle. */
export async function readWrittenSince(
  client: ClickHouseClient,
  after: number,
  through: number,
): Promise<{ employees: string[]; from: number; to: number; windows: number } | undefined> {
  const result = await client.query({
    query: `SELECT groupUniqArray(employee_id) AS employees, toUnixTimestamp64Milli(min(window_start)) AS first_ms,
                   toUnixTimestamp64Milli(max(window_start)) AS last_ms, count() AS n
            FROM ${WINDOW_METRICS_TABLE}
            WHERE written_at > {after:DateTime64(3, 'UTC')} AND written_at <= {through:DateTime64(3, 'UTC')}`,
    query_params: { after: toClickHouseTime(after), through: toClickHouseTime(through) },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ employees: string[]; first_ms: number; last_ms: number; n: number }>();
  if (!row || Number(row.n) === 0) return undefined;
  return { employees: row.employees, from: Number(row.first_ms), to: Number(row.last_ms) + 1, windows: Number(row.n) };
}
