import { alertsFor } from '../../../detection/alerts.js';
import type { Flag } from '../../../detection/rules.js';

const flag = (severity: Flag['severity'], kind: Flag['kind'] = 'units_overclaim', employeeId = 'E1'): Flag => ({
  employeeId,
  stationId: 'S1',
  windowStart: Date.UTC(2026, 9, 5),
  windowEnd: Date.UTC(2026, 9, 6),
  kind,
  method: kind === 'measurement_gap' ? 'coverage' : 'single_window',
  severity,
  reported: 240,
  measured: 200,
  deviation: 0.2,
  z: null,
  explanation: 'Reported 240 units',
  evidence: {},
});

test('alerts are the flags at or above the minimum severity', () => {
  const flags = [flag('low'), flag('medium', 'run_hours_overclaim'), flag('high', 'self_score_inflated')];
  expect(alertsFor(flags, 'medium').map((a) => a.kind)).toEqual(['run_hours_overclaim', 'self_score_inflated']);
  expect(alertsFor(flags, 'high').map((a) => a.kind)).toEqual(['self_score_inflated']);
  expect(alertsFor(flags, 'low')).toHaveLength(3);
});

test('an alert id is stable for the same employee, window, kind and method, and differs otherwise', () => {
  const [a] = alertsFor([flag('high')], 'low');
  const [again] = alertsFor([{ ...flag('high'), explanation: 'worded differently', deviation: 0.3 }], 'low');
  const [other] = alertsFor([flag('high', 'units_overclaim', 'E2')], 'low');
  expect(again!.alert_id).toBe(a!.alert_id);
  expect(other!.alert_id).not.toBe(a!.alert_id);
  expect(a).toMatchObject({ employee_id: 'E1', window_start: '2026-10-05T00:00:00.000Z', severity: 'high', explanation: 'Reported 240 units' });
});

test('a measurement gap never raises an alert, however severe', () => {
  expect(alertsFor([flag('high', 'measurement_gap'), flag('high')], 'low').map((a) => a.kind)).toEqual(['units_overclaim']);
});
