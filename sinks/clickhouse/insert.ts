import { createHash } from 'node:crypto';
import type { ClickHouseClient } from './client.js';

/**
 * Idempotent inserts: every insert kpi-stream makes carries an insert
 * deduplication token derived from what it holds. New writers use
 * `insertRows` (JSON rows) or `deduplicationSettings` (an encoded body); an
 * architecture test refuses any other insert.
 *
 * Why. An insert whose answer is lost (a timeout, a connection reset, a node
 * restarting, UNKNOWN_STATUS_OF_INSERT, the other replica answering the
 * retry) may or may not have been written, and the writer sends it again
 * (withRetries), or replays it after a crash. Without a token a single node
 * writes it twice, and a replicated table drops the second copy only if its
 * data block hashes the same, which it does not where the server fills a
 * column (written_at DEFAULT now64()). With a token ClickHouse itself drops
 * the second insert: on one node for the last non_replicated_deduplication_window
 * inserts per table (migrations 0001 and 0015 set it), on a cluster for the
 * last replicated_deduplication_window inserts per shard, recorded in Keeper,
 * so whichever replica receives the retry knows the first.
 *
 * The token is a hash of the table and, for each row in order, what
 * identifies it and what it says: its key and values (a window row: its key
 * and the events applied, which make its version), or the topic, partition
 * and offset of the record it stands for; never the clock of this write
 * (computed_at, updated_at), so that a writer called again for the same rows
 * (a retry, a replay) derives the same token. Then:
 * 1. The same rows give the same token: a retry, and a replay after a crash
 *    that rebuilds the same rows, are dropped. A replay that batches the rows
 *    differently gets another token and writes them again; each is then a
 *    row already there, with the same key and version, which the table's
 *    ReplacingMergeTree keeps once (readers use FINAL). So exactness never
 *    rests on the token alone; the token keeps the second copy from being
 *    written at all, which matters for plain MergeTree tables, counts without
 *    FINAL and storage.
 * 2. Rows that differ in key or values give another token (a SHA-256
 *    collision aside): a token never drops rows unlike the ones written.
 * 3. What a token drops is equal, key and values, to rows written before
 *    (only their write time may differ): dropping it changes nothing a reader
 *    sees, as long as no other version of those rows was written in between.
 *    Where one can be (a table that a ReplacingMergeTree versions by the time
 *    of the write, whose figures may go A → B → A: employee_scores,
 *    analytics_progress), the writer puts that time in the identity, so A
 *    written again is newer than B, and only a retry of the same insert is
 *    dropped. Likewise after a DELETE (the deduplication log outlives it): a
 *    writer that deletes and writes again (anomalies) puts its run's time
 *    (detected_at) in the identity, so its new rows are never taken for the
 *    deleted ones.
 * 4. Past the window (10,000 inserts; on a cluster also
 *    replicated_deduplication_window_seconds) a replay is written again, and
 *    point 1's versions absorb it.
 */

/** Rows per insert: a long insert is split, each part with a token of its own rows. */
export const INSERT_CHUNK = 50_000;

/** The token of an insert into `table` of rows with these identities (each row's key and values, in order). */
export function insertToken(table: string, identities: Iterable<unknown>): string {
  const hash = createHash('sha256').update(table).update('\n');
  for (const identity of identities) hash.update(JSON.stringify(identity)).update('\n');
  return hash.digest('hex');
}

/** The settings that make an insert idempotent: the token, and deduplication on (the server's default, said here so no profile turns it off). */
export function deduplicationSettings(token: string): { insert_deduplicate: 1; insert_deduplication_token: string } {
  return { insert_deduplicate: 1, insert_deduplication_token: token };
}

/**
 * Inserts JSON rows, INSERT_CHUNK at a time, each insert with the token of
 * its rows' identities (`identity`: the row's key and values without the
 * clock of this write, see above).
 */
export async function insertRows<T extends Record<string, unknown>>(
  client: ClickHouseClient,
  table: string,
  rows: readonly T[],
  identity: (row: T) => unknown,
): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    await client.insert({
      table,
      format: 'JSONEachRow',
      values: chunk,
      clickhouse_settings: deduplicationSettings(insertToken(table, chunk.map(identity))),
    });
  }
}
