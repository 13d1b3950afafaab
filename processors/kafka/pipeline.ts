import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import type { Config } from '../../core/config.js';
import { type KpiError, messageOf } from '../../core/errors.js';
import type { HealthCheck, HealthServer } from '../../core/health.js';
import type { Logger } from '../../core/logger.js';
import type { GroupConsumer, KafkaAdmin, KafkaProducer } from '../../topics/client/port.js';
import type { PartitionLag, ProcessorMetrics } from '../metrics.js';
import type { ProcessorReadiness } from './readiness.js';
import type { StreamRunner } from '../runner.js';
import type { AssignmentReader } from './assignments.js';
import { ReadPacer } from './pacing.js';
import { FlushScheduler } from './scheduler.js';

export interface PipelineOptions {
  /** Stop on its own once no record arrived for this long and the group has read every partition, after writing every window. */
  exitWhenIdleMs?: number;
  /** The process's metrics registry (core/metrics.ts) that the processors' metrics join; a private one when not given. */
  registry?: Registry;
  /** Serve /metrics, /healthz and /readyz here (port 0 = a free port), from the start of start-up on. */
  health?: { host: string; port: number };
  /** The topics are checked and the tables migrated already (prepareTopicsAndTables): a worker thread, whose main thread did it once for the process. */
  prepared?: boolean;
  /**
   * Told the partitions at each join of the group, and told `undefined` when a
   * rebalance begins; given, the pipeline leaves the log line about the join
   * to it (a worker thread's main thread says what the whole process holds).
   */
  onAssignment?: (partitions: readonly number[] | undefined) => void;
  /**
   * Until it resolves, fetched batches wait unprocessed (kafkajs fetches them
   * again): a worker thread that joined the group before its siblings reads
   * nothing it would have to replay after the rebalance their joins cause.
   */
  holdUntil?: Promise<void>;
  /**
   * Awaited once every client is connected, before joining the group: a
   * worker thread waits for its siblings here, so that they join at once and
   * the group settles in one rebalance instead of one per worker (each of
   * which makes the members that joined earlier replay what they read).
   * A rejection stops start-up.
   */
  beforeJoin?: () => Promise<void>;
}

/** How often a held batch looks again whether it may be processed (and heart-beats meanwhile). */
const HOLD_POLL_MS = 100;
/** How often the broker's high watermarks are read for the consumer lag: a few requests, whatever the traffic. */
const LAG_INTERVAL_MS = 10_000;
/** After this long without a batch (and at least 5 flush intervals), a partition's paused topics resume, and a topic's records left are forgotten. */
const PACING_STALL_MS = 10_000;

/** How far the group has read an input topic-partition. */
interface ReadProgress {
  readonly topic: string;
  readonly partition: number;
  /** The broker's high watermark: the offset of the next record produced. */
  readonly high: number;
  /** The next offset to process: this process's position where it holds the partition, else the group's committed offset. */
  readonly read: number;
}

/** The connected clients a pipeline runs on (made by processors/kafka/bootstrap.ts). */
export interface PipelineParts {
  readonly config: Config;
  readonly log: Logger;
  readonly options: PipelineOptions;
  readonly admin: KafkaAdmin;
  readonly consumer: GroupConsumer;
  readonly producer: KafkaProducer;
  readonly inputTopics: readonly string[];
  readonly runner: StreamRunner;
  readonly metrics: ProcessorMetrics;
  readonly readiness: ProcessorReadiness;
  /** The process's HTTP server for Prometheus and probes, when it serves one. */
  readonly health?: HealthServer;
  /** Aborted when the pipeline fails: retries stop waiting. */
  readonly abort: AbortController;
  /** Reads hr.assignments.v1 into kpi.assignments beside the processors (its own consumer group). */
  readonly assignments: AssignmentReader;
  /** Closes what the adapters hold (the ClickHouse client). */
  readonly close: () => Promise<void>;
}

/**
 * The processor process: one member of the consumer group. Feeds each batch
 * the Kafka client delivers to the stream runner, lets the flush scheduler write rows
 * and commit, follows rebalances, and stops cleanly (SIGTERM) or on a failure
 * it cannot recover from.
 */
export class Pipeline {
  readonly metrics: ProcessorMetrics;
  /** The HTTP server for Prometheus and probes, when it serves one: components in the same process can add their checks. */
  readonly health: HealthServer | undefined;
  /** Resolves when the pipeline has stopped; rejects with the error that stopped it. */
  readonly done: Promise<void>;

  private readonly scheduler: FlushScheduler;
  private readonly pacer: ReadPacer;
  /** How long a topic's batches may stop before what it had left to read is forgotten and its partition's paused topics resume. */
  private readonly pacingStallMs: number;
  /** Partition numbers this member holds since the last rebalance. */
  private owned = new Set<number>();
  private lagTimer: NodeJS.Timeout | undefined;
  private lagPolling = false;
  private stopping: Promise<void> | undefined;
  private closing = false;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  /** PipelineOptions.holdUntil until it resolved. */
  private holding: Promise<void> | undefined;

  constructor(private readonly parts: PipelineParts) {
    const hold = parts.options.holdUntil;
    this.holding = hold?.then(() => void (this.holding = undefined));
    this.metrics = parts.metrics;
    this.health = parts.health;
    this.scheduler = new FlushScheduler(
      parts.runner,
      parts.config,
      () => this.tick(),
      (error) => void this.fail(error),
    );
    this.pacingStallMs = Math.max(PACING_STALL_MS, 5 * parts.config.flushInterval);
    this.pacer = new ReadPacer(parts.consumer, this.pacingStallMs, parts.log);
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined);
  }

  /** What /readyz asks of this processor: its group membership and its progress (ClickHouse is checked by whoever serves /readyz). */
  readinessChecks(): HealthCheck[] {
    return this.parts.readiness.checks();
  }

  /** Joins the group and starts consuming. */
  async run(): Promise<void> {
    const { consumer, runner, log, config, readiness } = this.parts;
    const { onAssignment } = this.parts.options;
    await consumer.run(
      this.parts.inputTopics,
      async ({ topic, partition, records, recordsLeft }, { heartbeat, live }) => {
        if (this.closing) return false;
        if (this.holding) {
          // Not processed, so not moved: the client hands the batch over again once the hold ends.
          await Promise.race([this.holding, sleep(HOLD_POLL_MS)]);
          await heartbeat(); // notices the rebalance the siblings' joins began
          return false;
        }
        return this.scheduler.batch(async () => {
          const result = await runner.processBatch(topic, partition, records, {
            heartbeat,
            live,
            signal: this.parts.abort.signal,
            ...(recordsLeft === undefined ? {} : { recordsLeft }),
          });
          if (result) readiness.batchDone();
          const moved = result !== undefined && live();
          if (moved) {
            if (!this.closing) this.pacer.afterBatch(partition, runner.topicsAhead(partition), Date.now());
            this.metrics.topicsPaused(this.pacer.pausedCount);
          }
          await heartbeat();
          this.scheduler.flushIfDue();
          await this.scheduler.relieve(heartbeat);
          return moved;
        });
      },
      {
        joined: ({ memberId, partitions: byTopic }) => {
          // The consumer resumes every assigned partition from its committed offset after a
          // rebalance, so every task restarts from there too.
          runner.reset();
          this.pacer.releaseAll();
          const partitions = new Set([...byTopic.values()].flat());
          this.owned = partitions;
          this.metrics.assigned(partitions.size);
          readiness.joined(partitions.size);
          const sorted = [...partitions].sort((a, b) => a - b);
          if (onAssignment) onAssignment(sorted);
          else log.info({ partitions: sorted.join(','), memberId }, `joined group ${config.groupId}: ${partitions.size} partitions`);
        },
        rebalancing: () => {
          readiness.rebalancing();
          onAssignment?.(undefined);
        },
        crashed: (error, restarting) => {
          if (!restarting) void this.fail(error);
          else {
            readiness.rejoining();
            log.warn({ err: error }, 'consumer crashed, the client restarts it');
          }
        },
      },
    );
    this.scheduler.start();
    this.lagTimer = setInterval(() => void this.pollLag(), LAG_INTERVAL_MS);
  }

  /** Every flush interval: stop when idle and asked to, else flush. */
  private async tick(): Promise<void> {
    const exitAfter = this.parts.options.exitWhenIdleMs;
    if (exitAfter !== undefined && !this.stopping && this.scheduler.idleFor() >= exitAfter && (await this.caughtUp())) {
      this.parts.log.info(`no records for ${exitAfter / 1000}s and the group has read every partition: writing every window and stopping`);
      await this.stop(true);
      return;
    }
    if (!this.stopping) {
      const now = Date.now();
      this.pacer.releaseStalled(now);
      this.parts.runner.forgetBacklog(now - this.pacingStallMs);
      this.metrics.topicsPaused(this.pacer.pausedCount);
      await this.scheduler.flush();
      this.parts.readiness.flushDone();
    }
  }

  /** Reads the consumer lag of the partitions this member holds, for the metrics and /readyz. */
  private async pollLag(): Promise<void> {
    if (this.lagPolling || this.stopping) return;
    this.lagPolling = true;
    let lags: PartitionLag[] | undefined;
    try {
      lags = (await this.readProgress())
        .filter(({ partition }) => this.owned.has(partition))
        .map(({ topic, partition, high, read }) => ({ topic, partition, lag: Math.max(0, high - read) }));
    } catch (error) {
      this.parts.log.debug({ err: error }, `could not read the consumer lag: ${messageOf(error)}`);
    } finally {
      this.lagPolling = false;
    }
    this.metrics.consumerLag(lags);
    this.parts.readiness.lag(lags?.reduce((sum, { lag }) => sum + lag, 0));
  }

  /**
   * Whether every input partition has been read to its end: by this process
   * (its tasks' positions) or, for partitions it does not hold, by the group
   * (committed offsets). A partition still held by a crashed member counts as
   * unread until its session expires and someone reads it. The assignments
   * too must all be stored.
   */
  async caughtUp(): Promise<boolean> {
    return (await this.readProgress()).every(({ read, high }) => read >= high) && (await this.parts.assignments.caughtUp());
  }

  /** Every input topic-partition's high watermark, and how far the group has read it. */
  private async readProgress(): Promise<ReadProgress[]> {
    const { admin, config, inputTopics, runner } = this.parts;
    const committed = await admin.committedOffsets(config.groupId, inputTopics);
    const progress: ReadProgress[] = [];
    for (const topic of inputTopics) {
      for (const { partition, high, low } of await admin.topicOffsets(topic)) {
        const mine = runner.position(topic, partition);
        const theirs = committed.find((c) => c.topic === topic && c.partition === partition)?.offset;
        progress.push({ topic, partition, high, read: Math.max(mine ?? theirs ?? -1, low) });
      }
    }
    return progress;
  }

  /**
   * Stops cleanly: finishes the batch in hand, writes the rows due (all of them
   * when `closeAll`), commits, and disconnects. Open windows are rebuilt from
   * the committed offsets by whoever owns their partition next.
   */
  stop(closeAll = false): Promise<void> {
    this.stopping ??= (async () => {
      this.parts.readiness.stopping();
      this.scheduler.stop();
      try {
        // Stop taking batches, let the one in hand finish, then write and commit while still in the group.
        this.closing = true;
        this.parts.consumer.pause(this.parts.inputTopics.map((topic) => ({ topic })));
        await this.scheduler.flush(closeAll);
        await this.parts.consumer.stop();
        await this.shutdown();
        this.settle.resolve();
      } catch (error) {
        await this.shutdown().catch(() => undefined);
        this.settle.reject(error);
        throw error;
      }
    })();
    return this.stopping;
  }

  private async fail(error: unknown): Promise<void> {
    if (this.stopping) return;
    this.parts.log.fatal({ err: error, code: (error as KpiError).code }, `stopping: ${messageOf(error)}`);
    this.stopping = (async () => {
      this.parts.readiness.stopping();
      this.scheduler.stop();
      this.parts.abort.abort();
      await this.parts.consumer.stop().catch(() => undefined);
      await this.shutdown().catch(() => undefined);
      this.settle.reject(error);
    })();
    await this.stopping;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.lagTimer);
    await this.parts.health?.close();
    await this.parts.consumer.disconnect();
    await this.parts.assignments.disconnect();
    await this.parts.producer.disconnect();
    await this.parts.admin.disconnect();
    await this.parts.close();
  }
}
