import type { DeliveryAttemptRow } from '../../../sinks/clickhouse/queries/alertDeliveries.js';

/** A delivered attempt of the event `eventId` (a firing employee alert) to the webhook, `at` ms. */
export const deliveryAttempt = (eventId: string, at: number): DeliveryAttemptRow => ({
  eventId,
  fingerprint: 'f',
  type: 'alert.firing',
  rule: 'r',
  severity: 'high',
  scope: 'employee',
  employeeId: 'E-1',
  stationId: null,
  windowStart: at,
  metric: 'units',
  value: 1,
  threshold: 2,
  anomaly: null,
  explanation: 'x',
  target: 'webhook',
  attempt: 1,
  outcome: 'delivered',
  httpStatus: 200,
  error: '',
  attemptedAt: at + 1000,
  latencyMs: 5,
});
