import type { StreamRunner } from '../runner.js';

export interface SchedulerSettings {
  /** How often rows are written and offsets committed (KPI_FLUSH_INTERVAL). */
  readonly flushInterval: number;
  /** Accepted records that start an early flush; consumption waits at twice this many (KPI_SINK_MAX_ROWS). */
  readonly sinkMaxRows: number;
}

/**
 * When the runner flushes: every flush interval, as soon as a closed window
 * waits for its row, earlier when accepted records pile up (backpressure: consumption waits for the flush once they
 * pile up further), and what counts as activity for idle detection.
 */
export class FlushScheduler {
  private timer: NodeJS.Timeout | undefined;
  private busy = 0;
  private lastActivity = Date.now();

  /**
   * @param tick runs every flush interval instead of a plain flush (the pipeline decides there whether to stop); its failure goes to `onError`
   */
  constructor(
    private readonly runner: StreamRunner,
    private readonly settings: SchedulerSettings,
    private readonly tick: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick().catch(this.onError), this.settings.flushInterval);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Runs a batch: records arrived, so the processor is not idle, nor while the batch is under way. */
  batch<T>(work: () => Promise<T>): Promise<T> {
    return this.busyWith(work, true);
  }

  /** How long no batch has arrived and nothing has been under way (0 while something is: an outage can stall it). */
  idleFor(): number {
    return this.busy > 0 ? 0 : Date.now() - this.lastActivity;
  }

  /** Flushes (busy meanwhile, but not activity); a flush that fails for good goes to `onError` whoever asked for it. */
  flush(closeAll = false): Promise<void> {
    const run = this.busyWith(() => this.runner.flush(closeAll), false);
    run.catch(this.onError);
    return run;
  }

  private async busyWith<T>(work: () => Promise<T>, activity: boolean): Promise<T> {
    this.busy += 1;
    try {
      return await work();
    } finally {
      this.busy -= 1;
      if (activity) this.lastActivity = Date.now();
    }
  }

  /**
   * Flushes now when a closed window waits for its row, rather than at the
   * next interval (a flush under way first finishes; calls meanwhile join
   * the one queued after it).
   */
  flushIfDue(): void {
    if (this.runner.rowsDue) void this.flush().catch(() => undefined);
  }

  /** Backpressure: start a flush early when rows pile up; wait for it (heart-beating) when they pile up further. */
  async relieve(heartbeat: () => Promise<void>): Promise<void> {
    if (this.runner.acceptedSinceFlush < this.settings.sinkMaxRows) return;
    const flushing = this.flush();
    if (this.runner.acceptedSinceFlush < 2 * this.settings.sinkMaxRows) return;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      await flushing;
    } finally {
      clearInterval(beat);
    }
  }
}
