import { hash53Pair } from '../core/hash.js';

/**
 * The employee-window row: what processors produce and the window store keeps
 * (kpi.employee_window_metrics). Both processors/ and sinks/ import this
 * module; neither imports the other.
 */

/** Identifies an employee-window. */
export interface WindowKey {
  readonly employeeId: string;
  readonly windowStart: number;
}

/** docs/contract.md's columns of kpi.employee_window_metrics, times in epoch ms. */
export interface EmployeeWindowMetrics {
  employee_id: string;
  window_start: number;
  window_end: number;
  units: number;
  standard_hours: number;
  run_hours: number;
  efficiency: number | null;
  units_inspected: number;
  units_defective: number;
  defect_rate: number | null;
  feedback_count: number;
  complaints: number;
  satisfaction_avg: number | null;
  reported_units: number | null;
  reported_run_hours: number | null;
  reported_defective_units: number | null;
  self_score: number | null;
}

/** The contract columns, in docs/contract.md's order. */
export const CONTRACT_COLUMNS = [
  'employee_id',
  'window_start',
  'window_end',
  'units',
  'standard_hours',
  'run_hours',
  'efficiency',
  'units_inspected',
  'units_defective',
  'defect_rate',
  'feedback_count',
  'complaints',
  'satisfaction_avg',
  'reported_units',
  'reported_run_hours',
  'reported_defective_units',
  'self_score',
] as const satisfies readonly (keyof EmployeeWindowMetrics)[];

/**
 * The columns that place a row in the plant's time: its plant day, its shift
 * and crew (shift-calendar windows), and the period its self-report covers.
 */
export interface PlantTimeColumns {
  plant_day: string;
  shift: string;
  crew: string;
  report_period_start: number | null;
  report_period_end: number | null;
}

export const PLANT_TIME_COLUMNS = [
  'plant_day',
  'shift',
  'crew',
  'report_period_start',
  'report_period_end',
] as const satisfies readonly (keyof PlantTimeColumns)[];

/**
 * One version of an employee-window's row: its key, the self-report that
 * stands, the primary station, the exact measures and the KPI columns
 * computed from them (`values`, by column name), and what a processor needs to
 * correct the row later (station weights, the fingerprints of the events in it).
 */
export interface WindowRow {
  readonly employee_id: string;
  readonly window_start: number;
  readonly window_end: number;
  /** The local date the window's plant day begins on (YYYY-MM-DD). */
  readonly plant_day: string;
  /** The shift of a shift-calendar window ('unscheduled' between shifts); '' for day windows. */
  readonly shift: string;
  /** The crew on that shift, '' when none. */
  readonly crew: string;
  /** Station where the employee earned the most standard and run time in the window ('' when none). */
  readonly station_id: string;
  /** Events applied; the highest version of a key is its current row. */
  readonly version: number;
  readonly reported_units: number | null;
  readonly reported_run_hours: number | null;
  readonly reported_defective_units: number | null;
  readonly self_score: number | null;
  readonly report_submitted_time: number | null;
  readonly report_event_id: string;
  /** The period the self-report that stands covers: what it is judged against. */
  readonly report_period_start: number | null;
  readonly report_period_end: number | null;
  /** Standard plus run milliseconds per station. */
  readonly station_weights: Readonly<Record<string, number>>;
  /** 48-bit fingerprints of (kind, event_id) of the events applied, ascending (older rows kept 53 bits of the same hash: its low 48 bits are the key). */
  readonly event_keys: readonly number[];
  /** 16-bit digests of those events' bytes, aligned with event_keys. */
  readonly event_digests: readonly number[];
  /** Measures and KPI columns, by column name (units, standard_ms, standard_hours, efficiency, oee …). */
  readonly values: Readonly<Record<string, number | null>>;
  /** The measures per local hour of the window (by the time that places each event), hours ascending, zero measures left out. */
  readonly hourly: readonly HourMeasures[];
}

/** An hour's share of a window's measures: any period is summed exactly from hours. */
export interface HourMeasures {
  /** Start of the local hour (epoch ms). */
  readonly hour: number;
  readonly measures: Readonly<Record<string, number>>;
}

/** The contract columns of a row. */
export function metricsOf(row: WindowRow): EmployeeWindowMetrics {
  const v = row.values;
  const num = (name: string) => v[name] as number;
  const nullable = (name: string) => v[name] ?? null;
  return {
    employee_id: row.employee_id,
    window_start: row.window_start,
    window_end: row.window_end,
    units: num('units'),
    standard_hours: num('standard_hours'),
    run_hours: num('run_hours'),
    efficiency: nullable('efficiency'),
    units_inspected: num('units_inspected'),
    units_defective: num('units_defective'),
    defect_rate: nullable('defect_rate'),
    feedback_count: num('feedback_count'),
    complaints: num('complaints'),
    satisfaction_avg: nullable('satisfaction_avg'),
    reported_units: row.reported_units,
    reported_run_hours: row.reported_run_hours,
    reported_defective_units: row.reported_defective_units,
    self_score: row.self_score,
  };
}

/** Fingerprints in `event_keys` are below this: 48 bits, which a window keeps beside a 16-bit digest in two 32-bit words. */
export const KEY_SPACE = 2 ** 48;

/**
 * The fingerprint of an event in `event_keys`: its kind and event_id (two
 * source systems may reuse each other's ids), never 0. Two events of one
 * window share a fingerprint with a chance of about n²/2^49 for n events: one
 * in 200 billion for a working day's 51; the digest beside it tells them apart
 * (as a conflicting duplicate) but for one time in 65,536.
 */
export function eventKeyOf(kind: string, eventId: string): number {
  return hash53Pair(kind, eventId) % KEY_SPACE || 1;
}
