import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DecisionError } from '../core/errors.js';
import type { DecisionResult, ReviewDesk } from '../people/reviewDesk.js';
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
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { readPlacedFlags } from '../sinks/clickhouse/queries/anomalies.js';
import { refuse, signedIn } from './api.js';
import { ApiError } from './errors.js';
import { disputeDecisionScope, disputeScope, isRefusal, mayReview, reviewScope } from './scope.js';

/** What the routes ask of the review desk (people/reviewDesk.ts). */
export type Decisions = Pick<ReviewDesk, 'review' | 'openDispute' | 'decideDispute'>;

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
 * decided first, `pending` as 202 (on kpi.reviews.v1, applied later). The
 * desk's own refusals: a bad decision 400, an unknown subject 404.
 */
async function answer(reply: FastifyReply, decided: Promise<DecisionResult>, idName: 'flag_id' | 'dispute_id', created = false): Promise<FastifyReply> {
  let result: DecisionResult;
  try {
    result = await decided;
  } catch (error) {
    if (error instanceof DecisionError) {
      throw error.code === 'KPI_ERR_UNKNOWN_SUBJECT' ? new ApiError(404, 'not_found', error.message) : new ApiError(400, 'bad_request', error.message);
    }
    throw error;
  }
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

/** The flag a decision is about, placed at its window start; 404 if there is no current flag of that id. */
async function flagOf(client: ClickHouseClient, flagId: string) {
  const [flag] = await readPlacedFlags(client, { flagId });
  if (flag === undefined) throw new ApiError(404, 'not_found', `no current flag ${flagId}`);
  return flag;
}

/**
 * The decision routes of the JSON API (shared/CONTRACT.md "People"): each asks
 * app/scope.ts who may decide, then the review desk, which puts the decision
 * on kpi.reviews.v1 and waits for the applier's outcome. The actor is the
 * token's person (employee_id; HR's subject if it has none) in the role the
 * scope names.
 */
export function registerDecisionRoutes(app: FastifyInstance, client: ClickHouseClient, desk: Decisions): void {
  app.post(
    '/api/v1/flags/:flag_id/review',
    { schema: REVIEW_SCHEMA },
    async (request: FastifyRequest<{ Params: { flag_id: string }; Body: { decision: FlagDecision; reason: string } }>, reply) => {
      const p = signedIn(request);
      const allowed = mayReview(p);
      if (isRefusal(allowed)) return refuse(allowed);
      const flag = await flagOf(client, request.params.flag_id);
      const actor = reviewScope(p, flag);
      if (isRefusal(actor)) return refuse(actor);
      const { decision, reason } = request.body;
      return answer(reply, desk.review(flag.flagId, decision, reason, actor), 'flag_id');
    },
  );

  app.post(
    '/api/v1/disputes',
    { schema: DISPUTE_SCHEMA },
    async (request: FastifyRequest<{ Body: { subject: DisputeSubject; subject_id: string; statement: string } }>, reply) => {
      const p = signedIn(request);
      const { subject, subject_id: subjectId, statement } = request.body;
      const allowed = disputeScope(p);
      if (isRefusal(allowed)) return refuse(allowed);
      const actor = disputeScope(p, subject === 'flag' ? (await flagOf(client, subjectId)).employeeId : undefined);
      if (isRefusal(actor)) return refuse(actor);
      return answer(reply, desk.openDispute(subject, subjectId, statement, actor), 'dispute_id', true);
    },
  );

  app.post(
    '/api/v1/disputes/:dispute_id/decision',
    { schema: DISPUTE_DECISION_SCHEMA },
    async (request: FastifyRequest<{ Params: { dispute_id: string }; Body: { outcome: DisputeOutcome; resolution: string } }>, reply) => {
      const actor = disputeDecisionScope(signedIn(request));
      if (isRefusal(actor)) return refuse(actor);
      const { outcome, resolution } = request.body;
      return answer(reply, desk.decideDispute(request.params.dispute_id, outcome, resolution, actor), 'dispute_id');
    },
  );
}
