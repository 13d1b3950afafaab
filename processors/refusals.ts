import { createHash } from 'node:crypto';
import type { WindowStore } from '../contract/ports.js';
import type { WindowRow } from '../contract/windowRow.js';
import { KpiError } from '../core/errors.js';

/**
 * A deterministic token for a batch of rows: a row is identified by its key
 * and the events in it, so the same rows give the same token and the store
 * drops a retried write.
 */
export function batchToken(rows: readonly WindowRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.employee_id}\u0000${row.window_start}\u0000${row.event_keys.join(',')}\n`);
  return hash.digest('hex');
}

/**
 * Writes rows; when the store refuses a batch for its content
 * (KPI_ERR_SINK_REJECTED), splits it in halves until the refused rows are
 * isolated and everything else is written. Returns the refused rows. Any
 * other failure is thrown: the store retries what can pass by itself.
 */
export async function writeIsolatingRefusals(store: WindowStore, rows: readonly WindowRow[]): Promise<WindowRow[]> {
  if (rows.length === 0) return [];
  try {
    await store.write(rows, batchToken(rows));
    return [];
  } catch (error) {
    if (!(error instanceof KpiError) || error.code !== 'KPI_ERR_SINK_REJECTED') throw error;
    if (rows.length === 1) return [...rows];
    const middle = rows.length >> 1;
    return [...(await writeIsolatingRefusals(store, rows.slice(0, middle))), ...(await writeIsolatingRefusals(store, rows.slice(middle)))];
  }
}
