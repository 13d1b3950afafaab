/**
 * A flag: detection's proposal that an employee's self-report is inflated
 * (or, a measurement gap, that it could not be judged for want of
 * measurements). One type for everyone who handles flags: detection raises
 * them, kpi.anomalies keeps them, the report and alerting show them, and a
 * reviewer decides them. A flag is never a verdict.
 */

/** The figures a self-report can inflate, each a kind of flag. */
export const INFLATION_FLAG_KINDS = ['units_overclaim', 'run_hours_overclaim', 'defects_underreport', 'self_score_inflated'] as const;
export type InflationFlagKind = (typeof INFLATION_FLAG_KINDS)[number];

/** Every kind of flag: measurement_gap is not judged for want of measurements, and accuses nobody. */
export const FLAG_KINDS = [...INFLATION_FLAG_KINDS, 'measurement_gap'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

/** How it was found: evidence over a person's reports (sequential), one report far out (single_window), or an incomplete measured side (coverage). */
export type FlagMethod = 'single_window' | 'sequential' | 'coverage';

/** Where a flag stands after review (kpi.flags_current): only a confirmed or disputed flag may name a person. */
export const FLAG_STATUSES = ['proposed', 'confirmed', 'dismissed', 'measurement_problem', 'disputed', 'overturned'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];

/**
 * Whether a flag in this review status stands: confirmed, or disputed and
 * not yet overturned (the report treats them so too). Only a flag that
 * stands may have an effect that names the person, such as an alert.
 */
export function flagStands(status: FlagStatus): boolean {
  return status === 'confirmed' || status === 'disputed';
}

export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Flag {
  readonly employeeId: string;
  readonly stationId: string;
  /** The window whose row holds the report. */
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly kind: FlagKind;
  readonly method: FlagMethod;
  readonly severity: Severity;
  readonly reported: number;
  readonly measured: number;
  /** This report's error: relative excess (units, hours), defective units missing, or self-score points above. */
  readonly deviation: number;
  /** This report's error over the honest spread (robust z); null for measurement gaps. */
  readonly z: number | null;
  /** One line a manager can check. */
  readonly explanation: string;
  /** The reports, spread, threshold and decision behind the flag; for gaps, what is missing. */
  readonly evidence: Record<string, unknown>;
}

/** What a flag says without its figures: what anomaly rules judge and alerts carry. */
export type FlagSummary = Pick<Flag, 'employeeId' | 'stationId' | 'windowStart' | 'windowEnd' | 'kind' | 'method' | 'severity' | 'explanation'>;

/** Whether a flag accuses the employee (every kind but measurement_gap). */
export const isInflationFlag = (f: Pick<Flag, 'kind'>): boolean => f.kind !== 'measurement_gap';

/**
 * A flag from a row of kpi.anomalies (or anomalies_current) read as JSON,
 * its times selected as epoch milliseconds (`window_start_ms`, `window_end_ms`).
 */
export function flagFromRow(row: Record<string, unknown>): Flag {
  return {
    employeeId: String(row.employee_id),
    stationId: String(row.station_id),
    windowStart: Number(row.window_start_ms),
    windowEnd: Number(row.window_end_ms),
    kind: String(row.kind) as FlagKind,
    method: String(row.method) as FlagMethod,
    severity: String(row.severity) as Severity,
    reported: Number(row.reported),
    measured: Number(row.measured),
    deviation: Number(row.deviation),
    z: row.z_score === null ? null : Number(row.z_score),
    explanation: String(row.explanation),
    evidence: JSON.parse(String(row.evidence)) as Record<string, unknown>,
  };
}
