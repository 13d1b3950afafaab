import type { Server } from 'node:http';
import type { Admin, Consumer, Producer } from 'kafkajs';
import type { Config } from '../core/config.js';
import { type KpiError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ProcessorMetrics } from './metrics.js';
import type { StreamRunner } from './runner.js';
import { FlushScheduler } from './scheduler.js';

export interface PipelineOptions {
  /** Stop on its own once no record arrived for this long and the group has read every partition, after writing every window. */
  exitWhenIdleMs?: number;
  /** Serve Prometheus metrics on this port (0 = a free port). */
  metricsPort?: number;
}

/** The connected clients a pipeline runs on (made by processors/bootstrap.ts). */
export interface PipelineParts {
  readonly config: Config;
  readonly log: Logger;
  readonly options: PipelineOptions;
  readonly admin: Admin;
  readonly consumer: Consumer;
  readonly producer: Producer;
  readonly inputTopics: readonly string[];
  readonly runner: StreamRunner;
  readonly metrics: ProcessorMetrics;
  /** Aborted when the pipeline fails: retries stop waiting. */
  readonly abort: AbortController;
  /** Closes what the adapters hold (the ClickHouse client). */
  readonly close: () => Promise<void>;
}

/**
 * The processor process: one member of the consumer group. Feeds each batch
 * kafkajs delivers to the stream runner, lets the flush scheduler write rows
 * and commit, follows rebalances, and stops cleanly (SIGTERM) or on a failure
 * it cannot recover from.
 */
export class Pipeline {
  readonly metrics: ProcessorMetrics;
  /** Resolves when the pipeline has stopped; rejects with the error that stopped it. */
  readonly done: Promise<void>;

  private readonly scheduler: FlushScheduler;
  private metricsServer: Server | undefined;
  private stopping: Promise<void> | undefined;
  private closing = false;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor(private readonly parts: PipelineParts) {
    this.metrics = parts.metrics;
    this.scheduler = new FlushScheduler(
      parts.runner,
      parts.config,
      () => this.tick(),
      (error) => void this.fail(error),
    );
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined);
  }

  /** Joins the group and starts consuming. */
  async run(): Promise<void> {
    const { consumer, runner, log, config } = this.parts;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // kafkajs resumes every assigned partition from its committed offset after a
      // rebalance, so every task restarts from there too.
      runner.reset();
      const partitions = new Set(Object.values(payload.memberAssignment).flat());
      this.metrics.assignedPartitions = partitions.size;
      log.info(
        { partitions: [...partitions].sort((a, b) => a - b).join(','), memberId: payload.memberId },
        `joined group ${config.groupId}: ${partitions.size} partitions`,
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) void this.fail(payload.error);
      else log.warn({ err: payload.error }, 'consumer crashed, kafkajs restarts it');
    });
    await consumer.subscribe({ topics: [...this.parts.inputTopics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (this.closing) return;
        const live = () => isRunning() && !isStale();
        await this.scheduler.batch(async () => {
          const records = batch.messages.map((m) => ({ offset: Number(m.offset), key: m.key, value: m.value, timestamp: Number(m.timestamp) }));
          const result = await runner.processBatch(batch.topic, batch.partition, records, { heartbeat, live, signal: this.parts.abort.signal });
          if (result && live()) resolveOffset(String(result.lastOffset));
          await heartbeat();
          await this.scheduler.relieve(heartbeat);
        });
      },
    });
    if (this.parts.options.metricsPort !== undefined) this.metricsServer = await this.metrics.serve(this.parts.options.metricsPort);
    this.scheduler.start();
  }

  /** Every flush interval: stop when idle and asked to, else flush. */
  private async tick(): Promise<void> {
    const exitAfter = this.parts.options.exitWhenIdleMs;
    if (exitAfter !== undefined && !this.stopping && this.scheduler.idleFor() >= exitAfter && (await this.caughtUp())) {
      this.parts.log.info(`no records for ${exitAfter / 1000}s and the group has read every partition: writing every window and stopping`);
      await this.stop(true);
      return;
    }
    if (!this.stopping) await this.scheduler.flush();
  }

  /**
   * Whether every input partition has been read to its end: by this process
   * (its tasks' positions) or, for partitions it does not hold, by the group
   * (committed offsets). A partition still held by a crashed member counts as
   * unread until its session expires and someone reads it.
   */
  async caughtUp(): Promise<boolean> {
    const { admin, config, inputTopics, runner } = this.parts;
    const committed = await admin.fetchOffsets({ groupId: config.groupId, topics: [...inputTopics] });
    for (const topic of inputTopics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        const mine = runner.position(topic, partition);
        const theirs = committed.find((c) => c.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
        const read = Math.max(mine ?? Number(theirs ?? -1), Number(low));
        if (read < Number(high)) return false;
      }
    }
    return true;
  }

  /**
   * Stops cleanly: finishes the batch in hand, writes the rows due (all of them
   * when `closeAll`), commits, and disconnects. Open windows are rebuilt from
   * the committed offsets by whoever owns their partition next.
   */
  stop(closeAll = false): Promise<void> {
    this.stopping ??= (async () => {
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
      this.scheduler.stop();
      this.parts.abort.abort();
      await this.parts.consumer.stop().catch(() => undefined);
      await this.shutdown().catch(() => undefined);
      this.settle.reject(error);
    })();
    await this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.metricsServer?.close();
    await this.parts.consumer.disconnect();
    await this.parts.producer.disconnect();
    await this.parts.admin.disconnect();
    await this.parts.close();
  }
}
