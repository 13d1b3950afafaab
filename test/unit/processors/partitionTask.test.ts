import type { WindowKey, WindowRow } from '../../../contract/windowRow.js';
import { PartitionTask, windowKeyOf } from '../../../processors/partitionTask.js';
import { TopologyTestDriver } from '../../../processors/testDriver.js';
import { feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const day = (d: number, hour = 0, minute = 0) => Date.UTC(2026, 10, d, hour, minute);
/** A row with its measures and KPI columns beside its core columns, for matching. */
const flat = (row: WindowRow) => ({ ...row, ...row.values });

describe('windows and watermarks (emit-final)', () => {
  test('a window emits one row once the watermark passes its end plus the allowed lateness', async () => {
    const driver = new TopologyTestDriver();
    await driver.pipe('production', production({ event_id: 'a', event_time: day(2, 9), units: 10 }));
    await driver.pipe('production', production({ event_id: 'b', event_time: day(2, 15), units: 5 }));
    expect(await driver.flush()).toEqual([]);
    // Next day's events move the clock; the watermark is the clock minus 10 minutes.
    await driver.pipe('production', production({ event_id: 'c', event_time: day(3, 0, 9), units: 1 }));
    expect(await driver.flush()).toEqual([]);
    await driver.pipe('production', production({ event_id: 'd', event_time: day(3, 0, 10), units: 1 }));
    const rows = await driver.flush();
    expect(rows).toHaveLength(1);
    expect(flat(rows[0]!)).toMatchObject({ employee_id: 'emp-1', window_start: day(2), window_end: day(3), units: 15, version: 2 });
  });

  test('a record within the allowed lateness joins its window before it closes', async () => {
    const driver = new TopologyTestDriver();
    await driver.pipe('production', production({ event_id: 'a', event_time: day(3, 0, 5) }));
    await driver.pipe('production', production({ event_id: 'late', event_time: day(2, 23, 58), units: 4 }));
    await driver.pipe('production', production({ event_id: 'b', event_time: day(3, 0, 20) }));
    const rows = await driver.flush();
    expect(rows.map((r) => [r.window_start, r.values.units, r.version])).toEqual([[day(2), 4, 1]]);
  });

  test('windows follow the configured size and time zone', async () => {
    const driver = new TopologyTestDriver({ windowSize: 8 * HOUR, timeZone: 'Asia/Kolkata' });
    await driver.pipe('production', production({ event_id: 'a', event_time: day(2, 3, 0) })); // 08:30 in Kolkata
    await driver.pipe('production', production({ event_id: 'b', event_time: day(3, 3, 0) }));
    expect((await driver.flush()).map((r) => [r.window_start, r.window_end])).toEqual([[day(2, 2, 30), day(2, 10, 30)]]);
  });

  test('an idle partition closes its windows after the idle timeout, on the wall clock', async () => {
    const driver = new TopologyTestDriver({ idleClose: 5 * MIN });
    await driver.pipe('production', production({ event_id: 'a', event_time: day(2, 9) }));
    driver.advanceWallClock(4 * MIN);
    expect(await driver.flush()).toEqual([]);
    driver.advanceWallClock(MIN);
    expect((await driver.flush()).map((r) => r.window_start)).toEqual([day(2)]);
  });
});

describe('late records correct their window', () => {
  test('an inspection days later writes a new version of the closed window', async () => {
    const driver = new TopologyTestDriver();
    await driver.pipe('production', production({ event_id: 'p', event_time: day(2, 9), units: 20 }));
    await driver.pipe('production', production({ event_id: 'next', event_time: day(3, 9), units: 1 }));
    const [first] = await driver.flush();
    expect(flat(first!)).toMatchObject({ window_start: day(2), units_inspected: 0, defect_rate: null, version: 1 });
    await driver.pipe(
      'inspection',
      inspection({ event_id: 'i', production_time: day(2, 9), inspected_time: day(5, 9), units_inspected: 20, units_defective: 2 }),
    );
    // The inspection's clock also closes the next day's window: both are written.
    const rows = await driver.flush();
    expect(rows.map((r) => r.window_start).sort()).toEqual([day(2), day(3)]);
    const second = rows.find((r) => r.window_start === day(2));
    expect(flat(second!)).toMatchObject({ units: 20, units_inspected: 20, defect_rate: 0.1, version: 2 });
    expect(driver.row('emp-1', day(2))).toEqual(second);
  });

  test('feedback weeks later still corrects, within the correction horizon', async () => {
    const driver = new TopologyTestDriver();
    await driver.pipe('production', production({ event_id: 'p', event_time: day(2, 9) }));
    driver.advanceWallClock(10 * MIN);
    await driver.flush();
    await driver.pipe('feedback', feedback({ event_id: 'f', production_time: day(2, 9), feedback_time: day(2, 9) + 30 * DAY, satisfaction: 64 }));
    expect((await driver.flush()).map(flat)).toMatchObject([{ window_start: day(2), feedback_count: 1, satisfaction_avg: 64, version: 2 }]);
  });

  test('past the correction horizon a record is dead-lettered as too late and changes nothing', async () => {
    const driver = new TopologyTestDriver({ correctionHorizon: 35 * DAY });
    await driver.pipe('production', production({ event_id: 'p', event_time: day(2, 9) }));
    driver.advanceWallClock(10 * MIN);
    await driver.flush();
    const outcome = await driver.pipe('feedback', feedback({ event_id: 'f', production_time: day(2, 9), feedback_time: day(3) + 35 * DAY + 1 }));
    expect(outcome).toBe('KPI_ERR_TOO_LATE');
    expect(await driver.flush()).toEqual([]);
    expect(driver.deadLetters).toEqual([expect.objectContaining({ topic: 'customer.feedback.v1', offset: 0, code: 'KPI_ERR_TOO_LATE' })]);
    expect(flat(driver.row('emp-1', day(2))!)).toMatchObject({ feedback_count: 0, version: 1 });
  });

  test('a correction landing exactly on the correction horizon still corrects; 1 ms later the next one is too late', async () => {
    // README: only a record whose window ended *more than* KPI_CORRECTION_HORIZON before the partition's clock is too late.
    const driver = new TopologyTestDriver({ correctionHorizon: 35 * DAY });
    await driver.pipe('production', production({ event_id: 'p', event_time: day(2, 9) }));
    driver.advanceWallClock(10 * MIN);
    await driver.flush();
    const onHorizon = day(3) + 35 * DAY; // the window ends at day(3)
    expect(await driver.pipe('feedback', feedback({ event_id: 'on', production_time: day(2, 9), feedback_time: onHorizon, satisfaction: 60 }))).toBe(
      'accepted',
    );
    expect(await driver.pipe('feedback', feedback({ event_id: 'past', production_time: day(2, 9), feedback_time: onHorizon + 1 }))).toBe('KPI_ERR_TOO_LATE');
    expect((await driver.flush()).map(flat)).toMatchObject([{ window_start: day(2), feedback_count: 1, satisfaction_avg: 60, version: 2 }]);
    expect(driver.deadLetters).toEqual([expect.objectContaining({ topic: 'customer.feedback.v1', offset: 1, code: 'KPI_ERR_TOO_LATE' })]);
  });

  test('the latest self-report stands, even when an older one arrives after it', async () => {
    const driver = new TopologyTestDriver();
    await driver.pipe(
      'selfReport',
      selfReport({ event_id: 's2', period_start: day(2, 6), period_end: day(2, 14), submitted_time: day(2, 18), reported_units: 50 }),
    );
    await driver.pipe(
      'selfReport',
      selfReport({ event_id: 's1', period_start: day(2, 6), period_end: day(2, 14), submitted_time: day(2, 16), reported_units: 40 }),
    );
    await driver.pipe('production', production({ event_id: 'x', event_time: day(4) }));
    expect((await driver.flush()).map(flat)).toMatchObject([{ reported_units: 50, version: 2 }]);
  });
});

describe('memory', () => {
  test('a closed window stays in memory until the drain after its row, then leaves', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    const lookedUp: WindowKey[][] = [];
    const store = { current: async (keys: readonly WindowKey[]) => (lookedUp.push([...keys]), []), write: async () => undefined };
    const item = (offset: number, event = production({ event_id: `p${offset}`, event_time: day(2, 9) })) => ({
      offset,
      record: { tagged: { kind: 'production' as const, event }, digest: 0 },
    });
    await task.processBatch('production', [item(0), item(1, production({ event_id: 'next-day', event_time: day(3, 9) }))], 0, store);
    expect(task.drain(0).map((r) => r.window_start)).toEqual([day(2)]);
    // While that row is being written, a late record for the window finds it in memory: nothing is read back.
    await task.processBatch('production', [item(2, production({ event_id: 'late', event_time: day(2, 11) }))], 0, store);
    expect(lookedUp).toHaveLength(1);
    expect(task.drain(0)).toMatchObject([{ window_start: day(2), version: 2 }]);
    expect(task.openWindows).toBe(2);
    expect(task.drain(0)).toEqual([]);
    expect(task.openWindows).toBe(1); // only the open day 3 is left
    await task.processBatch('production', [item(3, production({ event_id: 'later', event_time: day(2, 12) }))], 0, store);
    expect(lookedUp.at(-1)).toEqual([{ employeeId: 'emp-1', windowStart: day(2) }]);
  });
});

const emptyStore = { current: async () => [] };
/** A batch of one record of a kind, for a PartitionTask. */
const batch = <K extends 'production' | 'telemetry' | 'feedback'>(kind: K, offset: number, event: object) => [
  { offset, record: { tagged: { kind, event } as never, digest: 0 } },
];

describe('rows due', () => {
  test('as soon as a changed window closes, and again when a closed one takes a correction', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', batch('production', 0, production({ event_time: day(2, 9) })), 0, emptyStore);
    expect(task.rowsDue).toBe(false);
    await task.processBatch('production', batch('production', 1, production({ event_id: 'p-2', event_time: day(3, 0, 10) })), 0, emptyStore);
    expect(task.rowsDue).toBe(true);
    expect(task.drain(0).map((r) => r.window_start)).toEqual([day(2)]);
    expect(task.rowsDue).toBe(false);
    await task.processBatch('production', batch('production', 2, production({ event_id: 'p-late', event_time: day(2, 11) })), 0, emptyStore);
    expect(task.rowsDue).toBe(true);
    expect(task.drain(0).map((r) => [r.window_start, r.version])).toEqual([[day(2), 2]]);
    expect(task.rowsDue).toBe(false);
  });
});

describe('backfills: topics with records left hold the watermark back', () => {
  test('a window closes when every topic still catching up has passed it, not when the sparsest one has', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    // One fetch of feedback reads weeks ahead (its clock is day 20) before the telemetry says it has records left.
    await task.processBatch('feedback', batch('feedback', 0, feedback({ production_time: day(2, 10), feedback_time: day(20) })), 0, emptyStore);
    task.noteBacklog('feedback', 0, 0);
    await task.processBatch('telemetry', batch('telemetry', 0, telemetry({ interval_start: day(2, 9), interval_end: day(2, 9, 15) })), 0, emptyStore);
    task.noteBacklog('telemetry', 500, 0);
    expect(task.watermark()).toBe(day(2, 9, 15) - 10 * MIN);
    expect(task.drain(0)).toEqual([]);
    // Five seconds later the telemetry passes day 2 and has nothing left: day 2 closes, once, with everything (day 3 with it).
    await task.processBatch(
      'telemetry',
      batch('telemetry', 1, telemetry({ event_id: 't-2', interval_start: day(3, 1), interval_end: day(3, 1, 15) })),
      5000,
      emptyStore,
    );
    task.noteBacklog('telemetry', 0, 5000);
    expect(task.watermark()).toBe(day(20) - 10 * MIN);
    expect(task.drain(5000).map((r) => [r.window_start, r.values.feedback_count, r.version])).toEqual([
      [day(2), 1, 2],
      [day(3), 0, 1],
    ]);
    // They became due when the watermark passed them for good, not when the feedback alone had moved it.
    expect(task.dueAt).toEqual([5000, 5000]);
  });

  test('topics more than the allowed lateness ahead of the slowest one with records left are the ones to pause', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    expect(task.kindsAhead()).toEqual([]);
    await task.processBatch('telemetry', batch('telemetry', 0, telemetry({ interval_start: day(2, 9), interval_end: day(2, 9, 15) })), 0, emptyStore);
    await task.processBatch('production', batch('production', 0, production({ event_time: day(2, 9, 20) })), 0, emptyStore);
    await task.processBatch('feedback', batch('feedback', 0, feedback({ production_time: day(2, 10), feedback_time: day(20) })), 0, emptyStore);
    // Nothing is said about what is left: nothing waits (the test driver, a caught-up stream).
    expect(task.kindsAhead()).toEqual([]);
    for (const kind of ['telemetry', 'production', 'feedback'] as const) task.noteBacklog(kind, 10, 0);
    // Production is 5 minutes ahead of telemetry (within the lateness), feedback weeks ahead; the slowest never waits.
    expect(task.kindsAhead()).toEqual(['feedback']);
    task.noteBacklog('feedback', 0, 0);
    expect(task.kindsAhead()).toEqual([]);
    // A topic that has read everything holds nothing back. Nor does one whose batches stopped (aborted or open
    // transactions the consumer skips while its lag counts them): what batches before a time said is forgotten.
    task.noteBacklog('feedback', 10, 0);
    task.noteBacklog('telemetry', 10, 20_000);
    task.forgetBacklog(10_000);
    expect(task.kindsAhead()).toEqual([]);
    expect(task.watermark()).toBe(day(2, 9, 15) - 10 * MIN);
    task.forgetBacklog();
    expect(task.watermark()).toBe(day(20) - 10 * MIN);
  });
});

describe('changed windows (live alerting)', () => {
  const store = { current: async () => [] };
  const item = (offset: number, event: ReturnType<typeof production>) => ({ offset, record: { tagged: { kind: 'production' as const, event }, digest: 0 } });

  test('with trackChanged, each window a batch changed is taken once, as it stands; a repeat changes nothing', async () => {
    const settings = new TopologyTestDriver().settings;
    const task = new PartitionTask(0, { ...settings, trackChanged: true }, 0);
    const first = production({ event_id: 'a', event_time: day(2, 9) });
    await task.processBatch('production', [item(0, first), item(1, production({ event_id: 'b', event_time: day(2, 10) }))], 5, store);
    await task.processBatch('production', [item(2, production({ event_id: 'c', event_time: day(3, 9) }))], 6, store);
    const taken = task.takeChanged(7);
    expect(taken.map((s) => [s.window_start, s.version, s.station_id, s.observed_at])).toEqual([
      [day(2), 2, 'st-1', 7],
      [day(3), 1, 'st-1', 7],
    ]);
    // The same measures as the rows the windows are written as.
    const rows = task.drain(Number.POSITIVE_INFINITY);
    expect(taken.map((s) => settings.catalog.valuesOf(s.measures))).toEqual(rows.map((r) => r.values));
    expect(taken[0]!.report).toBeNull();
    expect(task.takeChanged(8)).toEqual([]);
    await task.processBatch('production', [item(3, first)], 9, store);
    expect(task.takeChanged(10)).toEqual([]);
  });

  test('without it, nothing is kept', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [item(0, production({ event_id: 'a', event_time: day(2, 9) }))], 5, store);
    expect(task.takeChanged(6)).toEqual([]);
  });
});

describe('reads from the store', () => {
  const item = (offset: number, eventId: string, at: number) => ({
    offset,
    record: { tagged: { kind: 'production' as const, event: production({ event_id: eventId, event_time: at, units: 1 }) }, digest: 0 },
  });
  function recordingStore(rows: WindowRow[] = []) {
    const lookedUp: WindowKey[][] = [];
    return {
      lookedUp,
      rows,
      current: async (keys: readonly WindowKey[]) => {
        lookedUp.push([...keys]);
        return rows.filter((r) => keys.some((k) => k.employeeId === r.employee_id && k.windowStart === r.window_start));
      },
    };
  }

  test('only windows that can have a row are read: not those after the store’s latest, until the task writes them', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0, new Map(), new Set(), day(2));
    const store = recordingStore();
    await task.processBatch('production', [item(0, 'a', day(2, 9)), item(1, 'b', day(3, 9)), item(2, 'c', day(4, 9))], 0, store);
    // Day 2 may have a row; days 3 and 4 start after the store's latest window.
    expect(store.lookedUp).toEqual([[{ employeeId: 'emp-1', windowStart: day(2) }]]);
    expect(task.drain(0).map((r) => r.window_start)).toEqual([day(2), day(3)]);
    expect(task.drain(0)).toEqual([]); // both rows are written: they leave memory
    await task.processBatch('production', [item(3, 'late', day(3, 11)), item(4, 'd', day(4, 10))], 0, store);
    // Day 3 has a row now, written by this task; day 4 is still in memory.
    expect(store.lookedUp.at(-1)).toEqual([{ employeeId: 'emp-1', windowStart: day(3) }]);
    expect(store.lookedUp).toHaveLength(2);
  });

  test('closed windows stay in memory up to the cache, the latest first: corrections to them need no read', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0, new Map(), new Set(), null);
    const store = recordingStore();
    await task.processBatch('production', [item(0, 'a', day(2, 9)), item(1, 'b', day(3, 9)), item(2, 'c', day(4, 9)), item(3, 'd', day(5, 9))], 0, store);
    expect(task.drain(0, 2).map((r) => r.window_start)).toEqual([day(2), day(3), day(4)]);
    expect(task.openWindows).toBe(4); // written just now: they stay until the next drain
    expect(task.drain(0, 2)).toEqual([]);
    expect(task.windowsInMemory).toBe(3); // days 3 and 4 stay (the latest two), day 2 left; day 5 is open
    expect(task.openWindows).toBe(1); // the cache is not counted as open
    await task.processBatch('production', [item(4, 'late-3', day(3, 11)), item(5, 'late-4', day(4, 11))], 0, store);
    expect(store.lookedUp).toEqual([]);
    expect(task.drain(0, 2).map((r) => [r.window_start, r.version])).toEqual([
      [day(3), 2],
      [day(4), 2],
    ]);
    await task.processBatch('production', [item(6, 'late-2', day(2, 11))], 0, store);
    expect(store.lookedUp).toEqual([[{ employeeId: 'emp-1', windowStart: day(2) }]]);
  });

  test('an empty store is never read until the task wrote a row', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0, new Map(), new Set(), null);
    const store = recordingStore();
    await task.processBatch('production', [item(0, 'a', day(2, 9)), item(1, 'b', day(3, 9))], 0, store);
    expect(store.lookedUp).toEqual([]);
  });

  test('a row a previous owner wrote after its last commit, past the store’s latest when the task began, is not read and changes nothing', async () => {
    const settings = new TopologyTestDriver().settings;
    // The previous owner counted a and b of day 3 into a row, then lost the partition before committing them.
    const previous = new PartitionTask(0, settings, 0, new Map(), new Set(), day(2));
    await previous.processBatch('production', [item(10, 'a', day(3, 9)), item(11, 'b', day(3, 10)), item(12, 'next', day(4, 9))], 0, recordingStore());
    const lingering = previous.drain(0);
    expect(lingering).toMatchObject([{ window_start: day(3), version: 2 }]);
    // The new owner began when the store's latest window was day 2; the lingering row lands afterwards.
    const task = new PartitionTask(0, settings, 0, new Map([['production', { offset: 10, clock: null }]]), new Set(), day(2));
    const store = recordingStore([...lingering]);
    await task.processBatch('production', [item(10, 'a', day(3, 9)), item(11, 'b', day(3, 10)), item(12, 'next', day(4, 9))], 0, store);
    expect(store.lookedUp).toEqual([]);
    const [row] = task.drain(0);
    // The same events, counted once each: the same row as the lingering one.
    expect(row).toEqual(lingering[0]);
  });
});

describe('duplicates', () => {
  test('a repeated event_id counts once, before and after its window closed', async () => {
    const driver = new TopologyTestDriver();
    const event = production({ event_id: 'p', event_time: day(2, 9), units: 7 });
    expect(await driver.pipe('production', event)).toBe('accepted');
    expect(await driver.pipe('production', event)).toBe('duplicate');
    await driver.pipe('telemetry', telemetry({ event_id: 't', interval_start: day(3, 8), interval_end: day(3, 8, 15) }));
    await driver.flush();
    // The window left memory; its row remembers the event.
    expect(await driver.pipe('production', event)).toBe('duplicate');
    expect(await driver.flush()).toEqual([]);
    expect(flat(driver.row('emp-1', day(2))!)).toMatchObject({ units: 7, version: 1 });
  });
});

describe('invalid records', () => {
  test('are dead-lettered with their reason and do not stop the stream', async () => {
    const driver = new TopologyTestDriver();
    expect(await driver.pipe('inspection', inspection({ event_id: 'bad', units_inspected: 3, units_defective: 4 }))).toBe('KPI_ERR_INVALID_VALUE');
    expect(await driver.pipe('production', production({ event_id: 'good', event_time: day(2, 9) }))).toBe('accepted');
    expect(driver.deadLetters).toEqual([
      expect.objectContaining({ topic: 'quality.inspections.v1', code: 'KPI_ERR_INVALID_VALUE', message: expect.stringContaining('units_defective') }),
    ]);
  });
});

describe('emit-on-update', () => {
  test('every flush writes the windows that changed, open or not', async () => {
    const driver = new TopologyTestDriver({ emitMode: 'update' });
    await driver.pipe('production', production({ event_id: 'a', event_time: day(2, 9), units: 1 }));
    expect((await driver.flush()).map(flat)).toMatchObject([{ units: 1, version: 1 }]);
    expect(await driver.flush()).toEqual([]);
    await driver.pipe('production', production({ event_id: 'b', event_time: day(2, 10), units: 2 }));
    expect((await driver.flush()).map(flat)).toMatchObject([{ units: 3, version: 2 }]);
  });
});

/** A production record of emp-1 (or `employee`) at `at`, as a PartitionTask batch item. */
const unit = (offset: number, eventId: string, at: number, employee = 'emp-1') => ({
  offset,
  record: { tagged: { kind: 'production' as const, event: production({ event_id: eventId, event_time: at, employee_id: employee, units: 1 }) }, digest: 0 },
});
/** emp-1's plant day 2 in the default (UTC, 24-hour) windows. */
const day2Window = { start: day(2), end: day(3), plantDay: '2026-11-02', shift: '', crew: '' };
/** A store that holds `rows` and answers for the keys asked. */
const storeOf = (rows: WindowRow[]) => ({
  current: async (keys: readonly WindowKey[]) => rows.filter((r) => keys.some((k) => k.employeeId === r.employee_id && k.windowStart === r.window_start)),
});
/** The row of emp-1's day 2 as a previous owner wrote it: one event, `a`. */
async function storedDay2(): Promise<WindowRow> {
  const previous = new PartitionTask(0, new TopologyTestDriver().settings, 0);
  await previous.processBatch('production', [unit(0, 'a', day(2, 9)), unit(1, 'next', day(3, 9))], 0, emptyStore);
  return previous.drain(0)[0]!;
}

describe('when rows became due (dueAt)', () => {
  test('when the watermark first passed the window’s end, even exactly, not when it rose further or was merely noted again', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9))], 100, emptyStore);
    await task.processBatch('production', [unit(1, 'b', day(2, 20))], 200, emptyStore);
    // The watermark lands exactly on day 2's end (the clock is 10 minutes past it).
    await task.processBatch('production', [unit(2, 'c', day(3, 0, 10))], 300, emptyStore);
    // An earlier record and a backlog note leave the watermark where it was; a later one raises it.
    await task.processBatch('production', [unit(3, 'd', day(3, 0, 5))], 400, emptyStore);
    task.noteBacklog('production', 0, 500);
    await task.processBatch('production', [unit(4, 'e', day(3, 5))], 600, emptyStore);
    expect(task.drain(700).map((r) => r.window_start)).toEqual([day(2)]);
    expect(task.dueAt).toEqual([300]);
  });

  test('a watermark that fell undoes the rises above it: the window is due when it rises past it again', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('telemetry', batch('telemetry', 0, telemetry({ interval_start: day(2, 8), interval_end: day(2, 8, 15) })), 50, emptyStore);
    await task.processBatch('production', [unit(0, 'a', day(2, 9))], 100, emptyStore);
    await task.processBatch('production', [unit(1, 'b', day(3, 1))], 200, emptyStore);
    // Telemetry says it has records left: its clock (day 2, 08:15) caps the watermark again.
    task.noteBacklog('telemetry', 5, 250);
    expect(task.watermark()).toBe(day(2, 8, 5));
    expect(task.drain(260)).toEqual([]);
    await task.processBatch(
      'telemetry',
      batch('telemetry', 1, telemetry({ event_id: 't-2', interval_start: day(3, 2), interval_end: day(3, 2, 15) })),
      300,
      emptyStore,
    );
    task.noteBacklog('telemetry', 0, 300);
    expect(task.drain(400).map((r) => r.window_start)).toEqual([day(2)]);
    expect(task.dueAt).toEqual([300]);
  });

  test('a correction to a closed window is due when it was made: its first change since the row, not its last', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9)), unit(1, 'b', day(3, 9))], 100, emptyStore);
    expect(task.drain(100)).toHaveLength(1);
    await task.processBatch('production', [unit(2, 'late-1', day(2, 10))], 400, emptyStore);
    await task.processBatch('production', [unit(3, 'late-2', day(2, 11))], 500, emptyStore);
    expect(task.drain(600).map((r) => [r.window_start, r.version])).toEqual([[day(2), 3]]);
    expect(task.dueAt).toEqual([400]);
  });

  test('a correction to a window closed before the last drain is due when made, even if the watermark fell back since (not below it)', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9))], 100, emptyStore);
    await task.processBatch('production', [unit(1, 'b', day(2, 12))], 150, emptyStore);
    await task.processBatch('production', [unit(2, 'c', day(3, 1))], 200, emptyStore);
    await task.processBatch('production', [unit(3, 'd', day(3, 2))], 300, emptyStore);
    expect(task.drain(300).map((r) => r.window_start)).toEqual([day(2)]);
    await task.processBatch('production', [unit(4, 'late', day(2, 13))], 350, emptyStore);
    // Telemetry with records left pulls the watermark back to day 3, 00:20: still past day 2's end.
    await task.processBatch('telemetry', batch('telemetry', 0, telemetry({ interval_start: day(3, 0, 15), interval_end: day(3, 0, 30) })), 400, emptyStore);
    task.noteBacklog('telemetry', 5, 400);
    expect(task.watermark()).toBe(day(3, 0, 20));
    expect(task.drain(500).map((r) => [r.window_start, r.version])).toEqual([[day(2), 3]]);
    expect(task.dueAt).toEqual([350]);
  });

  test('an idle partition’s open windows are due at the idle timeout; one the watermark had already closed, when it did', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver({ idleClose: 5 * MIN }).settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9))], 100, emptyStore);
    // The watermark lands exactly on day 2's end, closing it; day 3 stays open.
    await task.processBatch('production', [unit(1, 'b', day(3, 0, 10))], 200, emptyStore);
    expect(task.drain(200 + 5 * MIN).map((r) => r.window_start)).toEqual([day(2), day(3)]);
    expect(task.dueAt).toEqual([200, 200 + 5 * MIN]);
  });
});

describe('windows read back from the store', () => {
  test('a record for a window with a row adds to that row’s counts', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(5, 'b', day(2, 10)), unit(6, 'next', day(3, 9))], 0, storeOf([await storedDay2()]));
    expect(task.restoredCount).toBe(1);
    expect(task.drain(0).map((r) => [r.window_start, r.values.units, r.version])).toEqual([[day(2), 2, 2]]);
  });

  test('without room for another window, a row read back stays out and its record is refused as opening one', async () => {
    const settings = new TopologyTestDriver().settings;
    const task = new PartitionTask(0, { ...settings, roomForWindow: () => false }, 0);
    const results = await task.processBatch('production', [unit(5, 'b', day(2, 10))], 0, storeOf([await storedDay2()]));
    expect(results).toEqual([{ outcome: 'KPI_ERR_TOO_MANY_WINDOWS', window: day2Window }]);
    expect(task.windowsInMemory).toBe(0);
  });

  test('a window read back and left unchanged leaves memory at the first drain once closed', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    // A retried copy of the row's own event changes nothing.
    await task.processBatch('production', [unit(5, 'a', day(2, 9)), unit(6, 'next', day(3, 0, 20))], 0, storeOf([await storedDay2()]));
    expect(task.drain(0)).toEqual([]);
    expect(task.windowsInMemory).toBe(1); // only the open day 3
  });
});

describe('positions and resume points', () => {
  test('a task resumes where the previous owner committed, until it reads further', async () => {
    const resume = new Map([['production' as const, { offset: 10, clock: day(2, 9) }]]);
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0, resume);
    expect(task.resumePoints()).toEqual(resume);
    expect(task.position('production')).toBe(10);
    expect(task.watermark()).toBe(day(2, 8, 50));
    // An empty batch moves nothing.
    expect(await task.processBatch('production', [], 0, emptyStore)).toEqual([]);
    expect(task.position('production')).toBe(10);
  });

  test('a batch has a result per item, none for a dead letter, and moves the position past its last item', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    const results = await task.processBatch('production', [unit(3, 'a', day(2, 9)), { offset: 4 }], 0, emptyStore);
    expect(results).toHaveLength(2);
    expect(results).toEqual([{ outcome: 'accepted', window: day2Window }, undefined]);
    expect(task.position('production')).toBe(5);
  });

  test('a restart resumes at the earliest record not in a written row, whichever window holds it', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9)), unit(1, 'b', day(3, 9)), unit(2, 'c', day(3, 10))], 0, emptyStore);
    expect(task.resumePoints()).toEqual(new Map([['production', { offset: 0, clock: null }]]));
    task.drain(0);
    expect(task.resumePoints()).toEqual(new Map([['production', { offset: 1, clock: day(2, 9) }]]));
  });
});

test("resume points follow hundreds of changed windows as some are written and the others' points move down", async () => {
  const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
  const of = (employee: string, offset: number, id: string, time: number) => ({
    offset,
    record: { tagged: { kind: 'production' as const, event: production({ employee_id: employee, event_id: id, event_time: time }) }, digest: 0 },
  });
  // 300 windows of day 2, then 10 of day 3 (offsets 300..309), then telemetry of day 3 only.
  const day2 = Array.from({ length: 300 }, (_, i) => of(`e${i}`, i, `a${i}`, day(2, 9)));
  const day3 = Array.from({ length: 10 }, (_, i) => of(`e${i}`, 300 + i, `b${i}`, day(3, 9)));
  await task.processBatch('production', [...day2, ...day3], 0, emptyStore);
  await task.processBatch(
    'telemetry',
    [
      {
        offset: 7,
        record: { tagged: { kind: 'telemetry', event: telemetry({ employee_id: 'e5', interval_start: day(3, 9), interval_end: day(3, 9, 15) }) }, digest: 0 },
      },
    ],
    0,
    emptyStore,
  );
  expect(task.resumePoints().get('production')).toEqual({ offset: 0, clock: null });
  expect(task.drain(0)).toHaveLength(300); // day 2 closed
  expect(task.resumePoints()).toEqual(
    new Map([
      ['production', { offset: 300, clock: day(2, 9) }], // the clock before it: day 2's records'
      ['telemetry', { offset: 7, clock: null }],
    ]),
  );
  // Idle past the timeout, day 3 closes too: the 10 windows whose points moved down are written, and a restart resumes after them.
  expect(task.drain(Number.MAX_SAFE_INTEGER).map((r) => r.employee_id)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
  expect(task.resumePoints()).toEqual(
    new Map([
      ['production', { offset: 310, clock: day(3, 9) }],
      ['telemetry', { offset: 8, clock: day(3, 9, 15) }],
    ]),
  );
});

describe('refused windows', () => {
  test('a record for a window whose row the store refused is dead-lettered with the reason', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0, new Map(), new Set([windowKeyOf('emp-1', day(2))]));
    expect(await task.processBatch('production', [unit(0, 'a', day(2, 9))], 0, emptyStore)).toEqual([
      {
        outcome: 'KPI_ERR_SINK_REJECTED',
        window: day2Window,
        message: "the window store refused this window's row, so nothing more is added to it",
      },
    ]);
  });
});

describe('the store’s latest window', () => {
  test('draining an earlier window does not lower it: a later window not in memory is still read', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9)), unit(1, 'b', day(3, 0, 20))], 0, emptyStore);
    expect(task.drain(0)).toHaveLength(1);
    const lookedUp: WindowKey[][] = [];
    await task.processBatch('production', [unit(2, 'c', day(5, 9))], 0, { current: async (keys) => (lookedUp.push([...keys]), []) });
    expect(lookedUp).toEqual([[{ employeeId: 'emp-1', windowStart: day(5) }]]);
  });
});

describe('rows due after a drain', () => {
  test('a window drained while a later one stays changed: due once the later one closes, not before', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    // Day 3 comes into memory first; day 2's record arrives within the lateness, after the watermark passed day 2.
    await task.processBatch('production', [unit(0, 'a', day(3, 0, 20)), unit(1, 'b', day(2, 9))], 0, emptyStore);
    expect(task.rowsDue).toBe(true);
    expect(task.drain(0).map((r) => r.window_start)).toEqual([day(2)]);
    expect(task.rowsDue).toBe(false);
  });

  test('an open window that stays changed through a drain is due as soon as the watermark passes it', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(3, 9)), unit(1, 'b', day(4, 0, 5))], 0, emptyStore);
    expect(task.drain(0)).toEqual([]);
    // Day 4 changes again (it was changed already); the watermark reaches day 4, the end of day 3.
    await task.processBatch('production', [unit(2, 'c', day(4, 0, 10))], 0, emptyStore);
    expect(task.rowsDue).toBe(true);
    expect(task.drain(0).map((r) => r.window_start)).toEqual([day(3)]);
  });
});

describe('closed windows leaving memory', () => {
  test('a window closed exactly at the watermark leaves at the drain after its row', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9)), unit(1, 'b', day(3, 0, 10))], 0, emptyStore);
    expect(task.drain(0).map((r) => r.window_start)).toEqual([day(2)]);
    expect(task.drain(0)).toEqual([]);
    expect(task.windowsInMemory).toBe(1);
  });

  test('a window whose row a drain just returned stays, even when it is older than the closed windows the cache keeps', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('production', [unit(0, 'b', day(3, 9)), unit(1, 'c', day(4, 9)), unit(2, 'd', day(5, 0, 20))], 0, emptyStore);
    expect(task.drain(0, 1).map((r) => r.window_start)).toEqual([day(3), day(4)]);
    await task.processBatch('production', [unit(3, 'late', day(2, 9))], 0, emptyStore);
    expect(task.drain(0, 1).map((r) => r.window_start)).toEqual([day(2)]);
    // Day 4 stays as the cache of one, day 3 leaves; day 2's row is on its way, so it stays; day 5 is open.
    expect(task.windowsInMemory).toBe(3);
    expect(task.openWindows).toBe(2);
  });

  test('in update mode an open window written earlier is not counted as a cached closed one', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver({ emitMode: 'update' }).settings, 0);
    await task.processBatch('production', [unit(0, 'a', day(2, 9))], 0, emptyStore);
    expect(task.drain(0, 2)).toHaveLength(1);
    expect(task.drain(0, 2)).toEqual([]);
    expect(task.openWindows).toBe(1);
  });
});

describe('backlog boundaries', () => {
  test('forgetting the backlog before a time keeps what a batch at that very time said', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('telemetry', batch('telemetry', 0, telemetry({ interval_start: day(2, 9), interval_end: day(2, 9, 15) })), 0, emptyStore);
    await task.processBatch('production', batch('production', 0, production({ event_time: day(3, 9) })), 0, emptyStore);
    task.noteBacklog('telemetry', 10, 10_000);
    task.forgetBacklog(10_000);
    expect(task.watermark()).toBe(day(2, 9, 5));
    task.forgetBacklog(10_001);
    expect(task.watermark()).toBe(day(3, 8, 50));
  });

  test('a topic exactly the allowed lateness ahead of the slowest is not paused; 1 ms further it is', async () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    await task.processBatch('telemetry', batch('telemetry', 0, telemetry({ interval_start: day(2, 9), interval_end: day(2, 9, 15) })), 0, emptyStore);
    await task.processBatch('production', batch('production', 0, production({ event_time: day(2, 9, 25) })), 0, emptyStore);
    for (const kind of ['telemetry', 'production'] as const) task.noteBacklog(kind, 10, 0);
    expect(task.kindsAhead()).toEqual([]);
    await task.processBatch('production', batch('production', 1, production({ event_id: 'p-2', event_time: day(2, 9, 25) + 1 })), 0, emptyStore);
    expect(task.kindsAhead()).toEqual(['production']);
  });
});
