import { DecisionError } from '../core/errors.js';
import { FLAG_STATUSES } from '../contract/flag.js';
import type { DecisionResult, ReviewDesk } from '../people/reviewDesk.js';
import type { DisputeOutcome, DisputeSubject, FlagDecision } from '../people/reviewEvents.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { recordAccess, type AccessRecord } from '../sinks/clickhouse/queries/accessLog.js';
import { readAlertSubject } from '../sinks/clickhouse/queries/alertDeliveries.js';
import { readPlacedFlags, type PlacedFlag } from '../sinks/clickhouse/queries/anomalies.js';
import { leadsTeam, teamInPlant } from '../sinks/clickhouse/queries/assignments.js';
import { MIN_GROUP_SIZE, readPlantWindows, readShownTeams, readTeamWindows } from '../sinks/clickhouse/queries/groupMetrics.js';
import { readDisputeFigures, readDisputes, type Dispute, type DisputeFigures } from '../sinks/clickhouse/queries/reviews.js';
import { readScoresOf } from '../sinks/clickhouse/queries/scores.js';
import { readWindowsOf } from '../sinks/clickhouse/queries/windowMetrics.js';
import { ApiError } from './errors.js';
import {
  disputeDecisionScope,
  disputeScope,
  disputesScope,
  flagsScope,
  flagViewScope,
  isRefusal,
  mayReview,
  meScope,
  overviewScope,
  reaches,
  reviewScope,
  teamSummaryAllowed,
  type Principal,
  type Refusal,
} from './scope.js';

/** What the desk asks of the review desk (people/reviewDesk.ts). */
export type Decisions = Pick<ReviewDesk, 'review' | 'openDispute' | 'decideDispute'>;

/** A person's own figures, as `GET /api/v1/me` and the employee's page give them. */
export interface OwnFigures {
  readonly employeeId: string;
  readonly windows: Record<string, unknown>[];
  readonly scores: Record<string, unknown>[];
  readonly flags: PlacedFlag[];
  readonly disputes: Dispute[];
}

/** A team's aggregates (groups under 5 withheld) and its plant's dispute figures. */
export interface TeamSummary {
  readonly teamId: string;
  readonly windows: Record<string, unknown>[];
  readonly disputes: DisputeFigures[];
}

/** What the works council and HR see of the whole deployment: aggregates only. */
export interface Overview {
  readonly teams: { plant_id: string; team_id: string }[];
  readonly plantWindows: Record<string, unknown>[];
  readonly disputes: DisputeFigures[];
}

const refuse = (refusal: Refusal): never => {
  throw new ApiError(403, 'forbidden', refusal.refused);
};

/**
 * The one answer to a flag id asked for outside the reader's scope, whether or
 * not such a flag exists: a flag id is a plain hash of a person's id and a
 * window, so a different answer for "none" would tell anyone whether a
 * colleague was flagged. Only HR of every plant, whose scope is every flag, is told 404.
 */
const NOT_YOURS: Refusal = { refused: 'no flag of that id is yours to see or decide' };

/**
 * What the app does for a signed-in person, whether they ask through the JSON
 * API or a page: each step asks app/scope.ts who may see or decide what,
 * reads ClickHouse within that scope, writes the access log for every person
 * whose data it hands out before handing it out, and takes decisions through
 * the review desk (kpi.reviews.v1 first). Refusals are ApiErrors: 403 out of
 * scope, 404 unknown, 400 a decision the desk refuses, 409 a decision taken first.
 */
export class AppDesk {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly decisions: Decisions,
    /** A person's pseudonym under KPI_PSEUDONYM_KEY: how alerts name them (privacy/pseudonym.ts). */
    private readonly pseudonymOf: (employeeId: string) => string,
  ) {}

  private async logAccess(p: Principal, purpose: string, records: Omit<AccessRecord, 'actor' | 'purpose' | 'action'>[]): Promise<void> {
    if (records.length === 0) return;
    await recordAccess(this.client, ...records.map((r) => ({ ...r, actor: `oidc:${p.subject}`, purpose, action: 'app_read' as const })));
  }

  /** One access-log row per person a list hands out, with how many of its items are theirs. */
  private logEach(p: Principal, purpose: string, items: 'flags' | 'disputes', employeeIds: readonly string[]): Promise<void> {
    const perPerson = new Map<string, number>();
    for (const id of employeeIds) perPerson.set(id, (perPerson.get(id) ?? 0) + 1);
    return this.logAccess(
      p,
      purpose,
      [...perPerson].map(([employeeId, count]) => ({ employeeId, details: { route: purpose, [items]: count } })),
    );
  }

  /** An employee's own windows, scores, flags (with evidence) and disputes. */
  async me(p: Principal, purpose: string): Promise<OwnFigures> {
    const scope = meScope(p);
    if (isRefusal(scope)) return refuse(scope);
    const employeeId = scope.employeeId;
    const [windows, scores, flags, disputes] = await Promise.all([
      readWindowsOf(this.client, employeeId),
      readScoresOf(this.client, employeeId),
      readPlacedFlags(this.client, { employeeId }),
      readDisputes(this.client, { employeeId }),
    ]);
    await this.logAccess(p, purpose, [
      { employeeId, details: { route: purpose, windows: windows.length, scores: scores.length, flags: flags.length, disputes: disputes.length } },
    ]);
    return { employeeId, windows, scores, flags, disputes };
  }

  /** The flags in the reader's scope in one review status, with their evidence. */
  async flags(p: Principal, status: string, purpose: string): Promise<PlacedFlag[]> {
    const scope = flagsScope(p);
    if (isRefusal(scope)) return refuse(scope);
    if (!(FLAG_STATUSES as readonly string[]).includes(status)) throw new ApiError(400, 'bad_request', `status must be one of ${FLAG_STATUSES.join(', ')}`);
    const flags = await readPlacedFlags(this.client, { status, ...('all' in scope ? {} : scope) });
    await this.logEach(
      p,
      purpose,
      'flags',
      flags.map((f) => f.employeeId),
    );
    return flags;
  }

  /** One flag with its evidence, for the person it is about, HR, and their supervisor at its window start. */
  async flag(p: Principal, flagId: string, purpose: string): Promise<PlacedFlag> {
    const flag = await this.flagOf(p, flagId);
    if (isRefusal(flagViewScope(p, flag))) return refuse(NOT_YOURS);
    await this.logAccess(p, purpose, [{ employeeId: flag.employeeId, details: { route: purpose, flags: 1 } }]);
    return flag;
  }

  /**
   * The flags an alert about a person links to (review_url: its fingerprint):
   * those of the alert's person and window that the reader may see. The alert
   * named the person by pseudonym (unless its rule discloses them): among the
   * window's flags, those whose person has that pseudonym under the key. 404
   * for an alert never sent, or none in the reader's scope.
   */
  async flagsOfAlert(p: Principal, fingerprint: string, purpose: string): Promise<PlacedFlag[]> {
    const subject = await readAlertSubject(this.client, fingerprint);
    if (subject === undefined) throw new ApiError(404, 'not_found', `no alert ${fingerprint}`);
    const named = (f: PlacedFlag) => f.employeeId === subject.employeeId || this.pseudonymOf(f.employeeId) === subject.employeeId;
    const flags = (await readPlacedFlags(this.client, { windowStart: subject.windowStart })).filter((f) => named(f) && !isRefusal(flagViewScope(p, f)));
    if (flags.length === 0) throw new ApiError(404, 'not_found', 'no flag behind this alert is yours to see');
    await this.logAccess(p, purpose, [{ employeeId: flags[0]!.employeeId, details: { route: purpose, flags: flags.length } }]);
    return flags;
  }

  /** Disputes in the reader's scope (HR: all; an employee: their own), in one status or all. */
  async disputes(p: Principal, status: string | undefined, purpose: string): Promise<Dispute[]> {
    const scope = disputesScope(p);
    if (isRefusal(scope)) return refuse(scope);
    const disputes = await readDisputes(this.client, { ...(status === undefined ? {} : { status }), ...('all' in scope ? {} : scope) });
    await this.logEach(
      p,
      purpose,
      'disputes',
      disputes.map((d) => d.employee_id),
    );
    return disputes;
  }

  /** A team's aggregates: groups under 5 people are withheld by the views, so no one's data and no access-log row. */
  async teamSummary(p: Principal, teamId: string): Promise<TeamSummary> {
    const allowed = await teamSummaryAllowed(p, {
      leads: (supervisorId) => leadsTeam(this.client, supervisorId, teamId),
      inPlant: (plantId) => teamInPlant(this.client, teamId, plantId),
    });
    if (isRefusal(allowed)) return refuse(allowed);
    const [windows, disputes] = await Promise.all([readTeamWindows(this.client, teamId), readDisputeFigures(this.client, MIN_GROUP_SIZE, teamId)]);
    return { teamId, windows, disputes };
  }

  /** Every team and plant's aggregates and the dispute figures: for the works council, and HR (of its plant, if it has one). */
  async overview(p: Principal): Promise<Overview> {
    const reach = overviewScope(p);
    if (isRefusal(reach)) return refuse(reach);
    const [teams, plantWindows, disputes] = await Promise.all([
      readShownTeams(this.client),
      readPlantWindows(this.client),
      readDisputeFigures(this.client, MIN_GROUP_SIZE),
    ]);
    const inReach = (row: { plant_id?: unknown }) => reaches(reach, String(row.plant_id));
    return { teams: teams.filter(inReach), plantWindows: plantWindows.filter(inReach), disputes: disputes.filter(inReach) };
  }

  /** A supervisor's or HR's decision on a flag in their scope. */
  async review(p: Principal, flagId: string, decision: FlagDecision, reason: string): Promise<DecisionResult> {
    const allowed = mayReview(p);
    if (isRefusal(allowed)) return refuse(allowed);
    const flag = await this.flagOf(p, flagId);
    const actor = reviewScope(p, flag);
    // About themselves: their own flag, no secret; anything else out of scope is NOT_YOURS.
    if (isRefusal(actor)) return refuse(flag.employeeId === p.employeeId ? actor : NOT_YOURS);
    return decided(this.decisions.review(flag.flagId, decision, reason, actor));
  }

  /** An employee's dispute of a flag about them or of their score. */
  async openDispute(p: Principal, subject: DisputeSubject, subjectId: string, statement: string): Promise<DecisionResult> {
    const allowed = disputeScope(p);
    if (isRefusal(allowed)) return refuse(allowed);
    const actor = disputeScope(p, subject === 'flag' ? (await this.flagOf(p, subjectId)).employeeId : undefined);
    if (isRefusal(actor)) return refuse(subject === 'flag' ? NOT_YOURS : actor);
    return decided(this.decisions.openDispute(subject, subjectId, statement, actor));
  }

  /** HR's decision on a dispute (of its plant, if it has one). */
  async decideDispute(p: Principal, disputeId: string, outcome: DisputeOutcome, resolution: string): Promise<DecisionResult> {
    const allowed = disputeDecisionScope(p);
    if (isRefusal(allowed)) return refuse(allowed);
    const [dispute] = p.plantId === undefined ? [] : await readDisputes(this.client, { disputeId });
    const actor = disputeDecisionScope(p, dispute);
    if (isRefusal(actor)) return refuse(actor);
    return decided(this.decisions.decideDispute(disputeId, outcome, resolution, actor));
  }

  /** The flag of an id, placed at its window start; none: 404 for HR, NOT_YOURS for anyone else. */
  private async flagOf(p: Principal, flagId: string): Promise<PlacedFlag> {
    const [flag] = await readPlacedFlags(this.client, { flagId });
    if (flag !== undefined) return flag;
    if (p.roles.has('hr') && p.plantId === undefined) throw new ApiError(404, 'not_found', `no current flag ${flagId}`);
    return refuse(NOT_YOURS);
  }
}

/** The desk's own refusals as ApiErrors: an unknown subject 404, any other refused decision 400. */
async function decided(result: Promise<DecisionResult>): Promise<DecisionResult> {
  try {
    return await result;
  } catch (error) {
    if (error instanceof DecisionError) {
      throw error.code === 'KPI_ERR_UNKNOWN_SUBJECT' ? new ApiError(404, 'not_found', error.message) : new ApiError(400, 'bad_request', error.message);
    }
    throw error;
  }
}
