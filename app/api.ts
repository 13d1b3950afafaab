import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlacedFlag } from '../sinks/clickhouse/queries/anomalies.js';
import type { AppDesk } from './desk.js';
import { ApiError } from './errors.js';
import type { Principal } from './scope.js';

/** A flag as the API gives it: its figures, evidence and explanation, where it was, and its review status. */
export function flagView(flag: PlacedFlag) {
  return {
    flag_id: flag.flagId,
    employee_id: flag.employeeId,
    station_id: flag.stationId,
    plant_id: flag.plantId,
    team_id: flag.teamId,
    window_start: new Date(flag.windowStart).toISOString(),
    window_end: new Date(flag.windowEnd).toISOString(),
    kind: flag.kind,
    method: flag.method,
    severity: flag.severity,
    reported: flag.reported,
    measured: flag.measured,
    deviation: flag.deviation,
    z_score: flag.z,
    explanation: flag.explanation,
    evidence: flag.evidence,
    status: flag.status,
  };
}

/** The signed-in person: every /api/ route is signed in by the onRequest hook; a route without a principal answers 401, never serves. */
export function signedIn(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new ApiError(401, 'unauthorized', 'sign in: send an OIDC access token as a Bearer token');
  return request.principal;
}

/** The read routes of the JSON API, over the app's desk (app/desk.ts: scope, reads, access log). */
export function registerReadRoutes(app: FastifyInstance, desk: AppDesk): void {
  app.get('/api/v1/me', async (request: FastifyRequest, reply: FastifyReply) => {
    const me = await desk.me(signedIn(request), 'GET /api/v1/me');
    return reply.send({ employee_id: me.employeeId, windows: me.windows, scores: me.scores, flags: me.flags.map(flagView), disputes: me.disputes });
  });

  app.get('/api/v1/flags', async (request: FastifyRequest<{ Querystring: { status?: string } }>, reply: FastifyReply) => {
    const status = request.query.status ?? 'proposed';
    const flags = await desk.flags(signedIn(request), status, `GET /api/v1/flags?status=${status}`);
    return reply.send({ status, flags: flags.map(flagView) });
  });

  app.get('/api/v1/disputes', async (request: FastifyRequest<{ Querystring: { status?: string } }>, reply: FastifyReply) => {
    const status = request.query.status;
    const disputes = await desk.disputes(signedIn(request), status, `GET /api/v1/disputes${status === undefined ? '' : `?status=${status}`}`);
    return reply.send({ disputes });
  });

  app.get('/api/v1/teams/:team_id/summary', async (request: FastifyRequest<{ Params: { team_id: string } }>, reply: FastifyReply) => {
    const summary = await desk.teamSummary(signedIn(request), request.params.team_id);
    return reply.send({ team_id: summary.teamId, windows: summary.windows, disputes: summary.disputes });
  });
}
