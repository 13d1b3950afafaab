import type { CustomerFeedback, MachineTelemetry, ProductionReported, QualityInspected, SelfReported } from '../schemas/events.js';
import { KpiCatalog } from '../kpis/catalog.js';
import { DEFAULT_SCORING, scoreOf } from '../scoring/model.js';
import { expectedRow, type ExpectedRow, type WindowEvents } from './expected.js';
import type { Employee, InflationKind } from './plant.js';
import { Random, roundTo } from './random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
const INTERVAL = 15 * MINUTE;
const SHIFT_HOURS = 8;
const DEFECT_CODES = ['D01-scratch', 'D02-dent', 'D03-misalign', 'D04-missing-part', 'D05-finish', 'D06-dimension'];

/** The figures a self-report is about, measured and as reported (the report that stands). */
export interface ReportFigures {
  units: number;
  run_hours: number;
  defective_units: number;
  self_score: number | null;
}

/** Ground truth of one employee-window with a self-report. */
export interface WindowTruth {
  employee_id: string;
  window_start: number;
  station_id: string;
  measured: ReportFigures & { score: number | null };
  reported: ReportFigures;
  /** Set when this window's report was inflated on purpose. */
  inflation: { kind: InflationKind; degree: number; effective: number } | null;
}

export interface EmployeeDay {
  readonly events: WindowEvents;
  readonly expected: ExpectedRow;
  readonly truth: WindowTruth;
}

export interface DayOptions {
  /** Share of production events that get customer feedback. */
  feedbackShare: number;
  /** Share of an inflator's working days on which they inflate. */
  inflationDays: number;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

const catalog = KpiCatalog.of();

/** The default model's score of a window's measured figures (what a self-score is judged against). */
function measuredScore(row: { efficiency: number | null; defect_rate: number | null; satisfaction_avg: number | null }): number | null {
  return scoreOf({ efficiency: row.efficiency, quality: row.defect_rate, satisfaction: row.satisfaction_avg }, DEFAULT_SCORING, catalog).score;
}

/**
 * Everything one employee does on one day (UTC) and what follows from it:
 * machine telemetry and production during the shift, inspections hours to days
 * later, customer feedback days to weeks later, and the self-report after the
 * shift. Null on the employee's rest days. Pure: a function of its arguments.
 */
export function employeeDay(seed: number, employee: Employee, dayIndex: number, firstDay: number, options: DayOptions): EmployeeDay | null {
  if (employee.restDays.includes(dayIndex % 7)) return null;
  const r = new Random(seed, 'day', employee.index, dayIndex);
  const id = `${employee.id}-${String(dayIndex).padStart(3, '0')}`;
  const dayStart = firstDay + dayIndex * DAY;
  const shiftStart = dayStart + employee.shiftStartHour * HOUR;
  const station = employee.station;

  const telemetry: MachineTelemetry[] = [];
  for (let q = 0; q < SHIFT_HOURS * 4; q += 1) {
    const down = r.chance(0.04) ? roundTo(r.uniform(60, 600), 3) : 0;
    const run = roundTo(Math.min(900 - down, 900 * employee.availability * r.uniform(0.85, 1.15)), 3);
    const idle = Math.max(0, roundTo(900 - run - down, 3));
    const start = shiftStart + q * INTERVAL;
    telemetry.push({
      event_id: `T-${id}-${q}`,
      employee_id: employee.id,
      station_id: station.id,
      interval_start: start,
      interval_end: start + INTERVAL,
      run_seconds: run,
      idle_seconds: idle,
      down_seconds: down,
    });
  }

  const production: ProductionReported[] = [];
  const inspections: QualityInspected[] = [];
  const feedback: CustomerFeedback[] = [];
  for (let hour = 0; hour < SHIFT_HOURS; hour += 1) {
    const product = r.pick(station.products);
    const runSeconds = telemetry.slice(hour * 4, hour * 4 + 4).reduce((total, t) => total + t.run_seconds, 0);
    const units = Math.max(0, Math.round((runSeconds * employee.performance) / product.standardSeconds + r.normal(0, 0.5)));
    const eventTime = shiftStart + (hour + 1) * HOUR - Math.round(r.uniform(1000, 5 * MINUTE));
    const workOrder = `WO-${station.id}-${String(dayIndex).padStart(3, '0')}-${hour}`;
    production.push({
      event_id: `P-${id}-${hour}`,
      employee_id: employee.id,
      station_id: station.id,
      work_order_id: workOrder,
      product_code: product.code,
      event_time: eventTime,
      units,
      standard_seconds_per_unit: product.standardSeconds,
    });
    if (units > 0) {
      const defective = r.binomial(units, employee.defectRate);
      inspections.push({
        event_id: `I-${id}-${hour}`,
        employee_id: employee.id,
        station_id: station.id,
        work_order_id: workOrder,
        production_time: eventTime,
        inspected_time: eventTime + Math.round(r.uniform(2 * HOUR, 72 * HOUR)),
        units_inspected: units,
        units_defective: defective,
        defect_codes: Array.from({ length: Math.min(defective, 3) }, () => r.pick(DEFECT_CODES)),
      });
    }
    if (r.chance(options.feedbackShare)) {
      const satisfaction = roundTo(clamp(r.normal(95 - 450 * employee.defectRate, 5), 0, 100), 1);
      feedback.push({
        event_id: `F-${id}-${hour}`,
        employee_id: employee.id,
        order_id: `O-${id}-${hour}`,
        production_time: eventTime,
        feedback_time: eventTime + Math.round(r.uniform(2 * DAY, 21 * DAY)),
        satisfaction,
        complaint: satisfaction < 60 && r.chance(0.6),
      });
    }
  }

  const window = { start: dayStart, end: dayStart + DAY };
  const measuredRow = expectedRow(employee.id, window, { production, telemetry, inspections, feedback, reports: [] });
  const measured = {
    units: measuredRow.units,
    run_hours: measuredRow.run_hours,
    defective_units: measuredRow.units_defective,
    self_score: null,
    score: measuredScore(measuredRow),
  };

  // The report an honest employee would file: small errors of memory and rounding.
  const reported: ReportFigures = {
    units: Math.max(0, Math.round(measured.units * (1 + r.normal(0, 0.01)))),
    run_hours: roundTo(Math.max(0, measured.run_hours * (1 + r.normal(0, 0.015))), 2),
    defective_units: Math.max(0, measured.defective_units + (r.chance(0.1) ? r.pick([-1, 1]) : 0)),
    self_score: measured.score === null || r.chance(0.1) ? null : roundTo(clamp(measured.score + r.normal(0, 2), 0, 100), 1),
  };
  let inflation: WindowTruth['inflation'] = null;
  const inflator = employee.inflator;
  if (inflator && r.chance(options.inflationDays)) {
    const { kind, degree } = inflator;
    let effective = 0;
    switch (kind) {
      case 'units': {
        const claimed = Math.round(measured.units * (1 + degree));
        reported.units = r.chance(0.5) ? Math.ceil(claimed / 10) * 10 : claimed;
        effective = measured.units > 0 ? reported.units / measured.units - 1 : 0;
        break;
      }
      case 'run_hours': {
        const claimed = measured.run_hours * (1 + degree);
        reported.run_hours = r.chance(0.5) ? Math.ceil(claimed * 2) / 2 : roundTo(claimed, 2);
        effective = measured.run_hours > 0 ? reported.run_hours / measured.run_hours - 1 : 0;
        break;
      }
      case 'defects':
        reported.defective_units = Math.floor(measured.defective_units * (1 - degree));
        effective = measured.defective_units > 0 ? 1 - reported.defective_units / measured.defective_units : 0;
        break;
      case 'self_score':
        if (measured.score !== null) {
          reported.self_score = roundTo(Math.min(100, measured.score * (1 + degree)), 1);
          effective = reported.self_score / measured.score - 1;
        }
        break;
    }
    inflation = { kind, degree, effective: roundTo(effective, 4) };
  }

  const periodEnd = shiftStart + SHIFT_HOURS * HOUR;
  const submitted = periodEnd + Math.round(r.uniform(MINUTE, 4 * HOUR));
  const report = (n: number, figures: ReportFigures, submittedTime: number): SelfReported => ({
    event_id: `R-${id}-${n}`,
    employee_id: employee.id,
    period_start: shiftStart,
    period_end: periodEnd,
    submitted_time: submittedTime,
    reported_units: figures.units,
    reported_run_hours: figures.run_hours,
    reported_defective_units: figures.defective_units,
    self_score: figures.self_score,
  });
  const reports: SelfReported[] = [];
  if (r.chance(0.05)) {
    // A draft filed first and corrected later (sometimes in the same millisecond: the greater event_id stands).
    const draft = { ...reported, units: Math.round(reported.units * r.uniform(0.8, 1.2)) };
    reports.push(report(1, draft, submitted));
    reports.push(report(2, reported, r.chance(0.2) ? submitted : submitted + Math.round(r.uniform(HOUR, 20 * HOUR))));
  } else {
    reports.push(report(1, reported, submitted));
  }

  const events: WindowEvents = { production, telemetry, inspections, feedback, reports };
  return {
    events,
    expected: expectedRow(employee.id, window, events),
    truth: { employee_id: employee.id, window_start: dayStart, station_id: station.id, measured, reported, inflation },
  };
}
