import {
  disputeDecisionScope,
  disputeScope,
  flagsScope,
  mayReview,
  meScope,
  principalOf,
  reviewScope,
  teamSummaryAllowed,
  type Principal,
} from '../../../app/scope.js';

const person = (roles: string[], employeeId?: string): Principal =>
  principalOf({ sub: 'u', kpi_roles: roles, ...(employeeId ? { employee_id: employeeId } : {}) });
const leadsT1 = async (supervisorId: string) => supervisorId === 'E2';

test('roles come from kpi_roles only; unknown roles are dropped, a missing employee_id stays missing', () => {
  const p = principalOf({ sub: 'x', kpi_roles: ['employee', 'root', 7], employee_id: '' });
  expect([...p.roles]).toEqual(['employee']);
  expect(p.employeeId).toBeUndefined();
  expect([...principalOf({ sub: 'x', kpi_roles: 'hr supervisor' }).roles]).toEqual(['hr', 'supervisor']);
  expect(principalOf({ sub: 'x' }).roles.size).toBe(0);
});

test('/me: an employee with an employee_id, about themselves; everyone else refused', () => {
  expect(meScope(person(['employee'], 'E1'))).toEqual({ employeeId: 'E1' });
  expect(meScope(person(['employee']))).toEqual({ refused: expect.stringContaining('employee_id') });
  for (const role of ['supervisor', 'hr', 'works_council', 'analyst', 'admin']) expect(meScope(person([role], 'E1'))).toHaveProperty('refused');
});

test('/flags: HR all, a supervisor by their employee_id, others refused', () => {
  expect(flagsScope(person(['hr']))).toEqual({ all: true });
  expect(flagsScope(person(['supervisor', 'hr'], 'E2'))).toEqual({ all: true });
  expect(flagsScope(person(['supervisor'], 'E2'))).toEqual({ supervisorId: 'E2' });
  expect(flagsScope(person(['supervisor']))).toHaveProperty('refused');
  for (const role of ['employee', 'works_council', 'analyst', 'admin']) expect(flagsScope(person([role], 'E1'))).toHaveProperty('refused');
});

test("a team's summary: HR and the works council any team, a supervisor only a team they lead", async () => {
  expect(await teamSummaryAllowed(person(['hr']), leadsT1)).toBe(true);
  expect(await teamSummaryAllowed(person(['works_council']), leadsT1)).toBe(true);
  expect(await teamSummaryAllowed(person(['supervisor'], 'E2'), leadsT1)).toBe(true);
  expect(await teamSummaryAllowed(person(['supervisor'], 'E8'), leadsT1)).toEqual({ refused: 'this team is not one you lead' });
  expect(await teamSummaryAllowed(person(['supervisor']), leadsT1)).toHaveProperty('refused');
  for (const role of ['employee', 'analyst', 'admin']) expect(await teamSummaryAllowed(person([role], 'E2'), leadsT1)).toHaveProperty('refused');
});

describe('decisions', () => {
  const flagOfE1 = { employeeId: 'E1', supervisorId: 'E2' };

  test('reviewing a flag: HR any (as its employee_id, else its subject); a supervisor only a flag of a team they led; nobody their own', () => {
    expect(reviewScope(person(['hr']), flagOfE1)).toEqual({ id: 'u', role: 'hr' });
    expect(reviewScope(person(['hr'], 'H7'), flagOfE1)).toEqual({ id: 'H7', role: 'hr' });
    expect(reviewScope(person(['supervisor'], 'E2'), flagOfE1)).toEqual({ id: 'E2', role: 'supervisor' });
    expect(reviewScope(person(['supervisor', 'hr'], 'E8'), flagOfE1)).toEqual({ id: 'E8', role: 'hr' });
    expect(reviewScope(person(['supervisor'], 'E8'), flagOfE1)).toEqual({ refused: expect.stringContaining('outside the teams you led') });
    expect(reviewScope(person(['supervisor'], 'E1'), { employeeId: 'E1', supervisorId: 'E1' })).toEqual({ refused: 'nobody reviews a flag about themselves' });
    expect(reviewScope(person(['hr'], 'E1'), flagOfE1)).toEqual({ refused: 'nobody reviews a flag about themselves' });
    expect(reviewScope(person(['supervisor']), flagOfE1)).toHaveProperty('refused');
    expect(reviewScope(person(['supervisor'], 'E2'), { employeeId: 'E1', supervisorId: '' })).toHaveProperty('refused');
    for (const role of ['employee', 'works_council', 'analyst', 'admin']) {
      expect(mayReview(person([role], 'E2'))).toHaveProperty('refused');
      expect(reviewScope(person([role], 'E2'), flagOfE1)).toHaveProperty('refused');
    }
  });

  test('opening a dispute: an employee with an employee_id, about themselves only', () => {
    expect(disputeScope(person(['employee'], 'E1'))).toEqual({ id: 'E1', role: 'employee' });
    expect(disputeScope(person(['employee'], 'E1'), 'E1')).toEqual({ id: 'E1', role: 'employee' });
    expect(disputeScope(person(['employee'], 'E1'), 'E3')).toEqual({ refused: expect.stringContaining('someone else') });
    expect(disputeScope(person(['employee']))).toHaveProperty('refused');
    for (const role of ['supervisor', 'hr', 'works_council', 'analyst', 'admin']) expect(disputeScope(person([role], 'E1'), 'E1')).toHaveProperty('refused');
  });

  test('deciding a dispute: HR only', () => {
    expect(disputeDecisionScope(person(['hr']))).toEqual({ id: 'u', role: 'hr' });
    for (const role of ['employee', 'supervisor', 'works_council', 'analyst', 'admin'])
      expect(disputeDecisionScope(person([role], 'E2'))).toHaveProperty('refused');
  });
});
