import { decodeInput, encodeFlagInput, flagInputKey, flagStatusInputKey, stateInputKey, windowInputKey } from '../../../alerting/inputs.js';

const flag = {
  employeeId: 'e-1',
  stationId: 'S1',
  windowStart: Date.UTC(2026, 10, 2),
  windowEnd: Date.UTC(2026, 10, 3),
  kind: 'units_overclaim',
  method: 'sequential',
  severity: 'high',
  explanation: 'Reported more units than the MES counted',
} as const;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

test('keys name the record type, then what it is about, apart by NUL', () => {
  expect(windowInputKey({ employee_id: 'e-1', window_start: 5 })).toBe('w\u0000e-1\u00005');
  expect(flagInputKey(flag)).toBe(`f\u0000e-1\u0000${flag.windowStart}\u0000units_overclaim\u0000sequential`);
  expect(stateInputKey('fp')).toBe('s\u0000fp');
  expect(flagStatusInputKey('f_0123')).toBe('r\u0000f_0123');
});

test("a flag's review status decodes by its key; a status this version does not know, or a tombstone, is nothing", () => {
  const key = Buffer.from(flagStatusInputKey('f_0123'));
  expect(decodeInput(key, json({ flag_id: 'f_0123', status: 'overturned' }))).toEqual({ type: 'flag_status', flagId: 'f_0123', status: 'overturned' });
  expect(decodeInput(key, json({ flag_id: 'f_0123', status: 'reopened' }))).toBeNull();
  expect(decodeInput(key, null)).toBeNull();
});

test('each record decodes by its key; a removed flag is a null flag; a tombstone or an unknown record is nothing', () => {
  const snapshot = { employee_id: 'e-1', window_start: 5, version: 3 };
  const state = { fingerprint: 'fp', firing: true, generation: 1 };
  expect(decodeInput(Buffer.from(windowInputKey(snapshot)), json(snapshot))).toEqual({ type: 'window', snapshot });
  expect(decodeInput(Buffer.from(flagInputKey(flag)), Buffer.from(encodeFlagInput(flag)))).toEqual({ type: 'flag', key: flagInputKey(flag), flag });
  // The topic is compacted and keeps old records: a flag is written snake_case, as since the topic began.
  expect(Object.keys(JSON.parse(encodeFlagInput(flag)))).toEqual([
    'employee_id',
    'station_id',
    'window_start',
    'window_end',
    'kind',
    'method',
    'severity',
    'explanation',
  ]);
  expect(decodeInput(Buffer.from(flagInputKey(flag)), null)).toEqual({ type: 'flag', key: flagInputKey(flag), flag: null });
  expect(decodeInput(Buffer.from(stateInputKey('fp')), json(state))).toEqual({ type: 'state', state });
  expect(decodeInput(Buffer.from(windowInputKey(snapshot)), null)).toBeNull();
  expect(decodeInput(Buffer.from(stateInputKey('fp')), null)).toBeNull();
  expect(decodeInput(Buffer.from('x\u0000newer'), json({}))).toBeNull();
  expect(decodeInput(Buffer.from('w-no-separator'), json(snapshot))).toBeNull();
  expect(decodeInput(null, json(snapshot))).toBeNull();
});
