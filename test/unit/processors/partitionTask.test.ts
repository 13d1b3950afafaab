import { parseSimulateArgs } from '../../../cli/commands/simulate.js';
import { PartitionTask } from '../../../processors/partitionTask.js';
import { TopologyTestDriver } from '../../../processors/testDriver.js';
import { avroTypeOf } from '../../../schemas/avro.js';
import { EVENT_KINDS, type EventKind, type EventOfKind } from '../../../schemas/kinds.js';
import type { ExpectedRow } from '../../../simulator/expected.js';
import { Random } from '../../../simulator/random.js';
import { Simulation } from '../../../simulator/simulation.js';
import { CONTRACT_COLUMNS } from '../../../simulator/compare.js';
import { feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const day = (d: number, hour = 0, minute = 0) => Date.UTC(2026, 10, d, hour, minute);

describe('windows and watermarks (emit-final)', () => {
  test('a window emits one row once the watermark passes its end plus the allowed lateness', () => {
    const driver = new TopologyTestDriver();
    driver.pipe('production', production({ event_id: 'a', event_time: day(2, 9), units: 10 }));
    driver.pipe('production', production({ event_id: 'b', event_time: day(2, 15), units: 5 }));
    expect(driver.flush()).toEqual([]);
    // Next day's events move the clock; the watermark is the clock minus 10 minutes.
    driver.pipe('production', production({ event_id: 'c', event_time: day(3, 0, 9), units: 1 }));
    expect(driver.flush()).toEqual([]);
    driver.pipe('production', production({ event_id: 'd', event_time: day(3, 0, 10), units: 1 }));
    const rows = driver.flush();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ employee_id: 'emp-1', window_start: day(2), window_end: day(3), units: 15, version: 2 });
  });

  test('a record within the allowed lateness joins its window before it closes', () => {
    const driver = new TopologyTestDriver();
    driver.pipe('production', production({ event_id: 'a', event_time: day(3, 0, 5) }));
    driver.pipe('production', production({ event_id: 'late', event_time: day(2, 23, 58), units: 4 }));
    driver.pipe('production', production({ event_id: 'b', event_time: day(3, 0, 20) }));
    const rows = driver.flush();
    expect(rows.map((r) => [r.window_start, r.units, r.version])).toEqual([[day(2), 4, 1]]);
  });

  test('windows follow the configured size and time zone', () => {
    const driver = new TopologyTestDriver({ windowSize: 8 * HOUR, timeZone: 'Asia/Kolkata' });
    driver.pipe('production', production({ event_id: 'a', event_time: day(2, 3, 0) })); // 08:30 in Kolkata
    driver.pipe('production', production({ event_id: 'b', event_time: day(3, 3, 0) }));
    expect(driver.flush().map((r) => [r.window_start, r.window_end])).toEqual([[day(2, 2, 30), day(2, 10, 30)]]);
  });

  test('an idle partition closes its windows after the idle timeout, on the wall clock', () => {
    const driver = new TopologyTestDriver({ idleClose: 5 * MIN });
    driver.pipe('production', production({ event_id: 'a', event_time: day(2, 9) }));
    driver.advanceWallClock(4 * MIN);
    expect(driver.flush()).toEqual([]);
    driver.advanceWallClock(MIN);
    expect(driver.flush().map((r) => r.window_start)).toEqual([day(2)]);
  });
});

describe('late records correct their window', () => {
  test('an inspection days later writes a new version of the closed window', () => {
    const driver = new TopologyTestDriver();
    driver.pipe('production', production({ event_id: 'p', event_time: day(2, 9), units: 20 }));
    driver.pipe('production', production({ event_id: 'next', event_time: day(3, 9), units: 1 }));
    const [first] = driver.flush();
    expect(first).toMatchObject({ window_start: day(2), units_inspected: 0, defect_rate: null, version: 1 });
    driver.pipe('inspection', inspection({ event_id: 'i', production_time: day(2, 9), inspected_time: day(5, 9), units_inspected: 20, units_defective: 2 }));
    // The inspection's clock also closes the next day's window: both are written.
    const rows = driver.flush();
    expect(rows.map((r) => r.window_start).sort()).toEqual([day(2), day(3)]);
    const second = rows.find((r) => r.window_start === day(2));
    expect(second).toMatchObject({ units: 20, units_inspected: 20, defect_rate: 0.1, version: 2 });
    expect(driver.row('emp-1', day(2))).toEqual(second);
  });

  test('feedback weeks later still corrects, within the correction horizon', () => {
    const driver = new TopologyTestDriver();
    driver.pipe('production', production({ event_id: 'p', event_time: day(2, 9) }));
    driver.advanceWallClock(10 * MIN);
    driver.flush();
    driver.pipe('feedback', feedback({ event_id: 'f', production_time: day(2, 9), feedback_time: day(2, 9) + 30 * DAY, satisfaction: 64 }));
    expect(driver.flush()).toMatchObject([{ window_start: day(2), feedback_count: 1, satisfaction_avg: 64, version: 2 }]);
  });

  test('past the correction horizon a record is dead-lettered as too late and changes nothing', () => {
    const driver = new TopologyTestDriver({ correctionHorizon: 35 * DAY });
    driver.pipe('production', production({ event_id: 'p', event_time: day(2, 9) }));
    driver.advanceWallClock(10 * MIN);
    driver.flush();
    const outcome = driver.pipe('feedback', feedback({ event_id: 'f', production_time: day(2, 9), feedback_time: day(3) + 35 * DAY + 1 }));
    expect(outcome).toBe('too-late');
    expect(driver.flush()).toEqual([]);
    expect(driver.deadLetters).toEqual([expect.objectContaining({ kind: 'feedback', offset: 0, reason: 'too-late' })]);
    expect(driver.row('emp-1', day(2))).toMatchObject({ feedback_count: 0, version: 1 });
  });

  test('the latest self-report stands, even when an older one arrives after it', () => {
    const driver = new TopologyTestDriver();
    driver.pipe('selfReport', selfReport({ event_id: 's2', period_start: day(2, 6), period_end: day(2, 14), submitted_time: day(2, 18), reported_units: 50 }));
    driver.pipe('selfReport', selfReport({ event_id: 's1', period_start: day(2, 6), period_end: day(2, 14), submitted_time: day(2, 16), reported_units: 40 }));
    driver.pipe('production', production({ event_id: 'x', event_time: day(4) }));
    expect(driver.flush()).toMatchObject([{ reported_units: 50, version: 2 }]);
  });
});

describe('memory', () => {
  test('a closed window stays in memory until the drain after its row, then leaves', () => {
    const task = new PartitionTask(0, new TopologyTestDriver().settings, 0);
    const record = (offset: number, event = production({ event_id: `p${offset}`, event_time: day(2, 9) })) => ({ kind: 'production' as const, offset, tagged: { kind: 'production' as const, event } });
    const first = [record(0), record(1, production({ event_id: 'next-day', event_time: day(3, 9) }))];
    task.restore(task.missing(first), []);
    for (const r of first) task.process(r, 0);
    expect(task.drain(0).map((r) => r.window_start)).toEqual([day(2)]);
    // While that row is being written, a late record for the window finds it in memory.
    const late = record(2, production({ event_id: 'late', event_time: day(2, 11) }));
    expect(task.missing([late])).toEqual([]);
    task.process(late, 0);
    expect(task.drain(0)).toMatchObject([{ window_start: day(2), version: 2 }]);
    expect(task.openWindows).toBe(2);
    expect(task.drain(0)).toEqual([]);
    expect(task.openWindows).toBe(1); // only the open day 3 is left
    expect(task.missing([record(3, production({ event_id: 'later', event_time: day(2, 12) }))])).toEqual([{ employeeId: 'emp-1', windowStart: day(2) }]);
  });
});

describe('duplicates', () => {
  test('a repeated event_id counts once, before and after its window closed', () => {
    const driver = new TopologyTestDriver();
    const event = production({ event_id: 'p', event_time: day(2, 9), units: 7 });
    expect(driver.pipe('production', event)).toBe('accepted');
    expect(driver.pipe('production', event)).toBe('duplicate');
    driver.pipe('telemetry', telemetry({ event_id: 't', interval_start: day(3, 8), interval_end: day(3, 8, 15) }));
    driver.flush();
    // The window left memory; its row remembers the event.
    expect(driver.pipe('production', event)).toBe('duplicate');
    expect(driver.flush()).toEqual([]);
    expect(driver.row('emp-1', day(2))).toMatchObject({ units: 7, version: 1 });
  });
});

describe('invalid records', () => {
  test('are dead-lettered with their reason and do not stop the stream', () => {
    const driver = new TopologyTestDriver();
    expect(driver.pipe('inspection', inspection({ event_id: 'bad', units_inspected: 3, units_defective: 4 }))).toBe('invalid');
    expect(driver.pipe('production', production({ event_id: 'good', event_time: day(2, 9) }))).toBe('accepted');
    expect(driver.deadLetters).toEqual([expect.objectContaining({ kind: 'inspection', reason: 'invalid', message: expect.stringContaining('units_defective') })]);
  });
});

describe('emit-on-update', () => {
  test('every flush writes the windows that changed, open or not', () => {
    const driver = new TopologyTestDriver({ emitMode: 'update' });
    driver.pipe('production', production({ event_id: 'a', event_time: day(2, 9), units: 1 }));
    expect(driver.flush()).toMatchObject([{ units: 1, version: 1 }]);
    expect(driver.flush()).toEqual([]);
    driver.pipe('production', production({ event_id: 'b', event_time: day(2, 10), units: 2 }));
    expect(driver.flush()).toMatchObject([{ units: 3, version: 2 }]);
  });
});

/** A simulated plant's records in sending order, decoded back to events. */
function simulatedRecords(seed: number) {
  const { options } = parseSimulateArgs(['--employees', '8', '--days', '10', '--seed', String(seed), '--duplicates', '0.05', '--too-late', '0.1']);
  const ids = { production: 1, telemetry: 2, inspection: 3, feedback: 4, selfReport: 5 };
  const expected: ExpectedRow[] = [];
  const simulation = new Simulation(options, ids);
  const records: { kind: EventKind; event: EventOfKind[EventKind]; partition: number }[] = [];
  for (const m of simulation.messages({ expected: (r) => expected.push(r), truth: () => undefined, tooLate: () => undefined })) {
    records.push({ kind: m.kind, event: avroTypeOf(m.kind).fromBuffer(m.value.subarray(5)) as EventOfKind[EventKind], partition: Number(m.key.slice(1)) % 3 });
  }
  return { records, expected };
}

function contractColumns(rows: readonly object[]) {
  return rows.map((row) => Object.fromEntries(CONTRACT_COLUMNS.map((c) => [c, (row as Record<string, unknown>)[c]])));
}

describe('exactness', () => {
  test.each([1, 2, 3])('a simulated plant (seed %i) gives exactly the expected rows, with or without crashes', (seed) => {
    const { records, expected } = simulatedRecords(seed);
    const random = new Random(seed, 'crashes');
    const calm = new TopologyTestDriver({ idleClose: HOUR });
    const crashing = new TopologyTestDriver({ idleClose: HOUR });
    let crashes = 0;
    for (const { kind, event, partition } of records) {
      calm.pipe(kind, event, partition);
      crashing.pipe(kind, event, partition);
      if (random.chance(0.005)) calm.flush();
      if (random.chance(0.005)) crashing.flush();
      if (random.chance(0.002)) {
        crashing.crash();
        crashes += 1;
      }
    }
    for (const driver of [calm, crashing]) {
      driver.advanceWallClock(2 * HOUR);
      driver.flush();
    }
    expect(crashes).toBeGreaterThan(3);
    const byKey = (rows: ExpectedRow[]) => [...rows].sort((a, b) => a.window_start - b.window_start || a.employee_id.localeCompare(b.employee_id));
    expect(contractColumns(calm.rows())).toEqual(contractColumns(byKey(expected)));
    expect(contractColumns(crashing.rows())).toEqual(contractColumns(byKey(expected)));
    expect(crashing.deadLetters.filter((d) => d.reason === 'too-late').length).toBeGreaterThan(0);
  });

  test('every input kind is exercised', () => {
    const { records } = simulatedRecords(1);
    expect(new Set(records.map((r) => r.kind))).toEqual(new Set(EVENT_KINDS));
  });
});
