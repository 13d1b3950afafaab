import { z } from 'zod';
import { SEVERITIES, type Severity } from './flag.js';

/**
 * The alert event: what alert receivers rely on (docs/contract.md, "Alert
 * events"). Raised by alerting's evaluator, kept in the outbox topic
 * kpi.alerts.v1, delivered to the webhook and Alertmanager, and recorded per
 * delivery attempt in kpi.alert_deliveries.
 */

/** What an alert rule judges: one employee's windows, a station's (its employees' sums), or the whole plant's. */
export const SCOPES = ['employee', 'station', 'plant'] as const;
export type Scope = (typeof SCOPES)[number];

/** One alert event, as it goes to kpi.alerts.v1, the webhook and Alertmanager (docs/contract.md, "Alert events"). */
export interface AlertEvent {
  readonly type: 'alert.firing' | 'alert.resolved';
  /** Unique per event; the same on every delivery retry. */
  readonly id: string;
  /** Stable for (rule, scope key, window). */
  readonly fingerprint: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly scope: Scope;
  /** Employee scope: the employee's pseudonym (`e_` and 24 hex characters), or their id where the rule discloses it. */
  readonly employee_id: string | null;
  readonly station_id: string | null;
  readonly window_start: string;
  readonly window_end: string;
  readonly metric: string | null;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly anomaly: string | null;
  readonly explanation: string;
  readonly started_at: string | null;
  readonly ended_at: string | null;
  /** kpi-stream's addition: when the processors applied the change that raised or resolved it (null for anomaly rules). */
  readonly observed_at: string | null;
  /** kpi-stream's addition: employee scope, the review page of the alert's person and window in the people app (null otherwise). */
  readonly review_url: string | null;
}

/**
 * The records of the outbox kpi.alerts.v1, read back for delivery. Anyone
 * with produce rights on the topic can write to it, so each record is checked
 * against the contract (docs/contract.md, "Alert events") before it is signed
 * and sent: one that is not an alert event is dead-lettered, never delivered,
 * and never stops the delivery of the others or their audit.
 */
const isoTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'an ISO 8601 time');
const nullableNumber = z.number().refine(Number.isFinite, 'a finite number').nullable();

const alertEventSchema = z.object({
  type: z.enum(['alert.firing', 'alert.resolved']),
  id: z.string().min(1).max(128),
  fingerprint: z.string().min(1).max(128),
  rule: z.string().min(1).max(256),
  severity: z.enum(SEVERITIES),
  scope: z.enum(SCOPES),
  employee_id: z.string().nullable(),
  station_id: z.string().nullable(),
  window_start: isoTime,
  window_end: isoTime,
  metric: z.string().nullable(),
  value: nullableNumber,
  threshold: nullableNumber,
  anomaly: z.string().nullable(),
  explanation: z.string(),
  started_at: isoTime.nullable(),
  ended_at: isoTime.nullable(),
  // kpi-stream's addition, absent from events other writers follow the contract with.
  observed_at: isoTime.nullable().default(null),
  review_url: z.string().nullable().default(null),
});

/** An outbox record's value: the alert event it holds, or why it is not one. */
export function readAlertEvent(value: Buffer | null): { event: AlertEvent } | { invalid: string } {
  if (value === null) return { invalid: 'the record has no value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { invalid: `not JSON (${(error as Error).message})` };
  }
  const parsed = alertEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { invalid: `not an alert event of the contract: ${issue.path.join('.') || 'the value'}: ${issue.message}` };
  }
  return { event: parsed.data };
}
