import type { DeadLetter, DeadLetterStore } from '../contract/ports.js';
import type { Config } from '../core/config.js';
import { messageOf } from '../core/errors.js';
import type { HealthCheck } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { withRetries } from '../sinks/clickhouse/client.js';
import { insertReviews, readReviews, type ReviewRow } from '../sinks/clickhouse/queries/reviews.js';
import { deadLetterOf } from '../topics/deadLetters.js';
import { reviewsTopic } from '../topics/definitions.js';
import type { FlagStatusInput, FlagStatusPublisher } from '../topics/flagStatuses.js';
import type { BatchControl, GroupConsumer, KafkaAdmin, KafkaClient, TopicBatch } from '../topics/client/port.js';
import { ApplierReadiness } from './applierReadiness.js';
import { readReviewEvent } from './reviewEvents.js';
import { eventOfRow, reviewRowOf } from './reviewRecords.js';
import { ReviewLedger, type FlagState } from './reviews.js';

/** What the applier runs on. */
export interface ReviewApplierParts {
  readonly config: Config;
  readonly log: Logger;
  readonly kafka: KafkaClient;
  readonly client: ClickHouseClient;
  readonly deadLetters: DeadLetterStore;
  /** Live alerting's inputs: each flag's status after the decisions (anomaly rules fire only on a flag that stands). */
  readonly flagStatuses: FlagStatusPublisher;
  /** Aborted on shutdown: retries stop waiting. */
  readonly signal: AbortSignal;
}

/** The applier's consumer group. */
export function reviewsGroup(config: Config): string {
  return `${config.groupId}.reviews`;
}

/**
 * Applies the decisions on kpi.reviews.v1 in the topic's order: a member of
 * consumer group KPI_GROUP_ID + ".reviews" (the topic has one partition, so
 * one member applies and the others stand by). Its state is in memory,
 * rebuilt from kpi.reviews whenever it takes the partition (the table holds
 * every event's fields): an event already in the table is passed over, so a
 * replay (a crash before the commit, a new group, offsets reset) writes no
 * row twice and decides nothing anew. Each batch: bad records dead-lettered
 * (KPI_ERR_INVALID_REVIEW_EVENT), the statuses of the flags it changed
 * published to live alerting (kpi.alert_inputs.v1), one row per new event
 * written, and only then the offset committed. Statuses go out before the
 * rows: a crash in between applies the events again and publishes the same
 * statuses, never none. Whenever it reads its state from the table it
 * publishes every decided flag's status again (a deployment whose decisions
 * predate live alerting's reading of them gets them then).
 */
export class ReviewApplier {
  private readonly consumer: GroupConsumer;
  private readonly admin: KafkaAdmin;
  private readonly topic: string;
  private readonly readiness: ApplierReadiness;
  /** The partitions this member holds (the topic has one: a member holds it or stands by). */
  private owned: readonly number[] = [];
  private ledger = new ReviewLedger();
  private readonly recorded = new Set<string>();
  /** Set when the partition is (re)assigned or a batch failed half-way: the state is read again from the table. */
  private rebuild = true;

  /** Rejects when the consumer stopped for good (an error it does not restart after): the process must not stay up applying nothing. */
  readonly failed: Promise<never>;
  private fail: (error: Error) => void = () => {};

  constructor(private readonly parts: ReviewApplierParts) {
    this.topic = reviewsTopic(parts.config);
    this.consumer = parts.kafka.groupConsumer({ groupId: reviewsGroup(parts.config), maxWaitMs: 100 });
    this.admin = parts.kafka.admin();
    this.readiness = new ApplierReadiness(reviewsGroup(parts.config), this.topic, parts.config.stallTimeout);
    this.failed = new Promise<never>((_, reject) => (this.fail = reject));
    this.failed.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    // A group that committed nothing yet (a new one) reads the topic from its earliest offset.
    await this.consumer.run([this.topic], (batch, control) => this.handle(batch, control), {
      joined: ({ partitions }) => {
        this.rebuild = true;
        this.owned = partitions.get(this.topic) ?? [];
        this.readiness.joined(this.owned.length);
      },
      rebalancing: () => this.readiness.rebalancing(),
      crashed: (error, restarting) => {
        if (!restarting) {
          this.readiness.stopping();
          this.fail(error instanceof Error ? error : new Error(messageOf(error)));
        } else this.readiness.rejoining();
      },
    });
  }

  async stop(): Promise<void> {
    this.readiness.stopping();
    await this.consumer.disconnect();
    await this.admin.disconnect().catch(() => undefined);
  }

  /**
   * /readyz's line for the applier (people/applierReadiness.ts): a member of
   * its group, and the decisions waiting for it as the broker counts them
   * (the topic's end against the group's committed offset).
   */
  get check(): HealthCheck {
    return {
      name: 'reviews-applier',
      check: async () => this.readiness.check(this.readiness.holdsPartitions ? await this.waiting().catch(() => undefined) : 0),
    };
  }

  /** Decisions on the partitions this member holds that it has not committed yet. */
  private async waiting(): Promise<number> {
    const [ends, committedOffsets] = await Promise.all([
      this.admin.topicOffsets(this.topic),
      this.admin.committedOffsets(reviewsGroup(this.parts.config), [this.topic]),
    ]);
    return this.owned.reduce((sum, partition) => {
      const end = ends.find((e) => e.partition === partition);
      if (end === undefined) throw new Error(`${this.topic} has no partition ${partition}`);
      const committed = committedOffsets.find((p) => p.topic === this.topic && p.partition === partition)?.offset ?? -1;
      return sum + Math.max(0, end.high - (committed >= 0 ? committed : end.low));
    }, 0);
  }

  /** The state as kpi.reviews has it: every recorded event applied again, in the order it was. */
  private async readState(): Promise<void> {
    const { client, log, signal } = this.parts;
    const rows = await withRetries('reading kpi.reviews', log, signal, () => readReviews(client));
    this.ledger = new ReviewLedger();
    this.recorded.clear();
    for (const row of rows) {
      this.recorded.add(row.event_id);
      this.ledger.apply(eventOfRow(row));
    }
    // The producer retries as it does every send; a failure fails the batch, which is applied again.
    await this.parts.flagStatuses(this.ledger.decidedFlags().map(statusOf));
    this.rebuild = false;
    log.info({ events: rows.length }, 'decisions read from kpi.reviews');
  }

  /** Resolves true once the batch is applied and committed, false when the partition moved on (it is read again). */
  private async handle(batch: TopicBatch, control: BatchControl): Promise<boolean> {
    try {
      return await this.apply(batch, control);
    } catch (error) {
      this.rebuild = true; // the ledger may hold events whose rows were not written
      throw error;
    }
  }

  private async apply(batch: TopicBatch, { heartbeat, live }: BatchControl): Promise<boolean> {
    const { client, deadLetters, log, signal } = this.parts;
    if (batch.records.length === 0) return true;
    if (this.rebuild) await this.readState();
    const rows: ReviewRow[] = [];
    const letters: DeadLetter[] = [];
    const statuses = new Map<string, FlagStatusInput>();
    for (const message of batch.records) {
      const offset = message.offset;
      const read = readReviewEvent(message.value);
      if ('invalid' in read) {
        letters.push(deadLetterOf(batch.topic, batch.partition, message, 'KPI_ERR_INVALID_REVIEW_EVENT', read.invalid));
        log.warn({ topic: batch.topic, partition: batch.partition, offset, code: 'KPI_ERR_INVALID_REVIEW_EVENT' }, `dead letter: ${read.invalid}`);
        continue;
      }
      const { event } = read;
      if (this.recorded.has(event.event_id)) continue; // applied before: a retry or a replay
      const result = this.ledger.apply(event);
      this.recorded.add(event.event_id);
      rows.push(reviewRowOf(event, result, this.ledger, { partition: batch.partition, offset }));
      if (result.outcome === 'applied' && result.next.flag) statuses.set(result.next.flag.flagId, statusOf(result.next.flag));
      log.info(
        { topic: batch.topic, partition: batch.partition, offset, event: event.event_id, subject: event.subject_id },
        result.outcome === 'applied' ? `${event.type} applied` : `${event.type} conflicts: ${result.reason}`,
      );
    }
    if (!live()) {
      this.rebuild = true; // the partition moved on: its next owner applies the batch from the table's state
      return false;
    }
    if (letters.length > 0) {
      await deadLetters.send(letters);
      await deadLetters.record(letters);
    }
    await this.parts.flagStatuses([...statuses.values()]);
    if (rows.length > 0) await withRetries(`inserting ${rows.length} rows into reviews`, log, signal, () => insertReviews(client, rows));
    await this.consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.records.at(-1)!.offset + 1 }]);
    this.readiness.batchDone();
    await heartbeat();
    return true;
  }
}

const statusOf = (flag: FlagState): FlagStatusInput => ({ flag_id: flag.flagId, status: flag.status });
