import { sinkFailure, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { insertPseudonyms, readUnpseudonymised, type PseudonymRow } from '../sinks/clickhouse/queries/pseudonyms.js';
import { keyFingerprint, pseudonymOf } from './pseudonym.js';

/**
 * Fills kpi.pseudonyms, which the views of the BI database join to name
 * people by pseudonym: computed here, in Node, so the key never enters
 * ClickHouse (no view or query holds it). The analytics service runs it over
 * every window row when it starts and over the rows of each cycle before
 * scoring them (detection/analytics.ts); `score`, `detect` and the demo over
 * every row. Idempotent: only people without a pseudonym under this key are
 * written.
 */

/** The rows that give these employees their pseudonym under `key`, made at `now`. */
export function pseudonymRows(key: string, employeeIds: readonly string[], now: number): PseudonymRow[] {
  const fingerprint = keyFingerprint(key);
  return employeeIds.map((id) => ({ employee_id: id, pseudonym: pseudonymOf(key, id), key_fingerprint: fingerprint, made_at: now }));
}

/**
 * Gives a pseudonym under `key` to everyone who needs one: the people of the
 * window rows written in (after, through] (`written`), or of every window row
 * without it; and, under a new key, everyone named under the old one, so that
 * no two keys are ever mixed after a pass. Returns how many were written.
 */
export async function pseudonymise(
  client: ClickHouseClient,
  key: string,
  written?: { readonly after: number; readonly through: number },
  now = Date.now(),
): Promise<number> {
  let ids: string[];
  try {
    ids = await readUnpseudonymised(client, keyFingerprint(key), written);
  } catch (error) {
    throw sinkFailure(error, 'reading the employees without a pseudonym');
  }
  if (ids.length === 0) return 0;
  try {
    await insertPseudonyms(client, pseudonymRows(key, ids, now));
  } catch (error) {
    throw sinkFailure(error, 'writing pseudonyms');
  }
  return ids.length;
}
