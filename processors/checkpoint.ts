import { createHash } from 'node:crypto';
import type { DeadLetter, DeadLetterStore, OffsetStore, ResumePoint, WindowStore } from '../contract/ports.js';
import type { WindowRow } from '../contract/windowRow.js';
import { KpiError } from '../core/errors.js';
import type { EventKind } from '../schemas/kinds.js';
import type { ProcessorMetrics } from './metrics.js';

/**
 * A checkpoint: how rows become durable and the committed offsets move past
 * them, all in this file. The flush scheduler (kafka/scheduler.ts) decides
 * when one runs: every flush interval, as soon as a closed window waits for
 * its row, early under backpressure, and at shutdown. The stream runner runs
 * them one at a time (StreamRunner.flush) in two halves:
 *
 * 1. Capture, between two batches: each partition task's rows due
 *    (PartitionTask.drain) with when each became due, its resume points (the
 *    earliest record not in a drained row, per topic), the dead letters since
 *    the last checkpoint, and the live-window publishes under way.
 * 2. Complete, while batches go on (`completeCheckpoint`):
 *    a. write the rows with a token derived from them, isolating any the store
 *       refuses for their content;
 *    b. record the dead letters in their table (they are durable in the
 *       dead-letter topic already, before their batch ended);
 *    c. a partition with a refused row is read again from its last commit, so
 *       that its refused window's records are dead-lettered: it commits nothing;
 *    d. wait for the live-window publishes, then commit the other partitions'
 *       resume points.
 * So an offset is committed only past records whose rows, or dead letters,
 * are durable; a crash anywhere replays from the last commit, and the rows it
 * writes again carry the same tokens and versions.
 */

/** What a checkpoint captured of one partition's task. */
export interface PartitionCapture {
  readonly partition: number;
  /** Its rows due. */
  readonly rows: readonly WindowRow[];
  /** When each row became due (wall clock, ms), aligned with `rows`: for the close → queryable latency. */
  readonly dueAt: readonly number[];
  /** Where a restart must resume, per kind. */
  readonly points: ReadonlyMap<EventKind, ResumePoint>;
}

/** What a checkpoint captured between two batches. */
export interface Capture {
  readonly partitions: readonly PartitionCapture[];
  readonly letters: readonly DeadLetter[];
  readonly publishes: readonly Promise<void>[];
}

/** The ports and hooks a checkpoint completes through. */
export interface CheckpointPorts {
  readonly store: WindowStore;
  readonly deadLetters: DeadLetterStore;
  readonly offsets: OffsetStore;
  readonly topicOf: (kind: EventKind) => string;
  readonly clock: () => number;
  /** Marks the refused rows' windows and reads their partitions again (step c); resolves with those partitions. */
  readonly rewindRefused: (refused: readonly { row: WindowRow; partition: number }[]) => Promise<ReadonlySet<number>>;
}

/** Steps a–d of a checkpoint, after its capture. */
export async function completeCheckpoint(capture: Capture, ports: CheckpointPorts, metrics: ProcessorMetrics): Promise<void> {
  const rows = capture.partitions.flatMap((p) => p.rows);
  // The store encodes the rows before its first wait: that part of the call is the encode stage's.
  const writing = metrics.timed('encode', () =>
    writeIsolatingRefusals(rows, (batch) => metrics.timeInsert('employee_window_metrics', () => ports.store.write(batch, batchToken(batch)))),
  );
  const refusedRows = await metrics.waited('insert', () => writing);
  metrics.rowsAcknowledged(rows.length - refusedRows.length);
  const queryableAt = ports.clock();
  const refusedSet = new Set(refusedRows);
  for (const { rows: drained, dueAt } of capture.partitions) {
    for (const [i, row] of drained.entries()) if (!refusedSet.has(row)) metrics.rowQueryable(Math.max(0, queryableAt - dueAt[i]!) / 1000);
  }
  if (capture.letters.length > 0) await metrics.timeInsert('dead_letters', () => ports.deadLetters.record(capture.letters));
  const partitionOf = new Map(capture.partitions.flatMap(({ partition, rows }) => rows.map((row) => [row, partition] as const)));
  const rewound = refusedRows.length > 0 ? await ports.rewindRefused(refusedRows.map((row) => ({ row, partition: partitionOf.get(row)! }))) : new Set<number>();
  await Promise.all(capture.publishes);
  const offsets = capture.partitions
    .filter(({ partition }) => !rewound.has(partition))
    .flatMap(({ partition, points }) => [...points].map(([kind, point]) => ({ topic: ports.topicOf(kind), partition, point })));
  if (offsets.length > 0) await metrics.waited('commit', () => metrics.timeCommit(() => ports.offsets.commit(offsets)));
}

/**
 * A deterministic token for a batch of rows: a row is identified by its key
 * and the events in it, so the same rows give the same token and the store
 * drops a retried write.
 */
export function batchToken(rows: readonly WindowRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) {
    // The keys as bytes (8 per key, with their count first): formatting 16-digit numbers as text cost more than the rest of a row's write.
    const keys = row.event_keys;
    let words = tokenWords;
    if (words.length < keys.length + 2) words = tokenWords = new Float64Array(Math.max(keys.length + 2, 2 * words.length));
    words[0] = row.window_start;
    words[1] = keys.length;
    for (let i = 0; i < keys.length; i += 1) words[i + 2] = keys[i]!;
    hash
      .update(row.employee_id)
      .update(TOKEN_SEPARATOR)
      .update(new Uint8Array(words.buffer, 0, 8 * (keys.length + 2)));
  }
  return hash.digest('hex');
}

/** Ends a row's employee id in its token: no id holds it. */
const TOKEN_SEPARATOR = new Uint8Array([0]);
/** Scratch for the numbers of a row's token, reused. */
let tokenWords = new Float64Array(64);

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
