import { randomUUID } from 'node:crypto';
import { readReviewEvent, reviewEventProblem, MAX_TEXT_LENGTH, type ReviewEvent } from '../../../people/reviewEvents.js';
import { eventOfRow, reviewRowOf } from '../../../people/reviewRecords.js';
import { applyReview, ReviewLedger } from '../../../people/reviews.js';

const FLAG = 'f_0123456789abcdef01234567';
const DISPUTE = 'd_6f1c1a34-1b2c-4d5e-8f90-123456789abc';
const T = '2026-11-02T08:00:00.000Z';

const review = (decision: 'confirmed' | 'dismissed' | 'measurement_problem', actor = 'S1', at = T): ReviewEvent => ({
  type: 'flag_reviewed',
  event_id: randomUUID(),
  subject_id: FLAG,
  employee_id: 'E7',
  decision,
  reason: `${decision} after checking the MES`,
  actor_id: actor,
  actor_role: 'supervisor',
  at,
  expected_status: 'proposed',
});
const open = (employee = 'E7', id = DISPUTE): ReviewEvent => ({
  type: 'dispute_opened',
  event_id: randomUUID(),
  subject_id: id,
  employee_id: employee,
  disputed: 'flag',
  disputed_id: FLAG,
  statement: 'the machine was down, I wrote the units by hand',
  actor_id: employee,
  actor_role: 'employee',
  at: T,
  expected_status: 'confirmed',
});
const decide = (decision: 'upheld' | 'rejected'): ReviewEvent => ({
  type: 'dispute_decided',
  event_id: randomUUID(),
  subject_id: DISPUTE,
  decision,
  resolution: 'checked the hand-written sheet',
  actor_id: 'H1',
  actor_role: 'hr',
  at: '2026-11-05T08:00:00.000Z',
  expected_status: 'open',
});

test('a proposed flag is confirmed, dismissed or marked a measurement problem by a reviewer', () => {
  for (const decision of ['confirmed', 'dismissed', 'measurement_problem'] as const) {
    const result = applyReview(new ReviewLedger(), review(decision));
    expect(result).toMatchObject({ outcome: 'applied', next: { flag: { flagId: FLAG, employeeId: 'E7', status: decision } } });
  }
});

test('two reviewers deciding one flag: the second is a conflict naming the first, and changes nothing', () => {
  const ledger = new ReviewLedger();
  expect(ledger.apply(review('confirmed', 'S1')).outcome).toBe('applied');
  const second = ledger.apply(review('dismissed', 'S2', '2026-11-02T08:00:01.000Z'));
  expect(second).toEqual({ outcome: 'conflict', reason: `already confirmed by S1 (supervisor) at ${T}, not proposed` });
  expect(ledger.flag(FLAG)?.status).toBe('confirmed');
});

test('a dispute upheld overturns the flag; rejected or withdrawn, the flag stands confirmed', () => {
  for (const [decision, flagAfter] of [
    ['upheld', 'overturned'],
    ['rejected', 'confirmed'],
  ] as const) {
    const ledger = new ReviewLedger();
    ledger.apply(review('confirmed'));
    expect(ledger.apply(open())).toMatchObject({ outcome: 'applied', next: { flag: { status: 'disputed', openDispute: DISPUTE } } });
    expect(ledger.apply(decide(decision))).toMatchObject({ outcome: 'applied', next: { dispute: { status: decision }, flag: { status: flagAfter } } });
    expect(ledger.flag(FLAG)?.openDispute).toBeUndefined();
    expect(ledger.apply(decide('upheld'))).toMatchObject({ outcome: 'conflict', reason: expect.stringContaining(`already ${decision} by H1 (hr)`) });
  }
  const ledger = new ReviewLedger();
  ledger.apply(review('confirmed'));
  ledger.apply(open());
  const withdraw = (actor: string): ReviewEvent => ({
    type: 'dispute_withdrawn',
    event_id: randomUUID(),
    subject_id: DISPUTE,
    reason: 'found my mistake',
    actor_id: actor,
    actor_role: 'employee',
    at: T,
    expected_status: 'open',
  });
  expect(ledger.apply(withdraw('E8'))).toMatchObject({ outcome: 'conflict', reason: 'only E7, who opened it, can withdraw the dispute' });
  expect(ledger.apply(withdraw('E7'))).toMatchObject({ outcome: 'applied', next: { dispute: { status: 'withdrawn' }, flag: { status: 'confirmed' } } });
});

test('only a confirmed flag can be disputed, once at a time, and only by the person it is about', () => {
  const proposed = new ReviewLedger();
  expect(proposed.apply(open())).toMatchObject({ outcome: 'conflict', reason: 'the flag is proposed, not confirmed' });
  const dismissed = new ReviewLedger();
  dismissed.apply(review('dismissed'));
  expect(dismissed.apply(open())).toMatchObject({ outcome: 'conflict', reason: expect.stringContaining('already dismissed by S1') });
  const ledger = new ReviewLedger();
  ledger.apply(review('confirmed'));
  expect(ledger.apply(open('E8'))).toMatchObject({ outcome: 'conflict', reason: 'the flag is about E7, not E8' });
  ledger.apply(open());
  expect(ledger.apply(open('E7', 'd_00000000-0000-4000-8000-000000000000'))).toMatchObject({
    outcome: 'conflict',
    reason: expect.stringContaining(`already disputed by E7 (employee) at ${T} (dispute ${DISPUTE})`),
  });
  expect(ledger.apply(open())).toMatchObject({ outcome: 'conflict', reason: `dispute ${DISPUTE} is already open` });
});

test('a dispute about a score needs no flag; a decision about an unknown dispute is a conflict', () => {
  const ledger = new ReviewLedger();
  const score: ReviewEvent = {
    ...(open() as Extract<ReviewEvent, { type: 'dispute_opened' }>),
    disputed: 'score',
    disputed_id: 'month/2026-10',
    expected_status: null,
  };
  expect(ledger.apply(score)).toMatchObject({ outcome: 'applied', next: { dispute: { subject: 'score', status: 'open' } } });
  expect(ledger.apply(decide('upheld')).outcome).toBe('applied');
  expect(applyReview(new ReviewLedger(), decide('upheld'))).toEqual({ outcome: 'conflict', reason: `no dispute ${DISPUTE} was opened` });
});

test('events are checked: type, ids, reason required and bounded, the role that may decide, nobody reviews themselves', () => {
  expect(reviewEventProblem(review('confirmed'))).toBeUndefined();
  expect(reviewEventProblem({ ...review('confirmed'), reason: '  ' })).toEqual({ field: 'reason', message: 'a reason is required' });
  expect(reviewEventProblem({ ...review('confirmed'), reason: 'x'.repeat(MAX_TEXT_LENGTH + 1) })?.field).toBe('reason');
  expect(reviewEventProblem({ ...review('confirmed'), decision: 'overturned' })?.field).toBe('decision');
  expect(reviewEventProblem({ ...review('confirmed'), actor_role: 'employee' })).toEqual({
    field: 'actor_role',
    message: 'only supervisor or hr review flags',
  });
  expect(reviewEventProblem({ ...review('confirmed'), actor_id: 'E7' })?.message).toBe('nobody reviews a flag about themselves');
  expect(reviewEventProblem({ ...review('confirmed'), subject_id: 'F1' })?.field).toBe('subject_id');
  expect(reviewEventProblem({ ...review('confirmed'), at: 'yesterday' })?.field).toBe('at');
  expect(reviewEventProblem({ ...decide('upheld'), actor_role: 'supervisor' })?.field).toBe('actor_role');
  expect(reviewEventProblem({ ...open(), actor_id: 'E8' })?.message).toBe('an employee disputes only what is about them');
  expect(readReviewEvent(Buffer.from('{not json'))).toEqual({ invalid: 'not JSON' });
  expect(readReviewEvent(Buffer.from(JSON.stringify({ ...review('confirmed'), type: 'flag_deleted' })))).toEqual({
    invalid: 'not a review event: type must be one of flag_reviewed, dispute_opened, dispute_decided, dispute_withdrawn',
  });
  expect(readReviewEvent(null)).toHaveProperty('invalid');
});

test('a row records its event whole: the state folded from the rows is the state folded from the events', () => {
  const events = [review('confirmed'), review('dismissed', 'S2'), open(), decide('upheld')];
  const ledger = new ReviewLedger();
  const rows = events.map((event, offset) => reviewRowOf(event, ledger.apply(event), ledger, { partition: 0, offset }));
  expect(rows.map((r) => [r.outcome, r.status_after, r.flag_status_after, r.employee_id, r.flag_id])).toEqual([
    ['applied', 'confirmed', 'confirmed', 'E7', FLAG],
    ['conflict', 'confirmed', '', 'E7', FLAG],
    ['applied', 'open', 'disputed', 'E7', FLAG],
    ['applied', 'upheld', 'overturned', 'E7', FLAG],
  ]);
  expect(rows.map(eventOfRow)).toEqual(events);
  const rebuilt = new ReviewLedger();
  const outcomes = rows.map((row) => rebuilt.apply(eventOfRow(row)).outcome);
  expect(outcomes).toEqual(rows.map((r) => r.outcome));
  expect(rebuilt.flag(FLAG)).toEqual(ledger.flag(FLAG));
  expect(rebuilt.dispute(DISPUTE)).toEqual(ledger.dispute(DISPUTE));
});
