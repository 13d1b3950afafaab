import { flagFromRow, type Flag, type FlagStatus } from '../../../contract/flag.js';
import { placementOf, type ClickHouseClient } from '../client.js';
import { ClusterRenderer } from '../cluster.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';
import { assignmentAtStart } from './assignments.js';
import { FLAGS_CURRENT_VIEW } from './reviews.js';

/** kpi.anomalies: flags of inflated self-reports and measurement gaps (migrations 0004, 0009); anomalies_current shows the current ones. */
export const ANOMALIES_TABLE = 'anomalies';

/** A row's flag id in SQL, as contract/flagId.ts computes it (and the view flags_current, migration 0020). */
const FLAG_ID_SQL = `concat('f_', substring(lower(hex(SHA256(concat(employee_id, '\\n', toString(toUnixTimestamp64Milli(window_start)), '\\n', kind, '\\n', method)))), 1, 24))`;

/**
 * Replaces the flags of the windows that start in [from, to) with these,
 * but for the flags of ids in `keep` (flags reviewers decided, which stay as
 * they were decided). The insert's token holds the run's version
 * (detected_at) beside each flag's key: flags equal to ones this DELETE
 * removed must still be written.
 */
export async function replaceAnomalies(
  client: ClickHouseClient,
  range: { from: number; to: number },
  rows: readonly Flag[],
  rulesVersion: string,
  keep: readonly string[] = [],
): Promise<void> {
  const kept = keep.length > 0 ? ` AND ${FLAG_ID_SQL} NOT IN {keep:Array(String)}` : '';
  const remove = `DELETE FROM ${ANOMALIES_TABLE} WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}${kept}`;
  const placement = placementOf(client);
  // On a cluster the rows are deleted where they are stored: the local tables, on every node.
  for (const query of placement ? new ClusterRenderer(placement).render({ statement: remove, where: 'replacing anomalies' }) : [remove]) {
    await client.command({ query, query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to), keep } });
  }
  if (rows.length === 0) return;
  const detectedAt = toClickHouseTime(Date.now());
  await insertRows(
    client,
    ANOMALIES_TABLE,
    rows.map((f) => ({
      employee_id: f.employeeId,
      station_id: f.stationId,
      window_start: toClickHouseTime(f.windowStart),
      window_end: toClickHouseTime(f.windowEnd),
      kind: f.kind,
      method: f.method,
      severity: f.severity,
      reported: f.reported,
      measured: f.measured,
      deviation: f.deviation,
      z_score: f.z,
      explanation: f.explanation,
      evidence: JSON.stringify(f.evidence),
      rules_version: rulesVersion,
      detected_at: detectedAt,
    })),
    (row) => [row.employee_id, row.window_start, row.kind, row.method, row.detected_at],
  );
}

/** The current flags of the windows that start in [from, to). */
export async function readAnomalies(client: ClickHouseClient, range: { from: number; to: number }): Promise<Flag[]> {
  const result = await client.query({
    query: `SELECT *, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms
            FROM anomalies_current WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map(flagFromRow);
}

/** A current flag and its review status (flags_current). */
export type ReviewedAnomaly = Flag & { readonly status: FlagStatus };

/** The current flags of the windows that start in [from, to) whose review status is one of `statuses`. */
export async function readReviewedAnomalies(
  client: ClickHouseClient,
  range: { from: number; to: number },
  statuses: readonly FlagStatus[],
): Promise<ReviewedAnomaly[]> {
  const result = await client.query({
    query: `SELECT *, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms
            FROM ${FLAGS_CURRENT_VIEW}
            WHERE status IN {statuses:Array(String)} AND window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to), statuses },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((row) => ({ ...flagFromRow(row), status: row.status as FlagStatus }));
}

export interface FlaggedEmployee {
  readonly employeeId: string;
  readonly flags: number;
  readonly high: number;
  readonly kinds: readonly string[];
  /** One flag's explanation, for a first look. */
  readonly example: string;
}

/** The employees with the most high-severity inflation flags, then the most flags (measurement gaps are not held against anyone). */
export async function readMostFlagged(client: ClickHouseClient, limit: number): Promise<FlaggedEmployee[]> {
  const result = await client.query({
    query: `SELECT employee_id, count() AS flags, countIf(severity = 'high') AS high, arraySort(groupUniqArray(kind)) AS kinds, any(explanation) AS example
            FROM anomalies_current WHERE kind != 'measurement_gap'
            GROUP BY employee_id ORDER BY high DESC, flags DESC, employee_id LIMIT {limit:UInt32}`,
    query_params: { limit },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employeeId: String(r.employee_id),
    flags: Number(r.flags),
    high: Number(r.high),
    kinds: r.kinds as string[],
    example: String(r.example),
  }));
}

/** A flag as the app shows it: the flag, its id and review status (flags_current), and the plant, team and supervisor that held at its window's start (empty where none). */
export interface PlacedFlag extends Flag {
  readonly flagId: string;
  readonly status: string;
  readonly plantId: string;
  readonly teamId: string;
  readonly supervisorId: string;
}

/** Which current flags to read; the fields given all hold. */
export interface FlagSelection {
  /** One flag, by its id (people/flagId.ts). */
  readonly flagId?: string;
  /** One person's flags. */
  readonly employeeId?: string;
  /** The flags of the people whose team this supervisor led at each flag's window start. */
  readonly supervisorId?: string;
  /** Flags in this review status only. */
  readonly status?: string;
  /** The flags of the people who were in this plant at each flag's window start. */
  readonly plantId?: string;
  /** The flags of the window that starts then (epoch ms). */
  readonly windowStart?: number;
}

/**
 * Current flags for the app, from flags_current (each with its id and review
 * status), oldest window first, placed by the assignment that held at each
 * flag's window start (assignments_current).
 */
export async function readPlacedFlags(client: ClickHouseClient, selection: FlagSelection): Promise<PlacedFlag[]> {
  const { join, holds } = assignmentAtStart('f', 'window_start');
  const where = [
    ...(selection.flagId === undefined ? [] : ['f.flag_id = {flag:String}']),
    ...(selection.employeeId === undefined ? [] : ['f.employee_id = {employee:String}']),
    ...(selection.supervisorId === undefined ? [] : [`${holds} AND a.supervisor_id = {supervisor:String}`]),
    ...(selection.status === undefined ? [] : ['f.status = {status:String}']),
    ...(selection.plantId === undefined ? [] : [`${holds} AND a.plant_id = {plant:String}`]),
    ...(selection.windowStart === undefined ? [] : ['f.window_start = fromUnixTimestamp64Milli({start:Int64})']),
  ];
  const result = await client.query({
    query: `SELECT f.*, toUnixTimestamp64Milli(f.window_start) AS window_start_ms, toUnixTimestamp64Milli(f.window_end) AS window_end_ms,
                   if(${holds}, a.supervisor_id, '') AS placed_supervisor
            FROM ${FLAGS_CURRENT_VIEW} AS f
            ${join}
            ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
            ORDER BY f.window_start, f.employee_id, f.kind, f.method`,
    query_params: {
      flag: selection.flagId ?? '',
      employee: selection.employeeId ?? '',
      supervisor: selection.supervisorId ?? '',
      status: selection.status ?? '',
      plant: selection.plantId ?? '',
      start: selection.windowStart ?? 0,
    },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((row) => ({
    ...flagFromRow(row),
    flagId: String(row.flag_id),
    status: String(row.status),
    plantId: String(row.plant_id),
    teamId: String(row.team_id),
    supervisorId: String(row.placed_supervisor),
  }));
}
