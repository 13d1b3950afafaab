import type { Actor } from '../people/reviewDesk.js';

/**
 * Who may read and decide what through the app (shared/CONTRACT.md "People"): pure
 * functions of the signed-in person and, where it matters, the facts about
 * them that ClickHouse holds (which teams they lead). The routes ask these and
 * nothing else, so the rules are tested here without a server.
 */
/** The roles of the contract (claim `kpi_roles`). */
export const ROLES = ['employee', 'supervisor', 'hr', 'works_council', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in person, from a verified access token. */
export interface Principal {
  /** The token's subject, as the identity provider names them: the access log's actor. */
  readonly subject: string;
  readonly roles: ReadonlySet<Role>;
  /** Claim `employee_id`: the person's id in kpi-stream's data, if they have one. */
  readonly employeeId?: string;
  /** Claim `plant_id`: the one plant an HR officer is HR of; without it, HR of every plant. */
  readonly plantId?: string;
}

/** The principal of a token's claims: roles kpi-stream does not know are left out, never guessed at. */
export function principalOf(claims: { sub?: unknown; kpi_roles?: unknown; employee_id?: unknown; plant_id?: unknown }): Principal {
  const listed = Array.isArray(claims.kpi_roles) ? claims.kpi_roles : typeof claims.kpi_roles === 'string' ? claims.kpi_roles.split(' ') : [];
  const roles = new Set(listed.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r)));
  const employeeId = typeof claims.employee_id === 'string' && claims.employee_id !== '' ? claims.employee_id : undefined;
  const plantId = typeof claims.plant_id === 'string' && claims.plant_id !== '' ? claims.plant_id : undefined;
  return {
    subject: typeof claims.sub === 'string' ? claims.sub : '',
    roles,
    ...(employeeId === undefined ? {} : { employeeId }),
    ...(plantId === undefined ? {} : { plantId }),
  };
}

/** A refusal: the reason goes to the caller in the error's message. */
export interface Refusal {
  readonly refused: string;
}

/** HR's reach: every plant, or with claim `plant_id` that plant only. */
export type HrReach = { all: true } | { plantId: string };
const hrReach = (p: Principal): HrReach => (p.plantId === undefined ? { all: true } : { plantId: p.plantId });

/** Whether HR's reach holds a plant. */
export const reaches = (reach: HrReach, plantId: string): boolean => 'all' in reach || reach.plantId === plantId;

/** `GET /api/v1/me`: an employee, about themselves; they need an employee id to have data. */
export function meScope(p: Principal): { employeeId: string } | Refusal {
  if (!p.roles.has('employee')) return { refused: 'only an employee sees their own figures here' };
  if (p.employeeId === undefined) return { refused: 'the token names no employee_id' };
  return { employeeId: p.employeeId };
}

/**
 * `GET /api/v1/flags`: HR sees every flag; a supervisor those of the people in
 * the teams they led at each flag's window start. HR's wider scope wins for
 * someone with both roles.
 */
export function flagsScope(p: Principal): HrReach | { supervisorId: string } | Refusal {
  if (p.roles.has('hr')) return hrReach(p);
  if (p.roles.has('supervisor')) {
    if (p.employeeId === undefined) return { refused: 'a supervisor is known by the employee_id of their token, and it names none' };
    return { supervisorId: p.employeeId };
  }
  return { refused: 'flags are for supervisors and HR' };
}

/** The facts about a team that decide who sees its summary, asked only when they decide. */
export interface TeamFacts {
  /** Whether this supervisor leads the team. */
  leads(supervisorId: string): Promise<boolean>;
  /** Whether the team belongs to this plant. */
  inPlant(plantId: string): Promise<boolean>;
}

/**
 * `GET /api/v1/teams/{team_id}/summary`: the works council sees any team's
 * aggregates; HR any team of its plant (every team without a plant_id); a
 * supervisor the teams they lead.
 */
export async function teamSummaryAllowed(p: Principal, team: TeamFacts): Promise<true | Refusal> {
  if (p.roles.has('works_council')) return true;
  if (p.roles.has('hr') && (p.plantId === undefined || (await team.inPlant(p.plantId)))) return true;
  if (p.roles.has('supervisor') && p.employeeId !== undefined && (await team.leads(p.employeeId))) return true;
  if (p.roles.has('hr') || p.roles.has('supervisor')) return { refused: 'this team is not one of your plant, nor one you lead' };
  return { refused: "a team's summary is for its supervisor, HR and the works council" };
}

/** One flag: the person it is about, HR, and the supervisor of the team they were in at its window start. */
export function flagViewScope(p: Principal, flag: { employeeId: string; supervisorId: string; plantId: string }): true | Refusal {
  if (p.roles.has('hr') && reaches(hrReach(p), flag.plantId)) return true;
  if (p.employeeId !== undefined && p.roles.has('employee') && flag.employeeId === p.employeeId) return true;
  if (p.employeeId !== undefined && p.roles.has('supervisor') && flag.supervisorId === p.employeeId) return true;
  return { refused: 'this flag is about someone else, outside your teams' };
}

/** Disputes: HR sees every dispute; an employee their own. HR's wider scope wins for someone with both roles. */
export function disputesScope(p: Principal): HrReach | { employeeId: string } | Refusal {
  if (p.roles.has('hr')) return hrReach(p);
  const me = meScope(p);
  return isRefusal(me) ? { refused: 'disputes are for HR, and for the employee who opened them' } : me;
}

/** Every team's and plant's aggregates and the dispute figures: the works council, and HR (of its plant, if it has one). */
export function overviewScope(p: Principal): HrReach | Refusal {
  if (p.roles.has('hr')) return hrReach(p);
  return p.roles.has('works_council') ? { all: true } : { refused: 'the plant overview is for HR and the works council' };
}

/** HR acts under its employee_id, or the token's subject if it has none. */
const asHr = (p: Principal): Actor => ({ id: p.employeeId ?? p.subject, role: 'hr' });

/** The roles that may review flags at all: asked before the flag is looked up, so the others learn nothing about it. */
export function mayReview(p: Principal): true | Refusal {
  if (p.roles.has('hr')) return true;
  if (p.roles.has('supervisor'))
    return p.employeeId === undefined ? { refused: 'a supervisor is known by the employee_id of their token, and it names none' } : true;
  return { refused: 'flags are reviewed by supervisors and HR' };
}

/**
 * `POST /api/v1/flags/{flag_id}/review`: HR any flag of its plant (every plant
 * without a plant_id); a supervisor a flag about someone in a team they led at
 * the flag's window start. Nobody reviews a flag about themselves. HR's wider
 * scope wins for someone with both roles.
 */
export function reviewScope(p: Principal, flag: { employeeId: string; supervisorId: string; plantId: string }): Actor | Refusal {
  const allowed = mayReview(p);
  if (isRefusal(allowed)) return allowed;
  const asHrHere = p.roles.has('hr') && reaches(hrReach(p), flag.plantId);
  if (!asHrHere && !p.roles.has('supervisor')) return { refused: 'the flag is about someone of another plant than yours' };
  const actor: Actor = asHrHere ? asHr(p) : { id: p.employeeId!, role: 'supervisor' };
  if (actor.id === flag.employeeId) return { refused: 'nobody reviews a flag about themselves' };
  if (actor.role === 'supervisor' && flag.supervisorId !== actor.id) {
    return { refused: 'the flag is about someone outside the teams you led at its window start' };
  }
  return actor;
}

/** `POST /api/v1/disputes`: an employee, about themselves (a flag about them, or their score); `about` is whom the flag is about. */
export function disputeScope(p: Principal, about?: string): Actor | Refusal {
  const me = meScope(p);
  if (isRefusal(me)) return { refused: 'only an employee disputes, and only what is about them' };
  if (about !== undefined && about !== me.employeeId) return { refused: 'the flag is about someone else: an employee disputes only flags about them' };
  return { id: me.employeeId, role: 'employee' };
}

/** `POST /api/v1/disputes/{dispute_id}/decision`: HR, of the dispute's plant (`dispute`, once it is known) if HR has one. */
export function disputeDecisionScope(p: Principal, dispute?: { plant_id: string }): Actor | Refusal {
  if (!p.roles.has('hr')) return { refused: 'disputes are decided by HR' };
  if (dispute !== undefined && !reaches(hrReach(p), dispute.plant_id)) return { refused: 'the dispute is of another plant than yours' };
  return asHr(p);
}

export const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && 'refused' in x;
