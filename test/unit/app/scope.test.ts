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
/** Team T1, of plant P1, led by E2. */
const T1 = { leads: async (supervisorId: string) => supervisorId === 'E2', inPlant: async (plantId: string) => plantId === 'P1' };
const hrOf = (plantId: string): Principal => principalOf({ sub: 'h', kpi_roles: ['hr'], plant_id: plantId });

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

test('/flags: HR all (or its plant), a supervisor by their employee_id, others refused', () => {
  expect(flagsScope(person(['hr']))).toEqual({ all: true });
  expect(flagsScope(hrOf('P1'))).toEqual({ plantId: 'P1' });
  expect(flagsScope(person(['supervisor', 'hr'], 'E2'))).toEqual({ all: true });
  expect(flagsScope(person(['supervisor'], 'E2'))).toEqual({ supervisorId: 'E2' });
  expect(flagsScope(person(['supervisor']))).toHaveProperty('refused');
  for (const role of ['employee', 'works_council', 'analyst', 'admin']) expect(flagsScope(person([role], 'E1'))).toHaveProperty('refused');
});

test("a team's summary: the works council any team, HR any of its plant, a supervisor only a team they lead", async () => {
  expect(await teamSummaryAllowed(person(['hr']), T1)).toBe(true);
  expect(await teamSummaryAllowed(person(['works_council']), T1)).toBe(true);
  expect(await teamSummaryAllowed(person(['supervisor'], 'E2'), T1)).toBe(true);
  expect(await teamSummaryAllowed(person(['supervisor'], 'E8'), T1)).toEqual({ refused: 'this team is not one of your plant, nor one you lead' });
  expect(await teamSummaryAllowed(hrOf('P1'), T1)).toBe(true);
  expect(await teamSummaryAllowed(hrOf('P2'), T1)).toHaveProperty('refused');
  expect(await teamSummaryAllowed(person(['supervisor']), T1)).toHaveProperty('refused');
  for (const role of ['employee', 'analyst', 'admin']) expect(await teamSummaryAllowed(person([role], 'E2'), T1)).toHaveProperty('refused');
});

describe('decisions', () => {
  const flagOfE1 = { employeeId: 'E1', supervisorId: 'E2', plantId: 'P1' };

  test('reviewing a flag: HR any (as its employee_id, else its subject); a supervisor only a flag of a team they led; nobody their own', () => {
    expect(reviewScope(person(['hr']), flagOfE1)).toEqual({ id: 'u', role: 'hr' });
    expect(reviewScope(person(['hr'], 'H7'), flagOfE1)).toEqual({ id: 'H7', role: 'hr' });
    expect(reviewScope(person(['supervisor'], 'E2'), flagOfE1)).toEqual({ id: 'E2', role: 'supervisor' });
    expect(reviewScope(person(['supervisor', 'hr'], 'E8'), flagOfE1)).toEqual({ id: 'E8', role: 'hr' });
    expect(reviewScope(person(['supervisor'], 'E8'), flagOfE1)).toEqual({ refused: expect.stringContaining('outside the teams you led') });
    expect(reviewScope(person(['supervisor'], 'E1'), { employeeId: 'E1', supervisorId: 'E1', plantId: 'P1' })).toEqual({
      refused: 'nobody reviews a flag about themselves',
    });
    expect(reviewScope(person(['hr'], 'E1'), flagOfE1)).toEqual({ refused: 'nobody reviews a flag about themselves' });
    expect(reviewScope(person(['supervisor']), flagOfE1)).toHaveProperty('refused');
    expect(reviewScope(person(['supervisor'], 'E2'), { employeeId: 'E1', supervisorId: '', plantId: 'P1' })).toHaveProperty('refused');
    // HR of a plant: its plant's flags only; a supervisor too keeps their teams elsewhere.
    expect(reviewScope(hrOf('P1'), flagOfE1)).toEqual({ id: 'h', role: 'hr' });
    expect(reviewScope(hrOf('P2'), flagOfE1)).toEqual({ refused: 'the flag is about someone of another plant than yours' });
    expect(reviewScope(principalOf({ sub: 'h', kpi_roles: ['hr', 'supervisor'], employee_id: 'E2', plant_id: 'P2' }), flagOfE1)).toEqual({
      id: 'E2',
      role: 'supervisor',
    });
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

  test("deciding a dispute: HR only, of the dispute's plant if HR has one", () => {
    expect(disputeDecisionScope(person(['hr']))).toEqual({ id: 'u', role: 'hr' });
    expect(disputeDecisionScope(person(['hr']), { plant_id: 'P2' })).toEqual({ id: 'u', role: 'hr' });
    expect(disputeDecisionScope(hrOf('P1'), { plant_id: 'P1' })).toEqual({ id: 'h', role: 'hr' });
    expect(disputeDecisionScope(hrOf('P1'), { plant_id: 'P2' })).toEqual({ refused: 'the dispute is of another plant than yours' });
    for (const role of ['employee', 'supervisor', 'works_council', 'analyst', 'admin'])
      expect(disputeDecisionScope(person([role], 'E2'))).toHaveProperty('refused');
  });
});
