import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlacedFlag } from '../sinks/clickhouse/queries/anomalies.js';
import { readPlacedFlags } from '../sinks/clickhouse/queries/anomalies.js';
import { recordAccess, type AccessRecord } from '../sinks/clickhouse/queries/accessLog.js';
import { leadsTeam } from '../sinks/clickhouse/queries/assignments.js';
import { MIN_GROUP_SIZE, readTeamWindows } from '../sinks/clickhouse/queries/groupMetrics.js';
import { readTeamPlantDisputeFigures } from '../sinks/clickhouse/queries/reviews.js';
import { readScoresOf } from '../sinks/clickhouse/queries/scores.js';
import { readWindowsOf } from '../sinks/clickhouse/queries/windowMetrics.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { FLAG_STATUSES } from '../people/reviewEvents.js';
import { ApiError } from './errors.js';
import { flagsScope, isRefusal, meScope, teamSummaryAllowed, type Principal, type Refusal } from './scope.js';

/** A flag as the API gives it: its figures, evidence and explanation, where it was, and its review status. */
function flagView(flag: PlacedFlag) {
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

export const refuse = (refusal: Refusal): never => {
  throw new ApiError(403, 'forbidden', refusal.refused);
};

/** The signed-in person: every /api/ route is signed in by the onRequest hook; a route without a principal answers 401, never serves. */
export function signedIn(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new ApiError(401, 'unauthorized', 'sign in: send an OIDC access token as a Bearer token');
  return request.principal;
}

/**
 * The read routes of the JSON API. Each asks app/scope.ts who may see what,
 * reads ClickHouse within that scope, and writes the access log for every
 * person whose data it hands out before handing it out.
 */
export function registerReadRoutes(app: FastifyInstance, client: ClickHouseClient): void {
  const logAccess = (p: Principal, route: string, records: Omit<AccessRecord, 'actor' | 'purpose' | 'action'>[]) =>
    records.length === 0
      ? Promise.resolve()
      : recordAccess(client, ...records.map((r) => ({ ...r, actor: `oidc:${p.subject}`, purpose: route, action: 'app_read' as const })));

  app.get('/api/v1/me', async (request: FastifyRequest, reply: FastifyReply) => {
    const p = signedIn(request);
    const scope = meScope(p);
    if (isRefusal(scope)) return refuse(scope);
    const [windows, scores, flags] = await Promise.all([
      readWindowsOf(client, scope.employeeId),
      readScoresOf(client, scope.employeeId),
      readPlacedFlags(client, { employeeId: scope.employeeId }),
    ]);
    await logAccess(p, 'GET /api/v1/me', [
      { employeeId: scope.employeeId, details: { route: 'GET /api/v1/me', windows: windows.length, scores: scores.length, flags: flags.length } },
    ]);
    return reply.send({ employee_id: scope.employeeId, windows, scores, flags: flags.map(flagView) });
  });

  app.get('/api/v1/flags', async (request: FastifyRequest<{ Querystring: { status?: string } }>, reply: FastifyReply) => {
    const p = signedIn(request);
    const scope = flagsScope(p);
    if (isRefusal(scope)) return refuse(scope);
    const status = request.query.status ?? 'proposed';
    if (!(FLAG_STATUSES as readonly string[]).includes(status)) {
      throw new ApiError(400, 'bad_request', `status must be one of ${FLAG_STATUSES.join(', ')}`);
    }
    const flags = await readPlacedFlags(client, 'all' in scope ? { status } : { status, supervisorId: scope.supervisorId });
    const perPerson = new Map<string, number>();
    for (const flag of flags) perPerson.set(flag.employeeId, (perPerson.get(flag.employeeId) ?? 0) + 1);
    const route = `GET /api/v1/flags?status=${status}`;
    await logAccess(
      p,
      route,
      [...perPerson].map(([employeeId, count]) => ({ employeeId, details: { route, flags: count } })),
    );
    return reply.send({ status, flags: flags.map(flagView) });
  });

  app.get('/api/v1/teams/:team_id/summary', async (request: FastifyRequest<{ Params: { team_id: string } }>, reply: FastifyReply) => {
    const p = signedIn(request);
    const teamId = request.params.team_id;
    const allowed = await teamSummaryAllowed(p, (supervisorId) => leadsTeam(client, supervisorId, teamId));
    if (isRefusal(allowed)) return refuse(allowed);
    // Aggregates of 5 people or more (the views withhold smaller groups): no one's data, so no access-log row.
    const [windows, disputes] = await Promise.all([readTeamWindows(client, teamId), readTeamPlantDisputeFigures(client, teamId, MIN_GROUP_SIZE)]);
    return reply.send({ team_id: teamId, windows, disputes });
  });
}
