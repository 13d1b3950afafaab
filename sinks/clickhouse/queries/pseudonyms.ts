import { sinkFailure, type ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';
import { WINDOW_METRICS_TABLE } from './windowMetrics.js';

/** kpi.pseudonyms: each employee's pseudonym, written by kpi-stream (migration 0019; privacy/pseudonymise.ts). */
export const PSEUDONYMS_TABLE = 'pseudonyms';

/** A row of kpi.pseudonyms. */
export interface PseudonymRow {
  readonly employee_id: string;
  readonly pseudonym: string;
  /** Which key made it (never the key itself). */
  readonly key_fingerprint: string;
  /** Epoch ms; the latest row per employee stands. */
  readonly made_at: number;
}

/**
 * The standing pseudonym of every employee that has one, as a query the views
 * of the BI database join (qualified with the database, since they live in
 * another): the latest row per employee. Written with argMax rather than
 * FINAL and WHERE, so no filter can ever pick an older row.
 */
export function standingPseudonyms(database: string): string {
  return `SELECT employee_id, argMax(pseudonym, made_at) AS pseudonym FROM ${database}.${PSEUDONYMS_TABLE} GROUP BY employee_id`;
}

/**
 * The employees that need a pseudonym under the key of `fingerprint`: those
 * with window rows (written in (after, through] when `written` is given, else
 * any) whose standing pseudonym is missing or made under another key, and
 * every person whose standing pseudonym is of another key (a new key renames
 * everyone at once). Window rows are where every person kpi-stream knows
 * first appears: scores and flags are computed from them.
 */
export async function readUnpseudonymised(
  client: ClickHouseClient,
  fingerprint: string,
  written?: { readonly after: number; readonly through: number },
): Promise<string[]> {
  const standing = (test: '=' | '!=') =>
    `SELECT employee_id FROM ${PSEUDONYMS_TABLE} GROUP BY employee_id HAVING argMax(key_fingerprint, made_at) ${test} {fingerprint:String}`;
  const windows = written
    ? `SELECT employee_id FROM ${WINDOW_METRICS_TABLE} WHERE written_at > {after:DateTime64(3, 'UTC')} AND written_at <= {through:DateTime64(3, 'UTC')}`
    : `SELECT employee_id FROM ${WINDOW_METRICS_TABLE}`;
  // GLOBAL: on a cluster the set is read once and sent to the shards; on one node it is an IN.
  const result = await client.query({
    query: `SELECT DISTINCT employee_id FROM (${windows} UNION ALL ${standing('!=')})
            WHERE employee_id GLOBAL NOT IN (${standing('=')})
            ORDER BY employee_id`,
    query_params: { fingerprint, ...(written ? { after: toClickHouseTime(written.after), through: toClickHouseTime(written.through) } : {}) },
    format: 'JSONEachRow',
  });
  return (await result.json<{ employee_id: string }>()).map((r) => r.employee_id);
}

/** Writes pseudonym rows; the token is the whole row, its time included (a person erased and seen again is written again). */
export async function insertPseudonyms(client: ClickHouseClient, rows: readonly PseudonymRow[]): Promise<void> {
  await insertRows(
    client,
    PSEUDONYMS_TABLE,
    rows.map((r) => ({ ...r, made_at: toClickHouseTime(r.made_at) })),
    (r) => Object.values(r),
  );
}

/** The pseudonyms the table has given the person (one per key it has known them under, until merges keep the latest). */
export async function readPseudonymsOf(client: ClickHouseClient, employeeId: string): Promise<string[]> {
  try {
    const result = await client.query({
      query: `SELECT DISTINCT pseudonym FROM ${PSEUDONYMS_TABLE} WHERE employee_id = {employee:String}`,
      query_params: { employee: employeeId },
      format: 'JSONEachRow',
    });
    return (await result.json<{ pseudonym: string }>()).map((r) => r.pseudonym);
  } catch (error) {
    throw sinkFailure(error, `reading the pseudonyms of ${employeeId}`);
  }
}
