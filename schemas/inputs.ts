import type { EventKind, EventOfKind, KindedEvent } from './kinds.js';

/**
 * What kpi-stream knows about each input kind beyond its Avro contract: the
 * topic it arrives on (docs/contract.md), which of its times places it in a window
 * and which drives the partition's clock, every time field it carries, and
 * its value rules (Avro only checks types). One table, read by the codec, the
 * processors, the topics and the simulator alike.
 */
export interface InputDefinition<K extends EventKind> {
  readonly kind: K;
  /** The topic's name in docs/contract.md (KPI_TOPIC_PREFIX is applied on top). */
  readonly topic: string;
  readonly description: string;
  /** The time that places the event in a window (an inspection belongs to when the units were produced). */
  readonly windowTime: (event: EventOfKind[K]) => number;
  /** When the source system observed it: it drives the partition's clock (an inspection is observed when inspected). */
  readonly observedTime: (event: EventOfKind[K]) => number;
  /** Every time field, for the time sanity checks. */
  readonly timeFields: readonly (keyof EventOfKind[K] & string)[];
  /** Why the event breaks docs/contract.md's value rules, or undefined. */
  readonly invalidReason: (event: EventOfKind[K]) => string | undefined;
}

const FIFTEEN_MINUTES = 15 * 60_000;
/** A telemetry interval's parts, each within its length. */
const TELEMETRY_SECONDS = ['run_seconds', 'idle_seconds', 'down_seconds'] as const;
const isCount = (n: number) => Number.isInteger(n) && n >= 0;
const isAmount = (x: number) => Number.isFinite(x) && x >= 0;
const within = (x: number, lo: number, hi: number) => Number.isFinite(x) && x >= lo && x <= hi;

export const INPUTS: { readonly [K in EventKind]: InputDefinition<K> } = {
  production: {
    kind: 'production',
    topic: 'factory.production.v1',
    description: 'ProductionReported from MES/ERP',
    windowTime: (e) => e.event_time,
    observedTime: (e) => e.event_time,
    timeFields: ['event_time'],
    invalidReason(e) {
      if (!isCount(e.units)) return `units must be >= 0, got ${e.units}`;
      if (!(Number.isFinite(e.standard_seconds_per_unit) && e.standard_seconds_per_unit > 0)) {
        return `standard_seconds_per_unit must be > 0, got ${e.standard_seconds_per_unit}`;
      }
      return undefined;
    },
  },
  telemetry: {
    kind: 'telemetry',
    topic: 'factory.telemetry.v1',
    description: 'MachineTelemetry from the IoT gateway',
    windowTime: (e) => e.interval_start,
    observedTime: (e) => e.interval_end,
    timeFields: ['interval_start', 'interval_end'],
    invalidReason(e) {
      if (e.interval_end < e.interval_start) return `interval_end ${e.interval_end} is before interval_start ${e.interval_start}`;
      const length = e.interval_end - e.interval_start;
      if (length > FIFTEEN_MINUTES) return `interval is ${length / 1000}s long; intervals are at most 15 minutes`;
      for (const name of TELEMETRY_SECONDS) {
        if (!isAmount(e[name])) return `${name} must be >= 0, got ${e[name]}`;
        if (e[name] * 1000 > length + 1) return `${name} ${e[name]} exceeds the interval length ${length / 1000}s`;
      }
      return undefined;
    },
  },
  inspection: {
    kind: 'inspection',
    topic: 'quality.inspections.v1',
    description: 'QualityInspected from the QMS',
    windowTime: (e) => e.production_time,
    observedTime: (e) => e.inspected_time,
    timeFields: ['production_time', 'inspected_time'],
    invalidReason(e) {
      if (e.inspected_time < e.production_time) return 'inspected_time is before production_time';
      if (!isCount(e.units_inspected)) return `units_inspected must be >= 0, got ${e.units_inspected}`;
      if (!isCount(e.units_defective) || e.units_defective > e.units_inspected) {
        return `units_defective must be within 0..units_inspected (${e.units_inspected}), got ${e.units_defective}`;
      }
      return undefined;
    },
  },
  feedback: {
    kind: 'feedback',
    topic: 'customer.feedback.v1',
    description: 'CustomerFeedback from the CRM',
    windowTime: (e) => e.production_time,
    observedTime: (e) => e.feedback_time,
    timeFields: ['production_time', 'feedback_time'],
    invalidReason(e) {
      if (e.feedback_time < e.production_time) return 'feedback_time is before production_time';
      if (!within(e.satisfaction, 0, 100)) return `satisfaction must be within 0..100, got ${e.satisfaction}`;
      return undefined;
    },
  },
  selfReport: {
    kind: 'selfReport',
    topic: 'hr.self_reports.v1',
    description: 'SelfReported from the HR portal',
    windowTime: (e) => e.period_start,
    observedTime: (e) => e.submitted_time,
    timeFields: ['period_start', 'period_end', 'submitted_time'],
    invalidReason(e) {
      if (!isCount(e.reported_units)) return `reported_units must be >= 0, got ${e.reported_units}`;
      if (!isAmount(e.reported_run_hours)) return `reported_run_hours must be >= 0, got ${e.reported_run_hours}`;
      if (!isCount(e.reported_defective_units)) return `reported_defective_units must be >= 0, got ${e.reported_defective_units}`;
      if (e.self_score !== null && !within(e.self_score, 0, 100)) return `self_score must be null or within 0..100, got ${e.self_score}`;
      return undefined;
    },
  },
};

/** The definition of an event's kind, typed for the event. */
export function inputOf(tagged: KindedEvent): InputDefinition<EventKind> {
  return INPUTS[tagged.kind] as unknown as InputDefinition<EventKind>;
}

/** The time that places an event in a window. */
export const windowTimeOf = (tagged: KindedEvent): number => inputOf(tagged).windowTime(tagged.event as never);

/** When the event's source observed it: what moves the partition's clock. */
export const observedTimeOf = (tagged: KindedEvent): number => inputOf(tagged).observedTime(tagged.event as never);
