import type { Server } from 'node:http';
import type { Admin, Batch, Consumer, KafkaMessage, Producer } from 'kafkajs';
import type { Config } from '../core/config.js';
import { DecodeError, KpiError, RegistryUnavailableError, TopicMismatchError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { packageVersion } from '../core/paths.js';
import { serializer } from '../core/serialize.js';
import { EVENT_KINDS, type EventKind } from '../schemas/kinds.js';
import { createClickHouseClient, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { ClickHouseDeadLetterSink } from '../sinks/clickhouse/deadLetterSink.js';
import { ClickHouseMetricsSink, batchToken } from '../sinks/clickhouse/metricsSink.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { EventCodec } from '../topics/codec.js';
import { DeadLetterWriter, type DeadLetter } from '../topics/deadLetters.js';
import { deadLetterTopic, inputTopic, kindOfTopic, topicDefinitions } from '../topics/definitions.js';
import { createKafka, createProducer, ensureTopics } from '../topics/kafka.js';
import { createRegistry } from '../topics/registry.js';
import { coPartitionedAssigner } from './assigner.js';
import { ProcessorMetrics } from './metrics.js';
import { PartitionTask, type InputRecord, type ResumePoint, type TaskSettings } from './partitionTask.js';
import { TumblingWindows } from './windows.js';

export interface PipelineOptions {
  /** Stop on its own once no record arrived for this long and the group has read every partition, after writing every window. */
  exitWhenIdleMs?: number;
  /** Serve Prometheus metrics on this port (0 = a free port). */
  metricsPort?: number;
}

type Item = { message: KafkaMessage } & ({ record: InputRecord } | { letter: DeadLetter });

/** Commit metadata: the partition clock just before the committed offset. */
interface CommitMetadata {
  clock: number | null;
}

/**
 * The processor process: consumes the five input topics in one consumer
 * group, turns records into employee-window rows with one PartitionTask per
 * partition number, writes rows to ClickHouse about once per flush interval,
 * and commits offsets only after ClickHouse acknowledged the rows they cover.
 *
 * Exactly-once results come from three rules: a task resumes from the earliest
 * record not yet in an acknowledged row (with the partition clock it had
 * there, kept in the commit metadata), a window restored from ClickHouse knows
 * which events it holds, and rows are deterministic for their events.
 */
export class Pipeline {
  readonly metrics = new ProcessorMetrics();
  /** Resolves when the pipeline has stopped; rejects with the error that stopped it. */
  readonly done: Promise<void>;

  private readonly tasks = new Map<number, PartitionTask>();
  private readonly taskStarts = new Map<number, Promise<PartitionTask>>();
  private readonly settings: TaskSettings;
  private readonly inputTopics: string[];
  private readonly pendingDeadLetters: DeadLetter[] = [];
  private readonly lastCommitted = new Map<string, string>();
  private readonly abort = new AbortController();
  private readonly sink: ClickHouseMetricsSink;
  private readonly deadLetterSink: ClickHouseDeadLetterSink;
  private readonly deadLetters: DeadLetterWriter;
  /** Batches and flush snapshots run one at a time. */
  private readonly exclusive = serializer();
  private flushing: Promise<void> = Promise.resolve();
  private queuedFlush: Promise<void> | null = null;
  private acceptedSinceFlush = 0;
  private lastRecordAt = Date.now();
  /** Batches and flushes under way: the pipeline is not idle while any is (an outage can stall them). */
  private busy = 0;
  private timer: NodeJS.Timeout | undefined;
  private metricsServer: Server | undefined;
  private stopping: Promise<void> | undefined;
  private closing = false;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  private constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly options: PipelineOptions,
    private readonly admin: Admin,
    private readonly consumer: Consumer,
    private readonly producer: Producer,
    private readonly codec: EventCodec,
    client: ClickHouseClient,
  ) {
    const sinkLog = log.child({ component: 'sink' });
    this.sink = new ClickHouseMetricsSink(client, sinkLog, this.abort.signal);
    this.deadLetterSink = new ClickHouseDeadLetterSink(client, sinkLog, packageVersion(), this.abort.signal);
    this.deadLetters = new DeadLetterWriter(producer, deadLetterTopic(config), packageVersion());
    this.settings = {
      windows: TumblingWindows.of(config.windowSize, config.timeZone),
      allowedLateness: config.allowedLateness,
      correctionHorizon: config.correctionHorizon,
      idleClose: config.idleClose,
      emitMode: config.emitMode,
    };
    this.inputTopics = EVENT_KINDS.map((kind) => inputTopic(config, kind));
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined);
  }

  /** Checks topics and tables (creating what is missing), joins the group and starts consuming. */
  static async start(config: Config, log: Logger, options: PipelineOptions = {}): Promise<Pipeline> {
    const kafka = createKafka(config, 'kpi-stream-processor', log);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topicDefinitions(config), log);
    const metadata = await admin.fetchTopicMetadata({ topics: EVENT_KINDS.map((kind) => inputTopic(config, kind)) });
    const counts = new Set(metadata.topics.map((t) => t.partitions.length));
    if (counts.size !== 1) {
      throw new TopicMismatchError(`the input topics must have equal partition counts (an employee's events share a partition number); found ${metadata.topics.map((t) => `${t.name}=${t.partitions.length}`).join(', ')}`);
    }
    await migrate(config, log);

    const consumer = kafka.consumer({
      groupId: config.groupId,
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: config.sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeout / 10)),
      maxWaitTimeInMs: 250,
      retry: { retries: 8, restartOnFailure: async (error) => !(error instanceof KpiError) || error.retriable },
    });
    const producer = createProducer(kafka, { allowAutoTopicCreation: false });
    const client = createClickHouseClient(config, { application: 'kpi-stream-processor' });
    const pipeline = new Pipeline(config, log, options, admin, consumer, producer, new EventCodec(createRegistry(config)), client);
    await pipeline.run();
    return pipeline;
  }

  private async run(): Promise<void> {
    const { consumer } = this;
    await this.producer.connect();
    await consumer.connect();
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // kafkajs resumes every assigned partition from its committed offset after a
      // rebalance, so every task restarts from there too.
      this.tasks.clear();
      this.taskStarts.clear();
      const partitions = new Set(Object.values(payload.memberAssignment).flat());
      this.metrics.assignedPartitions = partitions.size;
      this.log.info({ partitions: [...partitions].sort((a, b) => a - b).join(','), memberId: payload.memberId }, `joined group ${this.config.groupId}: ${partitions.size} partitions`);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) void this.fail(payload.error);
      else this.log.warn({ err: payload.error }, 'consumer crashed, kafkajs restarts it');
    });
    await consumer.subscribe({ topics: this.inputTopics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (this.closing) return;
        this.busy += 1;
        try {
          const last = await this.exclusive(() => this.processBatch(batch, heartbeat, () => isRunning() && !isStale()));
          if (last !== undefined) resolveOffset(last);
          await heartbeat();
          await this.relieve(heartbeat);
        } finally {
          this.busy -= 1;
          this.lastRecordAt = Date.now();
        }
      },
    });
    if (this.options.metricsPort !== undefined) this.metricsServer = await this.metrics.serve(this.options.metricsPort);
    this.timer = setInterval(() => void this.tick(), this.config.flushInterval);
  }

  /** Decodes, restores and processes one batch; returns the last offset handled. */
  private async processBatch(batch: Batch, heartbeat: () => Promise<void>, live: () => boolean): Promise<string | undefined> {
    const kind = kindOfTopic(this.config, batch.topic);
    if (!kind) throw new Error(`received a record of ${batch.topic}, which is not an input topic`);
    const task = await this.taskFor(batch.partition);
    const failures = await this.prepareSchemas(kind, batch, heartbeat, live);
    if (!failures || !live() || this.tasks.get(batch.partition) !== task) return undefined;
    const items = batch.messages.map((message) => this.decode(kind, batch, message, failures));
    const lastOffset = batch.messages.at(-1)?.offset;
    if (items.length === 0) return undefined;

    const records = items.flatMap((item) => ('record' in item ? [item.record] : []));
    const missing = task.missing(records);
    if (missing.length > 0) {
      const rows = await this.sink.current(missing);
      task.restore(missing, rows);
      this.metrics.restoredWindows += rows.length;
    }

    const letters: DeadLetter[] = [];
    const now = Date.now();
    for (const item of items) {
      if ('letter' in item) {
        task.skip(kind, item.letter.offset);
        letters.push(item.letter);
        this.metrics.invalid(item.letter.code);
        continue;
      }
      const { record, message } = item;
      const outcome = task.process(record, now);
      if (outcome === 'accepted') {
        this.metrics.records.accepted += 1;
        this.acceptedSinceFlush += 1;
      } else if (outcome === 'duplicate') {
        this.metrics.records.duplicate += 1;
      } else {
        this.metrics.records.tooLate += 1;
        const window = task.windowOf(record.tagged);
        letters.push(
          this.letter(batch, message, 'KPI_ERR_TOO_LATE', `too late: ${record.kind} ${record.tagged.event.event_id} belongs to the window from ${new Date(window.start).toISOString()}, which ended more than the correction horizon (KPI_CORRECTION_HORIZON) before this partition's clock`),
        );
      }
    }
    // Dead letters are durable before their offsets can be committed.
    await this.deadLetters.send(letters);
    this.pendingDeadLetters.push(...letters);
    this.countOpenWindows();
    return lastOffset;
  }

  private countOpenWindows(): void {
    this.metrics.openWindows = [...this.tasks.values()].reduce((n, t) => n + t.openWindows, 0);
  }

  /** Fetches the schemas a batch names; waits while the registry is down. Undefined when the batch was abandoned meanwhile. */
  private async prepareSchemas(kind: EventKind, batch: Batch, heartbeat: () => Promise<void>, live: () => boolean): Promise<Map<number, DecodeError> | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.codec.prepare(kind, batch.messages.map((m) => m.value));
      } catch (error) {
        if (!(error instanceof RegistryUnavailableError)) throw error;
        const backoff = Math.min(10_000, 250 * 2 ** (attempt - 1));
        this.log.warn({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset(), attempt, backoffMs: backoff }, `${error.message}; waiting`);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        await heartbeat();
        if (!live()) return undefined;
      }
    }
  }

  /** Decodes a record; a record that can never decode becomes a dead letter. */
  private decode(kind: EventKind, batch: Batch, message: KafkaMessage, failures: ReadonlyMap<number, DecodeError>): Item {
    try {
      const { tagged } = this.codec.decodePrepared(kind, message.value, failures);
      return { message, record: { kind, offset: Number(message.offset), tagged } };
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset, code: error.code }, `dead letter: ${error.message}`);
      return { message, letter: this.letter(batch, message, error.code, error.message, error.schemaId) };
    }
  }

  private letter(batch: Batch, message: KafkaMessage, code: DeadLetter['code'], text: string, schemaId?: number): DeadLetter {
    return {
      topic: batch.topic,
      partition: batch.partition,
      offset: Number(message.offset),
      timestamp: Number(message.timestamp),
      key: message.key,
      value: message.value,
      code,
      message: text,
      ...(schemaId === undefined ? {} : { schemaId }),
    };
  }

  /** The task of a partition, created on its first batch with the clocks its last owner committed. */
  private taskFor(partition: number): Promise<PartitionTask> {
    let start = this.taskStarts.get(partition);
    if (!start) {
      start = (async () => {
        const committed = await this.admin.fetchOffsets({ groupId: this.config.groupId, topics: this.inputTopics });
        const task = new PartitionTask(partition, this.settings, Date.now());
        for (const { topic, partitions } of committed) {
          const entry = partitions.find((p) => p.partition === partition);
          if (!entry || Number(entry.offset) < 0) continue;
          const metadata = entry.metadata ? (JSON.parse(entry.metadata) as CommitMetadata) : { clock: null };
          task.resume(kindOfTopic(this.config, topic)!, { offset: Number(entry.offset), clock: metadata.clock });
        }
        this.tasks.set(partition, task);
        return task;
      })();
      this.taskStarts.set(partition, start);
      start.catch(() => this.taskStarts.delete(partition));
    }
    return start;
  }

  /** Backpressure: start a write early when rows pile up; wait for it when they pile up further. */
  private async relieve(heartbeat: () => Promise<void>): Promise<void> {
    if (this.acceptedSinceFlush < this.config.sinkMaxRows) return;
    const flushing = this.flush();
    if (this.acceptedSinceFlush < 2 * this.config.sinkMaxRows) return;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      await flushing;
    } finally {
      clearInterval(beat);
    }
  }

  private async tick(): Promise<void> {
    try {
      const exitAfter = this.options.exitWhenIdleMs;
      if (exitAfter !== undefined && this.busy === 0 && Date.now() - this.lastRecordAt >= exitAfter && !this.stopping) {
        if (await this.groupCaughtUp()) {
          this.log.info(`no records for ${exitAfter / 1000}s and the group has read every partition: writing every window and stopping`);
          await this.stop(true);
          return;
        }
      }
      await this.flush();
    } catch (error) {
      await this.fail(error);
    }
  }

  /**
   * Whether every input partition has been read to its end: by this process
   * (its tasks' positions) or, for partitions it does not hold, by the group
   * (committed offsets). A partition still held by a crashed member counts as
   * unread until its session expires and someone reads it.
   */
  private async groupCaughtUp(): Promise<boolean> {
    const committed = await this.admin.fetchOffsets({ groupId: this.config.groupId, topics: this.inputTopics });
    for (const topic of this.inputTopics) {
      const kind = kindOfTopic(this.config, topic)!;
      for (const { partition, high, low } of await this.admin.fetchTopicOffsets(topic)) {
        const mine = this.tasks.get(partition)?.position(kind);
        const theirs = committed.find((c) => c.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
        const read = Math.max(mine ?? Number(theirs ?? -1), Number(low));
        if (read < Number(high)) return false;
      }
    }
    return true;
  }

  /**
   * Writes the rows due and commits what they cover. Flushes run one at a time;
   * a call while one is queued and not yet started joins it.
   */
  flush(closeAll = false): Promise<void> {
    if (this.queuedFlush && !closeAll) return this.queuedFlush;
    this.busy += 1;
    const run: Promise<void> = this.flushing
      .then(() => {
        if (this.queuedFlush === run) this.queuedFlush = null;
        return this.flushOnce(closeAll);
      })
      .finally(() => {
        this.busy -= 1;
      });
    this.queuedFlush = run;
    this.flushing = run.catch(() => undefined);
    // A write that can never succeed stops the pipeline, whoever asked for the flush.
    run.catch((error) => void this.fail(error));
    return run;
  }

  private async flushOnce(closeAll: boolean): Promise<void> {
    const snapshot = await this.exclusive(async () => {
      const now = closeAll ? Number.POSITIVE_INFINITY : Date.now();
      const rows = [...this.tasks.values()].flatMap((task) => task.drain(now));
      const points = [...this.tasks.entries()].map(([partition, task]) => ({ partition, points: task.resumePoints() }));
      const letters = this.pendingDeadLetters.splice(0);
      this.acceptedSinceFlush = 0;
      this.countOpenWindows();
      return { rows, points, letters };
    });
    if (snapshot.rows.length > 0) {
      await this.sink.write(snapshot.rows, batchToken(snapshot.rows));
      this.metrics.rowsWritten += snapshot.rows.length;
      this.metrics.inserts += 1;
    }
    await this.deadLetterSink.write(snapshot.letters);
    await this.commit(snapshot.points);
  }

  private async commit(snapshot: { partition: number; points: Map<EventKind, ResumePoint> }[]): Promise<void> {
    const offsets = snapshot.flatMap(({ partition, points }) =>
      [...points].map(([kind, point]) => ({
        topic: inputTopic(this.config, kind),
        partition,
        offset: String(point.offset),
        metadata: JSON.stringify({ clock: point.clock } satisfies CommitMetadata),
      })),
    );
    const changed = offsets.filter((o) => this.lastCommitted.get(`${o.topic}:${o.partition}`) !== `${o.offset}:${o.metadata}`);
    if (changed.length === 0) return;
    try {
      await this.consumer.commitOffsets(changed);
      for (const o of changed) this.lastCommitted.set(`${o.topic}:${o.partition}`, `${o.offset}:${o.metadata}`);
      this.metrics.commits += 1;
    } catch (error) {
      // Typically a rebalance took the partitions away: the next owner resumes from the last commit.
      this.log.warn({ err: error }, `offset commit failed: ${messageOf(error)}`);
    }
  }

  /**
   * Stops cleanly: finishes the batch in hand, writes the rows due (all of them
   * when `closeAll`), commits, and disconnects. Open windows are rebuilt from
   * the committed offsets by whoever owns their partition next.
   */
  stop(closeAll = false): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      try {
        // Stop taking batches, let the one in hand finish, then write and commit while still in the group.
        this.closing = true;
        this.consumer.pause(this.inputTopics.map((topic) => ({ topic })));
        await this.exclusive(async () => undefined);
        await this.flush(closeAll);
        await this.consumer.stop();
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
    this.log.fatal({ err: error, code: (error as KpiError).code }, `stopping: ${messageOf(error)}`);
    this.stopping = (async () => {
      clearInterval(this.timer);
      this.abort.abort();
      await this.consumer.stop().catch(() => undefined);
      await this.shutdown().catch(() => undefined);
      this.settle.reject(error);
    })();
    await this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.metricsServer?.close();
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.admin.disconnect();
    await this.sink.close();
  }
}
