import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';

/** kpi.alert_deliveries: every attempt to deliver an alert event (migration 0010); alert_delivery_state shows each event's state per target. */
export const ALERT_DELIVERIES_TABLE = 'alert_deliveries';

/** One delivery attempt, times as epoch ms. */
export interface DeliveryAttemptRow {
  readonly eventId: string;
  readonly fingerprint: string;
  readonly type: string;
  readonly rule: string;
  readonly severity: string;
  readonly scope: string;
  readonly employeeId: string | null;
  readonly stationId: string | null;
  readonly windowStart: number;
  readonly metric: string | null;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly anomaly: string | null;
  readonly explanation: string;
  readonly target: string;
  readonly attempt: number;
  /** failed: retried; refused: the receiver refused it for good, not retried. */
  readonly outcome: 'delivered' | 'failed' | 'refused';
  readonly httpStatus: number;
  readonly error: string;
  readonly attemptedAt: number;
  readonly latencyMs: number | null;
}

/**
 * Records delivery attempts. A plain MergeTree: an attempt is a fact, so the
 * token is every column of every row; a retried insert of the same attempts
 * is dropped, a new attempt after a crash is a new row.
 */
export async function insertDeliveryAttempts(client: ClickHouseClient, rows: readonly DeliveryAttemptRow[]): Promise<void> {
  if (rows.length === 0) return;
  await insertRows(
    client,
    ALERT_DELIVERIES_TABLE,
    rows.map((r) => ({
      event_id: r.eventId,
      fingerprint: r.fingerprint,
      type: r.type,
      rule: r.rule,
      severity: r.severity,
      scope: r.scope,
      employee_id: r.employeeId,
      station_id: r.stationId,
      window_start: toClickHouseTime(r.windowStart),
      metric: r.metric,
      value: r.value,
      threshold: r.threshold,
      anomaly: r.anomaly,
      explanation: r.explanation,
      target: r.target,
      attempt: r.attempt,
      outcome: r.outcome,
      http_status: r.httpStatus,
      error: r.error,
      attempted_at: toClickHouseTime(r.attemptedAt),
      latency_ms: r.latencyMs,
    })),
    (row) => Object.values(row),
  );
}

/** Per target: events delivered, events failed at least once, attempts, failed attempts. */
export async function readDeliverySummary(
  client: ClickHouseClient,
): Promise<{ target: string; delivered: number; everFailed: number; attempts: number; failures: number }[]> {
  const result = await client.query({
    query: `SELECT target, countIf(state = 'delivered') AS delivered_events, countIf(failures > 0) AS ever_failed, sum(attempts) AS all_attempts, sum(failures) AS failed_attempts
            FROM alert_delivery_state GROUP BY target ORDER BY target`,
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    target: String(r.target),
    delivered: Number(r.delivered_events),
    everFailed: Number(r.ever_failed),
    attempts: Number(r.all_attempts),
    failures: Number(r.failed_attempts),
  }));
}

/**
 * Whom and which window an alert about a person is about, by its fingerprint
 * (the link `review_url` of the event): the employee as the alert named them
 * (a pseudonym unless the rule discloses) and the window's start (epoch ms).
 * Undefined if no delivery of that alert was ever attempted.
 */
export async function readAlertSubject(client: ClickHouseClient, fingerprint: string): Promise<{ employeeId: string; windowStart: number } | undefined> {
  const result = await client.query({
    query: `SELECT employee_id, toUnixTimestamp64Milli(window_start) AS window_start_ms FROM ${ALERT_DELIVERIES_TABLE}
            WHERE fingerprint = {fingerprint:String} AND scope = 'employee' AND employee_id IS NOT NULL LIMIT 1`,
    query_params: { fingerprint },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ employee_id: string; window_start_ms: number | string }>();
  return row === undefined ? undefined : { employeeId: row.employee_id, windowStart: Number(row.window_start_ms) };
}
