import type { ReviewRow } from '../sinks/clickhouse/queries/reviews.js';
import type { ReviewEvent } from './reviewEvents.js';
import type { ReviewOutcome, ReviewState } from './reviews.js';

/** Where an event was read: its partition and offset on kpi.reviews.v1. */
export interface TopicPosition {
  readonly partition: number;
  readonly offset: number;
}

/** The subject's status as `state` has it (a flag nobody decided is proposed; an unknown dispute has none). */
function statusIn(state: ReviewState, event: ReviewEvent): string {
  if (event.type === 'flag_reviewed') return state.flag(event.subject_id)?.status ?? 'proposed';
  return state.dispute(event.subject_id)?.status ?? '';
}

/**
 * The row of kpi.reviews for an event and its outcome; `state` is the state
 * after the event (the same as before it for a conflict).
 */
export function reviewRowOf(event: ReviewEvent, result: ReviewOutcome, state: ReviewState, at: TopicPosition): ReviewRow {
  const dispute = event.type === 'flag_reviewed' ? undefined : state.dispute(event.subject_id);
  const employee = event.type === 'flag_reviewed' || event.type === 'dispute_opened' ? event.employee_id : (dispute?.employeeId ?? '');
  const flagId =
    event.type === 'flag_reviewed'
      ? event.subject_id
      : event.type === 'dispute_opened'
        ? event.disputed === 'flag'
          ? event.disputed_id
          : ''
        : dispute?.subject === 'flag'
          ? dispute.subjectId
          : '';
  const text = event.type === 'dispute_opened' ? event.statement : event.type === 'dispute_decided' ? event.resolution : event.reason;
  return {
    event_id: event.event_id,
    type: event.type,
    subject_id: event.subject_id,
    employee_id: employee,
    flag_id: flagId,
    disputed: event.type === 'dispute_opened' ? event.disputed : '',
    disputed_id: event.type === 'dispute_opened' ? event.disputed_id : '',
    decision: event.type === 'flag_reviewed' || event.type === 'dispute_decided' ? event.decision : '',
    text,
    actor_id: event.actor_id,
    actor_role: event.actor_role,
    at: Date.parse(event.at),
    expected_status: event.expected_status ?? '',
    outcome: result.outcome,
    conflict_reason: result.outcome === 'conflict' ? result.reason : '',
    status_after: statusIn(state, event),
    flag_status_after: result.outcome === 'applied' ? (result.next.flag?.status ?? '') : '',
    topic_partition: at.partition,
    topic_offset: at.offset,
  };
}

/** The event a row records: the applier folds the table's rows back into its state. */
export function eventOfRow(row: ReviewRow): ReviewEvent {
  const base = { event_id: row.event_id, subject_id: row.subject_id, actor_id: row.actor_id, at: new Date(row.at).toISOString() };
  const actor_role = row.actor_role as ReviewEvent['actor_role'];
  switch (row.type as ReviewEvent['type']) {
    case 'flag_reviewed':
      return {
        ...base,
        type: 'flag_reviewed',
        actor_role,
        employee_id: row.employee_id,
        decision: row.decision as 'confirmed',
        reason: row.text,
        expected_status: row.expected_status as 'proposed',
      };
    case 'dispute_opened':
      return {
        ...base,
        type: 'dispute_opened',
        actor_role,
        employee_id: row.employee_id,
        disputed: row.disputed as 'flag',
        disputed_id: row.disputed_id,
        statement: row.text,
        expected_status: row.expected_status === '' ? null : (row.expected_status as 'confirmed'),
      };
    case 'dispute_decided':
      return {
        ...base,
        type: 'dispute_decided',
        actor_role,
        decision: row.decision as 'upheld',
        resolution: row.text,
        expected_status: row.expected_status as 'open',
      };
    case 'dispute_withdrawn':
      return { ...base, type: 'dispute_withdrawn', actor_role, reason: row.text, expected_status: row.expected_status as 'open' };
  }
}
