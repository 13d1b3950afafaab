import type { CustomerFeedback, MachineTelemetry, ProductionReported, QualityInspected, SelfReported } from '../schemas/events.js';
import { KpiCatalog } from '../kpis/catalog.js';
import { DEFAULT_SCORING, scoreOf } from '../scoring/model.js';
import { expectedRow, type WindowEvents } from './expected.js';
import type { Employee, InflationKind } from './plant.js';
import type { PlantTime, WorkedShift } from './plantTime.js';
import { Random, roundTo } from './random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
const INTERVAL = 15 * MINUTE;
const DEFECT_CODES = ['D01-scratch', 'D02-dent', 'D03-misalign', 'D04-missing-part', 'D05-finish', 'D06-dimension'];

/** The figures a self-report is about, measured and as reported (the report that stands). */
export interface ReportFigures {
  units: number;
  run_hours: number;
  defective_units: number;
  self_score: number | null;
}

/** What the plant's systems delivered beyond the report's figures: what detection judges coverage by. */
export interface MeasuredExtras {
  score: number | null;
  standard_hours: number;
  /** Hours the IoT gateway reported on: run + idle + down. */
  telemetry_hours: number;
}

export const GAP_KINDS = ['iot_outage', 'mes_outage', 'dead_letters'] as const;
export type GapKind = (typeof GAP_KINDS)[number];

/**
 * A planted hole in what was measured during a shift: an IoT gateway outage
 * (no telemetry for some hours), an MES outage (no production counts for some
 * hours), or records that reached Kafka malformed and were dead-lettered
 * instead of counted. The employee worked and reported as usual.
 */
export type MeasurementGap =
  { kind: 'iot_outage' | 'mes_outage'; hours: number } | { kind: 'dead_letters'; records: { production: number; telemetry: number } };

/** Ground truth of one self-report: the shift it covers and the window that holds it. */
export interface WindowTruth {
  employee_id: string;
  /** The window that holds the report: the one containing its period start. */
  window_start: number;
  station_id: string;
  /** What the plant's systems delivered over the report's period (what ClickHouse holds), not what was done when a gap hid part of it. */
  measured: ReportFigures & MeasuredExtras;
  reported: ReportFigures;
  /** Set when this window's report was inflated on purpose. */
  inflation: { kind: InflationKind; degree: number; effective: number } | null;
  /** Set when part of the shift was not measured. */
  gap: MeasurementGap | null;
  window_end: number;
  /** The shift worked, as the shifts name it (day, swing, night …). */
  shift: string;
  /** The period the report covers: the shift, [start, end). */
  period_start: number;
  period_end: number;
}

/** A valid record that the plant sent malformed, so it was dead-lettered instead of counted. */
export interface DeadLetteredEvent {
  kind: 'production' | 'telemetry';
  event: ProductionReported | MachineTelemetry;
  /** When the source sent it. */
  sent: number;
}

export interface EmployeeDay {
  readonly shift: WorkedShift;
  /** The events that reach the processors intact. */
  readonly events: WindowEvents;
  readonly deadLettered: readonly DeadLetteredEvent[];
  readonly truth: WindowTruth;
}

/**
 * How far honest self-reports are off, with no intent: typed from memory.
 * `normal`: a normal error with a standard deviation of half the bound (about
 * 95% of reports within it); `uniform`: evenly spread within the bound.
 */
export interface HonestErrors {
  /** Reported units are off by up to ± this share of those made. */
  units: number;
  /** Reported run hours are off by up to ± this share. */
  runHours: number;
  /** On `defectSlips` of reports, admitted defective units are off by 1 to this many, either way. */
  defects: number;
  defectSlips: number;
  shape: 'normal' | 'uniform';
}

/** Today's honest errors: units ±1% and run hours ±1.5% (one sd), one defect miscounted in one report in ten. */
export const DEFAULT_HONEST_ERRORS: HonestErrors = { units: 0.02, runHours: 0.03, defects: 1, defectSlips: 0.1, shape: 'normal' };

export interface DayOptions {
  /** Share of production events that get customer feedback. */
  feedbackShare: number;
  honestErrors: HonestErrors;
  /** Share of honest employees' shifts with a measurement gap. */
  gapShare: number;
  /**
   * Points an honest self-score lies above the measured score (a plant's
   * reporting culture: where people rate themselves generously, most
   * self-scores are 85+ whatever the measurements say). Capped at 100.
   */
  selfScoreBias: number;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
/** Seconds to whole milliseconds, as the processors sum them. */
const ms = (seconds: number) => Math.round(seconds * 1000);

const catalog = KpiCatalog.of();

/** The default model's score of a window's measured figures (what a self-score is judged against). */
function measuredScore(row: { efficiency: number | null; defect_rate: number | null; satisfaction_avg: number | null }): number | null {
  return scoreOf({ efficiency: row.efficiency, quality: row.defect_rate, satisfaction: row.satisfaction_avg }, DEFAULT_SCORING, catalog).score;
}

/**
 * Everything one employee does on one plant day and what follows from it:
 * machine telemetry and production during their shift (as long as the shift
 * really lasts: 9 hours for a 22:00–06:00 shift the night the clocks go back),
 * inspections hours to days later, customer feedback days to weeks later, and
 * the self-report after the shift. Null when they do not work that day. Pure:
 * a function of its arguments.
 */
export function employeeDay(seed: number, employee: Employee, dayIndex: number, plantTime: PlantTime, options: DayOptions): EmployeeDay | null {
  const shift = plantTime.workedShift(employee, employee.restDays, dayIndex);
  if (!shift) return null;
  const r = new Random(seed, 'day', employee.index, dayIndex);
  const id = `${employee.id}-${String(dayIndex).padStart(3, '0')}`;
  const shiftStart = shift.start;
  const shiftEnd = shift.end;
  /** Hours the shift has begun (the last may be part of one): one production count each. */
  const shiftHours = Math.ceil((shiftEnd - shiftStart) / HOUR);
  const station = employee.station;

  const telemetry: MachineTelemetry[] = [];
  for (let q = 0; shiftStart + q * INTERVAL < shiftEnd; q += 1) {
    const start = shiftStart + q * INTERVAL;
    const end = Math.min(start + INTERVAL, shiftEnd);
    const seconds = (end - start) / 1000;
    const down = r.chance(0.04) ? roundTo(r.uniform(60, Math.min(600, seconds)), 3) : 0;
    const run = roundTo(Math.min(seconds - down, seconds * employee.availability * r.uniform(0.85, 1.15)), 3);
    const idle = Math.max(0, roundTo(seconds - run - down, 3));
    telemetry.push({
      event_id: `T-${id}-${q}`,
      employee_id: employee.id,
      station_id: station.id,
      interval_start: start,
      interval_end: end,
      run_seconds: run,
      idle_seconds: idle,
      down_seconds: down,
    });
  }

  const production: ProductionReported[] = [];
  const inspections: QualityInspected[] = [];
  const feedback: CustomerFeedback[] = [];
  for (let hour = 0; hour < shiftHours; hour += 1) {
    const product = r.pick(station.products);
    const runSeconds = telemetry.slice(hour * 4, hour * 4 + 4).reduce((total, t) => total + t.run_seconds, 0);
    const units = Math.max(0, Math.round((runSeconds * employee.performance) / product.standardSeconds + r.normal(0, 0.5)));
    const eventTime = Math.min(shiftStart + (hour + 1) * HOUR, shiftEnd) - Math.round(r.uniform(1000, 5 * MINUTE));
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

  // The report's period is the shift: these sums are what it is judged against, whatever windows the shift spans.
  const period = { start: shiftStart, end: shiftEnd };
  const done = { production, telemetry, inspections, feedback, reports: [] };
  const doneRow = expectedRow(employee.id, period, done);
  // What the employee did, and so what an honest report is about; what was measured may be less.
  const actual = { units: doneRow.units, run_hours: doneRow.run_hours, defective_units: doneRow.units_defective, score: measuredScore(doneRow) };
  const gapped = employee.inflator === null ? plantGap(seed, employee, dayIndex, shiftStart, shiftHours, done, options.gapShare) : null;
  const delivered = gapped?.delivered ?? done;
  const measuredRow = gapped ? expectedRow(employee.id, period, delivered) : doneRow;
  const measured = {
    units: measuredRow.units,
    run_hours: measuredRow.run_hours,
    defective_units: measuredRow.units_defective,
    self_score: null,
    score: gapped ? measuredScore(measuredRow) : actual.score,
    standard_hours: measuredRow.standard_hours,
    telemetry_hours: delivered.telemetry.reduce((total, t) => total + ms(t.run_seconds) + ms(t.idle_seconds) + ms(t.down_seconds), 0) / 3_600_000,
  };

  // The report an honest employee would file: errors of memory and rounding.
  const honest = options.honestErrors;
  const slips = [...Array.from({ length: honest.defects }, (_, i) => -honest.defects + i), ...Array.from({ length: honest.defects }, (_, i) => i + 1)];
  const reported: ReportFigures = {
    units: Math.max(0, Math.round(actual.units * (1 + honestError(r, honest.units, honest.shape)))),
    run_hours: roundTo(Math.max(0, actual.run_hours * (1 + honestError(r, honest.runHours, honest.shape))), 2),
    defective_units: Math.max(0, actual.defective_units + (r.chance(honest.defectSlips) && slips.length > 0 ? r.pick(slips) : 0)),
    self_score: actual.score === null || r.chance(0.1) ? null : roundTo(clamp(actual.score + options.selfScoreBias + r.normal(0, 2), 0, 100), 1),
  };
  let inflation: WindowTruth['inflation'] = null;
  const inflator = employee.inflator;
  if (inflator && r.chance(inflator.days) && dayIndex >= inflator.startDay) {
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
          // Beyond what the plant's people usually claim (selfScoreBias): that is what singles them out.
          const usual = measured.score + options.selfScoreBias;
          reported.self_score = roundTo(Math.min(100, usual * (1 + degree)), 1);
          effective = reported.self_score / usual - 1;
        }
        break;
    }
    inflation = { kind, degree, effective: roundTo(effective, 4) };
  }

  const submitted = shiftEnd + Math.round(r.uniform(MINUTE, 4 * HOUR));
  const report = (n: number, figures: ReportFigures, submittedTime: number): SelfReported => ({
    event_id: `R-${id}-${n}`,
    employee_id: employee.id,
    period_start: shiftStart,
    period_end: shiftEnd,
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

  const window = plantTime.windowOf(shiftStart, shift);
  return {
    shift,
    events: { ...delivered, reports },
    deadLettered: gapped?.deadLettered ?? [],
    truth: {
      employee_id: employee.id,
      window_start: window.start,
      station_id: station.id,
      measured,
      reported,
      inflation,
      gap: gapped?.gap ?? null,
      window_end: window.end,
      shift: shift.name,
      period_start: shiftStart,
      period_end: shiftEnd,
    },
  };
}

/** An honest error of memory: normal with a standard deviation of half the bound, or uniform within it. */
function honestError(r: Random, bound: number, shape: HonestErrors['shape']): number {
  return shape === 'normal' ? r.normal(0, bound / 2) : r.uniform(-bound, bound);
}

/**
 * Maybe plants a measurement gap in an honest employee's shift (its own random
 * stream, so a plant without gaps stays exactly as it was): 1 to 4 hours
 * without telemetry or without production counts, or 1 to 3 production and
 * telemetry records dead-lettered.
 */
function plantGap(
  seed: number,
  employee: Employee,
  dayIndex: number,
  shiftStart: number,
  shiftHours: number,
  done: WindowEvents,
  share: number,
): { delivered: WindowEvents; deadLettered: DeadLetteredEvent[]; gap: MeasurementGap } | null {
  const r = new Random(seed, 'gap', employee.index, dayIndex);
  if (!r.chance(share)) return null;
  const kind = r.pick(GAP_KINDS);
  if (kind === 'dead_letters') {
    const candidates: DeadLetteredEvent[] = [
      ...done.production.map((event) => ({ kind: 'production' as const, event, sent: event.event_time })),
      ...done.telemetry.map((event) => ({ kind: 'telemetry' as const, event, sent: event.interval_end })),
    ];
    const deadLettered: DeadLetteredEvent[] = [];
    for (let n = r.int(1, 3); n > 0; n -= 1) deadLettered.push(...candidates.splice(r.int(0, candidates.length - 1), 1));
    const lost = new Set(deadLettered.map((d) => d.event.event_id));
    const count = (k: DeadLetteredEvent['kind']) => deadLettered.filter((d) => d.kind === k).length;
    return {
      delivered: { ...done, production: done.production.filter((e) => !lost.has(e.event_id)), telemetry: done.telemetry.filter((e) => !lost.has(e.event_id)) },
      deadLettered,
      gap: { kind, records: { production: count('production'), telemetry: count('telemetry') } },
    };
  }
  const hours = r.int(1, 4);
  const from = shiftStart + r.int(0, Math.max(0, shiftHours - hours)) * HOUR;
  const to = from + hours * HOUR;
  const outside = (t: number) => t < from || t >= to;
  return {
    delivered:
      kind === 'iot_outage'
        ? { ...done, telemetry: done.telemetry.filter((e) => outside(e.interval_start)) }
        : { ...done, production: done.production.filter((e) => outside(e.event_time)) },
    deadLettered: [],
    gap: { kind, hours },
  };
}
