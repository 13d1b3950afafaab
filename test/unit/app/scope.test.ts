import { flagsScope, meScope, principalOf, teamSummaryAllowed, type Principal } from '../../../app/scope.js';

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
