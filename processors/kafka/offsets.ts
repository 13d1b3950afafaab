import type { OffsetStore, ResumePoint } from '../../contract/ports.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { GroupConsumer, KafkaAdmin } from '../../topics/client/port.js';

/** Commit metadata: the partition clock just before the committed offset. */
interface CommitMetadata {
  clock: number | null;
}

function parseMetadata(text: string | null | undefined): number | null {
  if (!text) return null;
  try {
    const clock = (JSON.parse(text) as CommitMetadata).clock;
    return typeof clock === 'number' && Number.isFinite(clock) ? clock : null;
  } catch {
    return null;
  }
}

/**
 * Resume points in the consumer group's committed offsets: the offset is the
 * earliest record not yet in a written row, and the commit metadata holds the
 * partition clock there, so a new owner decides exactly as the old one would.
 * Unchanged points are not committed again.
 */
export class KafkaOffsetStore implements OffsetStore {
  private readonly lastCommitted = new Map<string, string>();

  constructor(
    private readonly admin: KafkaAdmin,
    private readonly consumer: GroupConsumer,
    private readonly groupId: string,
    private readonly topics: readonly string[],
    private readonly log: Logger,
  ) {}

  async committed(partition: number): Promise<Map<string, ResumePoint>> {
    const committed = await this.admin.committedOffsets(this.groupId, this.topics);
    const points = new Map<string, ResumePoint>();
    for (const entry of committed) {
      if (entry.partition !== partition || entry.offset < 0) continue;
      points.set(entry.topic, { offset: entry.offset, clock: parseMetadata(entry.metadata) });
    }
    return points;
  }

  async commit(points: readonly { topic: string; partition: number; point: ResumePoint }[]): Promise<boolean> {
    const offsets = points.map(({ topic, partition, point }) => ({
      topic,
      partition,
      offset: point.offset,
      metadata: JSON.stringify({ clock: point.clock } satisfies CommitMetadata),
    }));
    const changed = offsets.filter((o) => this.lastCommitted.get(`${o.topic}:${o.partition}`) !== `${o.offset}:${o.metadata}`);
    if (changed.length === 0) return false;
    try {
      await this.consumer.commit(changed);
      for (const o of changed) this.lastCommitted.set(`${o.topic}:${o.partition}`, `${o.offset}:${o.metadata}`);
      return true;
    } catch (error) {
      // Typically a rebalance took the partitions away: the next owner resumes from the last commit.
      this.log.warn({ err: error }, `offset commit failed: ${messageOf(error)}`);
      return false;
    }
  }
}
