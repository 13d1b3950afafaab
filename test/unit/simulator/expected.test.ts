import { expectedRow } from '../../../simulator/expected.js';
import { feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

test('the expected row follows docs/contract.md definitions', () => {
  const window = { start: Date.UTC(2026, 10, 2), end: Date.UTC(2026, 10, 3) };
  const row = expectedRow('emp-1', window, {
    production: [production({ units: 10, standard_seconds_per_unit: 36 }), production({ event_id: 'p-2', units: 5, standard_seconds_per_unit: 72 })],
    telemetry: [telemetry({ run_seconds: 600 }), telemetry({ event_id: 't-2', run_seconds: 300 })],
    inspections: [inspection({ units_inspected: 15, units_defective: 3 })],
    feedback: [feedback({ satisfaction: 80, complaint: true }), feedback({ event_id: 'f-2', satisfaction: 60 })],
    reports: [
      selfReport({ event_id: 's-1', submitted_time: 5, reported_units: 99 }),
      selfReport({ event_id: 's-2', submitted_time: 9, reported_units: 15, self_score: null }),
    ],
  });
  expect(row).toEqual({
    employee_id: 'emp-1',
    window_start: window.start,
    window_end: window.end,
    units: 15,
    standard_hours: 0.2,
    run_hours: 0.25,
    efficiency: 0.8,
    units_inspected: 15,
    units_defective: 3,
    defect_rate: 0.2,
    feedback_count: 2,
    complaints: 1,
    satisfaction_avg: 70,
    reported_units: 15,
    reported_run_hours: 0.25,
    reported_defective_units: 1,
    self_score: null,
    report_period_start: Date.UTC(2026, 10, 2, 6),
    report_period_end: Date.UTC(2026, 10, 2, 14),
  });
});

test("a window's labels, when known, are the row's plant day, shift and crew", () => {
  const window = { start: Date.UTC(2026, 10, 2, 22), end: Date.UTC(2026, 10, 3, 6), plantDay: '2026-11-02', shift: 'night', crew: 'C' };
  const row = expectedRow('emp-1', window, { production: [], telemetry: [], inspections: [], feedback: [], reports: [] });
  expect(row).toMatchObject({ plant_day: '2026-11-02', shift: 'night', crew: 'C', report_period_start: null, report_period_end: null });
});
