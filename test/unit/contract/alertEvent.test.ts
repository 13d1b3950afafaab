import { readAlertEvent } from '../../../contract/alertEvent.js';

const event = {
  type: 'alert.firing',
  id: '493cdaecece0c2f58afae54e39cf7fc3',
  fingerprint: '9571ad94ea2e54bc445b9f30da74e368',
  rule: 'station-defect-rate',
  severity: 'high',
  scope: 'station',
  employee_id: null,
  station_id: 'S1',
  window_start: '2026-11-27T00:00:00.000Z',
  window_end: '2026-11-28T00:00:00.000Z',
  metric: 'defect_rate',
  value: 0.0625,
  threshold: 0.05,
  anomaly: null,
  explanation: 'defect_rate of station S1 is 0.0625, above 0.05',
  started_at: '2026-11-27T12:12:08.600Z',
  ended_at: null,
  observed_at: '2026-11-27T12:12:08.412Z',
  review_url: null,
};
const read = (value: unknown) => readAlertEvent(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));

test('an alert event of the contract is read as it is; observed_at and review_url (kpi-stream’s additions) may be left out', () => {
  expect(read(event)).toEqual({ event });
  const { observed_at: _observed, review_url: _review, ...contractOnly } = event;
  expect(read(contractOnly)).toEqual({ event: { ...contractOnly, observed_at: null, review_url: null } });
});

test.each([
  ['not JSON', 'not json {', /not JSON/],
  ['no window_start', { ...event, window_start: undefined }, /window_start/],
  ['a window_start that is no time', { ...event, window_start: 'yesterday' }, /window_start: an ISO 8601 time/],
  ['an unknown type', { ...event, type: 'alert.maybe' }, /type/],
  ['a value that is a string', { ...event, value: '0.06' }, /value/],
  ['a severity outside the rules’', { ...event, severity: 'critical' }, /severity/],
  ['an array', [event], /the value/],
])('a record with %s is not an alert event: it says why', (_what, value, why) => {
  const result = read(value);
  expect(result).toEqual({ invalid: expect.stringMatching(why) });
});

test('a record without a value (a tombstone) is not an alert event', () => {
  expect(readAlertEvent(null)).toEqual({ invalid: 'the record has no value' });
});
