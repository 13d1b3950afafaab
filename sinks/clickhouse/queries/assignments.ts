import type { AssignmentChanged } from '../../../schemas/events.js';
import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';

/** kpi.assignments: every assignment as HR sent it (migration 0016). */
export const ASSIGNMENTS_TABLE = 'assignments';
/** The standing assignment per employee and valid_from: the latest submission. */
export const ASSIGNMENTS_VIEW = 'assignments_current';
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
