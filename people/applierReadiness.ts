import { GroupMembership, seconds } from '../topics/groupMembership.js';
import type { CheckResult } from '../core/health.js';
import { formatDuration } from '../core/time.js';

/**
 * Whether the applier of kpi.reviews.v1 does its work, for /readyz: its
 * consumer is a member of its group (holding the topic's partition, or a
 * standby while another member holds it), the broker tells how many decisions
 * wait for it, and while some wait, batches keep finishing. A decision taken
 * through the app is only applied by a ready applier: the app is not ready
 * without one. The applier reports what happens; time is passed in.
 */
export class ApplierReadiness extends GroupMembership {
  /** @param stallTimeout KPI_STALL_TIMEOUT: how long decisions may wait without a batch finishing */
  constructor(
    private readonly groupId: string,
    private readonly topic: string,
    private readonly stallTimeout: number,
    clock: () => number = Date.now,
  ) {
    super(clock);
  }

  /** Whether the applier must be asked for its lag: only a member holding the partition has one. */
  get holdsPartitions(): boolean {
    return this.state === 'joined' && this.partitions > 0;
  }

  /** The line of /readyz, given the decisions waiting on the partitions it holds (undefined: the broker could not say). */
  check(waiting: number | undefined): CheckResult {
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
        break;
    }
    if (this.partitions === 0) return { ok: true, detail: `standby in group ${this.groupId}: another member applies ${this.topic}` };
    if (waiting === undefined) return { ok: false, detail: `member of group ${this.groupId}, but the broker did not say how far ${this.topic} goes` };
    if (waiting === 0) return { ok: true, detail: `member of group ${this.groupId}, caught up with ${this.topic}` };
    const sinceBatch = this.clock() - this.lastBatch;
    if (sinceBatch > this.stallTimeout) {
      return {
        ok: false,
        detail: `stalled: ${waiting} decisions wait on ${this.topic}, but no batch has finished for ${seconds(sinceBatch)} (KPI_STALL_TIMEOUT=${formatDuration(this.stallTimeout)})`,
      };
    }
    return { ok: true, detail: `member of group ${this.groupId}, ${waiting} decisions waiting on ${this.topic}, last batch ${seconds(sinceBatch)} ago` };
  }
}
