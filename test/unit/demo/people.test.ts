import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { castUsers, demoCast, readDemoUsers, writeDemoUsers, DEMO_USERS_TEMPLATE, type DemoCast } from '../../../demo/people.js';
import { readUsers } from '../../../tools/idp/users.js';

const flag = (employeeId: string, supervisorId: string, kind = 'units_overclaim', status = 'proposed') => ({ employeeId, supervisorId, kind, status }) as const;

test("the cast: the supervisor whose teams' people have the most flags awaiting review, and the most flagged of those people", () => {
  const flags = [
    flag('E000001', 'L0001'),
    flag('E000002', 'L0002'),
    flag('E000003', 'L0002'),
    flag('E000003', 'L0002'),
    flag('E000004', 'L0002', 'self_score_inflation'),
    // Not awaiting review, not an accusation, or in no team with a supervisor: none of them counts.
    flag('E000001', 'L0001', 'units_overclaim', 'confirmed'),
    flag('E000001', 'L0001', 'measurement_gap'),
    flag('E000009', ''),
    flag('E000009', ''),
    flag('E000009', ''),
    flag('E000009', ''),
    flag('E000009', ''),
  ];
  expect(demoCast(flags as never)).toEqual({ supervisorId: 'L0002', teamFlags: 4, employeeId: 'E000003', employeeFlags: 2 });
});

test('ties go to the smaller id; no cast without a flag to review', () => {
  expect(demoCast([flag('E000007', 'L0009'), flag('E000005', 'L0003')] as never)).toEqual({
    supervisorId: 'L0003',
    teamFlags: 1,
    employeeId: 'E000005',
    employeeFlags: 1,
  });
  expect(demoCast([flag('E000001', 'L0001', 'measurement_gap')] as never)).toBeUndefined();
  expect(demoCast([])).toBeUndefined();
});

test("the demo users are tools/idp/users.yaml's, with the cast's ids for the supervisor and the employee, and the identity provider accepts them", () => {
  const template = readDemoUsers(join(projectRoot(), DEMO_USERS_TEMPLATE));
  const cast: DemoCast = { supervisorId: 'L0004', teamFlags: 9, employeeId: 'E000031', employeeFlags: 3 };
  const users = castUsers(template, cast);
  expect(users.map((u) => [u.sub, u.employee_id])).toEqual(
    template.map((u) => [u.sub, u.sub === 'supervisor' ? 'L0004' : u.sub === 'employee' ? 'E000031' : u.employee_id]),
  );
  // Names, passwords and roles as listed: one source.
  expect(users.map(({ employee_id: _, ...rest }) => rest)).toEqual(template.map(({ employee_id: _, ...rest }) => rest));
  expect(users.find((u) => u.sub === 'supervisor')?.kpi_roles).toContain('supervisor');

  const dir = mkdtempSync(join(tmpdir(), 'kpi-demo-users-'));
  try {
    writeDemoUsers(join(dir, 'users.yaml'), users);
    expect(readUsers(join(dir, 'users.yaml'))).toEqual(users);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
