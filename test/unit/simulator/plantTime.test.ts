import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { readShiftCalendar, type ShiftCalendarDefinition } from '../../../contract/shiftCalendar.js';
import { ShiftCalendar } from '../../../processors/shiftCalendar.js';
import { TumblingWindows } from '../../../processors/windows.js';
import { LocalClock, PlantTime, postsOf, SHIFT_PRESETS, type PlantTimeOptions, type WorkedShift } from '../../../simulator/plantTime.js';

/**
 * The simulator keeps the plant's time with its own arithmetic, so that its
 * expected rows check the processors' windows rather than repeat them: here the
 * two implementations must agree, instant by instant and shift by shift, over
 * a year in zones with and without daylight saving.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const utc = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min);
const YEAR_START = utc(2026, 1, 1);
const rotatingCrews = readShiftCalendar(join(projectRoot(), 'examples', 'shifts', 'rotating-crews.yaml'));
const options = (o: Partial<PlantTimeOptions>): PlantTimeOptions => ({
  timeZone: 'UTC',
  dayStart: 0,
  windowSize: DAY,
  shifts: SHIFT_PRESETS.two,
  shiftWindows: false,
  ...o,
});
/** Day windows do not depend on the shift an instant is worked in. */
const anyShift: WorkedShift = { name: 'day', crew: '', plantDay: '', start: 0, end: 0 };

describe('the local clock', () => {
  test.each([
    ['UTC', 0, utc(2026, 7, 1)],
    ['Europe/Berlin', HOUR, utc(2026, 1, 15)],
    ['Europe/Berlin', 2 * HOUR, utc(2026, 7, 15)],
    ['Asia/Kolkata', 5.5 * HOUR, utc(2026, 7, 15)],
    ['America/St_Johns', -3.5 * HOUR, utc(2026, 1, 15)],
  ])('%s is %i ms ahead of UTC at %i', (zone, offset, at) => {
    expect(new LocalClock(zone as string).offsetAt(at as number)).toBe(offset);
  });

  test('a local time passed twice is its first occurrence; one skipped lands where the earlier offset puts it', () => {
    const berlin = new LocalClock('Europe/Berlin');
    expect(berlin.instantOf(utc(2026, 10, 25, 2, 30))).toBe(utc(2026, 10, 25, 0, 30)); // 02:30 CEST, not 02:30 CET
    expect(berlin.instantOf(utc(2026, 3, 29, 2, 30))).toBe(utc(2026, 3, 29, 1, 30)); // 03:30 CEST
  });
});

describe('shifts across daylight saving (Europe/Berlin)', () => {
  const nights = new PlantTime(options({ timeZone: 'Europe/Berlin', dayStart: 6 * HOUR, shifts: SHIFT_PRESETS.three }), utc(2026, 3, 28));
  const night = { shift: 'night', crew: '' };

  test('the 22:00-06:00 shift lasts 7 hours the night the clocks go forward, 9 the night they go back, and belongs to the day it starts', () => {
    const spring = nights.workedShift(night, [], 0)!;
    expect(spring).toEqual({ name: 'night', crew: '', plantDay: '2026-03-28', start: utc(2026, 3, 28, 21), end: utc(2026, 3, 29, 4) });
    const autumn = nights.workedShift(night, [], (utc(2026, 10, 24) - utc(2026, 3, 28)) / DAY)!;
    expect(autumn).toEqual({ name: 'night', crew: '', plantDay: '2026-10-24', start: utc(2026, 10, 24, 20), end: utc(2026, 10, 25, 5) });
    expect(autumn.end - autumn.start).toBe(9 * HOUR);
  });

  test('a plant day from 06:00 holds the whole night shift; rest days give none', () => {
    const autumn = nights.workedShift(night, [], 210)!;
    expect(nights.windowOf(autumn.end - 1, autumn)).toEqual(nights.windowOf(autumn.start, autumn));
    expect(nights.workedShift(night, [210 % 7], 210)).toBeNull();
  });
});

describe('day windows: the same as the processors', () => {
  const cases: [string, string, number][] = [];
  for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'])
    for (const start of ['00:00', '06:00', '22:30']) for (const size of [DAY, 8 * HOUR]) cases.push([zone, start, size]);
  // Day starts the clocks skip or pass twice.
  cases.push(['Europe/Berlin', '02:30', DAY], ['America/New_York', '01:30', DAY], ['America/New_York', '02:15', 8 * HOUR]);

  /** Instants of 2026: every 241 minutes, and every 10 minutes from a day and a quarter before each change of the zone's offset to as long after. */
  function instants(zone: string): number[] {
    const clock = new LocalClock(zone);
    const times = new Set<number>();
    for (let t = YEAR_START; t < YEAR_START + 365 * DAY; t += 241 * MINUTE) times.add(t);
    for (let h = YEAR_START; h < YEAR_START + 365 * DAY; h += 15 * MINUTE) {
      if (clock.offsetAt(h) === clock.offsetAt(h + 15 * MINUTE)) continue;
      for (let t = h - 30 * HOUR; t < h + 30 * HOUR; t += 10 * MINUTE) times.add(t);
    }
    return [...times];
  }

  test.each(cases)('%s, day start %s, windows of %i ms, over 2026 and closely around each change of the clocks', (zone, start, size) => {
    const dayStart = Number(start.slice(0, 2)) * HOUR + Number(start.slice(3)) * MINUTE;
    const simulated = new PlantTime(options({ timeZone: zone, dayStart, windowSize: size }), YEAR_START);
    const processors = TumblingWindows.of(size, zone, dayStart);
    for (const t of instants(zone)) {
      const w = processors.windowFor(t);
      expect(simulated.windowOf(t, anyShift)).toEqual({ start: w.start, end: w.end, plantDay: w.plantDay, shift: w.shift, crew: w.crew });
    }
  });
});

describe('shift windows: the same as the processors', () => {
  const weekdays: ShiftCalendarDefinition = {
    shifts: [
      { name: 'early', start: '05:30', hours: 8.5, days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      { name: 'late', start: '14:00', hours: 8, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
      { name: 'night', start: '02:00', hours: 3.5, crews: ['N1', 'N2'], rotateEveryDays: 7 },
    ],
    holidays: ['2026-05-01', '2026-10-26'],
  };
  test.each<[string, string, number, ShiftCalendarDefinition]>([
    ['rotating crews', 'Europe/Berlin', 6 * HOUR, rotatingCrews],
    ['rotating crews', 'America/New_York', 0, rotatingCrews],
    ['weekdays, holidays, a shift after midnight', 'Europe/Berlin', 5 * HOUR, weekdays],
    ['weekdays, holidays, a shift after midnight', 'Australia/Lord_Howe', 0, weekdays],
  ])('%s in %s, day start %i ms: every shift of 2026, worked by someone, as the calendar makes it', (_name, zone, dayStart, calendar) => {
    const simulated = new PlantTime(options({ timeZone: zone, dayStart, shifts: calendar, shiftWindows: true }), YEAR_START);
    const processors = ShiftCalendar.of(calendar, zone, dayStart);
    const posts = postsOf(calendar);
    let shifts = 0;
    for (let day = 0; day < 365; day += 1) {
      const worked = posts.flatMap((post) => simulated.workedShift(post, [], day) ?? []);
      const windows = worked.map((w) => simulated.windowOf(w.start, w)).sort((a, b) => a.start - b.start);
      const expected = processors.shiftsOf(Math.floor(YEAR_START / DAY) + day);
      expect(windows).toEqual(expected.map((w) => ({ start: w.start, end: w.end, plantDay: w.plantDay, shift: w.shift, crew: w.crew })));
      for (const w of windows) expect(processors.windowFor(w.end - 1)).toEqual(processors.windowFor(w.start));
      shifts += windows.length;
    }
    expect(shifts).toBeGreaterThan(600);
  });
});
