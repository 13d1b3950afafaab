import { eventKeyOf, type WindowRow } from '../contract/windowRow.js';
import { MAX_CONTRIBUTION, toMillis } from '../kpis/definition.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import type { KindedEvent } from '../schemas/kinds.js';
import { EventKeys } from './eventKeys.js';
import type { PlantWindow } from './windows.js';

/**
 * The aggregate of one employee in one window. Measures are exact whole
 * numbers (milliseconds, thousandths, counts) in the catalog's slots, so the
 * result does not depend on the order events arrive in, and a row read back
 * from the store restores the state exactly. The fingerprints of the events
 * applied make a repeated event (a producer retry, a replay after a crash) a
 * no-op.
 */
export interface EmployeeWindow {
  readonly employeeId: string;
  readonly window: PlantWindow;
  readonly measures: Float64Array;
  /** The measures per local hour (start ms), so any period can be summed exactly. */
  readonly hours: Map<number, Float64Array>;
  /** The self-report that stands: latest submitted_time, ties to the greater event_id. */
  report: SelfReportFigures | null;
  /** Stations and the standard plus run ms earned at each (parallel arrays); the largest names the row's station. */
  readonly stations: string[];
  readonly stationWeights: number[];
  readonly events: EventKeys;
  /** Events applied: the row's version. */
  version: number;
}

export interface SelfReportFigures {
  eventId: string;
  submittedTime: number;
  periodStart: number;
  periodEnd: number;
  units: number;
  runHours: number;
  defectiveUnits: number;
  selfScore: number | null;
}

export type ApplyOutcome = 'accepted' | 'duplicate' | 'conflicting-duplicate';

export function newEmployeeWindow(catalog: KpiCatalog, employeeId: string, window: PlantWindow): EmployeeWindow {
  return {
    employeeId,
    window,
    measures: new Float64Array(catalog.measures.length),
    hours: new Map(),
    report: null,
    stations: [],
    stationWeights: [],
    events: new EventKeys(),
    version: 0,
  };
}

/** The fingerprint of an event: its kind and event_id. */
export const eventKey = (tagged: KindedEvent): number => eventKeyOf(tagged.kind, tagged.event.event_id);

/**
 * Why applying the event would break the window's exact sums (a contribution
 * that is not a whole number in 0..MAX_CONTRIBUTION, or a sum past 2^53), or
 * undefined. Checked before `applyEvent`, so a refused event changes nothing.
 */
export function contributionProblem(catalog: KpiCatalog, state: EmployeeWindow, tagged: KindedEvent): string | undefined {
  for (const { slot, definition } of catalog.measuresOf(tagged.kind)) {
    const value = definition.value(tagged.event as never);
    if (!Number.isInteger(value) || value < 0 || value > MAX_CONTRIBUTION) {
      return `${definition.name} would grow by ${value}; one event adds a whole number within 0..${MAX_CONTRIBUTION}`;
    }
    if (state.measures[slot]! + value > Number.MAX_SAFE_INTEGER) return `${definition.name} would overflow its exact sum`;
  }
  return undefined;
}

/** Whether the window holds the event already: 'duplicate', 'conflicting-duplicate' (other bytes), or undefined when it is new. */
export function repeatOf(state: EmployeeWindow, key: number, digest: number): Exclude<ApplyOutcome, 'accepted'> | undefined {
  const seen = state.events.digestOf(key);
  if (seen === undefined) return undefined;
  return seen === digest ? 'duplicate' : 'conflicting-duplicate';
}

/**
 * Adds one event to the aggregate, in place, unless an event with the same
 * kind and event_id was applied before ('duplicate'; 'conflicting-duplicate'
 * when its bytes differ from the first copy's). `hour` is the start of the
 * local hour of the time that places the event in the window.
 */
export function applyEvent(catalog: KpiCatalog, state: EmployeeWindow, tagged: KindedEvent, digest: number, hour: number): ApplyOutcome {
  const key = eventKey(tagged);
  const repeat = repeatOf(state, key, digest);
  if (repeat) return repeat;
  state.events.add(key, digest);
  state.version += 1;
  const measures = catalog.measuresOf(tagged.kind);
  if (measures.length > 0) {
    let hourly = state.hours.get(hour);
    if (!hourly) state.hours.set(hour, (hourly = new Float64Array(catalog.measures.length)));
    for (const { slot, definition } of measures) {
      const value = definition.value(tagged.event as never);
      state.measures[slot]! += value;
      hourly[slot]! += value;
    }
  }
  switch (tagged.kind) {
    case 'production':
      addStationWeight(state, tagged.event.station_id, tagged.event.units * toMillis(tagged.event.standard_seconds_per_unit));
      break;
    case 'telemetry':
      addStationWeight(state, tagged.event.station_id, toMillis(tagged.event.run_seconds));
      break;
    case 'selfReport': {
      const e = tagged.event;
      const current = state.report;
      if (!current || e.submitted_time > current.submittedTime || (e.submitted_time === current.submittedTime && e.event_id > current.eventId)) {
        state.report = {
          eventId: e.event_id,
          submittedTime: e.submitted_time,
          periodStart: e.period_start,
          periodEnd: e.period_end,
          units: e.reported_units,
          runHours: e.reported_run_hours,
          defectiveUnits: e.reported_defective_units,
          selfScore: e.self_score,
        };
      }
      break;
    }
    default:
      break;
  }
  return 'accepted';
}

function addStationWeight(state: EmployeeWindow, station: string, ms: number): void {
  const at = state.stations.indexOf(station);
  if (at >= 0) state.stationWeights[at]! += ms;
  else {
    state.stations.push(station);
    state.stationWeights.push(ms);
  }
}

/** The station with the largest weight; ties go to the smaller id. Empty when none. */
export function primaryStation(state: EmployeeWindow): string {
  let best = '';
  let bestWeight = -1;
  for (const [i, station] of state.stations.entries()) {
    const weight = state.stationWeights[i]!;
    if (weight > bestWeight || (weight === bestWeight && station < best)) {
      best = station;
      bestWeight = weight;
    }
  }
  return best;
}

export function toRow(catalog: KpiCatalog, state: EmployeeWindow): WindowRow {
  const report = state.report;
  const { keys, digests } = state.events.sorted();
  return {
    employee_id: state.employeeId,
    window_start: state.window.start,
    window_end: state.window.end,
    plant_day: state.window.plantDay,
    shift: state.window.shift,
    crew: state.window.crew,
    station_id: primaryStation(state),
    version: state.version,
    reported_units: report ? report.units : null,
    reported_run_hours: report ? report.runHours : null,
    reported_defective_units: report ? report.defectiveUnits : null,
    self_score: report ? report.selfScore : null,
    report_submitted_time: report ? report.submittedTime : null,
    report_event_id: report ? report.eventId : '',
    report_period_start: report ? report.periodStart : null,
    report_period_end: report ? report.periodEnd : null,
    station_weights: Object.fromEntries(state.stations.map((s, i) => [s, state.stationWeights[i]!])),
    event_keys: keys,
    event_digests: digests,
    values: catalog.valuesOf(catalog.named(state.measures)),
    hourly: [...state.hours]
      .sort(([a], [b]) => a - b)
      .map(([hour, values]) => ({
        hour,
        measures: Object.fromEntries(catalog.measures.flatMap((m, slot) => (values[slot] === 0 ? [] : [[m.name, values[slot]!]]))),
      })),
  };
}

/**
 * The state a row was written from: the inverse of toRow. A measure the row
 * does not have (a KPI added after it was written) starts at 0.
 */
export function fromRow(catalog: KpiCatalog, row: WindowRow): EmployeeWindow {
  const measures = new Float64Array(catalog.measures.length);
  for (const [slot, definition] of catalog.measures.entries()) measures[slot] = row.values[definition.name] ?? 0;
  const events = EventKeys.from(row.event_keys, row.event_digests);
  const stations = Object.keys(row.station_weights);
  const hours = new Map<number, Float64Array>();
  for (const { hour, measures: named } of row.hourly) {
    const values = new Float64Array(catalog.measures.length);
    for (const [slot, definition] of catalog.measures.entries()) values[slot] = named[definition.name] ?? 0;
    hours.set(hour, values);
  }
  return {
    employeeId: row.employee_id,
    window: { start: row.window_start, end: row.window_end, plantDay: row.plant_day, shift: row.shift, crew: row.crew },
    measures,
    hours,
    report:
      row.report_submitted_time === null
        ? null
        : {
            eventId: row.report_event_id,
            submittedTime: row.report_submitted_time,
            periodStart: row.report_period_start ?? row.window_start,
            periodEnd: row.report_period_end ?? row.window_end,
            units: row.reported_units ?? 0,
            runHours: row.reported_run_hours ?? 0,
            defectiveUnits: row.reported_defective_units ?? 0,
            selfScore: row.self_score,
          },
    stations,
    stationWeights: stations.map((s) => row.station_weights[s]!),
    events,
    version: row.version,
  };
}
