import type { KindedEvent } from '../schemas/kinds.js';
import type { TimeWindow } from './windows.js';

/**
 * The aggregate of one employee in one window. Sums are kept as exact
 * integers (milliseconds, thousandths), so the result does not depend on the
 * order events arrive in, and a row read back from ClickHouse restores the
 * state exactly. Measures: time to the millisecond, satisfaction to 0.001.
 * The ids of the events applied make a repeated event (a producer retry, or a
 * replay after a crash) a no-op.
 */
export interface EmployeeWindow {
  readonly employeeId: string;
  readonly window: TimeWindow;
  units: number;
  /** Σ units × standard time per unit, in ms. */
  standardMs: number;
  runMs: number;
  idleMs: number;
  downMs: number;
  unitsInspected: number;
  unitsDefective: number;
  feedbackCount: number;
  complaints: number;
  /** Σ satisfaction × 1000. */
  satisfactionMilli: number;
  /** The self-report that stands: latest submitted_time, ties to the greater event_id. */
  report: SelfReportFigures | null;
  /** Standard plus run ms earned per station; the largest names the row's station. */
  stationWeights: Map<string, number>;
  /** event_id of every event applied; its size is the row's version. */
  readonly eventIds: Set<string>;
}

export interface SelfReportFigures {
  eventId: string;
  submittedTime: number;
  units: number;
  runHours: number;
  defectiveUnits: number;
  selfScore: number | null;
}

/** The CONTRACT.md columns of kpi.employee_window_metrics, times in epoch ms. */
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

/** A row of kpi.employee_window_metrics: the contract's columns, kpi-stream's extra measures, and the state to correct it from. */
export interface EmployeeWindowRow extends EmployeeWindowMetrics {
  station_id: string;
  idle_hours: number;
  down_hours: number;
  version: number;
  standard_ms: number;
  run_ms: number;
  idle_ms: number;
  down_ms: number;
  satisfaction_milli: number;
  station_weights: Record<string, number>;
  report_submitted_time: number | null;
  report_event_id: string;
  /** Sorted, so a row is a pure function of the events applied. */
  event_ids: string[];
}

const MS_PER_HOUR = 3_600_000;

/** Seconds as a double → whole milliseconds, the resolution kpi-stream sums in. */
export const toMillis = (seconds: number): number => Math.round(seconds * 1000);
/** A 0..100 score → whole thousandths. */
export const toMilli = (score: number): number => Math.round(score * 1000);

export function newEmployeeWindow(employeeId: string, window: TimeWindow): EmployeeWindow {
  return {
    employeeId,
    window,
    units: 0,
    standardMs: 0,
    runMs: 0,
    idleMs: 0,
    downMs: 0,
    unitsInspected: 0,
    unitsDefective: 0,
    feedbackCount: 0,
    complaints: 0,
    satisfactionMilli: 0,
    report: null,
    stationWeights: new Map(),
    eventIds: new Set(),
  };
}

function addStationWeight(state: EmployeeWindow, station: string, ms: number): void {
  state.stationWeights.set(station, (state.stationWeights.get(station) ?? 0) + ms);
}

/**
 * Adds one event to the aggregate, in place. Returns false, changing nothing,
 * when an event with the same event_id was applied before.
 */
export function applyEvent(state: EmployeeWindow, tagged: KindedEvent): boolean {
  if (state.eventIds.has(tagged.event.event_id)) return false;
  state.eventIds.add(tagged.event.event_id);
  switch (tagged.kind) {
    case 'production': {
      const e = tagged.event;
      const standard = e.units * toMillis(e.standard_seconds_per_unit);
      state.units += e.units;
      state.standardMs += standard;
      addStationWeight(state, e.station_id, standard);
      break;
    }
    case 'telemetry': {
      const e = tagged.event;
      const run = toMillis(e.run_seconds);
      state.runMs += run;
      state.idleMs += toMillis(e.idle_seconds);
      state.downMs += toMillis(e.down_seconds);
      addStationWeight(state, e.station_id, run);
      break;
    }
    case 'inspection':
      state.unitsInspected += tagged.event.units_inspected;
      state.unitsDefective += tagged.event.units_defective;
      break;
    case 'feedback':
      state.feedbackCount += 1;
      state.complaints += tagged.event.complaint ? 1 : 0;
      state.satisfactionMilli += toMilli(tagged.event.satisfaction);
      break;
    case 'selfReport': {
      const e = tagged.event;
      const current = state.report;
      if (!current || e.submitted_time > current.submittedTime || (e.submitted_time === current.submittedTime && e.event_id > current.eventId)) {
        state.report = {
          eventId: e.event_id,
          submittedTime: e.submitted_time,
          units: e.reported_units,
          runHours: e.reported_run_hours,
          defectiveUnits: e.reported_defective_units,
          selfScore: e.self_score,
        };
      }
      break;
    }
  }
  return true;
}

/** The station with the largest weight; ties go to the smaller id. Empty when none. */
function primaryStation(weights: Map<string, number>): string {
  let best = '';
  let bestWeight = -1;
  for (const [station, weight] of weights) {
    if (weight > bestWeight || (weight === bestWeight && station < best)) {
      best = station;
      bestWeight = weight;
    }
  }
  return best;
}

export function toRow(state: EmployeeWindow): EmployeeWindowRow {
  const report = state.report;
  return {
    employee_id: state.employeeId,
    window_start: state.window.start,
    window_end: state.window.end,
    units: state.units,
    standard_hours: state.standardMs / MS_PER_HOUR,
    run_hours: state.runMs / MS_PER_HOUR,
    efficiency: state.runMs > 0 ? state.standardMs / state.runMs : null,
    units_inspected: state.unitsInspected,
    units_defective: state.unitsDefective,
    defect_rate: state.unitsInspected > 0 ? state.unitsDefective / state.unitsInspected : null,
    feedback_count: state.feedbackCount,
    complaints: state.complaints,
    satisfaction_avg: state.feedbackCount > 0 ? state.satisfactionMilli / (1000 * state.feedbackCount) : null,
    reported_units: report ? report.units : null,
    reported_run_hours: report ? report.runHours : null,
    reported_defective_units: report ? report.defectiveUnits : null,
    self_score: report ? report.selfScore : null,
    station_id: primaryStation(state.stationWeights),
    idle_hours: state.idleMs / MS_PER_HOUR,
    down_hours: state.downMs / MS_PER_HOUR,
    version: state.eventIds.size,
    standard_ms: state.standardMs,
    run_ms: state.runMs,
    idle_ms: state.idleMs,
    down_ms: state.downMs,
    satisfaction_milli: state.satisfactionMilli,
    station_weights: Object.fromEntries(state.stationWeights),
    report_submitted_time: report ? report.submittedTime : null,
    report_event_id: report ? report.eventId : '',
    event_ids: [...state.eventIds].sort(),
  };
}

/** The state a row was written from: the inverse of toRow. */
export function fromRow(row: EmployeeWindowRow): EmployeeWindow {
  return {
    employeeId: row.employee_id,
    window: { start: row.window_start, end: row.window_end },
    units: row.units,
    standardMs: row.standard_ms,
    runMs: row.run_ms,
    idleMs: row.idle_ms,
    downMs: row.down_ms,
    unitsInspected: row.units_inspected,
    unitsDefective: row.units_defective,
    feedbackCount: row.feedback_count,
    complaints: row.complaints,
    satisfactionMilli: row.satisfaction_milli,
    report:
      row.report_submitted_time === null
        ? null
        : {
            eventId: row.report_event_id,
            submittedTime: row.report_submitted_time,
            units: row.reported_units ?? 0,
            runHours: row.reported_run_hours ?? 0,
            defectiveUnits: row.reported_defective_units ?? 0,
            selfScore: row.self_score,
          },
    stationWeights: new Map(Object.entries(row.station_weights)),
    eventIds: new Set(row.event_ids),
  };
}
