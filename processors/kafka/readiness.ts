import { GroupMembership, seconds } from '../../topics/groupMembership.js';
import type { CheckResult, HealthCheck } from '../../core/health.js';
import { formatDuration } from '../../core/time.js';

/**
 * Whether a processor does its work, for /readyz: it is a member of the
 * consumer group (with partitions, or as a standby when the group has more
 * members than partitions), and it is not stalled — flushes (ClickHouse
 * inserts and offset commits) keep finishing, and while records wait in the
 * broker, batches keep finishing. The pipeline reports what happens; time is
 * passed in.
 */
export class ProcessorReadiness extends GroupMembership {
  private lastFlush: number;
  private waiting: number | undefined;

  /** @param stallTimeout KPI_STALL_TIMEOUT: how long without progress counts as stalled */
  constructor(
    private readonly groupId: string,
    private readonly stallTimeout: number,
    clock: () => number = Date.now,
  ) {
    super(clock);
    this.lastFlush = this.lastBatch;
  }

  flushDone(): void {
    this.lastFlush = this.clock();
  }

  /** Records in the broker not yet processed on the partitions it owns (undefined: the broker could not say). */
  lag(records: number | undefined): void {
    this.waiting = records;
  }

  group(): CheckResult {
    switch (this.state) {
      case 'starting':
        return { ok: false, detail: `starting: creating topics, migrating ClickHouse, joining group ${this.groupId}` };
      case 'rebalancing':
        return { ok: false, detail: `group ${this.groupId} is rebalancing` };
      case 'rejoining':
        return { ok: false, detail: `the consumer restarts after a failure and joins group ${this.groupId} again` };
      case 'stopping':
        return { ok: false, detail: 'stopping' };
      case 'joined':
        return this.partitions > 0
          ? { ok: true, detail: `member of group ${this.groupId} with ${this.partitions} partitions` }
          : { ok: true, detail: `standby in group ${this.groupId}: no partitions (more members than partitions)` };
    }
  }

  progress(): CheckResult {
    const now = this.clock();
    const sinceFlush = now - this.lastFlush;
    const sinceBatch = now - this.lastBatch;
    if (sinceFlush > this.stallTimeout) {
      return {
        ok: false,
        detail: `stalled: no flush has finished for ${seconds(sinceFlush)} (KPI_STALL_TIMEOUT=${formatDuration(this.stallTimeout)}): ClickHouse inserts or offset commits do not get through`,
      };
    }
    if (this.waiting !== undefined && this.waiting > 0 && sinceBatch > this.stallTimeout) {
      return {
        ok: false,
        detail: `stalled: ${this.waiting} records wait in the broker, but no batch has finished for ${seconds(sinceBatch)} (KPI_STALL_TIMEOUT=${formatDuration(this.stallTimeout)})`,
      };
    }
    const waiting = this.waiting === undefined ? 'consumer lag unknown' : `${this.waiting} records waiting`;
    return { ok: true, detail: `last flush ${seconds(sinceFlush)} ago, last batch ${seconds(sinceBatch)} ago, ${waiting}` };
  }

  /** The checks /readyz asks of a processor (with ClickHouse's, which the pipeline adds). */
  checks(): HealthCheck[] {
    return [
      { name: 'consumer-group', check: () => this.group() },
      { name: 'progress', check: () => this.progress() },
    ];
  }
}
