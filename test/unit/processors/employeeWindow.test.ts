import { eventKeyOf, KEY_SPACE, metricsOf } from '../../../contract/windowRow.js';
import { hash53Pair } from '../../../core/hash.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import {
  applyEvent,
  contributionProblem,
  eventKey,
  fromRow,
  newEmployeeWindow,
  releaseCells,
  repeatOf,
  toRow,
  wordsOf,
} from '../../../processors/employeeWindow.js';
import { WindowArena } from '../../../processors/windowArena.js';
import type { KindedEvent } from '../../../schemas/kinds.js';
import { T0, feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

const catalog = KpiCatalog.of();
const window = { start: Date.UTC(2026, 10, 2), end: Date.UTC(2026, 10, 3), plantDay: '2026-11-02', shift: '', crew: '' };
const HOUR = 3_600_000;
const fresh = () => newEmployeeWindow(catalog, 'emp-1', window);
const apply = (state: ReturnType<typeof fresh>, tagged: KindedEvent, digest = 0, hour = window.start + 8 * HOUR) =>
  applyEvent(catalog, state, tagged, digest, hour);
const row = (state: ReturnType<typeof fresh>) => toRow(catalog, state);

test('a new window holds no event, station or self-report', () => {
  const state = fresh();
  expect([state.employeeId, state.window, state.stations, state.reportEventId]).toEqual(['emp-1', window, [], '']);
  expect(row(state)).toMatchObject({ version: 0, event_keys: [], station_weights: {}, report_event_id: '', report_submitted_time: null });
});

test('a window with one event of each kind gives the contract row', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ units: 30, standard_seconds_per_unit: 60 }) });
  apply(state, { kind: 'telemetry', event: telemetry({ run_seconds: 900, idle_seconds: 0, down_seconds: 0, interval_end: T0 + 900_000 }) });
  apply(state, { kind: 'inspection', event: inspection({ units_inspected: 20, units_defective: 2 }) });
  apply(state, { kind: 'feedback', event: feedback({ satisfaction: 70, complaint: true }) });
  apply(state, { kind: 'feedback', event: feedback({ event_id: 'f-2', satisfaction: 90.5 }) });
  apply(state, { kind: 'selfReport', event: selfReport({ reported_units: 40, self_score: 95 }) });
  const written = row(state);
  expect(metricsOf(written)).toEqual({
    employee_id: 'emp-1',
    window_start: window.start,
    window_end: window.end,
    units: 30,
    standard_hours: 0.5,
    run_hours: 0.25,
    efficiency: 2,
    units_inspected: 20,
    units_defective: 2,
    defect_rate: 0.1,
    feedback_count: 2,
    complaints: 1,
    satisfaction_avg: 80.25,
    reported_units: 40,
    reported_run_hours: 0.25,
    reported_defective_units: 1,
    self_score: 95,
  });
  expect(written).toMatchObject({ station_id: 'st-1', version: 6 });
  const keys = ['f-1', 'f-2', 'i-1', 'p-1', 's-1', 't-1'].map((id) =>
    eventKeyOf({ f: 'feedback', i: 'inspection', p: 'production', s: 'selfReport', t: 'telemetry' }[id[0]!]!, id),
  );
  expect(written.event_keys).toEqual([...keys].sort((a, b) => a - b));
});

test('OEE is availability × performance × quality, from the same measures', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ units: 27, standard_seconds_per_unit: 20 }) }); // 540 s of standard time
  apply(state, { kind: 'telemetry', event: telemetry({ run_seconds: 600, idle_seconds: 200, down_seconds: 100 }) });
  apply(state, { kind: 'inspection', event: inspection({ units_inspected: 27, units_defective: 3 }) });
  const { values } = row(state);
  expect(values.oee_availability).toBeCloseTo(600 / 900, 12);
  expect(values.oee_performance).toBeCloseTo(540 / 600, 12);
  expect(values.oee_quality).toBeCloseTo(24 / 27, 12);
  expect(values.oee).toBeCloseTo((600 / 900) * (540 / 600) * (24 / 27), 12);
});

test('ratios are null without a denominator', () => {
  const written = row(fresh());
  const metrics = metricsOf(written);
  expect(metrics.efficiency).toBeNull();
  expect(metrics.defect_rate).toBeNull();
  expect(metrics.satisfaction_avg).toBeNull();
  expect(metrics.reported_units).toBeNull();
  expect(metrics.self_score).toBeNull();
  expect(written.values.oee).toBeNull();
  expect(written.station_id).toBe('');
});

test('the latest submitted self-report stands, ties to the greater event_id, whatever the arrival order', () => {
  const reports = [
    selfReport({ event_id: 's-a', submitted_time: 2000, reported_units: 1 }),
    selfReport({ event_id: 's-c', submitted_time: 3000, reported_units: 3 }),
    selfReport({ event_id: 's-b', submitted_time: 3000, reported_units: 2 }),
    selfReport({ event_id: 's-d', submitted_time: 1000, reported_units: 4 }),
  ];
  for (const order of [reports, [...reports].reverse()]) {
    const state = fresh();
    order.forEach((event) => apply(state, { kind: 'selfReport', event }));
    expect(row(state).reported_units).toBe(3);
  }
});

test('sums do not depend on the order of the events', () => {
  const runs = [0.1, 0.2, 0.3, 123.456, 7.001, 599.999];
  const forwards = fresh();
  const backwards = fresh();
  runs.forEach((run, i) => apply(forwards, { kind: 'telemetry', event: telemetry({ event_id: `t${i}`, run_seconds: run, idle_seconds: 0, down_seconds: 0 }) }));
  [...runs]
    .reverse()
    .forEach((run, i) => apply(backwards, { kind: 'telemetry', event: telemetry({ event_id: `t${i}`, run_seconds: run, idle_seconds: 0, down_seconds: 0 }) }));
  expect(row(forwards).values.run_hours).toBe(row(backwards).values.run_hours);
  expect(row(forwards).values.run_ms).toBe(731_056);
});

test('the station is where the most standard plus run time was earned; ties go to the smaller id', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ station_id: 'st-b', units: 1, standard_seconds_per_unit: 100 }) });
  apply(state, { kind: 'production', event: production({ event_id: 'p-2', station_id: 'st-a', units: 1, standard_seconds_per_unit: 100 }) });
  expect(row(state).station_id).toBe('st-a');
  apply(state, { kind: 'telemetry', event: telemetry({ station_id: 'st-b', run_seconds: 1 }) });
  expect(row(state).station_id).toBe('st-b');
});

test('equal station weights go to the smaller id whichever station came first', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ station_id: 'st-a', units: 1, standard_seconds_per_unit: 100 }) });
  apply(state, { kind: 'production', event: production({ event_id: 'p-2', station_id: 'st-b', units: 1, standard_seconds_per_unit: 100 }) });
  expect(row(state).station_id).toBe('st-a');
});

test('a station where no time was earned yet is still the window station', () => {
  const state = fresh();
  apply(state, { kind: 'telemetry', event: telemetry({ station_id: 'st-idle', run_seconds: 0 }) });
  expect([row(state).station_id, row(state).station_weights]).toEqual(['st-idle', { 'st-idle': 0 }]);
});

test('fromRow restores the state toRow wrote', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production() }, 7);
  apply(state, { kind: 'feedback', event: feedback({ satisfaction: 33.333 }) }, 9);
  apply(state, { kind: 'selfReport', event: selfReport({ self_score: null }) });
  const restored = fromRow(catalog, row(state));
  expect(row(restored)).toEqual(row(state));
  apply(restored, { kind: 'production', event: production({ event_id: 'p-2' }) });
  apply(state, { kind: 'production', event: production({ event_id: 'p-2' }) });
  expect(row(restored)).toEqual(row(state));
  expect(apply(restored, { kind: 'production', event: production() }, 7)).toBe('duplicate');
});

test('an event counts once per kind and event_id; a repeat with other bytes is told apart', () => {
  const state = fresh();
  expect(apply(state, { kind: 'production', event: production({ units: 7 }) }, 1)).toBe('accepted');
  expect(apply(state, { kind: 'production', event: production({ units: 7 }) }, 1)).toBe('duplicate');
  expect(apply(state, { kind: 'production', event: production({ units: 8 }) }, 2)).toBe('conflicting-duplicate');
  // Another source system may use the same id for its own event: it is not a repeat.
  expect(apply(state, { kind: 'inspection', event: inspection({ event_id: 'p-1' }) }, 1)).toBe('accepted');
  expect(row(state)).toMatchObject({ values: { units: 7, units_inspected: 10 }, version: 2 });
});

test('a sum may reach 2^53 - 1 exactly; an event that would take it past is refused naming the measure', () => {
  const empty = row(fresh());
  const restored = fromRow(catalog, { ...empty, values: { ...empty.values, units: Number.MAX_SAFE_INTEGER - 5 } });
  const units = (n: number) => ({ kind: 'production', event: production({ units: n }) }) as const;
  expect(contributionProblem(catalog, restored, units(5))).toBeUndefined();
  expect(contributionProblem(catalog, restored, units(6))).toBe('units would overflow its exact sum');
});

test('the exact-sum limit is checked on the measure the event adds to, not only the first one', () => {
  const empty = row(fresh());
  const restored = fromRow(catalog, { ...empty, values: { ...empty.values, run_ms: Number.MAX_SAFE_INTEGER - 5000 } });
  const run = (seconds: number) => ({ kind: 'telemetry', event: telemetry({ run_seconds: seconds, idle_seconds: 0, down_seconds: 0 }) }) as const;
  expect(contributionProblem(catalog, restored, run(5))).toBeUndefined();
  expect(contributionProblem(catalog, restored, run(5.001))).toBe('run_ms would overflow its exact sum');
});

test('one event may add exactly MAX_CONTRIBUTION to a measure; one more, a negative or a fractional amount is refused', () => {
  const state = fresh();
  const units = (n: number) => ({ kind: 'production', event: production({ units: n, standard_seconds_per_unit: 0 }) }) as const;
  const refusal = (n: number) => `units would grow by ${n}; one event adds a whole number within 0..2147483648`;
  expect(contributionProblem(catalog, state, units(2 ** 31))).toBeUndefined();
  expect(contributionProblem(catalog, state, units(2 ** 31 + 1))).toBe(refusal(2 ** 31 + 1));
  expect(contributionProblem(catalog, state, units(0))).toBeUndefined();
  expect(contributionProblem(catalog, state, units(-1))).toBe(refusal(-1));
  expect(contributionProblem(catalog, state, units(1.5))).toBe(refusal(1.5));
});

test('a contribution that would break the exact sums is refused before it changes anything', () => {
  const state = fresh();
  const huge = { kind: 'production', event: production({ units: 2_000_000_000, standard_seconds_per_unit: 86_400 }) } as const;
  expect(contributionProblem(catalog, state, huge)).toMatch(/standard_ms would grow by .*whole number within 0\.\.2147483648/);
  expect(contributionProblem(catalog, state, { kind: 'production', event: production() })).toBeUndefined();
  expect(row(state).version).toBe(0);
});

test('measures are kept per hour too, so any period sums exactly; the row names its plant day and the report its period', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ event_id: 'a', units: 3 }) }, 0, window.start + 22 * HOUR);
  apply(state, { kind: 'production', event: production({ event_id: 'b', units: 4 }) }, 0, window.start + 23 * HOUR);
  apply(state, { kind: 'production', event: production({ event_id: 'c', units: 5 }) }, 0, window.start + 22 * HOUR);
  apply(state, {
    kind: 'selfReport',
    event: selfReport({ period_start: window.start + 22 * HOUR, period_end: window.start + 30 * HOUR, submitted_time: window.start + 31 * HOUR }),
  });
  const written = row(state);
  expect(written.hourly).toEqual([
    { hour: window.start + 22 * HOUR, measures: { units: 8, standard_ms: 480_000 } },
    { hour: window.start + 23 * HOUR, measures: { units: 4, standard_ms: 240_000 } },
  ]);
  expect(written).toMatchObject({
    plant_day: '2026-11-02',
    shift: '',
    crew: '',
    report_period_start: window.start + 22 * HOUR,
    report_period_end: window.start + 30 * HOUR,
  });
  expect(row(fromRow(catalog, written))).toEqual(written);
});

test('an hour whose sum outgrows 32 bits stays exact, before and after a row is read back', () => {
  const state = fresh();
  const big = (id: string) => ({ kind: 'production', event: production({ event_id: id, units: 2 ** 31, standard_seconds_per_unit: 0.001 }) }) as const;
  apply(state, big('a'), 0, window.start + 9 * HOUR);
  apply(state, { kind: 'production', event: production({ event_id: 'other-hour', units: 5 }) }, 0, window.start + 10 * HOUR);
  apply(state, big('b'), 0, window.start + 9 * HOUR);
  apply(state, big('c'), 0, window.start + 9 * HOUR);
  const written = row(state);
  expect(written.values.units).toBe(3 * 2 ** 31 + 5);
  expect(written.hourly).toEqual([
    { hour: window.start + 9 * HOUR, measures: { units: 3 * 2 ** 31, standard_ms: 3 * 2 ** 31 } },
    { hour: window.start + 10 * HOUR, measures: { units: 5, standard_ms: 300_000 } },
  ]);
  const restored = fromRow(catalog, written);
  expect(row(restored)).toEqual(written);
  apply(restored, big('d'), 0, window.start + 9 * HOUR);
  expect(row(restored).hourly[0]!.measures.units).toBe(4 * 2 ** 31);
});

test('hours whose cells were widened keep their sums when the window grows room for another hour', () => {
  const state = fresh();
  const big = (id: string) => ({ kind: 'production', event: production({ event_id: id, units: 2 ** 31, standard_seconds_per_unit: 0.001 }) }) as const;
  apply(state, big('a'), 0, window.start + 9 * HOUR);
  apply(state, { kind: 'production', event: production({ event_id: 'other-hour', units: 5 }) }, 0, window.start + 10 * HOUR);
  apply(state, big('b'), 0, window.start + 9 * HOUR); // 2^32 units in one hour: every hour's cells become doubles
  apply(state, { kind: 'production', event: production({ event_id: 'third-hour', units: 7 }) }, 0, window.start + 11 * HOUR); // a third hour: more room
  expect(row(state).hourly).toEqual([
    { hour: window.start + 9 * HOUR, measures: { units: 2 ** 32, standard_ms: 2 ** 32 } },
    { hour: window.start + 10 * HOUR, measures: { units: 5, standard_ms: 300_000 } },
    { hour: window.start + 11 * HOUR, measures: { units: 7, standard_ms: 420_000 } },
  ]);
});

test('the weights of the stations so far are kept when the window grows room for more stations', () => {
  const state = fresh();
  for (const [i, station] of ['st-a', 'st-b', 'st-c'].entries())
    apply(state, {
      kind: 'production',
      event: production({ event_id: `p-${station}`, station_id: station, units: 1, standard_seconds_per_unit: 10 * (i + 1) }),
    });
  expect(row(state).station_weights).toEqual({ 'st-a': 10_000, 'st-b': 20_000, 'st-c': 30_000 });
});

test('a row that lists an event twice is read back holding it once, and the event is still a duplicate', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ event_id: 'p-1' }) }, 11);
  apply(state, { kind: 'production', event: production({ event_id: 'p-2' }) }, 22);
  const written = row(state);
  const [first, second] = written.event_keys as [number, number];
  const [firstDigest, secondDigest] = written.event_digests as [number, number];
  const twice = { ...written, event_keys: [second, first, first], event_digests: [secondDigest, firstDigest, firstDigest] };
  const restored = fromRow(catalog, twice);
  expect([row(restored).event_keys, row(restored).event_digests]).toEqual([written.event_keys, written.event_digests]);
  expect(apply(restored, { kind: 'production', event: production({ event_id: 'p-1' }) }, 11)).toBe('duplicate');
});

test('a window of thousands of events at many stations and hours keeps every fingerprint, in order, and every sum', () => {
  const state = fresh();
  const ids = Array.from({ length: 3000 }, (_, i) => `e-${(i * 7919) % 3000}`);
  for (const [i, id] of ids.entries()) {
    const outcome = apply(
      state,
      { kind: 'production', event: production({ event_id: id, station_id: `st-${i % 7}`, units: 1 }) },
      i & 0xffff,
      window.start + (i % 24) * HOUR,
    );
    expect(outcome).toBe('accepted');
  }
  for (const [i, id] of ids.entries())
    expect(apply(state, { kind: 'production', event: production({ event_id: id, units: 1 }) }, i & 0xffff)).toBe('duplicate');
  expect(apply(state, { kind: 'production', event: production({ event_id: 'e-1', units: 1 }) }, 12345)).toBe('conflicting-duplicate');
  const written = row(state);
  expect(written.version).toBe(3000);
  expect(written.values.units).toBe(3000);
  expect(written.event_keys).toEqual(ids.map((id) => eventKeyOf('production', id)).sort((a, b) => a - b));
  expect(Object.keys(written.station_weights)).toHaveLength(7);
  expect(written.hourly).toHaveLength(24);
  expect(written.hourly.every((h, i) => h.hour === window.start + i * HOUR && h.measures.units === 125)).toBe(true);
  expect(row(fromRow(catalog, written))).toEqual(written);
});

test('repeatOf tells a held event, with the same or other bytes, from a new one, and applies nothing', () => {
  const state = fresh();
  const held = { kind: 'production', event: production({ event_id: 'p-1' }) } as const;
  expect(repeatOf(catalog, state, eventKey(held), 7)).toBeUndefined();
  apply(state, held, 7);
  expect(repeatOf(catalog, state, eventKey(held), 7)).toBe('duplicate');
  expect(repeatOf(catalog, state, eventKey(held), 7 + 0x10000)).toBe('duplicate'); // digests are 16 bits
  expect(repeatOf(catalog, state, eventKey(held), 8)).toBe('conflicting-duplicate');
  expect(repeatOf(catalog, state, eventKey({ kind: 'production', event: production({ event_id: 'p-2' }) }), 7)).toBeUndefined();
  expect(row(state).version).toBe(1);
});

test('an event in the hour that starts at the epoch (hour 0) is kept under that hour', () => {
  const epochDay = { start: 0, end: 24 * HOUR, plantDay: '1970-01-01', shift: '', crew: '' };
  const state = newEmployeeWindow(catalog, 'emp-1', epochDay);
  applyEvent(catalog, state, { kind: 'production', event: production({ units: 3 }) }, 0, 0);
  expect(toRow(catalog, state).hourly).toEqual([{ hour: 0, measures: { units: 3, standard_ms: 180_000 } }]);
});

test('a window read back with its hours full grows room for a new hour without losing its events', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ event_id: 'a', units: 1 }) }, 1, window.start + 8 * HOUR);
  apply(state, { kind: 'production', event: production({ event_id: 'b', units: 2 }) }, 2, window.start + 9 * HOUR);
  const restored = fromRow(catalog, row(state)); // room for exactly its two hours
  for (const target of [state, restored]) apply(target, { kind: 'production', event: production({ event_id: 'c', units: 4 }) }, 3, window.start + 10 * HOUR);
  expect(row(restored)).toEqual(row(state));
  expect(row(restored).hourly.map((h) => [h.hour, h.measures.units])).toEqual([
    [window.start + 8 * HOUR, 1],
    [window.start + 9 * HOUR, 2],
    [window.start + 10 * HOUR, 4],
  ]);
  expect(apply(restored, { kind: 'production', event: production({ event_id: 'a', units: 1 }) }, 1)).toBe('duplicate');
});

test('a working day of 51 events in 8 hours keeps its numbers in 888 bytes: 32-bit hour cells, room for 8 hours and 54 events', () => {
  const state = fresh();
  for (let i = 0; i < 51; i += 1)
    apply(state, { kind: 'production', event: production({ event_id: `p-${i}`, units: 1 }) }, i, window.start + (6 + (i % 8)) * HOUR);
  // Words: header 8, report 14, one station 2, 8 hours of 1 + 10 = 88, 54 keys with their digests 108.
  expect(wordsOf(catalog, state)).toBe(8 + 14 + 2 + 88 + 108);
  expect(row(state).hourly.map((h) => h.measures.units)).toEqual([7, 7, 7, 6, 6, 6, 6, 6]);
});

test("windows in one arena keep each other's numbers apart as they regrow into blocks the others let go", () => {
  const arena = new WindowArena();
  const day = (id: string, i: number): KindedEvent => ({ kind: 'production', event: production({ employee_id: id, event_id: `p-${i}`, units: i + 1 }) });
  const [a, b] = ['emp-a', 'emp-b'].map((id) => newEmployeeWindow(catalog, id, window, arena));
  const [alone1, alone2] = ['emp-a', 'emp-b'].map((id) => newEmployeeWindow(catalog, id, window));
  for (let i = 0; i < 60; i += 1) {
    for (const [state, id, mirror] of [
      [a!, 'emp-a', alone1!],
      [b!, 'emp-b', alone2!],
    ] as const) {
      const hour = window.start + (6 + ((i * (id === 'emp-a' ? 1 : 3)) % 9)) * HOUR;
      apply(state, day(id, i), i, hour);
      apply(mirror, day(id, i), i, hour);
    }
  }
  expect(a!.cells).toBe(b!.cells);
  expect(row(a!)).toEqual(row(alone1!));
  expect(row(b!)).toEqual(row(alone2!));
  expect(row(fromRow(catalog, row(a!), arena))).toEqual(row(a!));
  // A new window takes a block a and b outgrew (their first ones), zeroed for it.
  const c = newEmployeeWindow(catalog, 'emp-c', window, arena);
  expect(c.cells).toBe(a!.cells);
  expect([0, wordsOf(catalog, fresh())]).toContain(c.base);
  apply(c, day('emp-c', 0), 0);
  const alone3 = newEmployeeWindow(catalog, 'emp-c', window);
  apply(alone3, day('emp-c', 0), 0);
  expect(row(c)).toEqual(row(alone3));
});

test('the row lists the hours in time order whatever order their events arrived in', () => {
  const state = fresh();
  for (const [i, h] of [10, 8, 11, 9].entries())
    apply(state, { kind: 'production', event: production({ event_id: `p-${i}`, units: h }) }, i, window.start + h * HOUR);
  expect(row(state).hourly.map((h) => [h.hour, h.measures.units])).toEqual([
    [window.start + 8 * HOUR, 8],
    [window.start + 9 * HOUR, 9],
    [window.start + 10 * HOUR, 10],
    [window.start + 11 * HOUR, 11],
  ]);
});

// An hour sum of exactly 2^32 no longer fits a 32-bit cell: the row read back must get double cells for it.
test('an hour sum of exactly 2^32 is read back exact, alone in its hour or next to small sums', () => {
  const half = (id: string) => ({ kind: 'production', event: production({ event_id: id, units: 2 ** 31, standard_seconds_per_unit: 0.001 }) }) as const;
  const alone = fresh();
  apply(alone, half('a'));
  apply(alone, half('b'));
  const mixed = fresh();
  apply(mixed, half('a'));
  apply(mixed, half('b'));
  apply(mixed, { kind: 'telemetry', event: telemetry({ run_seconds: 1, idle_seconds: 0, down_seconds: 0 }) });
  expect(row(alone).hourly).toEqual([{ hour: window.start + 8 * HOUR, measures: { units: 2 ** 32, standard_ms: 2 ** 32 } }]);
  expect(row(fromRow(catalog, row(alone)))).toEqual(row(alone));
  expect(row(fromRow(catalog, row(mixed)))).toEqual(row(mixed));
});

test('a row of small hour sums is read back into 32-bit hour cells', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ units: 3 }) });
  const restored = fromRow(catalog, row(state));
  // Words: header 8, report 14, one station 2, 2 hours of 1 + 10 = 22, 16 keys with their digests 32.
  expect(wordsOf(catalog, restored)).toBe(8 + 14 + 2 + 22 + 32);
  expect(row(restored)).toEqual(row(state));
});

test('a row written with 53-bit keys is read back with their low 48 bits, so its events still count once', () => {
  const state = fresh();
  const held = { kind: 'production', event: production({ event_id: 'p-1' }) } as const;
  apply(state, held, 7);
  const old = hash53Pair('production', 'p-1');
  expect(old).toBeGreaterThanOrEqual(KEY_SPACE); // this id's 53-bit hash has bits above the 48 kept
  const restored = fromRow(catalog, { ...row(state), event_keys: [old] });
  expect(row(restored).event_keys).toEqual([eventKeyOf('production', 'p-1')]);
  expect(apply(restored, held, 7)).toBe('duplicate');
  expect(row(restored)).toEqual(row(state));
});

test('a row whose measures are more than its hours hold (written before rows had hours) keeps them, outside its hours', () => {
  const state = fresh();
  apply(state, { kind: 'production', event: production({ event_id: 'p-1', units: 3 }) });
  const written = row(state);
  const legacy = { ...written, hourly: [] };
  const restored = fromRow(catalog, legacy);
  expect(row(restored)).toEqual(legacy);
  apply(restored, { kind: 'production', event: production({ event_id: 'p-2', units: 4 }) });
  const next = row(restored);
  expect([next.values.units, next.hourly]).toEqual([
    7,
    [{ hour: window.start + 8 * HOUR, measures: { units: 4, standard_ms: (4 * written.values.standard_ms!) / 3 } }],
  ]);
});

test('windows deep in a shared chunk keep their own report, wide hours and keys, and give their block back when released', () => {
  const arena = new WindowArena();
  const filler = newEmployeeWindow(catalog, 'emp-0', window, arena); // the next windows start past its block
  const [a, b] = ['emp-a', 'emp-b'].map((id) => newEmployeeWindow(catalog, id, window, arena));
  const [alone1, alone2] = ['emp-a', 'emp-b'].map((id) => newEmployeeWindow(catalog, id, window));
  const big = (id: string, n: number) => ({ kind: 'production', event: production({ employee_id: id, event_id: `big-${n}`, units: 2 ** 31 }) }) as const;
  const report = (id: string) => ({ kind: 'selfReport', event: selfReport({ employee_id: id, event_id: `r-${id}`, reported_units: 42 }) }) as const;
  for (const [state, mirror, id] of [
    [a!, alone1!, 'emp-a'],
    [b!, alone2!, 'emp-b'],
  ] as const) {
    expect(state.base).toBeGreaterThan(0);
    // Two halves of 2^32 in one hour widen every hour's cells; a report and events in another hour follow.
    for (const tagged of [big(id, 1), big(id, 2), report(id)]) {
      apply(state, tagged, 3);
      apply(mirror, tagged, 3);
    }
    for (let i = 0; i < 30; i += 1) {
      const tagged = { kind: 'production', event: production({ employee_id: id, event_id: `p-${i}`, units: i }) } as const;
      apply(state, tagged, i, window.start + (10 + (i % 5)) * HOUR);
      apply(mirror, tagged, i, window.start + (10 + (i % 5)) * HOUR);
    }
  }
  for (const [state, mirror] of [
    [a!, alone1!],
    [b!, alone2!],
  ] as const) {
    expect(row(state)).toEqual(row(mirror));
    expect(row(state).reported_units).toBe(42);
    expect(row(state).hourly[0]!.measures.units).toBe(2 ** 32);
    expect(contributionProblem(catalog, state, { kind: 'production', event: production({ event_id: 'again', units: 1 }) })).toBeUndefined();
    // Header 8, report 14, one station 2, room for 8 hours of 1 + 2 × 10 words (doubles), 36 keys of 2.
    expect([wordsOf(catalog, state), wordsOf(catalog, mirror)]).toEqual([8 + 14 + 2 + 8 * 21 + 2 * 36, 8 + 14 + 2 + 8 * 21 + 2 * 36]);
  }
  expect(row(filler).version).toBe(0);
  const inUse = arena.wordsInUse;
  releaseCells(catalog, a!);
  expect(arena.wordsInUse).toBe(inUse - wordsOf(catalog, a!));
  // A window of the released block's size takes it, zeroed.
  const c = fromRow(catalog, row(alone1!), arena);
  expect(row(c)).toEqual(row(alone1!));
  expect(row(b!)).toEqual(row(alone2!));
});

test('the exact-sum limit holds for a window read back with a sum near 2^53 in its hours', () => {
  const empty = row(fresh());
  const units = Number.MAX_SAFE_INTEGER - 10;
  const hourly = [
    { hour: window.start + 8 * HOUR, measures: { units: units - 7 } },
    { hour: window.start + 9 * HOUR, measures: { units: 7 } },
  ];
  const restored = fromRow(catalog, { ...empty, values: { ...empty.values, units }, hourly });
  expect(row(restored).hourly).toEqual(hourly);
  const more = (n: number) => ({ kind: 'production', event: production({ units: n, standard_seconds_per_unit: 0 }) }) as const;
  expect(contributionProblem(catalog, restored, more(10))).toBeUndefined();
  expect(contributionProblem(catalog, restored, more(11))).toBe('units would overflow its exact sum');
});
