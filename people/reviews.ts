import type { ActorRole, DisputeStatus, DisputeSubject, FlagStatus, ReviewEvent } from './reviewEvents.js';

/**
 * The state machine of flags and disputes (docs/privacy.md "Decisions"):
 *
 *   flag:    proposed ─► confirmed | dismissed | measurement_problem   (supervisor or HR, with a reason)
 *            confirmed ─► disputed                                     (the employee opens a dispute)
 *            disputed ─► overturned (dispute upheld) | confirmed (rejected or withdrawn)
 *   dispute: open ─► upheld | rejected (HR, with a resolution) | withdrawn (the employee)
 *
 * Pure: the applier folds the events of kpi.reviews.v1 through `applyReview`
 * in their order on the topic, so a replay decides exactly as before.
 */

/** Who changed a subject last, and why. */
export interface Decision {
  readonly actorId: string;
  readonly actorRole: ActorRole;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly text: string;
}

export interface FlagState {
  readonly flagId: string;
  readonly employeeId: string;
  readonly status: FlagStatus;
  /** The reviewer's decision (confirmed, dismissed, measurement problem). */
  readonly review: Decision;
  /** The last change of status (the review, or a dispute's). */
  readonly lastChange: Decision;
  /** The dispute that holds it `disputed`. */
  readonly openDispute?: string;
}

export interface DisputeState {
  readonly disputeId: string;
  readonly employeeId: string;
  readonly subject: DisputeSubject;
  readonly subjectId: string;
  readonly status: DisputeStatus;
  readonly opened: Decision;
  readonly decided?: Decision;
}

/** What the machine reads: the current state of a flag or a dispute (a flag nobody decided is proposed: undefined here). */
export interface ReviewState {
  flag(flagId: string): FlagState | undefined;
  dispute(disputeId: string): DisputeState | undefined;
}

/** What an applied event changed: the subjects' next states. */
export interface ReviewChange {
  readonly flag?: FlagState;
  readonly dispute?: DisputeState;
}

export type ReviewOutcome = { readonly outcome: 'applied'; readonly next: ReviewChange } | { readonly outcome: 'conflict'; readonly reason: string };

const conflict = (reason: string): ReviewOutcome => ({ outcome: 'conflict', reason });

function said(d: Decision): string {
  return `by ${d.actorId} (${d.actorRole}) at ${new Date(d.at).toISOString()}`;
}

/** Why a flag is not in the status a decision expected: who put it where it is. */
function flagMoved(flag: FlagState | undefined, expected: FlagStatus | null): string {
  if (!flag) return `the flag is proposed, not ${expected}`;
  return `already ${flag.status} ${said(flag.lastChange)}${flag.openDispute ? ` (dispute ${flag.openDispute})` : ''}, not ${expected}`;
}

function disputeMoved(dispute: DisputeState, expected: DisputeStatus): string {
  const by = dispute.decided ?? dispute.opened;
  return `the dispute is already ${dispute.status} ${said(by)}, not ${expected}`;
}

/**
 * Applies one decision to the state it reads: `applied` with the subjects'
 * next states, or `conflict` with why, naming who decided first. A decision
 * whose expected status is not the subject's current one is a conflict, as
 * is one the current status does not allow. The event's own shape and role
 * rules are checked before (reviewEventProblem).
 */
export function applyReview(state: ReviewState, event: ReviewEvent): ReviewOutcome {
  const decision: Decision = { actorId: event.actor_id, actorRole: event.actor_role, at: Date.parse(event.at), text: '' };
  switch (event.type) {
    case 'flag_reviewed': {
      const flag = state.flag(event.subject_id);
      const current = flag?.status ?? 'proposed';
      if (current !== event.expected_status) return conflict(flagMoved(flag, event.expected_status));
      if (current !== 'proposed') return conflict(`a flag is reviewed once: it is ${current} ${said(flag!.lastChange)}`);
      const review = { ...decision, text: event.reason };
      return {
        outcome: 'applied',
        next: { flag: { flagId: event.subject_id, employeeId: event.employee_id, status: event.decision, review, lastChange: review } },
      };
    }
    case 'dispute_opened': {
      if (state.dispute(event.subject_id)) return conflict(`dispute ${event.subject_id} is already open`);
      const opened = { ...decision, text: event.statement };
      const dispute: DisputeState = {
        disputeId: event.subject_id,
        employeeId: event.employee_id,
        subject: event.disputed,
        subjectId: event.disputed_id,
        status: 'open',
        opened,
      };
      if (event.disputed === 'score') return { outcome: 'applied', next: { dispute } };
      const flag = state.flag(event.disputed_id);
      if (!flag || flag.status !== event.expected_status) return conflict(flagMoved(flag, event.expected_status));
      if (flag.status !== 'confirmed') return conflict(`only a confirmed flag can be disputed: it is ${flag.status} ${said(flag.lastChange)}`);
      if (flag.employeeId !== event.employee_id) return conflict(`the flag is about ${flag.employeeId}, not ${event.employee_id}`);
      return {
        outcome: 'applied',
        next: { dispute, flag: { ...flag, status: 'disputed', lastChange: opened, openDispute: dispute.disputeId } },
      };
    }
    case 'dispute_decided':
    case 'dispute_withdrawn': {
      const dispute = state.dispute(event.subject_id);
      if (!dispute) return conflict(`no dispute ${event.subject_id} was opened`);
      if (dispute.status !== event.expected_status) return conflict(disputeMoved(dispute, event.expected_status));
      if (dispute.status !== 'open') return conflict(`only an open dispute can be decided or withdrawn: ${disputeMoved(dispute, 'open')}`);
      const withdrawn = event.type === 'dispute_withdrawn';
      if (withdrawn && event.actor_id !== dispute.employeeId) return conflict(`only ${dispute.employeeId}, who opened it, can withdraw the dispute`);
      const decided = { ...decision, text: withdrawn ? event.reason : event.resolution };
      const status: DisputeStatus = withdrawn ? 'withdrawn' : event.decision;
      const next: DisputeState = { ...dispute, status, decided };
      if (dispute.subject === 'score') return { outcome: 'applied', next: { dispute: next } };
      const flag = state.flag(dispute.subjectId)!;
      const { openDispute: _closed, ...rest } = flag;
      return {
        outcome: 'applied',
        next: { dispute: next, flag: { ...rest, status: status === 'upheld' ? 'overturned' : 'confirmed', lastChange: decided } },
      };
    }
  }
}

/** The state in memory: what the applier folds the topic into. */
export class ReviewLedger implements ReviewState {
  private readonly flags = new Map<string, FlagState>();
  private readonly disputes = new Map<string, DisputeState>();

  flag(flagId: string): FlagState | undefined {
    return this.flags.get(flagId);
  }

  dispute(disputeId: string): DisputeState | undefined {
    return this.disputes.get(disputeId);
  }

  /** Every flag someone decided, as it stands now. */
  decidedFlags(): FlagState[] {
    return [...this.flags.values()];
  }

  /** Applies an event and keeps what it changed. */
  apply(event: ReviewEvent): ReviewOutcome {
    const outcome = applyReview(this, event);
    if (outcome.outcome === 'applied') {
      if (outcome.next.flag) this.flags.set(outcome.next.flag.flagId, outcome.next.flag);
      if (outcome.next.dispute) this.disputes.set(outcome.next.dispute.disputeId, outcome.next.dispute);
    }
    return outcome;
  }
}
