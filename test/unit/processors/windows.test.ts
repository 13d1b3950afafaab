import { PlantClock, TumblingWindows, type TimeWindow } from '../../../processors/windows.js';

/** The span of a window, without its labels. */
const span = (w: TimeWindow) => ({ start: w.start, end: w.end });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const utc = (...parts: [number, number, number, number?, number?]) => Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3] ?? 0, parts[4] ?? 0);

describe('UTC', () => {
  const days = TumblingWindows.of(DAY);

  test('a day window runs from midnight to midnight', () => {
    expect(span(days.windowFor(utc(2026, 11, 2, 9, 30)))).toEqual({ start: utc(2026, 11, 2), end: utc(2026, 11, 3) });
  });

  test('the start belongs to the window, the end to the next', () => {
    expect(days.windowFor(utc(2026, 11, 2)).start).toBe(utc(2026, 11, 2));
    expect(days.windowFor(utc(2026, 11, 3) - 1).end).toBe(utc(2026, 11, 3));
  });

  test('hourly windows', () => {
    expect(span(TumblingWindows.of(HOUR).windowFor(utc(2026, 11, 2, 9, 59)))).toEqual({ start: utc(2026, 11, 2, 9), end: utc(2026, 11, 2, 10) });
  });

  test('times before 1970 still floor downwards', () => {
    expect(span(days.windowFor(-1))).toEqual({ start: -DAY, end: 0 });
  });
});

describe('a fixed-offset zone', () => {
  test('days start at local midnight (Asia/Kolkata, UTC+05:30)', () => {
    const w = TumblingWindows.of(DAY, 'Asia/Kolkata').windowFor(utc(2026, 11, 2, 20, 0)); // 01:30 local on the 3rd
    expect(span(w)).toEqual({ start: utc(2026, 11, 2, 18, 30), end: utc(2026, 11, 3, 18, 30) });
  });

  test('8-hour shifts align to local midnight', () => {
    const w = TumblingWindows.of(8 * HOUR, 'Asia/Kolkata').windowFor(utc(2026, 11, 3, 3, 0)); // 08:30 local
    expect(span(w)).toEqual({ start: utc(2026, 11, 3, 2, 30), end: utc(2026, 11, 3, 10, 30) });
  });
});

describe('a zone with daylight saving (Europe/Berlin)', () => {
  const zone = 'Europe/Berlin';

  test('the spring-forward day is 23 hours long', () => {
    const w = TumblingWindows.of(DAY, zone).windowFor(utc(2026, 3, 29, 12));
    expect(span(w)).toEqual({ start: utc(2026, 3, 28, 23), end: utc(2026, 3, 29, 22) });
    expect(w.end - w.start).toBe(23 * HOUR);
  });

  test('the fall-back day is 25 hours long', () => {
    const w = TumblingWindows.of(DAY, zone).windowFor(utc(2026, 10, 25, 12));
    expect(span(w)).toEqual({ start: utc(2026, 10, 24, 22), end: utc(2026, 10, 25, 23) });
  });

  test('hourly windows tile the fall-back day without gaps or overlaps', () => {
    const hours = TumblingWindows.of(HOUR, zone);
    const day = TumblingWindows.of(DAY, zone).windowFor(utc(2026, 10, 25, 12));
    const seen: { start: number; end: number }[] = [];
    for (let t = day.start; t < day.end; t += 15 * 60_000) {
      const w = hours.windowFor(t);
      expect(w.start).toBeLessThanOrEqual(t);
      expect(t).toBeLessThan(w.end);
      if (seen.at(-1)?.start !== w.start) seen.push(w);
    }
    expect(seen).toHaveLength(25);
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!.start).toBe(seen[i - 1]!.end);
    expect(seen.at(-1)!.end).toBe(day.end);
  });

  test('a year of day windows chains without gaps, and every instant maps into its window', () => {
    const days = TumblingWindows.of(DAY, zone);
    let w = days.windowFor(utc(2026, 1, 1, 12));
    let count = 0;
    while (w.start < utc(2026, 12, 31)) {
      expect([23 * HOUR, 24 * HOUR, 25 * HOUR]).toContain(w.end - w.start);
      for (const t of [w.start, w.start + 7 * HOUR + 13, w.end - 1]) expect(days.windowFor(t)).toEqual(w);
      const next = days.windowFor(w.end);
      expect(next.start).toBe(w.end);
      w = next;
      count += 1;
    }
    expect(count).toBe(365); // 1 January to 31 December, local
  });
});

test.each([[0], [59_000], [7 * HOUR], [2 * DAY], [30_000], [-60_000]])('a size of %d ms is refused', (size) => {
  expect(() => TumblingWindows.of(size)).toThrow(new RangeError(`window size must be whole minutes dividing a day, got ${size} ms`));
});

test('one minute is the smallest size: it divides a day, and so does half a minute, which is still refused', () => {
  expect(span(TumblingWindows.of(60_000).windowFor(utc(2026, 11, 2, 9, 30) + 59_999))).toEqual({
    start: utc(2026, 11, 2, 9, 30),
    end: utc(2026, 11, 2, 9, 31),
  });
  expect(() => TumblingWindows.of(30_000)).toThrow(new RangeError('window size must be whole minutes dividing a day, got 30000 ms'));
});

test('an unknown time zone is refused', () => {
  expect(() => TumblingWindows.of(DAY, 'Nowhere/Land')).toThrow(RangeError);
});

describe('plant days that begin at a day start (KPI_DAY_START)', () => {
  test('a day from 06:00 to 06:00 holds the whole night shift and is named by the date it begins on', () => {
    const days = TumblingWindows.of(DAY, 'UTC', 6 * HOUR);
    expect(days.windowFor(utc(2026, 11, 2, 23, 30))).toEqual({
      start: utc(2026, 11, 2, 6),
      end: utc(2026, 11, 3, 6),
      plantDay: '2026-11-02',
      shift: '',
      crew: '',
    });
    expect(days.windowFor(utc(2026, 11, 3, 5, 59)).plantDay).toBe('2026-11-02');
    expect(days.windowFor(utc(2026, 11, 3, 6)).plantDay).toBe('2026-11-03');
  });

  test('across the night clocks go back, the plant day is 25 hours long (Europe/Berlin, from 06:00)', () => {
    const w = TumblingWindows.of(DAY, 'Europe/Berlin', 6 * HOUR).windowFor(utc(2026, 10, 25, 1));
    expect(span(w)).toEqual({ start: utc(2026, 10, 24, 4), end: utc(2026, 10, 25, 5) });
    expect(w.plantDay).toBe('2026-10-24');
  });

  test.each([
    ['Europe/Berlin', '02:30', utc(2026, 10, 24), utc(2026, 10, 25, 0, 30)],
    ['America/New_York', '01:30', utc(2026, 10, 31), utc(2026, 11, 1, 5, 30)],
  ])('%s, a day start (%s) the night the clocks pass it twice: the day begins at its first, and days never go back', (zone, start, from, dayBegins) => {
    const days = TumblingWindows.of(DAY, zone, (Number(start.slice(0, 2)) * 60 + Number(start.slice(3))) * 60_000);
    let last = days.windowFor(from);
    for (let t = from; t < from + 3 * DAY; t += 60_000) {
      const w = days.windowFor(t);
      expect(w.start <= t && t < w.end).toBe(true);
      expect(w.start).toBeGreaterThanOrEqual(last.start);
      last = w;
    }
    expect(days.windowFor(dayBegins).start).toBe(dayBegins);
    expect(days.windowFor(dayBegins - 1).end).toBe(dayBegins);
  });

  test.each([
    // Berlin jumps from 02:00 CET to 03:00 CEST at 01:00 UTC; New York from 02:00 EST to 03:00 EDT at 07:00 UTC.
    ['Europe/Berlin', utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)],
    ['America/New_York', utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)],
  ])('%s, a day start (02:30) the clocks skip: the day begins at the jump, and the day before ends there', (zone, dayBefore, jump, nextDay) => {
    const days = TumblingWindows.of(DAY, zone, 2.5 * HOUR);
    expect(days.windowFor(jump - 1)).toEqual({ start: dayBefore, end: jump, plantDay: new Date(dayBefore).toISOString().slice(0, 10), shift: '', crew: '' });
    expect(days.windowFor(jump)).toEqual({ start: jump, end: nextDay, plantDay: new Date(jump).toISOString().slice(0, 10), shift: '', crew: '' });
  });

  test('Europe/Berlin, a day start (02:30) the clocks pass twice: the day begins at the first 02:30 and lasts 25 hours', () => {
    const days = TumblingWindows.of(DAY, 'Europe/Berlin', 2.5 * HOUR);
    // 02:30 CEST is 00:30 UTC; an hour later the clocks show 02:30 again (CET), still the same plant day.
    expect(span(days.windowFor(utc(2026, 10, 25, 0, 30) - 1))).toEqual({ start: utc(2026, 10, 24, 0, 30), end: utc(2026, 10, 25, 0, 30) });
    expect(days.windowFor(utc(2026, 10, 25, 1, 45))).toEqual({
      start: utc(2026, 10, 25, 0, 30),
      end: utc(2026, 10, 26, 1, 30),
      plantDay: '2026-10-25',
      shift: '',
      crew: '',
    });
  });

  test('smaller windows step from the day start', () => {
    expect(span(TumblingWindows.of(8 * HOUR, 'UTC', 6 * HOUR).windowFor(utc(2026, 11, 3, 3)))).toEqual({
      start: utc(2026, 11, 2, 22),
      end: utc(2026, 11, 3, 6),
    });
  });

  test('hours are local hours: at :30 past in UTC+05:30', () => {
    expect(TumblingWindows.of(DAY, 'Asia/Kolkata').hourOf(utc(2026, 11, 3, 3, 45))).toBe(utc(2026, 11, 3, 3, 30));
    expect(TumblingWindows.of(DAY).hourOf(utc(2026, 11, 3, 3, 45))).toBe(utc(2026, 11, 3, 3));
  });

  test.each([[-1], [1.5], [DAY]])('a day start of %d ms is not a time of day and is refused', (dayStart) => {
    expect(() => TumblingWindows.of(DAY, 'UTC', dayStart)).toThrow(new RangeError(`a day start is a time of day (00:00 to 23:59), got ${dayStart} ms`));
  });

  test.each([
    [0, utc(2026, 11, 2)],
    [1, utc(2026, 11, 2) + 1],
    [DAY - 60_000, utc(2026, 11, 2, 23, 59)],
  ])('a day start of %d ms, just inside a day, is accepted', (dayStart, start) => {
    expect(span(TumblingWindows.of(DAY, 'UTC', dayStart).windowFor(start))).toEqual({ start, end: start + DAY });
  });
});

describe('the plant clock', () => {
  test('without a zone it keeps UTC', () => {
    const clock = new PlantClock();
    expect([clock.timeZone, clock.dayStart, clock.offsetAt(utc(2026, 7, 1)), clock.instantOf(utc(2026, 7, 1, 2, 30))]).toEqual([
      'UTC',
      0,
      0,
      utc(2026, 7, 1, 2, 30),
    ]);
  });

  test.each([
    // Where the offset before the change puts the skipped time: 02:30 reads as 03:30 summer time.
    ['Europe/Berlin', utc(2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 30)],
    ['America/New_York', utc(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 30)],
  ])('%s, a local time the clocks skip is the instant an hour after it would have been', (zone, wall, instant) => {
    const clock = new PlantClock(zone);
    expect(clock.instantOf(wall)).toBe(instant);
    expect(clock.wallOf(instant)).toBe(wall + HOUR);
  });

  test('New York, a local time just after the clocks spring forward is found with the summer offset', () => {
    // 03:30 EDT; read as UTC, 03:30 still lies before the jump (07:00 UTC), so only the offset 14 h later is right.
    expect(new PlantClock('America/New_York').instantOf(utc(2026, 3, 8, 3, 30))).toBe(utc(2026, 3, 8, 7, 30));
  });

  test.each([
    // 01:30 is shown at 05:30 UTC (EDT) and again at 06:30 UTC (EST); also before 1970, where instants are negative.
    ['2026', utc(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)],
    ['1966', utc(1966, 10, 30, 1, 30), utc(1966, 10, 30, 5, 30)],
  ])('New York %s, a local time the clocks pass twice is its first occurrence', (_year, wall, first) => {
    const clock = new PlantClock('America/New_York');
    expect(clock.instantOf(wall)).toBe(first);
    expect(clock.wallOf(first + HOUR)).toBe(wall);
  });

  test('UTC needs no zone data: an instant in the year 50 keeps offset 0', () => {
    // A zone's calendar fields would name this year "50", which Date.UTC reads as 1950; UTC never goes through them.
    const year50 = new Date(0).setUTCFullYear(50);
    expect(new PlantClock().offsetAt(year50 + 9 * HOUR)).toBe(0);
    expect(TumblingWindows.of(DAY).windowFor(year50 + 9 * HOUR)).toEqual({ start: year50, end: year50 + DAY, plantDay: '0050-01-01', shift: '', crew: '' });
  });
});

describe('one frozen window value per window', () => {
  test('every record in a window gets the same frozen value, also after another window came between', () => {
    const hours = TumblingWindows.of(HOUR);
    const first = hours.windowFor(utc(2026, 11, 2, 9, 5));
    expect(hours.windowFor(utc(2026, 11, 2, 9, 55))).toBe(first);
    expect(hours.windowFor(utc(2026, 11, 2, 10, 5)).start).toBe(utc(2026, 11, 2, 10));
    expect(hours.windowFor(utc(2026, 11, 2, 9, 30))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  test('the values kept are bounded: after 100 000 other windows a window is built afresh, equal but new', () => {
    // A stream runs for months: the values kept must not grow with it, yet the cap must not drop them early.
    const minutes = TumblingWindows.of(60_000);
    const first = minutes.windowFor(0);
    for (let i = 1; i < 100_000; i += 1) minutes.windowFor(i * 60_000);
    expect(minutes.windowFor(30_000)).toBe(first);
    minutes.windowFor(100_000 * 60_000);
    const again = minutes.windowFor(30_000);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
