import { FLAG_STATUSES, type FlagStatus } from '../contract/flag.js';
import { FLAG_ID } from '../contract/flagId.js';

/**
 * The decisions people make about flags and disputes, as they travel on
 * kpi.reviews.v1 (JSON, key: the subject id, the flag's or the dispute's).
 * Every event names what it expects the subject's status to be: a decision
 * taken on a stale view of the subject is a conflict, not an overwrite.
 */

export { FLAG_STATUSES, type FlagStatus };
/** What a reviewer decides about a proposed flag. */
export const FLAG_DECISIONS = ['confirmed', 'dismissed', 'measurement_problem'] as const;
export type FlagDecision = (typeof FLAG_DECISIONS)[number];

export const DISPUTE_STATUSES = ['open', 'upheld', 'rejected', 'withdrawn'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
/** What HR decides about an open dispute. */
export const DISPUTE_OUTCOMES = ['upheld', 'rejected'] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];
/** What an employee disputes: a flag about them, or a score. */
export const DISPUTE_SUBJECTS = ['flag', 'score'] as const;
export type DisputeSubject = (typeof DISPUTE_SUBJECTS)[number];

/** The roles of the contract (claim kpi_roles). */
export const ACTOR_ROLES = ['employee', 'supervisor', 'hr', 'works_council', 'analyst', 'admin'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

/** Who may take each decision (scope, such as a supervisor's teams, is the app's to check). */
export const REVIEWER_ROLES: readonly ActorRole[] = ['supervisor', 'hr'];
export const DISPUTE_DECIDER_ROLES: readonly ActorRole[] = ['hr'];

/** The longest reason, statement or resolution, in characters. */
export const MAX_TEXT_LENGTH = 2000;
/** The longest id (employee, actor, subject). */
export const MAX_ID_LENGTH = 200;
/** A dispute id: `d_` and a UUID. */
export const DISPUTE_ID = /^d_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

interface EventBase {
  /** A UUID: the same event read twice (a retry, a replay) is applied once. */
  readonly event_id: string;
  /** The flag's or the dispute's id: the record's key. */
  readonly subject_id: string;
  readonly actor_id: string;
  readonly actor_role: ActorRole;
  /** ISO 8601 UTC, when the person decided. */
  readonly at: string;
}

/** A supervisor or HR decides a proposed flag. */
export interface FlagReviewed extends EventBase {
  readonly type: 'flag_reviewed';
  /** The flagged employee. */
  readonly employee_id: string;
  readonly decision: FlagDecision;
  readonly reason: string;
  /** The flag's status the reviewer saw: `proposed`. */
  readonly expected_status: FlagStatus;
}

/** An employee disputes a flag about them (confirmed) or a score. */
export interface DisputeOpened extends EventBase {
  readonly type: 'dispute_opened';
  readonly employee_id: string;
  readonly disputed: DisputeSubject;
  /** The flag id, or the score's id. */
  readonly disputed_id: string;
  readonly statement: string;
  /** For a flag: its status the employee saw (`confirmed`); null for a score. */
  readonly expected_status: FlagStatus | null;
}

/** HR decides an open dispute. */
export interface DisputeDecided extends EventBase {
  readonly type: 'dispute_decided';
  readonly decision: DisputeOutcome;
  readonly resolution: string;
  readonly expected_status: DisputeStatus;
}

/** The employee who opened a dispute takes it back. */
export interface DisputeWithdrawn extends EventBase {
  readonly type: 'dispute_withdrawn';
  readonly reason: string;
  readonly expected_status: DisputeStatus;
}

export type ReviewEvent = FlagReviewed | DisputeOpened | DisputeDecided | DisputeWithdrawn;
export const REVIEW_EVENT_TYPES = ['flag_reviewed', 'dispute_opened', 'dispute_decided', 'dispute_withdrawn'] as const;

/** What is wrong with an event, naming the field: undefined when it is sound. */
export type EventProblem = { readonly field: string; readonly message: string } | undefined;

type Fields = Record<string, unknown>;

function text(fields: Fields, name: string, what: string): EventProblem {
  const value = fields[name];
  if (typeof value !== 'string' || value.trim().length === 0) return { field: name, message: `${what} is required` };
  if (value.length > MAX_TEXT_LENGTH) return { field: name, message: `${what} is ${value.length} characters long; at most ${MAX_TEXT_LENGTH}` };
  return undefined;
}

function id(fields: Fields, name: string, pattern?: RegExp): EventProblem {
  const value = fields[name];
  if (typeof value !== 'string' || value.length === 0) return { field: name, message: `${name} is required` };
  if (value.length > MAX_ID_LENGTH) return { field: name, message: `${name} is longer than ${MAX_ID_LENGTH} characters` };
  if (pattern && !pattern.test(value)) return { field: name, message: `${name} ${JSON.stringify(value)} is not of the form ${pattern.source}` };
  return undefined;
}

function oneOf(fields: Fields, name: string, allowed: readonly (string | null)[]): EventProblem {
  return allowed.includes(fields[name] as string) ? undefined : { field: name, message: `${name} must be one of ${allowed.join(', ')}` };
}

function role(fields: Fields, allowed: readonly ActorRole[], does: string): EventProblem {
  return allowed.includes(fields.actor_role as ActorRole) ? undefined : { field: 'actor_role', message: `only ${allowed.join(' or ')} ${does}` };
}

function first(...problems: (() => EventProblem)[]): EventProblem {
  for (const problem of problems) {
    const found = problem();
    if (found) return found;
  }
  return undefined;
}

/** The problem of an event's fields (the shape and the rules that need no state), or undefined. */
export function reviewEventProblem(value: unknown): EventProblem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { field: '', message: 'a review event is a JSON object' };
  const f = value as Fields;
  const common = () =>
    first(
      () => id(f, 'event_id', UUID),
      () => oneOf(f, 'type', REVIEW_EVENT_TYPES),
      () => id(f, 'actor_id'),
      () => oneOf(f, 'actor_role', ACTOR_ROLES),
      () =>
        typeof f.at === 'string' && ISO_TIME.test(f.at) && Number.isFinite(Date.parse(f.at))
          ? undefined
          : { field: 'at', message: 'at must be an ISO 8601 UTC time' },
    );
  const problem = common();
  if (problem) return problem;
  switch (f.type as ReviewEvent['type']) {
    case 'flag_reviewed':
      return first(
        () => id(f, 'subject_id', FLAG_ID),
        () => id(f, 'employee_id'),
        () => oneOf(f, 'decision', FLAG_DECISIONS),
        () => text(f, 'reason', 'a reason'),
        () => oneOf(f, 'expected_status', FLAG_STATUSES),
        () => role(f, REVIEWER_ROLES, 'review flags'),
        () => (f.actor_id === f.employee_id ? { field: 'actor_id', message: 'nobody reviews a flag about themselves' } : undefined),
      );
    case 'dispute_opened':
      return first(
        () => id(f, 'subject_id', DISPUTE_ID),
        () => id(f, 'employee_id'),
        () => oneOf(f, 'disputed', DISPUTE_SUBJECTS),
        () => id(f, 'disputed_id', f.disputed === 'flag' ? FLAG_ID : undefined),
        () => text(f, 'statement', 'a statement'),
        () => oneOf(f, 'expected_status', f.disputed === 'flag' ? FLAG_STATUSES : [null]),
        () => role(f, ['employee'], 'open disputes'),
        () => (f.actor_id === f.employee_id ? undefined : { field: 'actor_id', message: 'an employee disputes only what is about them' }),
      );
    case 'dispute_decided':
      return first(
        () => id(f, 'subject_id', DISPUTE_ID),
        () => oneOf(f, 'decision', DISPUTE_OUTCOMES),
        () => text(f, 'resolution', 'a resolution'),
        () => oneOf(f, 'expected_status', DISPUTE_STATUSES),
        () => role(f, DISPUTE_DECIDER_ROLES, 'decide disputes'),
      );
    case 'dispute_withdrawn':
      return first(
        () => id(f, 'subject_id', DISPUTE_ID),
        () => text(f, 'reason', 'a reason'),
        () => oneOf(f, 'expected_status', DISPUTE_STATUSES),
        () => role(f, ['employee'], 'withdraw disputes'),
      );
  }
}

/** A record's value as a review event, or why it is not one (for the dead letters). */
export function readReviewEvent(value: Buffer | null): { event: ReviewEvent } | { invalid: string } {
  if (value === null) return { invalid: 'a review event has a value; this record has none' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { invalid: 'not JSON' };
  }
  const problem = reviewEventProblem(parsed);
  return problem ? { invalid: `not a review event: ${problem.message}` } : { event: parsed as ReviewEvent };
}
