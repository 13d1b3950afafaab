import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';

/** kpi.access_log: who read or erased a person's data through kpi-stream, when and why (migration 0017). */
export const ACCESS_LOG_TABLE = 'access_log';

/** What was done: one person's data exported or erased, a report that names people, or a person's data read through the app (`kpi-stream app`). */
export type AccessAction = 'subject_export' | 'subject_erase' | 'report_with_names' | 'app_read';

/** Who asks, and why: given by the person running kpi-stream (--actor, --purpose). */
export interface AccessRequest {
  readonly actor: string;
  readonly purpose: string;
}

export interface AccessRecord extends AccessRequest {
  readonly action: AccessAction;
  /** The person whose data it is. */
  readonly employeeId: string;
  /** What was read or erased, as JSON. */
  readonly details: Record<string, unknown>;
  /** When (epoch ms); now by default. */
  readonly at?: number;
}

/**
 * Writes rows of the access log, in one insert. Callers write them before
 * they hand the data out or remove it: a failure here stops them. The token
 * holds the whole rows, their times included: two accesses alike in all else
 * are two rows, a retry of one insert is one.
 */
export async function recordAccess(client: ClickHouseClient, ...records: readonly AccessRecord[]): Promise<void> {
  const now = Date.now();
  const rows = records.map((record) => ({
    at: toClickHouseTime(record.at ?? now),
    actor: record.actor,
    action: record.action,
    employee_id: record.employeeId,
    purpose: record.purpose,
    details: JSON.stringify(record.details),
  }));
  await insertRows(client, ACCESS_LOG_TABLE, rows, (r) => Object.values(r));
}
