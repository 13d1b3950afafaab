import { createHash } from 'node:crypto';
import { FLAG_ID, flagId } from '../../../contract/flagId.js';

const key = { employeeId: 'E7', windowStart: Date.UTC(2026, 9, 5), kind: 'units_overclaim', method: 'single_window' };

test('a flag id is f_ and 24 hex characters of the SHA-256 of its key, fields joined by newlines, the window start in epoch ms', () => {
  const expected = createHash('sha256')
    .update(`E7\n${Date.UTC(2026, 9, 5)}\nunits_overclaim\nsingle_window`)
    .digest('hex')
    .slice(0, 24);
  expect(flagId(key)).toBe(`f_${expected}`);
  expect(flagId(key)).toMatch(FLAG_ID);
});

test('the same key gives the same id; any field changed gives another', () => {
  expect(flagId({ ...key })).toBe(flagId(key));
  const others = [
    { ...key, employeeId: 'E8' },
    { ...key, windowStart: key.windowStart + 1 },
    { ...key, kind: 'run_hours_overclaim' },
    { ...key, method: 'sequential' },
  ].map(flagId);
  expect(new Set([flagId(key), ...others]).size).toBe(5);
});
