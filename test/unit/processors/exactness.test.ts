import { CONTRACT_COLUMNS, metricsOf, type WindowRow } from '../../../contract/windowRow.js';
import { TEST_SCHEMA_IDS, TopologyTestDriver } from '../../../processors/testDriver.js';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import type { ExpectedRow } from '../../../simulator/expected.js';
import { Random } from '../../../simulator/random.js';
import { simulateOptions } from '../../../simulator/run.js';
import { Simulation } from '../../../simulator/simulation.js';

/**
 * The processors on a whole simulated plant, with crashes and a closed-window cache: exactly the rows the
 * simulator expects. Apart from the partition task's own tests because it takes seconds: mutation testing
 * leaves it out of the tests that judge mutants (stryker.config.mjs), the unit suite runs it.
 */
const HOUR = 3_600_000;

/** A simulated plant's records in sending order, as the broker would hold them, over three partitions. */
function simulatedRecords(seed: number) {
  const options = simulateOptions({ employees: 8, days: 10, seed, duplicateRate: 0.05, tooLateRate: 0.1 });
  const expected: ExpectedRow[] = [];
  const simulation = new Simulation(options, TEST_SCHEMA_IDS);
  const records = [...simulation.messages({ expected: (r) => expected.push(r), truth: () => undefined, tooLate: () => undefined })].map((m) => ({
    kind: m.kind,
    value: m.value,
    key: m.key,
    partition: Number(m.key.slice(1)) % 3,
  }));
  return { records, expected };
}

function contractColumns(rows: readonly (WindowRow | ExpectedRow)[]) {
  return rows.map((row) => {
    const metrics = 'values' in row ? metricsOf(row) : row;
    return Object.fromEntries(CONTRACT_COLUMNS.map((c) => [c, metrics[c]]));
  });
}

describe('exactness', () => {
  test.each([1, 2, 3])('a simulated plant (seed %i) gives exactly the expected rows, with or without crashes', async (seed) => {
    const { records, expected } = simulatedRecords(seed);
    const random = new Random(seed, 'crashes');
    const cachingRandom = new Random(seed, 'crashes with a cache');
    const calm = new TopologyTestDriver({ idleClose: HOUR });
    const crashing = new TopologyTestDriver({ idleClose: HOUR });
    // Keeps a few closed windows in memory: corrections find some there and read others back.
    const caching = new TopologyTestDriver({ idleClose: HOUR, closedWindowCache: 6 });
    let crashes = 0;
    for (const { kind, value, key, partition } of records) {
      await calm.pipeBytes(kind, value, { partition, key });
      await crashing.pipeBytes(kind, value, { partition, key });
      await caching.pipeBytes(kind, value, { partition, key });
      if (random.chance(0.005)) await calm.flush();
      if (random.chance(0.005)) await crashing.flush();
      if (cachingRandom.chance(0.005)) await caching.flush();
      if (random.chance(0.002)) {
        await crashing.crash();
        crashes += 1;
      }
      if (cachingRandom.chance(0.001)) await caching.crash();
    }
    for (const driver of [calm, crashing, caching]) {
      driver.advanceWallClock(2 * HOUR);
      await driver.flush();
    }
    expect(crashes).toBeGreaterThan(3);
    const byKey = (rows: ExpectedRow[]) => [...rows].sort((a, b) => a.window_start - b.window_start || a.employee_id.localeCompare(b.employee_id));
    expect(contractColumns(calm.rows())).toEqual(contractColumns(byKey(expected)));
    expect(contractColumns(crashing.rows())).toEqual(contractColumns(byKey(expected)));
    expect(contractColumns(caching.rows())).toEqual(contractColumns(byKey(expected)));
    expect(crashing.deadLetters.filter((d) => d.code === 'KPI_ERR_TOO_LATE').length).toBeGreaterThan(0);
  });

  test('every input kind is exercised', () => {
    const { records } = simulatedRecords(1);
    expect(new Set(records.map((r) => r.kind))).toEqual(new Set(EVENT_KINDS));
  });
});
