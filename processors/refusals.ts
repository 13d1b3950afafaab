import { createHash } from 'node:crypto';
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
 * Writes items; when the store refuses a batch for its content
 * (KPI_ERR_SINK_REJECTED), splits it in halves until the refused items are
 * isolated and everything else is written. Returns the refused items. Any
 * other failure is thrown: the store retries what can pass by itself.
 */
export async function writeIsolatingRefusals<T>(items: readonly T[], write: (batch: readonly T[]) => Promise<void>): Promise<T[]> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (error) {
    if (!(error instanceof KpiError) || error.code !== 'KPI_ERR_SINK_REJECTED') throw error;
    if (items.length === 1) return [...items];
    const middle = items.length >> 1;
    return [...(await writeIsolatingRefusals(items.slice(0, middle), write)), ...(await writeIsolatingRefusals(items.slice(middle), write))];
  }
}
