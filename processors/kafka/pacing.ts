import type { Logger } from '../../core/logger.js';

/** What the pacer needs of the Kafka consumer. */
export interface PausableConsumer {
  pause(topics: { topic: string; partitions: number[] }[]): void;
  resume(topics: { topic: string; partitions: number[] }[]): void;
}

/**
 * Keeps a partition's input topics side by side in event time while they
 * catch up (a backfill, a replay, a processor that fell behind): after each
 * batch, the topics that ran ahead of the slowest one still holding records
 * (PartitionTask.kindsAhead) are paused, and those no longer ahead resumed.
 * Without it, one fetch of a sparse topic (weeks of customer feedback) moves
 * a partition far ahead of its telemetry, and every window of those weeks is
 * held in memory or written again each time its telemetry arrives. A stream
 * that is caught up pauses nothing.
 *
 * The slowest topic is never paused, so a paused partition always has a topic
 * to read; should its batches stop anyway (records deleted under it, the
 * consumer waiting on the sink), `releaseStalled` resumes the partition, and
 * the task forgets what the topics had left (PartitionTask.forgetBacklog).
 */
export class ReadPacer {
  private readonly paused = new Map<number, ReadonlySet<string>>();
  private readonly lastBatchAt = new Map<number, number>();

  constructor(
    private readonly consumer: PausableConsumer,
    /** How long a partition with paused topics may go without a batch before they are all resumed. */
    private readonly stallAfterMs: number,
    private readonly log: Logger,
  ) {}

  /** After a batch of `partition`: pauses the topics now `ahead`, resumes those that no longer are. */
  afterBatch(partition: number, ahead: readonly string[], now: number): void {
    this.lastBatchAt.set(partition, now);
    const before = this.paused.get(partition) ?? new Set<string>();
    const after = new Set(ahead);
    for (const topic of after) if (!before.has(topic)) this.consumer.pause([{ topic, partitions: [partition] }]);
    for (const topic of before) if (!after.has(topic)) this.consumer.resume([{ topic, partitions: [partition] }]);
    if (after.size > 0) this.paused.set(partition, after);
    else this.paused.delete(partition);
  }

  /** Resumes the partitions whose paused topics waited `stallAfterMs` without a batch of the partition; returns them. */
  releaseStalled(now: number): number[] {
    const stalled = [...this.paused.keys()].filter((partition) => now - (this.lastBatchAt.get(partition) ?? now) >= this.stallAfterMs);
    for (const partition of stalled) {
      this.log.info(
        { partition, topics: [...this.paused.get(partition)!].join(',') },
        `partition ${partition}: no batch for ${this.stallAfterMs / 1000}s while topics waited for a slower one; reading them all again`,
      );
      this.release(partition);
    }
    return stalled;
  }

  /** Resumes every paused topic (a rebalance: the tasks start again, knowing no backlog). */
  releaseAll(): void {
    for (const partition of [...this.paused.keys()]) this.release(partition);
  }

  /** Input topic-partitions paused now. */
  get pausedCount(): number {
    let count = 0;
    for (const topics of this.paused.values()) count += topics.size;
    return count;
  }

  private release(partition: number): void {
    for (const topic of this.paused.get(partition) ?? []) this.consumer.resume([{ topic, partitions: [partition] }]);
    this.paused.delete(partition);
  }
}
