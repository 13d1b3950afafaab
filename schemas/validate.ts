import type { EventKind, EventOfKind, KindedEvent } from './kinds.js';

const FIFTEEN_MINUTES = 15 * 60_000;

/**
 * Checks a decoded event against the value rules of CONTRACT.md (Avro only
 * checks types). Returns why the event is invalid, or undefined when it is fine.
 */
export function invalidReason(tagged: KindedEvent): string | undefined {
  const common = identityReason(tagged.event);
  if (common) return common;
  const rules = RULES[tagged.kind] as (event: EventOfKind[EventKind]) => string | undefined;
  return rules(tagged.event);
}

function identityReason(event: { event_id: string; employee_id: string }): string | undefined {
  if (event.event_id.trim() === '') return 'event_id is empty';
  if (event.employee_id.trim() === '') return 'employee_id is empty: the event cannot be attributed';
  return undefined;
}

const isTime = (ms: number) => Number.isSafeInteger(ms) && ms >= 0;
const isCount = (n: number) => Number.isInteger(n) && n >= 0;
const isAmount = (x: number) => Number.isFinite(x) && x >= 0;

const RULES: { [K in EventKind]: (event: EventOfKind[K]) => string | undefined } = {
  production(e) {
    if (!isTime(e.event_time)) return `event_time ${e.event_time} is not a valid time`;
    if (!isCount(e.units)) return `units must be >= 0, got ${e.units}`;
    if (!(Number.isFinite(e.standard_seconds_per_unit) && e.standard_seconds_per_unit > 0)) {
      return `standard_seconds_per_unit must be > 0, got ${e.standard_seconds_per_unit}`;
    }
    return undefined;
  },
  telemetry(e) {
    if (!isTime(e.interval_start) || !isTime(e.interval_end)) return 'interval_start and interval_end must be valid times';
    if (e.interval_end < e.interval_start) return `interval_end ${e.interval_end} is before interval_start ${e.interval_start}`;
    const length = e.interval_end - e.interval_start;
    if (length > FIFTEEN_MINUTES) return `interval is ${length / 1000}s long; intervals are at most 15 minutes`;
    for (const name of ['run_seconds', 'idle_seconds', 'down_seconds'] as const) {
      if (!isAmount(e[name])) return `${name} must be >= 0, got ${e[name]}`;
      if (e[name] * 1000 > length + 1) return `${name} ${e[name]} exceeds the interval length ${length / 1000}s`;
    }
    return undefined;
  },
  inspection(e) {
    if (!isTime(e.production_time) || !isTime(e.inspected_time)) return 'production_time and inspected_time must be valid times';
    if (e.inspected_time < e.production_time) return 'inspected_time is before production_time';
    if (!isCount(e.units_inspected)) return `units_inspected must be >= 0, got ${e.units_inspected}`;
    if (!isCount(e.units_defective) || e.units_defective > e.units_inspected) {
      return `units_defective must be within 0..units_inspected (${e.units_inspected}), got ${e.units_defective}`;
    }
    return undefined;
  },
  feedback(e) {
    if (!isTime(e.production_time) || !isTime(e.feedback_time)) return 'production_time and feedback_time must be valid times';
    if (e.feedback_time < e.production_time) return 'feedback_time is before production_time';
    if (!(Number.isFinite(e.satisfaction) && e.satisfaction >= 0 && e.satisfaction <= 100)) {
      return `satisfaction must be within 0..100, got ${e.satisfaction}`;
    }
    return undefined;
  },
  selfReport(e) {
    if (!isTime(e.period_start) || !isTime(e.period_end) || !isTime(e.submitted_time)) return 'period_start, period_end and submitted_time must be valid times';
    if (e.period_end <= e.period_start) return 'period_end is not after period_start';
    if (!isCount(e.reported_units)) return `reported_units must be >= 0, got ${e.reported_units}`;
    if (!isAmount(e.reported_run_hours)) return `reported_run_hours must be >= 0, got ${e.reported_run_hours}`;
    if (!isCount(e.reported_defective_units)) return `reported_defective_units must be >= 0, got ${e.reported_defective_units}`;
    if (e.self_score !== null && !(Number.isFinite(e.self_score) && e.self_score >= 0 && e.self_score <= 100)) {
      return `self_score must be null or within 0..100, got ${e.self_score}`;
    }
    return undefined;
  },
};
