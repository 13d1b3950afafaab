import type { ClickHouseClient } from '../client.js';

/** kpi.anomalies: flags of inflated self-reports (migration 0004); anomalies_current shows the current ones. */
export const ANOMALIES_TABLE = 'anomalies';

export interface FlaggedEmployee {
  readonly employeeId: string;
  readonly flags: number;
  readonly high: number;
  readonly kinds: readonly string[];
  /** One flag's explanation, for a first look. */
  readonly example: string;
}

/** The employees with the most high-severity flags, then the most flags. */
export async function readMostFlagged(client: ClickHouseClient, limit: number): Promise<FlaggedEmployee[]> {
  const result = await client.query({
    query: `SELECT employee_id, count() AS flags, countIf(severity = 'high') AS high, arraySort(groupUniqArray(kind)) AS kinds, any(explanation) AS example
            FROM anomalies_current GROUP BY employee_id ORDER BY high DESC, flags DESC, employee_id LIMIT {limit:UInt32}`,
    query_params: { limit },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee_id),
    flags: Number(r.flags),
    high: Number(r.high),
    kinds: r.kinds as string[],
    example: String(r.example),
  }));
}
