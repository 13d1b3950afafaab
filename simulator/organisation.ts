import type { AssignmentChanged } from '../schemas/events.js';
import { blockOf, simulatedPlants, type Employee, type Plant, type PlantOptions } from './plant.js';
import { PlantTime, type PlantTimeOptions } from './plantTime.js';
import { Random } from './random.js';

/**
 * Who belongs where in a simulated plant, as an HR system keeps it
 * (hr.assignments.v1): everyone in a plant and a team with a supervisor, from
 * a week before the first simulated day, and mid-period (the first day of the
 * second half) some people changing team, one team's supervisor changing,
 * and, with two plants or more, one person moving from the first plant to the
 * second. A pure function of the plant and the options, worked out with the
 * simulator's own clocks (simulator/plantTime.ts), not the processors'.
 */

/** People per team when a plant has enough of them; a plant with fewer than this has one team of all its people. */
export const TEAM_SIZE = 8;
/** How long before the first simulated day everyone's first assignment holds. */
const HIRED_BEFORE = 7 * 86_400_000;
/** How long before a change takes effect HR sends it. */
const SENT_AHEAD = 3 * 86_400_000;

export interface Team {
  readonly id: string;
  readonly plantId: string;
  /** The supervisor from the start (a new one may follow: `supervisorChange`). */
  readonly supervisor: string;
  /** What its people work: a shift of their own, or a crew's rotation. */
  readonly post: Pick<Employee, 'shift' | 'crew'>;
  /** Its people at the start. */
  readonly members: readonly string[];
}

/** Someone moving to another team of their plant that works the same shifts (they keep theirs). */
export interface TeamMove {
  readonly employeeId: string;
  readonly from: string;
  readonly to: string;
  /** From this instant: the day start of the plant's first day of the second half. */
  readonly at: number;
}

export interface SupervisorChange {
  readonly teamId: string;
  readonly from: string;
  readonly to: string;
  readonly at: number;
}

/** One person moving between plants: they stop working in the first, relocate, and work the second's shifts and stations. */
export interface Transfer {
  readonly employeeId: string;
  readonly fromPlant: string;
  readonly toPlant: string;
  readonly toTeam: string;
  /** The move: after their last shift in the old plant ends, at or before the first plant day they work in the new one. */
  readonly at: number;
  /** Simulated days (indices) they work in the old plant: those before this. */
  readonly lastDay: number;
  /** The first simulated day (index) of the new plant they work. */
  readonly firstDay: number;
  /** Where and how they work in the new plant: its station, shift or crew, rest days. */
  readonly posted: Pick<Employee, 'station' | 'shift' | 'crew' | 'restDays'>;
}

/** The plant and team an assignment places someone in. */
export interface Placement {
  readonly plant_id: string;
  readonly team_id: string;
}

/** Where an employee works on a simulated day: as whom (their post there) and by which plant's clock. */
export interface Posting {
  readonly employee: Employee;
  readonly plantId: string;
  readonly time: PlantTime;
}

/** Two rest days a week for someone who takes a shift of their own: their own if they had them, else two drawn for them. */
function restDaysOf(employee: Employee, seed: number): readonly number[] {
  if (employee.restDays.length > 0) return employee.restDays;
  const first = new Random(seed, 'rest', employee.index).int(0, 6);
  return [first, (first + 1) % 7];
}

export type OrganisationOptions = PlantOptions & PlantTimeOptions & { start: number; days: number };

export class Organisation {
  readonly teams: readonly Team[];
  readonly teamMoves: readonly TeamMove[];
  readonly supervisorChange: SupervisorChange | null;
  readonly transfer: Transfer | null;
  /** Every assignment HR sends, in the order it sends them (by submitted_time). */
  readonly assignments: readonly AssignmentChanged[];
  /** Each plant's clock, by plant id. */
  readonly times: ReadonlyMap<string, PlantTime>;
  private readonly plantOf: ReadonlyMap<string, string>;
  private readonly byEmployee: ReadonlyMap<string, readonly AssignmentChanged[]>;

  constructor(plant: Plant, options: OrganisationOptions) {
    const plants = simulatedPlants(options);
    const employees = plant.employees;
    this.times = new Map(plants.map((p) => [p.id, new PlantTime(p, options.start)]));
    this.plantOf = new Map(employees.map((e) => [e.id, plants[blockOf(e.index, employees.length, plants.length)]!.id]));
    const hired = options.start - HIRED_BEFORE;
    // The first day of the second half; no changes in a one-day simulation.
    const changeDay = options.days >= 2 ? Math.floor(options.days / 2) : null;
    const teams: Team[] = [];
    const moves: TeamMove[] = [];
    for (const p of plants) {
      // A team works one post (a shift, or a crew's rotation), as teams do, so its people share its windows.
      const byPost = new Map<string, Employee[]>();
      for (const e of employees) {
        if (this.plantOf.get(e.id) !== p.id) continue;
        const key = `${e.shift}|${e.crew}`;
        const list = byPost.get(key);
        if (list) list.push(e);
        else byPost.set(key, [e]);
      }
      const ofPlant: Team[] = [];
      const at = changeDay === null ? 0 : this.times.get(p.id)!.dayStartAt(changeDay);
      for (const people of [...byPost.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, list]) => list)) {
        const count = Math.max(1, Math.floor(people.length / TEAM_SIZE));
        const members = Array.from({ length: count }, () => [] as string[]);
        people.forEach((e, k) => members[blockOf(k, people.length, count)]!.push(e.id));
        const ofPost: Team[] = members.map((ids, k) => ({
          id: `${p.id}-line-${String(ofPlant.length + k + 1).padStart(2, '0')}`,
          plantId: p.id,
          supervisor: `L${String(teams.length + ofPlant.length + k + 1).padStart(4, '0')}`,
          post: { shift: people[0]!.shift, crew: people[0]!.crew },
          members: ids,
        }));
        ofPlant.push(...ofPost);
        // Every third team of a post gives its last member to the next of the same post (they keep their shifts): each keeps TEAM_SIZE - 1 or more.
        if (changeDay !== null && count >= 2)
          for (let t = 0; t < count; t += 3) moves.push({ employeeId: ofPost[t]!.members.at(-1)!, from: ofPost[t]!.id, to: ofPost[(t + 1) % count]!.id, at });
      }
      teams.push(...ofPlant);
    }
    this.teams = teams;
    this.teamMoves = moves;
    const first = teams[0]!;
    this.supervisorChange =
      changeDay === null
        ? null
        : {
            teamId: first.id,
            from: first.supervisor,
            to: `L${String(teams.length + 1).padStart(4, '0')}`,
            at: this.times.get(first.plantId)!.dayStartAt(changeDay),
          };
    this.transfer = changeDay === null || plants.length < 2 ? null : this.transferOf(plant, options, plants[0]!.id, plants[1]!.id, changeDay);
    this.assignments = this.sentAssignments(employees, hired);
    const byEmployee = new Map<string, AssignmentChanged[]>();
    for (const a of this.assignments) byEmployee.set(a.employee_id, [...(byEmployee.get(a.employee_id) ?? []), a]);
    for (const list of byEmployee.values()) list.sort((a, b) => a.valid_from - b.valid_from);
    this.byEmployee = byEmployee;
  }

  /** Where `employee` works on the `day`-th simulated day; null while they move between plants. */
  postingOn(employee: Employee, day: number): Posting | null {
    const t = this.transfer;
    if (t?.employeeId === employee.id) {
      if (day >= t.firstDay) return { employee: { ...employee, ...t.posted }, plantId: t.toPlant, time: this.times.get(t.toPlant)! };
      if (day >= t.lastDay) return null;
    }
    const plantId = this.plantOf.get(employee.id)!;
    return { employee, plantId, time: this.times.get(plantId)! };
  }

  /** The plant and team an instant belongs to: the latest assignment that began at or before it (none ends). */
  placementAt(employeeId: string, ts: number): Placement | undefined {
    const held = this.byEmployee
      .get(employeeId)
      ?.filter((a) => a.valid_from <= ts)
      .at(-1);
    return held && { plant_id: held.plant_id, team_id: held.team_id };
  }

  /** The person who moves: the first of the first plant's last team (not one changing team), to the second plant's first team and its post. */
  private transferOf(plant: Plant, options: OrganisationOptions, fromPlant: string, toPlant: string, changeDay: number): Transfer | null {
    const team = [...this.teams].reverse().find((t) => t.plantId === fromPlant && !this.teamMoves.some((m) => m.employeeId === t.members[0]));
    if (!team) return null;
    const employee = plant.employees.find((e) => e.id === team.members[0])!;
    const from = this.times.get(fromPlant)!;
    const to = this.times.get(toPlant)!;
    // After the last shift worked in the old plant (a night shift may end past the next day's start).
    let at = from.dayStartAt(changeDay);
    for (let day = 0; day < changeDay; day += 1) at = Math.max(at, from.workedShift(employee, employee.restDays, day)?.end ?? at);
    let firstDay = 0;
    while (to.dayStartAt(firstDay) < at) firstDay += 1;
    const toTeam = this.teams.find((t) => t.plantId === toPlant)!;
    const colleague = plant.employees.find((e) => e.id === toTeam.members[0])!;
    const post = toTeam.post;
    return {
      employeeId: employee.id,
      fromPlant,
      toPlant,
      toTeam: toTeam.id,
      at,
      lastDay: changeDay,
      firstDay,
      posted: { station: colleague.station, shift: post.shift, crew: post.crew, restDays: post.crew === '' ? restDaysOf(employee, options.seed) : [] },
    };
  }

  /** Each employee's assignments: the first, then one at every change of their plant, team or team's supervisor. */
  private sentAssignments(employees: readonly Employee[], hired: number): AssignmentChanged[] {
    const teamById = new Map(this.teams.map((t) => [t.id, t]));
    const firstTeam = new Map(this.teams.flatMap((t) => t.members.map((m) => [m, t.id] as const)));
    const sup = this.supervisorChange;
    const supervisorOf = (teamId: string, at: number) => (sup && sup.teamId === teamId && at >= sup.at ? sup.to : teamById.get(teamId)!.supervisor);
    const teamMoves = new Map(this.teamMoves.map((m) => [m.employeeId, m]));
    const out: AssignmentChanged[] = [];
    for (const employee of employees) {
      // Their own moves, in time order: a team move and the transfer.
      const teamMove = teamMoves.get(employee.id);
      const moves = [
        ...(teamMove ? [{ at: teamMove.at, plant: this.plantOf.get(employee.id)!, team: teamMove.to }] : []),
        ...(this.transfer?.employeeId === employee.id ? [{ at: this.transfer.at, plant: this.transfer.toPlant, team: this.transfer.toTeam }] : []),
      ].sort((a, b) => a.at - b.at);
      const where = (at: number) => moves.filter((m) => m.at <= at).at(-1) ?? { plant: this.plantOf.get(employee.id)!, team: firstTeam.get(employee.id)! };
      const changes = [...new Set([hired, ...moves.map((m) => m.at), ...(sup ? [sup.at] : [])])].sort((a, b) => a - b);
      let last = '';
      let sent = 0;
      for (const at of changes) {
        const { plant, team } = where(at);
        const supervisor = supervisorOf(team, at);
        if (`${plant}|${team}|${supervisor}` === last) continue;
        last = `${plant}|${team}|${supervisor}`;
        sent += 1;
        out.push({
          event_id: `A-${employee.id}-${sent}`,
          employee_id: employee.id,
          plant_id: plant,
          team_id: team,
          supervisor_id: supervisor,
          valid_from: at,
          valid_to: null,
          submitted_time: at === hired ? hired : Math.max(hired, at - SENT_AHEAD),
        });
      }
    }
    return out.sort((a, b) => a.submitted_time - b.submitted_time);
  }
}
