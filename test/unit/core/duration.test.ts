import { formatDuration, parseDuration } from '../../../core/duration.js';

test.each([
  ['500ms', 500],
  ['10s', 10_000],
  ['10m', 600_000],
  ['1h', 3_600_000],
  ['35d', 35 * 86_400_000],
  [' 2h ', 7_200_000],
])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

test.each(['', '10', '1.5h', '-1h', '1w', 'h'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());

test.each([
  [86_400_000, '1d'],
  [90_000, '90s'],
  [3_600_000, '1h'],
  [1500, '1500ms'],
])('formats %d as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
