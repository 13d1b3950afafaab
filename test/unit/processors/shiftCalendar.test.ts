import { ConfigError } from '../../../core/errors.js';
import { ShiftCalendar, type ShiftCalendarDefinition } from '../../../processors/shiftCalendar.js';

const HOUR = 3_600_000;
const utc = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min);
const threeShifts: ShiftCalendarDefinition = {
  shifts: [
    { name: 'early', start: '06:00', hours: 8, crews: ['A', 'B'], rotateEveryDays: 7 },
    { name: 'late', start: '14:00', hours: 8 },
    { name: 'night', start: '22:00', hours: 8 },
  ],
};

// Each test builds its calendar: one built while the file loads would compute (and cache) its windows outside any test,
// where mutation testing cannot tell which test relies on them.
describe('a calendar of three eight-hour shifts from 06:00', () => {
  const calendar = { windowFor: (ts: number) => ShiftCalendar.of(threeShifts, 'UTC', 6 * HOUR).windowFor(ts) };

  test('the night shift crosses midnight and belongs to the plant day it starts in', () => {
    const w = calendar.windowFor(utc(2026, 11, 3, 2));
    expect(w).toMatchObject({ start: utc(2026, 11, 2, 22), end: utc(2026, 11, 3, 6), shift: 'night', plantDay: '2026-11-02', crew: '' });
  });

  test('shifts tile the day without gaps or overlaps', () => {
    const seen = new Map<number, { start: number; end: number; shift: string }>();
    for (let t = utc(2026, 11, 2, 6); t < utc(2026, 11, 3, 6); t += 15 * 60_000) {
      const w = calendar.windowFor(t);
      expect(w.start <= t && t < w.end).toBe(true);
      seen.set(w.start, w);
    }
    expect([...seen.values()].map((w) => w.shift)).toEqual(['early', 'late', 'night']);
  });

  test('crews rotate on the shift that names them', () => {
    const crews = [0, 7, 14].map((d) => calendar.windowFor(utc(2026, 11, 2, 8) + d * 24 * HOUR).crew);
    expect(new Set(crews)).toEqual(new Set(['A', 'B']));
    expect(crews[0]).not.toBe(crews[1]);
    expect(crews[0]).toBe(crews[2]);
  });

  test('a crew keeps the shift for seven days counted from 1970-01-01 (a Thursday), then hands it on', () => {
    const crews = Array.from({ length: 11 }, (_, i) => calendar.windowFor(utc(2026, 11, 2 + i, 8)).crew);
    expect(crews).toEqual(['B', 'B', 'B', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'B']);
  });
});

describe('daylight saving (Europe/Berlin)', () => {
  // Built per call, not per file: a calendar built while the file loads is reached by no test in Stryker's eyes.
  const calendar = { windowFor: (ts: number) => ShiftCalendar.of(threeShifts, 'Europe/Berlin', 6 * HOUR).windowFor(ts) };

  test('the night the clocks go back, the 22:00-06:00 shift lasts 9 hours', () => {
    const w = calendar.windowFor(utc(2026, 10, 25, 1));
    expect(w.shift).toBe('night');
    expect(w.end - w.start).toBe(9 * HOUR);
    expect(w.plantDay).toBe('2026-10-24');
  });

  test('the night the clocks go forward, it lasts 7 hours', () => {
    const w = calendar.windowFor(utc(2026, 3, 29, 1));
    expect(w.shift).toBe('night');
    expect(w.end - w.start).toBe(7 * HOUR);
  });
});

describe('days off, holidays and time between shifts', () => {
  const weekdays: ShiftCalendarDefinition = {
    shifts: [{ name: 'day', start: '08:00', hours: 8, days: ['mon', 'tue', 'wed', 'thu', 'fri'] }],
    holidays: ['2026-11-04'],
  };
  const calendar = { windowFor: (ts: number) => ShiftCalendar.of(weekdays, 'UTC').windowFor(ts) };

  test('time between shifts is one unscheduled window, from one shift end to the next start, without a crew', () => {
    const evening = calendar.windowFor(utc(2026, 11, 2, 20)); // Monday
    expect(evening).toEqual({ shift: 'unscheduled', start: utc(2026, 11, 2, 16), end: utc(2026, 11, 3, 8), plantDay: '2026-11-02', crew: '' });
  });

  test('a weekend and a holiday have no shifts', () => {
    expect(calendar.windowFor(utc(2026, 11, 7, 12))).toMatchObject({ shift: 'unscheduled', start: utc(2026, 11, 6, 16), end: utc(2026, 11, 9, 8) });
    expect(calendar.windowFor(utc(2026, 11, 4, 10))).toMatchObject({ shift: 'unscheduled', start: utc(2026, 11, 3, 16), end: utc(2026, 11, 5, 8) });
  });

  test('a shift is a window from its first instant to its last; the unscheduled time around it touches it exactly', () => {
    const days = [utc(2026, 11, 3, 8) - 1, utc(2026, 11, 3, 8), utc(2026, 11, 3, 16) - 1, utc(2026, 11, 3, 16)].map((t) => calendar.windowFor(t).shift);
    expect(days).toEqual(['unscheduled', 'day', 'day', 'unscheduled']);
  });

  test('a week with one shift: the unscheduled stretch runs from its end to its start a week later', () => {
    const weekly = ShiftCalendar.of({ shifts: [{ name: 'audit', start: '09:30', hours: 2, days: ['mon'] }] }, 'UTC');
    expect(weekly.windowFor(utc(2026, 11, 2, 10))).toMatchObject({ shift: 'audit', start: utc(2026, 11, 2, 9, 30), end: utc(2026, 11, 2, 11, 30) });
    expect(weekly.windowFor(utc(2026, 11, 5, 12))).toMatchObject({ shift: 'unscheduled', start: utc(2026, 11, 2, 11, 30), end: utc(2026, 11, 9, 9, 30) });
  });

  test('with no shift for 60 days either way, an unscheduled stretch ends 60 days out', () => {
    const mondays = Array.from({ length: 30 }, (_, i) => new Date(utc(2026, 9, 7) + i * 7 * 24 * HOUR).toISOString().slice(0, 10));
    const rare = ShiftCalendar.of({ shifts: [{ name: 'audit', start: '09:00', hours: 2, days: ['mon'] }], holidays: mondays }, 'UTC');
    const w = rare.windowFor(utc(2026, 12, 2, 12));
    expect([w.shift, w.start, w.end]).toEqual(['unscheduled', utc(2026, 12, 2) - 62 * 24 * HOUR, utc(2026, 12, 2) + 62 * 24 * HOUR]);
  });
});

describe('how far an unscheduled stretch reaches', () => {
  const DAY = 24 * HOUR;

  test('a weekend is one stretch from the last shift end on Friday to the first shift start on Monday, whichever day asks', () => {
    const twoShifts: ShiftCalendarDefinition = {
      shifts: [
        { name: 'early', start: '06:00', hours: 8, days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
        { name: 'late', start: '14:00', hours: 8, days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      ],
    };
    const calendar = ShiftCalendar.of(twoShifts, 'UTC');
    const asked = [utc(2026, 11, 6, 22), utc(2026, 11, 7, 12), utc(2026, 11, 8, 12), utc(2026, 11, 9, 6) - 1].map((t) => calendar.windowFor(t));
    const weekend = { shift: 'unscheduled', start: utc(2026, 11, 6, 22), end: utc(2026, 11, 9, 6), plantDay: '2026-11-06', crew: '' };
    expect(asked).toEqual([weekend, weekend, weekend, weekend]);
  });

  test("a shift 61 days away still bounds a stretch; one 62 days away is beyond the search, so the stretch ends at that day's start", () => {
    const asked = utc(2026, 12, 2, 12);
    // Every day has an 09:00-11:00 shift, except the holidays within `days` days either side of 2026-12-02.
    const calendarWithout = (days: number) =>
      ShiftCalendar.of(
        {
          shifts: [{ name: 'audit', start: '09:00', hours: 2 }],
          holidays: Array.from({ length: 2 * days + 1 }, (_, i) => new Date(utc(2026, 12, 2) + (i - days) * DAY).toISOString().slice(0, 10)),
        },
        'UTC',
      );
    const near = calendarWithout(60).windowFor(asked);
    expect([near.shift, near.start, near.end]).toEqual(['unscheduled', utc(2026, 12, 2, 11) - 61 * DAY, utc(2026, 12, 2, 9) + 61 * DAY]);
    const far = calendarWithout(61).windowFor(asked);
    expect([far.shift, far.start, far.end]).toEqual(['unscheduled', utc(2026, 12, 2) - 62 * DAY, utc(2026, 12, 2) + 62 * DAY]);
  });
});

describe('shift times, crews and the plant day', () => {
  test('a start in minutes past the hour, and a shift without crews has none', () => {
    const calendar = ShiftCalendar.of({ shifts: [{ name: 'early', start: '05:45', hours: 8.5 }] }, 'UTC');
    expect(calendar.windowFor(utc(2026, 11, 3, 6))).toMatchObject({ start: utc(2026, 11, 3, 5, 45), end: utc(2026, 11, 3, 14, 15), crew: '' });
  });

  test('shifts listed out of time order are accepted, and a day lists its shifts in time order', () => {
    const calendar = ShiftCalendar.of(
      {
        shifts: [
          { name: 'late', start: '14:00', hours: 8 },
          { name: 'early', start: '06:00', hours: 8 },
        ],
      },
      'UTC',
    );
    expect(calendar.shiftsOf(Date.UTC(2026, 10, 2) / (24 * HOUR)).map((w) => [w.shift, w.start, w.end])).toEqual([
      ['early', utc(2026, 11, 2, 6), utc(2026, 11, 2, 14)],
      ['late', utc(2026, 11, 2, 14), utc(2026, 11, 2, 22)],
    ]);
    expect([utc(2026, 11, 2, 13, 59), utc(2026, 11, 2, 14)].map((t) => calendar.windowFor(t).shift)).toEqual(['early', 'late']);
  });

  test('a shift starting before the day start is worked on the next date of its plant day', () => {
    const calendar = ShiftCalendar.of(
      {
        shifts: [
          { name: 'day', start: '06:00', hours: 12 },
          { name: 'small-hours', start: '02:00', hours: 4 },
        ],
      },
      'UTC',
      6 * HOUR,
    );
    expect(calendar.shiftsOf(Date.UTC(2026, 10, 2) / (24 * HOUR)).map((w) => [w.shift, w.start, w.end, w.plantDay])).toEqual([
      ['day', utc(2026, 11, 2, 6), utc(2026, 11, 2, 18), '2026-11-02'],
      ['small-hours', utc(2026, 11, 3, 2), utc(2026, 11, 3, 6), '2026-11-02'],
    ]);
    expect(calendar.windowFor(utc(2026, 11, 3, 3))).toMatchObject({ shift: 'small-hours', plantDay: '2026-11-02' });
    expect(calendar.windowFor(utc(2026, 11, 2, 20))).toMatchObject({ shift: 'unscheduled', start: utc(2026, 11, 2, 18), end: utc(2026, 11, 3, 2) });
  });
});

test.each<[string, unknown, RegExp]>([
  ['no shifts', { shifts: [] }, /needs a list "shifts"/],
  ['a bad start', { shifts: [{ name: 'x', start: '25:00', hours: 8 }] }, /shift 1 \("x"\): "start" must be a local time HH:MM/],
  ['a zero length', { shifts: [{ name: 'x', start: '06:00', hours: 0 }] }, /"hours" must be whole minutes/],
  [
    'a name used twice',
    {
      shifts: [
        { name: 'x', start: '06:00', hours: 4 },
        { name: 'x', start: '12:00', hours: 4 },
      ],
    },
    /shift 2 \("x"\): the name is used twice/,
  ],
  ['an unknown weekday', { shifts: [{ name: 'x', start: '06:00', hours: 4, days: ['funday'] }] }, /"days" must list weekdays/],
  [
    'overlapping shifts',
    {
      shifts: [
        { name: 'a', start: '06:00', hours: 10 },
        { name: 'b', start: '14:00', hours: 8 },
      ],
    },
    /shift "b" starts before shift "a" ends/,
  ],
  ['a bad holiday', { shifts: [{ name: 'a', start: '06:00', hours: 8 }], holidays: ['Christmas'] }, /holidays: "Christmas" is not a date/],
])('%s is refused naming KPI_SHIFT_CALENDAR', (_name, definition, message) => {
  let error: unknown;
  try {
    ShiftCalendar.of(definition as ShiftCalendarDefinition);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).key).toBe('KPI_SHIFT_CALENDAR');
  expect((error as Error).message).toMatch(message);
});
