import type { FlagStatus } from '../../../contract/flag.js';
import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';
import { ASSIGNMENTS_VIEW } from './assignments.js';
import { WINDOW_METRICS_VIEW } from './windowMetrics.js';

/** kpi.reviews: one row per event of kpi.reviews.v1 and what became of it (migration 0020). */
export const REVIEWS_TABLE = 'reviews';
/** Every current flag with its id and review status. */
export const FLAGS_CURRENT_VIEW = 'flags_current';
/** Every dispute and where it stands. */
export const DISPUTES_CURRENT_VIEW = 'disputes_current';
/** Disputes per 100 employees, share upheld and median days to decide, per month and plant. */
export const DISPUTE_FIGURES_VIEW = 'dispute_figures';

/**
 * The view of dispute figures per month (UTC) and plant: disputes opened per
 * 100 employees (the people with window rows in that month and plant), the
 * share of decided disputes HR upheld, and the median days from opening to
 * HR's decision (withdrawn disputes are not decided). Made anew by every
 * migrate, after the current window rows' view it reads.
 */
export function disputeFiguresStatement(): { what: string; statement: string } {
  const decided = `status IN ('upheld', 'rejected')`;
  return {
    what: `the view ${DISPUTE_FIGURES_VIEW}`,
    statement: `CREATE OR REPLACE VIEW ${DISPUTE_FIGURES_VIEW} SQL SECURITY DEFINER AS
SELECT
    e.period_start AS period_start,
    e.plant_id AS plant_id,
    e.employees AS employees,
    d.disputes AS disputes,
    100 * d.disputes / e.employees AS disputes_per_100_employees,
    d.decided AS decided,
    d.upheld AS upheld,
    if(d.decided = 0, NULL, d.upheld / d.decided) AS share_upheld,
    if(d.decided = 0, NULL, d.median_days) AS median_days_to_decide
FROM
(
    SELECT toStartOfMonth(window_start) AS period_start, plant_id, uniqExact(employee_id) AS employees
    FROM ${WINDOW_METRICS_VIEW}
    GROUP BY period_start, plant_id
) AS e
LEFT JOIN
(
    SELECT
        toStartOfMonth(opened_at) AS period_start,
        plant_id,
        count() AS disputes,
        countIf(${decided}) AS decided,
        countIf(status = 'upheld') AS upheld,
        quantileExactIf(0.5)((toUnixTimestamp64Milli(assumeNotNull(decided_at)) - toUnixTimestamp64Milli(opened_at)) / 86400000, ${decided}) AS median_days
    FROM ${DISPUTES_CURRENT_VIEW}
    GROUP BY period_start, plant_id
) AS d ON e.period_start = d.period_start AND e.plant_id = d.plant_id`,
  };
}

/** A row of kpi.reviews, times in epoch milliseconds. */
export interface ReviewRow {
  readonly event_id: string;
  readonly type: string;
  readonly subject_id: string;
  readonly employee_id: string;
  readonly flag_id: string;
  readonly disputed: string;
  readonly disputed_id: string;
  readonly decision: string;
  readonly text: string;
  readonly actor_id: string;
  readonly actor_role: string;
  readonly at: number;
  readonly expected_status: string;
  readonly outcome: 'applied' | 'conflict';
  readonly conflict_reason: string;
  readonly status_after: string;
  readonly flag_status_after: string;
  readonly topic_partition: number;
  readonly topic_offset: number;
}

const COLUMNS =
  'event_id, type, subject_id, employee_id, flag_id, disputed, disputed_id, decision, text, actor_id, actor_role, toUnixTimestamp64Milli(at) AS at, expected_status, outcome, conflict_reason, status_after, flag_status_after, topic_partition, topic_offset';

/** Parses numbers ClickHouse's JSON gives as strings (UInt64, Int64). */
function rowOf(raw: Record<string, unknown>): ReviewRow {
  return { ...(raw as unknown as ReviewRow), at: Number(raw.at), topic_partition: Number(raw.topic_partition), topic_offset: Number(raw.topic_offset) };
}

/**
 * Writes the rows of a batch of events. The token is the rows, each of which
 * names its event, partition and offset: a retry of the batch writes nothing,
 * and a row written again by another batching is the same event_id, which
 * the table keeps once.
 */
export async function insertReviews(client: ClickHouseClient, rows: readonly ReviewRow[]): Promise<void> {
  await insertRows(
    client,
    REVIEWS_TABLE,
    rows.map((r) => ({ ...r, at: toClickHouseTime(r.at) })),
    (r) => Object.values(r),
  );
}

/** Every row, in the order the events were applied: what the applier rebuilds its state from. */
export async function readReviews(client: ClickHouseClient): Promise<ReviewRow[]> {
  const result = await client.query({
    query: `SELECT ${COLUMNS} FROM ${REVIEWS_TABLE} FINAL ORDER BY topic_partition, topic_offset`,
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map(rowOf);
}

/** The row of one event, once the applier wrote it. */
export async function readReview(client: ClickHouseClient, eventId: string): Promise<ReviewRow | undefined> {
  const result = await client.query({
    query: `SELECT ${COLUMNS} FROM ${REVIEWS_TABLE} FINAL WHERE event_id = {event:String}`,
    query_params: { event: eventId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<string, unknown>>();
  return row ? rowOf(row) : undefined;
}

/** A current flag as a decision needs it: whom it is about and where its review stands. */
export interface FlagStanding {
  readonly flag_id: string;
  readonly employee_id: string;
  readonly status: string;
}

export async function readFlagStanding(client: ClickHouseClient, flagId: string): Promise<FlagStanding | undefined> {
  const result = await client.query({
    query: `SELECT flag_id, employee_id, status FROM ${FLAGS_CURRENT_VIEW} WHERE flag_id = {flag:String}`,
    query_params: { flag: flagId },
    format: 'JSONEachRow',
  });
  return (await result.json<FlagStanding>())[0];
}

/**
 * The review status of every decided flag of the windows that start in
 * [from, to) (flags nobody decided are proposed and not listed): what
 * `alerts test` gives the evaluator beside the flags.
 */
export async function readFlagStatuses(client: ClickHouseClient, range: { from: number; to: number }): Promise<{ flagId: string; status: FlagStatus }[]> {
  const result = await client.query({
    query: `SELECT flag_id, status FROM ${FLAGS_CURRENT_VIEW}
            WHERE status != 'proposed' AND window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  return (await result.json<{ flag_id: string; status: FlagStatus }>()).map((r) => ({ flagId: r.flag_id, status: r.status }));
}

/** A dispute as a decision needs it. */
export interface DisputeStanding {
  readonly dispute_id: string;
  readonly employee_id: string;
  readonly status: string;
}

export async function readDisputeStanding(client: ClickHouseClient, disputeId: string): Promise<DisputeStanding | undefined> {
  const result = await client.query({
    query: `SELECT dispute_id, employee_id, status FROM ${DISPUTES_CURRENT_VIEW} WHERE dispute_id = {dispute:String}`,
    query_params: { dispute: disputeId },
    format: 'JSONEachRow',
  });
  return (await result.json<DisputeStanding>())[0];
}

/** A month's dispute figures of a plant (the view dispute_figures), as the app gives them. */
export interface DisputeFigures {
  /** The month's first day, YYYY-MM-DD (UTC). */
  readonly period_start: string;
  readonly plant_id: string;
  readonly employees: number;
  readonly disputes: number;
  readonly disputes_per_100_employees: number;
  readonly decided: number;
  readonly upheld: number;
  readonly share_upheld: number | null;
  readonly median_days_to_decide: number | null;
}

/**
 * The dispute figures per month and plant, oldest month first: of every plant,
 * or with `teamId` of the plant(s) that team belongs to (assignments_current);
 * with `months`, the months that overlap [from, to) only.
 * A month in which the plant had fewer than `minEmployees` people is left out:
 * a count of disputes among so few would point at someone. Per team they are
 * not given: most teams are too small for that.
 */
export async function readDisputeFigures(
  client: ClickHouseClient,
  minEmployees: number,
  teamId?: string,
  months?: { readonly from: number; readonly to: number },
): Promise<DisputeFigures[]> {
  const ofTeam = `AND f.plant_id IN (SELECT plant_id FROM ${ASSIGNMENTS_VIEW} WHERE team_id = {team:String} AND plant_id != '')`;
  const result = await client.query({
    // The view's columns by its alias f: the month as text would otherwise shadow f.period_start in WHERE.
    query: `SELECT toString(f.period_start) AS period_start, plant_id, employees, disputes, disputes_per_100_employees, decided, upheld, share_upheld, median_days_to_decide
            FROM ${DISPUTE_FIGURES_VIEW} AS f
            WHERE f.employees >= {min:UInt32} ${teamId === undefined ? '' : ofTeam}
              ${months === undefined ? '' : 'AND f.period_start >= toStartOfMonth(fromUnixTimestamp64Milli({from:Int64})) AND f.period_start < fromUnixTimestamp64Milli({to:Int64})'}
            ORDER BY f.period_start, f.plant_id`,
    query_params: { min: minEmployees, ...(teamId === undefined ? {} : { team: teamId }), ...(months ?? {}) },
    format: 'JSONEachRow',
  });
  const orNull = (x: unknown) => (x === null ? null : Number(x));
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    period_start: String(r.period_start),
    plant_id: String(r.plant_id),
    employees: Number(r.employees),
    disputes: Number(r.disputes),
    disputes_per_100_employees: Number(r.disputes_per_100_employees),
    decided: Number(r.decided),
    upheld: Number(r.upheld),
    share_upheld: orNull(r.share_upheld),
    median_days_to_decide: orNull(r.median_days_to_decide),
  }));
}

/** A dispute as the app shows it (disputes_current), times in ISO 8601 (UTC). */
export interface Dispute {
  readonly dispute_id: string;
  readonly employee_id: string;
  readonly subject: string;
  readonly subject_id: string;
  readonly status: string;
  readonly statement: string;
  readonly opened_at: string;
  readonly decided_by: string;
  readonly decided_at: string | null;
  readonly resolution: string;
  readonly plant_id: string;
  readonly team_id: string;
}

/** Which disputes to read; the fields given all hold. */
export interface DisputeSelection {
  readonly disputeId?: string;
  readonly employeeId?: string;
  readonly status?: string;
  /** Disputes opened by people of this plant (their plant when they opened it). */
  readonly plantId?: string;
}

/** Disputes, oldest first. */
export async function readDisputes(client: ClickHouseClient, selection: DisputeSelection): Promise<Dispute[]> {
  const where = [
    ...(selection.disputeId === undefined ? [] : ['dispute_id = {dispute:String}']),
    ...(selection.employeeId === undefined ? [] : ['employee_id = {employee:String}']),
    ...(selection.status === undefined ? [] : ['status = {status:String}']),
    ...(selection.plantId === undefined ? [] : ['plant_id = {plant:String}']),
  ];
  const result = await client.query({
    query: `SELECT dispute_id, employee_id, subject, subject_id, status, statement, opened_at, decided_by, decided_at, resolution, plant_id, team_id
            FROM ${DISPUTES_CURRENT_VIEW}
            ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
            ORDER BY opened_at, dispute_id`,
    query_params: { dispute: selection.disputeId ?? '', employee: selection.employeeId ?? '', status: selection.status ?? '', plant: selection.plantId ?? '' },
    format: 'JSONEachRow',
    clickhouse_settings: { date_time_output_format: 'iso' },
  });
  return result.json<Dispute>();
}
