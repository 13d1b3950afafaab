import { hash53, hash53Pair } from '../../../core/hash.js';

test('hash53Pair is hash53 of the two strings joined by a NUL, ASCII or not', () => {
  for (const [first, second] of [
    ['production', 'evt-000001'],
    ['selfReport', ''],
    ['', 'x'],
    ['telemetry', 'Zürich-😀-42'],
  ] as const) {
    expect(hash53Pair(first, second)).toBe(hash53(`${first}\u0000${second}`));
  }
});
