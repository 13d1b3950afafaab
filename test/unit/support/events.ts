import type { CustomerFeedback, MachineTelemetry, ProductionReported, QualityInspected, SelfReported } from '../../../schemas/events.js';

/** Valid example events of each kind; tests override what they care about. */
export const T0 = Date.UTC(2026, 10, 2, 8, 0);

export const production = (o: Partial<ProductionReported> = {}): ProductionReported => ({
  event_id: 'p-1',
  employee_id: 'emp-1',
  station_id: 'st-1',
  work_order_id: 'wo-1',
  product_code: 'P-1',
  event_time: T0,
  units: 10,
  standard_seconds_per_unit: 60,
  ...o,
});

export const telemetry = (o: Partial<MachineTelemetry> = {}): MachineTelemetry => ({
  event_id: 't-1',
  employee_id: 'emp-1',
  station_id: 'st-1',
  interval_start: T0,
  interval_end: T0 + 900_000,
  run_seconds: 800,
  idle_seconds: 60,
  down_seconds: 40,
  ...o,
});

export const inspection = (o: Partial<QualityInspected> = {}): QualityInspected => ({
  event_id: 'i-1',
  employee_id: 'emp-1',
  station_id: 'st-1',
  work_order_id: 'wo-1',
  production_time: T0,
  inspected_time: T0 + 3_600_000,
  units_inspected: 10,
  units_defective: 1,
  defect_codes: ['D01'],
  ...o,
});

export const feedback = (o: Partial<CustomerFeedback> = {}): CustomerFeedback => ({
  event_id: 'f-1',
  employee_id: 'emp-1',
  order_id: 'o-1',
  production_time: T0,
  feedback_time: T0 + 5 * 86_400_000,
  satisfaction: 80,
  complaint: false,
  ...o,
});

export const selfReport = (o: Partial<SelfReported> = {}): SelfReported => ({
  event_id: 's-1',
  employee_id: 'emp-1',
  period_start: Date.UTC(2026, 10, 2, 6),
  period_end: Date.UTC(2026, 10, 2, 14),
  submitted_time: Date.UTC(2026, 10, 2, 15),
  reported_units: 10,
  reported_run_hours: 0.25,
  reported_defective_units: 1,
  self_score: 88,
  ...o,
});
