import { formatDate, formatDuration, formatTime, parseDuration, parseTime } from '../../../core/time.js';

test.each([
  ['500ms', 500],
  ['10s', 10_000],
  ['10m', 600_000],
  ['1h', 3_600_000],
  ['35d', 35 * 86_400_000],
  [' 2h ', 7_200_000],
])('parses the duration %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

test.each(['', '10', '1.5h', '-1h', '1w', 'h'])('refuses the duration %j', (text) => expect(parseDuration(text)).toBeUndefined());

test.each([
  [86_400_000, '1d'],
  [90_000, '90s'],
  [3_600_000, '1h'],
  [1500, '1500ms'],
])('formats %d as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

test.each([
  ['2026-10-05', Date.UTC(2026, 9, 5)],
  ['2026-10-05T06:00:00Z', Date.UTC(2026, 9, 5, 6)],
  ['2026-10-05T06:00Z', Date.UTC(2026, 9, 5, 6)],
  ['2026-10-05T08:00:00.250+02:00', Date.UTC(2026, 9, 5, 6, 0, 0, 250)],
])('parses the time %s', (text, ms) => expect(parseTime(text)).toBe(ms));

test.each(['', '2026-13-01', '2026-02-30', '5.10.2026', '2026-10-05T06:00:00', '1700000000000', 'yesterday'])('refuses the time %j', (text) =>
  expect(parseTime(text)).toBeUndefined(),
);

test('formats instants and dates in UTC', () => {
  expect(formatTime(Date.UTC(2026, 9, 5, 6))).toBe('2026-10-05T06:00:00.000Z');
  expect(formatDate(Date.UTC(2026, 9, 5, 23, 59))).toBe('2026-10-05');
});
