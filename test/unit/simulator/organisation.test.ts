import { join } from 'node:path';
import { CONTRACT_COLUMNS, metricsOf, PLANT_TIME_COLUMNS, type WindowRow } from '../../../contract/windowRow.js';
import { projectRoot } from '../../../core/paths.js';
import { DAY, HOUR } from '../../../core/time.js';
import { PlantWindows } from '../../../processors/plants.js';
import { TEST_SCHEMA_IDS, TopologyTestDriver } from '../../../processors/testDriver.js';
import { windowAssignerOf } from '../../../processors/windowing.js';
import type { AssignmentChanged } from '../../../schemas/events.js';
import { placementOf } from '../../../sinks/clickhouse/queries/assignments.js';
import { simulateTruth } from '../../../evaluation/harness.js';
import type { WindowTruth } from '../../../simulator/day.js';
import type { ExpectedRow } from '../../../simulator/expected.js';
import { TEAM_SIZE } from '../../../simulator/organisation.js';
import { SINGLE_PLANT_ID } from '../../../simulator/plant.js';
import { simulateOptions, withPlantTime, type SimulateOptions } from '../../../simulator/run.js';
import { Simulation, type OutboundMessage } from '../../../simulator/simulation.js';

const PLANTS_FILE = join(projectRoot(), 'examples', 'shifts', 'two-plants.yaml');
const UTC_CLOCK = { timeZone: 'UTC', dayStart: 0, windowSize: DAY, shiftCalendar: undefined };

function run(input: Partial<SimulateOptions>, plantsFile?: string) {
  const options = simulateOptions(withPlantTime(input, { ...UTC_CLOCK, plantsFile }));
  const simulation = new Simulation(options, TEST_SCHEMA_IDS);
  const expected: ExpectedRow[] = [];
  const truth: WindowTruth[] = [];
  const messages: OutboundMessage[] = [...simulation.messages({ expected: (r) => expected.push(r), truth: (t) => truth.push(t), tooLate: () => undefined })];
  return { options, simulation, organisation: simulation.organisation, expected, truth, messages };
}

/** Each employee's assignment holding at `ts` (the latest begun at or before it). */
function heldAt(assignments: readonly AssignmentChanged[], ts: number): Map<string, AssignmentChanged> {
  const held = new Map<string, AssignmentChanged>();
  for (const a of [...assignments].sort((x, y) => x.valid_from - y.valid_from)) if (a.valid_from <= ts) held.set(a.employee_id, a);
  return held;
}

/** Team → its members and supervisors at `ts`. */
function teamsAt(
  assignments: readonly AssignmentChanged[],
  ts: number,
): Map<string, { members: string[]; supervisors: Set<string | null>; plants: Set<string> }> {
  const teams = new Map<string, { members: string[]; supervisors: Set<string | null>; plants: Set<string> }>();
  for (const a of heldAt(assignments, ts).values()) {
    let team = teams.get(a.team_id);
    if (!team) teams.set(a.team_id, (team = { members: [], supervisors: new Set(), plants: new Set() }));
    team.members.push(a.employee_id);
    team.supervisors.add(a.supervisor_id);
    team.plants.add(a.plant_id);
  }
  return teams;
}

/** The processors' StreamRunner, its plants' directory told every simulated assignment: its rows must be the expected rows, every column. */
async function expectProcessorsToAgree(
  messages: readonly OutboundMessage[],
  expected: readonly ExpectedRow[],
  assignments: readonly AssignmentChanged[],
): Promise<void> {
  const windows = windowAssignerOf({ ...UTC_CLOCK, plantsFile: PLANTS_FILE });
  expect(windows).toBeInstanceOf(PlantWindows);
  (windows as PlantWindows).learn(assignments.map(placementOf));
  const driver = new TopologyTestDriver({ windows, idleClose: HOUR });
  for (const m of messages) await driver.pipeBytes(m.kind, m.value, { partition: Number(m.key.slice(1)) % 3, key: m.key });
  driver.advanceWallClock(2 * HOUR);
  await driver.flush();
  const columns = [...CONTRACT_COLUMNS, ...PLANT_TIME_COLUMNS];
  const project = (row: Record<string, unknown>) => Object.fromEntries(columns.map((c) => [c, row[c]]));
  const order = (a: { window_start: number; employee_id: string }, b: { window_start: number; employee_id: string }) =>
    a.window_start - b.window_start || a.employee_id.localeCompare(b.employee_id);
  expect(driver.deadLetters).toEqual([]);
  expect(driver.rows().map((row: WindowRow) => project({ ...metricsOf(row), ...row }))).toEqual([...expected].sort(order).map((row) => project({ ...row })));
}

describe('one plant', () => {
  const { options, organisation, expected, simulation, truth } = run({ employees: 30, days: 6, seed: 5, start: Date.UTC(2026, 8, 1) });
  const { assignments } = organisation;
  const change = options.start + 3 * DAY; // the first day of the second half, UTC days

  test('everyone is assigned before their first window, in plant-1, in teams of 8 or more, one shift and one supervisor each', () => {
    const first = heldAt(assignments, Math.min(...expected.map((r) => r.window_start)));
    expect([...first.keys()].sort()).toEqual(simulation.plant.employees.map((e) => e.id));
    expect(assignments.every((a) => a.plant_id === SINGLE_PLANT_ID && a.valid_to === null && a.submitted_time <= a.valid_from)).toBe(true);
    const teams = teamsAt(assignments, options.start);
    expect(teams.size).toBe(3);
    // A team works one shift: its people share its windows.
    const shiftOf = new Map(simulation.plant.employees.map((e) => [e.id, e.shift]));
    for (const team of teams.values()) expect(new Set(team.members.map((m) => shiftOf.get(m))).size).toBe(1);
    for (const team of teams.values()) {
      expect(team.members.length).toBeGreaterThanOrEqual(TEAM_SIZE);
      expect(team.supervisors.size).toBe(1);
      expect(team.supervisors.has(null)).toBe(false);
    }
  });

  test('mid-period one person changes team and the first team gets a new supervisor; every team keeps 5 or more', () => {
    expect(organisation.teamMoves).toEqual([{ employeeId: expect.any(String), from: 'plant-1-line-01', to: 'plant-1-line-02', at: change }]);
    expect(organisation.supervisorChange).toMatchObject({ teamId: 'plant-1-line-01', at: change });
    const before = teamsAt(assignments, change - 1);
    const after = teamsAt(assignments, change);
    const mover = organisation.teamMoves[0]!.employeeId;
    expect(before.get('plant-1-line-01')!.members).toContain(mover);
    expect(after.get('plant-1-line-02')!.members).toContain(mover);
    expect(after.get('plant-1-line-01')!.supervisors).toEqual(new Set([organisation.supervisorChange!.to]));
    expect(after.get('plant-1-line-02')!.supervisors).toEqual(before.get('plant-1-line-02')!.supervisors);
    for (const team of [...before.values(), ...after.values()]) expect(team.members.length).toBeGreaterThanOrEqual(5);
    // One assignment per change: the mover's and the first team's people get a second one; the others keep their first.
    const perEmployee = new Map<string, number>();
    for (const a of assignments) perEmployee.set(a.employee_id, (perEmployee.get(a.employee_id) ?? 0) + 1);
    const changed = new Set([mover, ...before.get('plant-1-line-01')!.members]);
    for (const [employee, count] of perEmployee) expect(count).toBe(changed.has(employee) ? 2 : 1);
    // HR sends a change ahead of its date.
    expect(assignments.filter((a) => a.valid_from === change).every((a) => a.submitted_time < change)).toBe(true);
    // The mover keeps their shift: both teams work it.
    const teamShift = (team: string) => organisation.teams.find((t) => t.id === team)!.post.shift;
    expect(teamShift('plant-1-line-02')).toBe(teamShift('plant-1-line-01'));
    expect(new Set(truth.filter((t) => t.employee_id === mover).map((t) => t.shift))).toEqual(new Set([teamShift('plant-1-line-01')]));
  });

  test('the expected rows name the plant and the team of the window start', () => {
    const mover = organisation.teamMoves[0]!.employeeId;
    expect(expected.every((r) => r.plant_id === SINGLE_PLANT_ID)).toBe(true);
    const teams = new Set(expected.filter((r) => r.employee_id === mover).map((r) => `${r.window_start < change ? 'before' : 'after'} ${r.team_id}`));
    expect(teams).toEqual(new Set(['before plant-1-line-01', 'after plant-1-line-02']));
  });

  test('the same seed sends the same assignments', () => {
    expect(run({ employees: 30, days: 6, seed: 5, start: Date.UTC(2026, 8, 1) }).organisation.assignments).toEqual(assignments);
  });
});

describe('two plants (examples/shifts/two-plants.yaml)', () => {
  // Berlin's clocks go back on 25 October; the second half begins on 26 October.
  const start = Date.UTC(2026, 9, 22);
  const { options, organisation, expected, messages, simulation, truth } = run({ employees: 80, days: 8, seed: 9, start, duplicateRate: 0.02 }, PLANTS_FILE);
  const { assignments } = organisation;
  const transfer = organisation.transfer!;
  const plantOf = (employee: string) => heldAt(assignments, start).get(employee)!.plant_id;

  test('the people are split between the plants, each working its own shifts, in teams with a supervisor', () => {
    expect(options.plants!.map((p) => [p.id, p.timeZone, p.shiftWindows])).toEqual([
      ['plant-berlin', 'Europe/Berlin', true],
      ['plant-suzhou', 'Asia/Shanghai', false],
    ]);
    const employees = simulation.plant.employees;
    const berlin = employees.filter((e) => plantOf(e.id) === 'plant-berlin');
    const suzhou = employees.filter((e) => plantOf(e.id) === 'plant-suzhou');
    expect([berlin.length, suzhou.length]).toEqual([40, 40]);
    expect(berlin.every((e) => e.crew !== '' && e.shift === '')).toBe(true);
    expect(suzhou.every((e) => e.crew === '' && ['day', 'swing'].includes(e.shift))).toBe(true);
    // Stations are the plant's own.
    expect(berlin.some((e) => suzhou.some((s) => s.station.id === e.station.id))).toBe(false);
    // A team is one crew in Berlin, one shift in Suzhou.
    const postOf = new Map(employees.map((e) => [e.id, `${e.shift}|${e.crew}`]));
    for (const [at, teams] of [start, organisation.teamMoves[0]!.at + DAY].map((t) => [t, teamsAt(assignments, t)] as const)) {
      expect(teams.size).toBe(organisation.teams.length);
      for (const team of teams.values()) {
        expect(team.members.length).toBeGreaterThanOrEqual(5);
        expect(team.supervisors.size).toBe(1);
        expect(team.plants.size).toBe(1);
        if (at === start) expect(new Set(team.members.map((m) => postOf.get(m))).size).toBe(1);
      }
    }
  });

  test("each plant's rows follow its own clock: Berlin's crews' shifts, Suzhou's days from 06:00 China time", () => {
    const rows = expected.filter((r) => r.employee_id !== transfer.employeeId);
    const berlin = rows.filter((r) => r.plant_id === 'plant-berlin');
    const suzhou = rows.filter((r) => r.plant_id === 'plant-suzhou');
    expect(berlin.length + suzhou.length).toBe(rows.length);
    expect(new Set(berlin.map((r) => r.shift))).toEqual(new Set(['day', 'swing', 'night']));
    expect(berlin.every((r) => r.crew !== '')).toBe(true);
    // 8 hours, or 9 for the night the clocks go back.
    expect(new Set(berlin.map((r) => (r.window_end - r.window_start) / HOUR))).toEqual(new Set([8, 9]));
    expect(suzhou.every((r) => r.shift === '' && r.crew === '' && r.window_end - r.window_start === DAY)).toBe(true);
    expect(
      suzhou.every((r) => new Date(r.window_start).getUTCHours() === 22 && r.plant_day === new Date(r.window_start + 2 * HOUR).toISOString().slice(0, 10)),
    ).toBe(true);
  });

  test('one person moves from Berlin to Suzhou after their last Berlin shift; their windows change clock at the move', () => {
    expect(transfer).toMatchObject({ fromPlant: 'plant-berlin', toPlant: 'plant-suzhou', lastDay: 4 });
    const rows = expected.filter((r) => r.employee_id === transfer.employeeId);
    const before = rows.filter((r) => r.window_start < transfer.at);
    const after = rows.filter((r) => r.window_start >= transfer.at);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(before.every((r) => r.plant_id === 'plant-berlin' && r.shift !== '' && r.window_end <= transfer.at)).toBe(true);
    expect(after.every((r) => r.plant_id === 'plant-suzhou' && r.team_id === transfer.toTeam && r.shift === '' && r.window_end - r.window_start === DAY)).toBe(
      true,
    );
    const moved = assignments.filter((a) => a.employee_id === transfer.employeeId);
    expect(moved.map((a) => [a.plant_id, a.valid_from])).toEqual([
      ['plant-berlin', start - 7 * DAY],
      ['plant-suzhou', transfer.at],
    ]);
  });

  test('mid-period team changes stay within a plant, and one team gets a new supervisor', () => {
    expect(organisation.teamMoves.length).toBeGreaterThanOrEqual(1);
    for (const move of organisation.teamMoves) {
      const before = heldAt(assignments, move.at - 1).get(move.employeeId)!;
      const after = heldAt(assignments, move.at).get(move.employeeId)!;
      expect([before.team_id, after.team_id]).toEqual([move.from, move.to]);
      expect(after.plant_id).toBe(before.plant_id);
    }
    // Suzhou's day starts at 06:00 China time, 22:00 UTC the day before.
    expect(new Set(organisation.teamMoves.map((m) => `${m.from.split('-line')[0]} ${new Date(m.at).toISOString()}`))).toEqual(
      new Set(['plant-suzhou 2026-10-25T22:00:00.000Z']),
    );
    const change = organisation.supervisorChange!;
    expect(teamsAt(assignments, change.at - 1).get(change.teamId)!.supervisors).toEqual(new Set([change.from]));
    expect(teamsAt(assignments, change.at).get(change.teamId)!.supervisors).toEqual(new Set([change.to]));
  });

  test("the processors, told the assignments, make exactly the expected rows by each plant's clock", async () => {
    expect(expected.length).toBeGreaterThan(150);
    await expectProcessorsToAgree(messages, expected, assignments);
  });

  test("the evaluation harness's ground truth is the simulation's, each plant by its clock", () => {
    expect(simulateTruth(options).truth).toEqual(truth);
  });

  test('a simulation needs a person and a station per plant', () => {
    expect(() => run({ employees: 1, days: 2 }, PLANTS_FILE)).toThrow(/employees: at least one per plant/);
    expect(() => run({ employees: 10, stations: 1, days: 2 }, PLANTS_FILE)).toThrow(/stations: at least one per plant/);
  });
});
