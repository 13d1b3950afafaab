import type { Placement } from '../../../contract/plants.js';
import type { AssignmentChanged } from '../../../schemas/events.js';
import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';

/** kpi.assignments: every assignment as HR sent it (migration 0016). */
export const ASSIGNMENTS_TABLE = 'assignments';
/** The standing assignment per employee and valid_from: the latest submission. */
export const ASSIGNMENTS_VIEW = 'assignments_current';
/**
 * The assignment that held at the start of each row of `rows` (the alias of a
 * table or view with an employee_id), `start` being that row's time column:
 * the latest that began at or before it, if it had not ended by then. `join`
 * follows the FROM of `rows` and names the assignment `a`; `holds` is true
 * where one held: the ASOF join gives the latest begun, ended or not, so a
 * query takes a.plant_id, a.team_id or a.supervisor_id only where it holds.
 * Migrations 0018 and 0020 write the same rule in SQL of their own.
 */
export function assignmentAtStart(rows: string, start: string): { readonly join: string; readonly holds: string } {
  return {
    join: `ASOF LEFT JOIN ${ASSIGNMENTS_VIEW} AS a ON ${rows}.employee_id = a.employee_id AND ${rows}.${start} >= a.valid_from`,
    holds: `(a.valid_to IS NULL OR a.valid_to > ${rows}.${start})`,
  };
}

/** An assignment with where it was read from. */
export interface StoredAssignment {
  readonly assignment: AssignmentChanged;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Stores assignments. The token is each record's partition and offset: a
 * replay of the same records is dropped, and past the deduplication window the
 * table's key (employee, valid_from, submission, event id) folds the copies.
 */
export async function insertAssignments(client: ClickHouseClient, stored: readonly StoredAssignment[]): Promise<void> {
  if (stored.length === 0) return;
  await insertRows(
    client,
    ASSIGNMENTS_TABLE,
    stored.map(({ assignment: a, partition, offset }) => ({
      employee_id: a.employee_id,
      valid_from: toClickHouseTime(a.valid_from),
      valid_to: a.valid_to === null ? null : toClickHouseTime(a.valid_to),
      plant_id: a.plant_id,
      team_id: a.team_id,
      supervisor_id: a.supervisor_id,
      submitted_time: toClickHouseTime(a.submitted_time),
      event_id: a.event_id,
      source_partition: partition,
      source_offset: offset,
    })),
    (row) => [row.source_partition, row.source_offset],
  );
}

/** The placement an assignment makes, for the plants' clocks. */
export function placementOf(a: AssignmentChanged): Placement {
  return {
    employeeId: a.employee_id,
    plantId: a.plant_id,
    validFrom: a.valid_from,
    validTo: a.valid_to,
    submittedTime: a.submitted_time,
    eventId: a.event_id,
  };
}

/** Every stored assignment's placement, each submission once (the directory keeps the standing one). */
export async function readPlacements(client: ClickHouseClient): Promise<Placement[]> {
  const result = await client.query({
    query: `SELECT DISTINCT employee_id, toUnixTimestamp64Milli(valid_from) AS valid_from,
              toUnixTimestamp64Milli(valid_to) AS valid_to, plant_id, toUnixTimestamp64Milli(submitted_time) AS submitted_time, event_id
            FROM ${ASSIGNMENTS_TABLE}`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{
    employee_id: string;
    valid_from: string;
    valid_to: string | null;
    plant_id: string;
    submitted_time: string;
    event_id: string;
  }>();
  return rows.map((r) => ({
    employeeId: r.employee_id,
    plantId: r.plant_id,
    validFrom: Number(r.valid_from),
    validTo: r.valid_to === null ? null : Number(r.valid_to),
    submittedTime: Number(r.submitted_time),
    eventId: r.event_id,
  }));
}

/** Whether an assignment to the team names this person as the one who leads it (at any time). */
export function leadsTeam(client: ClickHouseClient, supervisorId: string, teamId: string): Promise<boolean> {
  return teamHasAssignment(client, teamId, 'supervisor_id', supervisorId);
}

/** Whether an assignment places the team in this plant (at any time). */
export function teamInPlant(client: ClickHouseClient, teamId: string, plantId: string): Promise<boolean> {
  return teamHasAssignment(client, teamId, 'plant_id', plantId);
}

/** Whether any assignment to the team (at any time) has `value` in `column`. */
async function teamHasAssignment(client: ClickHouseClient, teamId: string, column: 'supervisor_id' | 'plant_id', value: string): Promise<boolean> {
  const result = await client.query({
    query: `SELECT count() AS n FROM ${ASSIGNMENTS_VIEW} WHERE team_id = {team:String} AND ${column} = {value:String}`,
    query_params: { team: teamId, value },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: number }>())[0]?.n ?? 0) > 0;
}
