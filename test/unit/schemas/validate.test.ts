import type { KindedEvent } from '../../../schemas/kinds.js';
import { invalidReason } from '../../../schemas/validate.js';
import { feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

test.each<[string, KindedEvent]>([
  ['production', { kind: 'production', event: production() }],
  ['telemetry', { kind: 'telemetry', event: telemetry() }],
  ['inspection', { kind: 'inspection', event: inspection() }],
  ['feedback', { kind: 'feedback', event: feedback() }],
  ['self-report', { kind: 'selfReport', event: selfReport() }],
  ['self-report without a score', { kind: 'selfReport', event: selfReport({ self_score: null }) }],
  ['zero units', { kind: 'production', event: production({ units: 0 }) }],
])('a valid %s passes', (_name, tagged) => {
  expect(invalidReason(tagged)).toBeUndefined();
});

test.each<[KindedEvent, RegExp]>([
  [{ kind: 'production', event: production({ units: -1 }) }, /units must be >= 0/],
  [{ kind: 'production', event: production({ standard_seconds_per_unit: 0 }) }, /standard_seconds_per_unit must be > 0/],
  [{ kind: 'production', event: production({ employee_id: ' ' }) }, /cannot be attributed/],
  [{ kind: 'production', event: production({ event_id: '' }) }, /event_id is empty/],
  [{ kind: 'telemetry', event: telemetry({ interval_end: telemetry().interval_start - 1 }) }, /before interval_start/],
  [{ kind: 'telemetry', event: telemetry({ interval_end: telemetry().interval_start + 16 * 60_000 }) }, /at most 15 minutes/],
  [{ kind: 'telemetry', event: telemetry({ run_seconds: -5 }) }, /run_seconds must be >= 0/],
  [{ kind: 'telemetry', event: telemetry({ down_seconds: 1000 }) }, /exceeds the interval length/],
  [{ kind: 'inspection', event: inspection({ units_defective: 11 }) }, /units_defective must be within 0..units_inspected/],
  [{ kind: 'inspection', event: inspection({ units_inspected: -2 }) }, /units_inspected must be >= 0/],
  [{ kind: 'inspection', event: inspection({ inspected_time: inspection().production_time - 1 }) }, /before production_time/],
  [{ kind: 'feedback', event: feedback({ satisfaction: 101 }) }, /satisfaction must be within 0..100/],
  [{ kind: 'feedback', event: feedback({ satisfaction: Number.NaN }) }, /satisfaction must be within 0..100/],
  [{ kind: 'selfReport', event: selfReport({ period_end: selfReport().period_start }) }, /period_end is not after period_start/],
  [{ kind: 'selfReport', event: selfReport({ self_score: 120 }) }, /self_score must be null or within 0..100/],
  [{ kind: 'selfReport', event: selfReport({ reported_units: -3 }) }, /reported_units must be >= 0/],
])('%j is invalid', (tagged, reason) => {
  expect(invalidReason(tagged)).toMatch(reason);
});
