import type { Severity } from './flag.js';

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
}
