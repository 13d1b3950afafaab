/** Where a consumer stands in its group. */
export type GroupState = 'starting' | 'joined' | 'rebalancing' | 'rejoining' | 'stopping';

/** An elapsed time as people read it: 0.4s, 131.2s. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/**
 * A group consumer's membership as its owner reports it — joined with some
 * partitions, rebalancing, rejoining after a crash, stopping — and when its
 * last batch finished: what the processors' and the reviews applier's
 * readiness both judge. Time is passed in.
 */
export class GroupMembership {
  protected state: GroupState = 'starting';
  protected partitions = 0;
  protected lastBatch: number;

  constructor(protected readonly clock: () => number = Date.now) {
    this.lastBatch = clock();
  }

  joined(partitions: number): void {
    this.state = 'joined';
    this.partitions = partitions;
    // A new assignment starts its own clock: its first batch is on its way.
    this.lastBatch = this.clock();
  }

  rebalancing(): void {
    if (this.state !== 'stopping') this.state = 'rebalancing';
  }

  /** The consumer crashed and its client restarts it: it must join the group again. */
  rejoining(): void {
    if (this.state !== 'stopping') this.state = 'rejoining';
  }

  stopping(): void {
    this.state = 'stopping';
  }

  batchDone(): void {
    this.lastBatch = this.clock();
  }
}
