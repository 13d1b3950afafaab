import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../core/config.js';
import { DecisionError } from '../core/errors.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { readDisputeStanding, readFlagStanding, readReview } from '../sinks/clickhouse/queries/reviews.js';
import type { KafkaProducer } from '../topics/client/port.js';
import { reviewsTopic } from '../topics/definitions.js';
import { reviewEventProblem, type ActorRole, type DisputeOutcome, type DisputeSubject, type FlagDecision, type ReviewEvent } from './reviewEvents.js';

/** Who decides: their id and the role they act in (from the identity provider's token). */
export interface Actor {
  readonly id: string;
  readonly role: ActorRole;
}

/**
 * What became of a decision: `applied` (the subject's new status, and the
 * flag's where it changed), `conflict` (someone decided first: `reason` names
 * them), or `pending` (the applier did not record it within KPI_REVIEW_WAIT;
 * it is on kpi.reviews.v1 and will be applied, its outcome then in
 * kpi.reviews under `eventId`).
 */
export type DecisionResult =
  | { readonly outcome: 'applied'; readonly eventId: string; readonly subjectId: string; readonly status: string; readonly flagStatus?: string }
  | { readonly outcome: 'conflict'; readonly eventId: string; readonly subjectId: string; readonly reason: string }
  | { readonly outcome: 'pending'; readonly eventId: string; readonly subjectId: string; readonly message: string };

export interface ReviewDeskParts {
  readonly config: Config;
  /** Connected; the desk sends with acks from every in-sync replica. */
  readonly producer: KafkaProducer;
  readonly client: ClickHouseClient;
  /** How long to wait for the outcome (default KPI_REVIEW_WAIT). */
  readonly waitMs?: number;
}

const POLL_MS = 100;

/**
 * The decisions people take, as the app calls them: each is checked, put on
 * kpi.reviews.v1 (durable before the call returns), and answered with what
 * the applier made of it. Two reviewers deciding one flag at once both get
 * an answer: one `applied`, the other `conflict`, naming the first.
 */
export class ReviewDesk {
  private readonly waitMs: number;

  constructor(private readonly parts: ReviewDeskParts) {
    this.waitMs = parts.waitMs ?? parts.config.reviewWait;
  }

  /** A supervisor or HR decides a proposed flag, with a reason. */
  async review(flagId: string, decision: FlagDecision, reason: string, actor: Actor): Promise<DecisionResult> {
    const flag = await readFlagStanding(this.parts.client, flagId);
    if (!flag) throw new DecisionError('KPI_ERR_UNKNOWN_SUBJECT', 'flag_id', `no current flag ${JSON.stringify(flagId)}`);
    return this.decide({
      type: 'flag_reviewed',
      ...this.common(flagId, actor),
      employee_id: flag.employee_id,
      decision,
      reason,
      expected_status: 'proposed',
    });
  }

  /** An employee disputes a confirmed flag about them, or one of their scores, with a statement. The dispute's id is the result's subjectId. */
  async openDispute(subject: DisputeSubject, subjectId: string, statement: string, actor: Actor): Promise<DecisionResult> {
    if (subject === 'flag') {
      const flag = await readFlagStanding(this.parts.client, subjectId);
      if (!flag || flag.employee_id !== actor.id)
        throw new DecisionError('KPI_ERR_UNKNOWN_SUBJECT', 'subject_id', `no current flag ${JSON.stringify(subjectId)} about ${actor.id}`);
    }
    return this.decide({
      type: 'dispute_opened',
      ...this.common(`d_${randomUUID()}`, actor),
      employee_id: actor.id,
      disputed: subject,
      disputed_id: subjectId,
      statement,
      expected_status: subject === 'flag' ? 'confirmed' : null,
    });
  }

  /** HR upholds or rejects an open dispute, with a resolution. */
  async decideDispute(disputeId: string, decision: DisputeOutcome, resolution: string, actor: Actor): Promise<DecisionResult> {
    await this.existingDispute(disputeId);
    return this.decide({ type: 'dispute_decided', ...this.common(disputeId, actor), decision, resolution, expected_status: 'open' });
  }

  /** The employee who opened a dispute takes it back. */
  async withdrawDispute(disputeId: string, reason: string, actor: Actor): Promise<DecisionResult> {
    await this.existingDispute(disputeId);
    return this.decide({ type: 'dispute_withdrawn', ...this.common(disputeId, actor), reason, expected_status: 'open' });
  }

  private common(subjectId: string, actor: Actor) {
    return { event_id: randomUUID(), subject_id: subjectId, actor_id: actor.id, actor_role: actor.role, at: new Date().toISOString() };
  }

  private async existingDispute(disputeId: string): Promise<void> {
    if (!(await readDisputeStanding(this.parts.client, disputeId))) {
      throw new DecisionError('KPI_ERR_UNKNOWN_SUBJECT', 'dispute_id', `no dispute ${JSON.stringify(disputeId)}`);
    }
  }

  /** Checks the event, sends it, and waits for its outcome. */
  private async decide(event: ReviewEvent): Promise<DecisionResult> {
    const problem = reviewEventProblem(event);
    if (problem) throw new DecisionError('KPI_ERR_INVALID_DECISION', problem.field, problem.message);
    await this.parts.producer.send(reviewsTopic(this.parts.config), [{ key: event.subject_id, value: JSON.stringify(event) }]);
    return this.outcomeOf(event);
  }

  private async outcomeOf(event: ReviewEvent): Promise<DecisionResult> {
    const ids = { eventId: event.event_id, subjectId: event.subject_id };
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const row = await readReview(this.parts.client, event.event_id);
      if (row?.outcome === 'conflict') return { outcome: 'conflict', ...ids, reason: row.conflict_reason };
      if (row) return { outcome: 'applied', ...ids, status: row.status_after, ...(row.flag_status_after ? { flagStatus: row.flag_status_after } : {}) };
      if (Date.now() >= deadline) break;
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
    return {
      outcome: 'pending',
      ...ids,
      message: `the decision is on ${reviewsTopic(this.parts.config)} and will be applied; no applier recorded it within ${this.waitMs} ms (is the applier of \`kpi-stream app\` or \`kpi-stream reviews run\` running?)`,
    };
  }
}
