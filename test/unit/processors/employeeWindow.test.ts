import { applyEvent, fromRow, newEmployeeWindow, toRow } from '../../../processors/employeeWindow.js';
import { T0, feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

const window = { start: Date.UTC(2026, 10, 2), end: Date.UTC(2026, 10, 3) };

test('a window with one event of each kind gives the contract row', () => {
  const state = newEmployeeWindow('emp-1', window);
  applyEvent(state, { kind: 'production', event: production({ units: 30, standard_seconds_per_unit: 60 }) });
  applyEvent(state, { kind: 'telemetry', event: telemetry({ run_seconds: 900, idle_seconds: 0, down_seconds: 0, interval_end: T0 + 900_000 }) });
  applyEvent(state, { kind: 'inspection', event: inspection({ units_inspected: 20, units_defective: 2 }) });
  applyEvent(state, { kind: 'feedback', event: feedback({ satisfaction: 70, complaint: true }) });
  applyEvent(state, { kind: 'feedback', event: feedback({ event_id: 'f-2', satisfaction: 90.5 }) });
  applyEvent(state, { kind: 'selfReport', event: selfReport({ reported_units: 40, self_score: 95 }) });
  const row = toRow(state);
  expect(row).toMatchObject({
    employee_id: 'emp-1',
    window_start: window.start,
    window_end: window.end,
    units: 30,
    standard_hours: 0.5,
    run_hours: 0.25,
    efficiency: 2,
    units_inspected: 20,
    units_defective: 2,
    defect_rate: 0.1,
    feedback_count: 2,
    complaints: 1,
    satisfaction_avg: 80.25,
    reported_units: 40,
    reported_run_hours: 0.25,
    reported_defective_units: 1,
    self_score: 95,
    station_id: 'st-1',
    version: 6,
    event_ids: ['f-1', 'f-2', 'i-1', 'p-1', 's-1', 't-1'],
  });
});

test('ratios are null without a denominator', () => {
  const row = toRow(newEmployeeWindow('emp-1', window));
  expect(row.efficiency).toBeNull();
  expect(row.defect_rate).toBeNull();
  expect(row.satisfaction_avg).toBeNull();
  expect(row.reported_units).toBeNull();
  expect(row.self_score).toBeNull();
  expect(row.station_id).toBe('');
});

test('the latest submitted self-report stands, ties to the greater event_id, whatever the arrival order', () => {
  const reports = [
    selfReport({ event_id: 's-a', submitted_time: 2000, reported_units: 1 }),
    selfReport({ event_id: 's-c', submitted_time: 3000, reported_units: 3 }),
    selfReport({ event_id: 's-b', submitted_time: 3000, reported_units: 2 }),
    selfReport({ event_id: 's-d', submitted_time: 1000, reported_units: 4 }),
  ];
  for (const order of [reports, [...reports].reverse()]) {
    const state = newEmployeeWindow('emp-1', window);
    order.forEach((event) => applyEvent(state, { kind: 'selfReport', event }));
    expect(toRow(state).reported_units).toBe(3);
  }
});

test('sums do not depend on the order of the events', () => {
  const runs = [0.1, 0.2, 0.3, 123.456, 7.001, 599.999];
  const forwards = newEmployeeWindow('emp-1', window);
  const backwards = newEmployeeWindow('emp-1', window);
  runs.forEach((run, i) => applyEvent(forwards, { kind: 'telemetry', event: telemetry({ event_id: `t${i}`, run_seconds: run, idle_seconds: 0, down_seconds: 0 }) }));
  [...runs].reverse().forEach((run, i) => applyEvent(backwards, { kind: 'telemetry', event: telemetry({ event_id: `t${i}`, run_seconds: run, idle_seconds: 0, down_seconds: 0 }) }));
  expect(toRow(forwards).run_hours).toBe(toRow(backwards).run_hours);
  expect(toRow(forwards).run_ms).toBe(731_056);
});

test('the station is where the most standard plus run time was earned; ties go to the smaller id', () => {
  const state = newEmployeeWindow('emp-1', window);
  applyEvent(state, { kind: 'production', event: production({ station_id: 'st-b', units: 1, standard_seconds_per_unit: 100 }) });
  applyEvent(state, { kind: 'production', event: production({ event_id: 'p-2', station_id: 'st-a', units: 1, standard_seconds_per_unit: 100 }) });
  expect(toRow(state).station_id).toBe('st-a');
  applyEvent(state, { kind: 'telemetry', event: telemetry({ station_id: 'st-b', run_seconds: 1 }) });
  expect(toRow(state).station_id).toBe('st-b');
});

test('fromRow restores the state toRow wrote', () => {
  const state = newEmployeeWindow('emp-1', window);
  applyEvent(state, { kind: 'production', event: production() });
  applyEvent(state, { kind: 'feedback', event: feedback({ satisfaction: 33.333 }) });
  applyEvent(state, { kind: 'selfReport', event: selfReport({ self_score: null }) });
  const restored = fromRow(toRow(state));
  expect(restored).toEqual(state);
  applyEvent(restored, { kind: 'production', event: production({ event_id: 'p-2' }) });
  applyEvent(state, { kind: 'production', event: production({ event_id: 'p-2' }) });
  expect(toRow(restored)).toEqual(toRow(state));
});

test('an event_id applied once is not applied again', () => {
  const state = newEmployeeWindow('emp-1', window);
  expect(applyEvent(state, { kind: 'production', event: production({ units: 7 }) })).toBe(true);
  expect(applyEvent(state, { kind: 'production', event: production({ units: 7 }) })).toBe(false);
  expect(toRow(state)).toMatchObject({ units: 7, version: 1, event_ids: ['p-1'] });
});
