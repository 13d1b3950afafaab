import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DecisionResult } from '../people/reviewDesk.js';
import { FLAG_ID } from '../people/flagId.js';
import {
  DISPUTE_ID,
  DISPUTE_OUTCOMES,
  DISPUTE_SUBJECTS,
  FLAG_DECISIONS,
  MAX_ID_LENGTH,
  MAX_TEXT_LENGTH,
  type DisputeOutcome,
  type DisputeSubject,
  type FlagDecision,
} from '../people/reviewEvents.js';
import { signedIn } from './api.js';
import type { AppDesk } from './desk.js';
import { ApiError } from './errors.js';

/** A person's text: a reason, a statement, a resolution. Required: at least one character that is not a space. */
const TEXT = { type: 'string', minLength: 1, maxLength: MAX_TEXT_LENGTH, pattern: '\\S' } as const;
const body = (properties: Record<string, unknown>) => ({ type: 'object', required: Object.keys(properties), additionalProperties: false, properties }) as const;

const REVIEW_SCHEMA = {
  params: { type: 'object', required: ['flag_id'], properties: { flag_id: { type: 'string', pattern: FLAG_ID.source } } },
  body: body({ decision: { type: 'string', enum: FLAG_DECISIONS }, reason: TEXT }),
};
const DISPUTE_SCHEMA = {
  body: body({ subject: { type: 'string', enum: DISPUTE_SUBJECTS }, subject_id: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH }, statement: TEXT }),
};
const DISPUTE_DECISION_SCHEMA = {
  params: { type: 'object', required: ['dispute_id'], properties: { dispute_id: { type: 'string', pattern: DISPUTE_ID.source } } },
  body: body({ outcome: { type: 'string', enum: DISPUTE_OUTCOMES }, resolution: TEXT }),
};

/**
 * What the desk made of a decision, as the API answers it: `applied` with the
 * new status (`created` for a new dispute: 201), `conflict` as 409 naming who
 * decided first, `pending` as 202 (on kpi.reviews.v1, applied later).
 */
async function answer(reply: FastifyReply, decided: Promise<DecisionResult>, idName: 'flag_id' | 'dispute_id', created = false): Promise<FastifyReply> {
  const result = await decided;
  const ids = { [idName]: result.subjectId, event_id: result.eventId };
  switch (result.outcome) {
    case 'conflict':
      throw new ApiError(409, 'conflict', result.reason);
    case 'pending':
      return reply.code(202).send({ ...ids, status: 'pending', message: result.message });
    case 'applied':
      return reply
        .code(created ? 201 : 200)
        .send({ ...ids, status: result.status, ...(result.flagStatus === undefined ? {} : { flag_status: result.flagStatus }) });
  }
}

/**
 * The decision routes of the JSON API (shared/CONTRACT.md "People"): bodies
 * checked by schema (400), then the app's desk (app/desk.ts), which asks
 * app/scope.ts who may decide and puts the decision on kpi.reviews.v1 through
 * the review desk, waiting for the applier's outcome.
 */
export function registerDecisionRoutes(app: FastifyInstance, desk: AppDesk): void {
  app.post(
    '/api/v1/flags/:flag_id/review',
    { schema: REVIEW_SCHEMA },
    async (request: FastifyRequest<{ Params: { flag_id: string }; Body: { decision: FlagDecision; reason: string } }>, reply) => {
      const { decision, reason } = request.body;
      return answer(reply, desk.review(signedIn(request), request.params.flag_id, decision, reason), 'flag_id');
    },
  );

  app.post(
    '/api/v1/disputes',
    { schema: DISPUTE_SCHEMA },
    async (request: FastifyRequest<{ Body: { subject: DisputeSubject; subject_id: string; statement: string } }>, reply) => {
      const { subject, subject_id: subjectId, statement } = request.body;
      return answer(reply, desk.openDispute(signedIn(request), subject, subjectId, statement), 'dispute_id', true);
    },
  );

  app.post(
    '/api/v1/disputes/:dispute_id/decision',
    { schema: DISPUTE_DECISION_SCHEMA },
    async (request: FastifyRequest<{ Params: { dispute_id: string }; Body: { outcome: DisputeOutcome; resolution: string } }>, reply) => {
      const { outcome, resolution } = request.body;
      return answer(reply, desk.decideDispute(signedIn(request), request.params.dispute_id, outcome, resolution), 'dispute_id');
    },
  );
}
