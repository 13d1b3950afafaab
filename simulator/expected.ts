import type { EmployeeWindowMetrics, PlantTimeColumns } from '../contract/windowRow.js';
import type { CustomerFeedback, MachineTelemetry, ProductionReported, QualityInspected, SelfReported } from '../schemas/events.js';

/**
 * The row of kpi.employee_window_metrics that the events of one employee-window
 * must produce, computed straight from docs/contract.md's definitions and written
 * independently of the processors. Sums use the documented resolutions: time
 * to the millisecond, satisfaction to the thousandth. The standing report's
 * period is always there; the plant day, shift and crew when the window
 * names them; the plant and team that held at the window's start
 * (hr.assignments.v1, as the current view shows them) when the simulation
 * assigned the employee.
 */
export type ExpectedRow = EmployeeWindowMetrics &
  Pick<PlantTimeColumns, 'report_period_start' | 'report_period_end'> &
  Partial<PlantTimeColumns> & { plant_id?: string; team_id?: string };

/** The window of an expected row, with its labels when they are known. */
export interface ExpectedWindow {
  readonly start: number;
  readonly end: number;
  readonly plantDay?: string;
  readonly shift?: string;
  readonly crew?: string;
}

export interface WindowEvents {
  production: readonly ProductionReported[];
  telemetry: readonly MachineTelemetry[];
  inspections: readonly QualityInspected[];
  feedback: readonly CustomerFeedback[];
  reports: readonly SelfReported[];
}

const ms = (seconds: number) => Math.round(seconds * 1000);
const sum = <T>(items: readonly T[], f: (item: T) => number) => items.reduce((total, item) => total + f(item), 0);

export function expectedRow(employeeId: string, window: ExpectedWindow, events: WindowEvents): ExpectedRow {
  const standardMs = sum(events.production, (p) => p.units * ms(p.standard_seconds_per_unit));
  const runMs = sum(events.telemetry, (t) => ms(t.run_seconds));
  const inspected = sum(events.inspections, (i) => i.units_inspected);
  const defective = sum(events.inspections, (i) => i.units_defective);
  const satisfactionMilli = sum(events.feedback, (f) => Math.round(f.satisfaction * 1000));
  // The report that stands: the latest submitted_time; ties go to the greater event_id.
  const report = [...events.reports].sort((a, b) => a.submitted_time - b.submitted_time || (a.event_id < b.event_id ? -1 : 1)).at(-1);
  return {
    employee_id: employeeId,
    window_start: window.start,
    window_end: window.end,
    units: sum(events.production, (p) => p.units),
    standard_hours: standardMs / 3_600_000,
    run_hours: runMs / 3_600_000,
    efficiency: runMs === 0 ? null : standardMs / runMs,
    units_inspected: inspected,
    units_defective: defective,
    defect_rate: inspected === 0 ? null : defective / inspected,
    feedback_count: events.feedback.length,
    complaints: events.feedback.filter((f) => f.complaint).length,
    satisfaction_avg: events.feedback.length === 0 ? null : satisfactionMilli / (1000 * events.feedback.length),
    reported_units: report?.reported_units ?? null,
    reported_run_hours: report?.reported_run_hours ?? null,
    reported_defective_units: report?.reported_defective_units ?? null,
    self_score: report ? report.self_score : null,
    ...(window.plantDay === undefined ? {} : { plant_day: window.plantDay, shift: window.shift ?? '', crew: window.crew ?? '' }),
    report_period_start: report?.period_start ?? null,
    report_period_end: report?.period_end ?? null,
  };
}
