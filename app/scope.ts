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
}

/** The principal of a token's claims: roles kpi-stream does not know are left out, never guessed at. */
export function principalOf(claims: { sub?: unknown; kpi_roles?: unknown; employee_id?: unknown }): Principal {
  const listed = Array.isArray(claims.kpi_roles) ? claims.kpi_roles : typeof claims.kpi_roles === 'string' ? claims.kpi_roles.split(' ') : [];
  const roles = new Set(listed.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r)));
  const employeeId = typeof claims.employee_id === 'string' && claims.employee_id !== '' ? claims.employee_id : undefined;
  return { subject: typeof claims.sub === 'string' ? claims.sub : '', roles, ...(employeeId === undefined ? {} : { employeeId }) };
}

/** A refusal: the reason goes to the caller in the error's message. */
export interface Refusal {
  readonly refused: string;
}

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
export function flagsScope(p: Principal): { all: true } | { supervisorId: string } | Refusal {
  if (p.roles.has('hr')) return { all: true };
  if (p.roles.has('supervisor')) {
    if (p.employeeId === undefined) return { refused: 'a supervisor is known by the employee_id of their token, and it names none' };
    return { supervisorId: p.employeeId };
  }
  return { refused: 'flags are for supervisors and HR' };
}

/**
 * `GET /api/v1/teams/{team_id}/summary`: HR and the works council see any
 * team's aggregates; a supervisor the teams they lead. Which teams a supervisor
 * leads is a fact of the data: `leads` answers it, and is asked only when it decides.
 */
export async function teamSummaryAllowed(p: Principal, leads: (supervisorId: string) => Promise<boolean>): Promise<true | Refusal> {
  if (p.roles.has('hr') || p.roles.has('works_council')) return true;
  if (p.roles.has('supervisor') && p.employeeId !== undefined) {
    return (await leads(p.employeeId)) ? true : { refused: 'this team is not one you lead' };
  }
  return { refused: "a team's summary is for its supervisor, HR and the works council" };
}

/** One flag: the person it is about, HR, and the supervisor of the team they were in at its window start. */
export function flagViewScope(p: Principal, flag: { employeeId: string; supervisorId: string }): true | Refusal {
  if (p.roles.has('hr')) return true;
  if (p.employeeId !== undefined && p.roles.has('employee') && flag.employeeId === p.employeeId) return true;
  if (p.employeeId !== undefined && p.roles.has('supervisor') && flag.supervisorId === p.employeeId) return true;
  return { refused: 'this flag is about someone else, outside your teams' };
}

/** Disputes: HR sees every dispute; an employee their own. HR's wider scope wins for someone with both roles. */
export function disputesScope(p: Principal): { all: true } | { employeeId: string } | Refusal {
  if (p.roles.has('hr')) return { all: true };
  const me = meScope(p);
  return isRefusal(me) ? { refused: 'disputes are for HR, and for the employee who opened them' } : me;
}

/** Every team's and plant's aggregates and the dispute figures: HR and the works council. */
export function overviewAllowed(p: Principal): true | Refusal {
  return p.roles.has('hr') || p.roles.has('works_council') ? true : { refused: 'the plant overview is for HR and the works council' };
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
 * `POST /api/v1/flags/{flag_id}/review`: HR any flag; a supervisor a flag about
 * someone in a team they led at the flag's window start. Nobody reviews a flag
 * about themselves. HR's wider scope wins for someone with both roles.
 */
export function reviewScope(p: Principal, flag: { employeeId: string; supervisorId: string }): Actor | Refusal {
  const allowed = mayReview(p);
  if (isRefusal(allowed)) return allowed;
  const actor: Actor = p.roles.has('hr') ? asHr(p) : { id: p.employeeId!, role: 'supervisor' };
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

/** `POST /api/v1/disputes/{dispute_id}/decision`: HR. */
export function disputeDecisionScope(p: Principal): Actor | Refusal {
  return p.roles.has('hr') ? asHr(p) : { refused: 'disputes are decided by HR' };
}

export const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && 'refused' in x;
