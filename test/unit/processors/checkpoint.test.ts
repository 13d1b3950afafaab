import type { DeadLetter, ResumePoint } from '../../../contract/ports.js';
import type { WindowRow } from '../../../contract/windowRow.js';
import { SinkError } from '../../../core/errors.js';
import { batchToken, completeCheckpoint, writeIsolatingRefusals, type Capture, type CheckpointPorts } from '../../../processors/checkpoint.js';
import { ProcessorMetrics } from '../../../processors/metrics.js';

/** The parts of a row its token is made of. */
const row = (employee_id: string, window_start: number, event_keys: number[]) => ({ employee_id, window_start, event_keys }) as unknown as WindowRow;

test("a batch's token is the same for the same rows, and differs when any row's key or events differ", () => {
  const batch = [row('e-1', 1000, [1, 2]), row('e-2', 1000, [3])];
  const token = batchToken(batch);
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  expect(batchToken([row('e-1', 1000, [1, 2]), row('e-2', 1000, [3])])).toBe(token);
  const others = [
    [row('e-1', 1000, [1, 2])],
    [row('e-1', 1000, [1, 2]), row('e-3', 1000, [3])],
    [row('e-1', 1000, [1, 2]), row('e-2', 2000, [3])],
    [row('e-1', 1000, [1, 2]), row('e-2', 1000, [3, 4])],
    [row('e-1', 1000, [12]), row('e-2', 1000, [3])],
  ].map(batchToken);
  expect(new Set([token, ...others]).size).toBe(6);
});

describe('writing with refusals isolated', () => {
  const refusing = (bad: ReadonlySet<number>) => {
    const written: number[][] = [];
    const write = async (items: readonly number[]) => {
      if (items.some((i) => bad.has(i))) throw new SinkError(`refused ${items.length} rows`, { rejected: true });
      written.push([...items]);
    };
    return { written, write };
  };

  test('a refused batch is halved until the refused items are alone; every other item is written once', async () => {
    const { written, write } = refusing(new Set([3, 6]));
    expect(await writeIsolatingRefusals([1, 2, 3, 4, 5, 6, 7], write)).toEqual([3, 6]);
    expect(written.flat().sort()).toEqual([1, 2, 4, 5, 7]);
  });

  test('nothing to write writes nothing; a batch the store takes is written whole, once', async () => {
    const { written, write } = refusing(new Set());
    expect(await writeIsolatingRefusals([], write)).toEqual([]);
    expect(written).toEqual([]);
    expect(await writeIsolatingRefusals([1, 2, 3], write)).toEqual([]);
    expect(written).toEqual([[1, 2, 3]]);
  });

  test('any other failure is thrown, not taken for a refusal', async () => {
    const outage = async () => {
      throw new SinkError('ClickHouse went away', { retriable: true });
    };
    await expect(writeIsolatingRefusals([1, 2], outage)).rejects.toThrow('ClickHouse went away');
    await expect(writeIsolatingRefusals([1], () => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
  });
});

describe('completing a checkpoint', () => {
  const point = (offset: number): ResumePoint => ({ offset, clock: null });
  const letter = { topic: 'factory.production.v1', partition: 0, offset: 7, timestamp: 0, key: null, value: null, code: 'KPI_ERR_INVALID_VALUE', message: 'x' };

  /** Ports that record what happens, in order; the store refuses the rows of the employees named. */
  function ports(refused: readonly string[] = []) {
    const events: string[] = [];
    const committed: { topic: string; partition: number; point: ResumePoint }[][] = [];
    const value: CheckpointPorts = {
      store: {
        current: async () => [],
        latestWindowStart: async () => null,
        write: async (rows) => {
          if (rows.some((r) => refused.includes(r.employee_id))) throw new SinkError('refused', { rejected: true });
          events.push(`write ${rows.map((r) => r.employee_id).join(',')}`);
        },
      },
      deadLetters: { send: async () => undefined, record: async (letters) => void events.push(`record ${letters.length} letters`) },
      offsets: {
        committed: async () => new Map(),
        commit: async (points) => {
          events.push('commit');
          committed.push([...points]);
          return true;
        },
      },
      topicOf: (kind) => `topic.${kind}`,
      clock: () => 10_000,
      rewindRefused: async (rows) => {
        events.push(`rewind ${rows.map(({ row, partition }) => `${row.employee_id}@${partition}`).join(',')}`);
        return new Set(rows.map(({ partition }) => partition));
      },
    };
    return { value, events, committed };
  }

  const capture = (
    partitions: { partition: number; employees: string[]; dueAt: number[]; offset?: number }[],
    letters = 0,
    publishes: Promise<void>[] = [],
  ): Capture => ({
    partitions: partitions.map(({ partition, employees, dueAt, offset }) => ({
      partition,
      rows: employees.map((e) => row(e, 1000, [1])),
      dueAt,
      points: new Map(offset === undefined ? [] : [['production', point(offset)] as const]),
    })),
    letters: Array.from({ length: letters }, () => letter as DeadLetter),
    publishes,
  });

  test('writes the rows, records the dead letters, waits for the publishes, then commits every partition', async () => {
    const { value, events, committed } = ports();
    let published = false;
    const publish = new Promise<void>((resolve) => setTimeout(() => ((published = true), resolve()), 5));
    const metrics = new ProcessorMetrics();
    await completeCheckpoint(
      capture(
        [
          { partition: 0, employees: ['a', 'b'], dueAt: [4000, 12_000], offset: 5 },
          { partition: 3, employees: ['c'], dueAt: [7000], offset: 9 },
        ],
        2,
        [publish],
      ),
      value,
      metrics,
    );
    expect(events).toEqual(['write a,b,c', 'record 2 letters', 'commit']);
    expect(published).toBe(true);
    expect(committed).toEqual([
      [
        { topic: 'topic.production', partition: 0, point: point(5) },
        { topic: 'topic.production', partition: 3, point: point(9) },
      ],
    ]);
    // Three rows acknowledged in one insert; each queryable (clock 10 s) after it became due, never less than 0 s.
    expect([metrics.rowsWritten, metrics.inserts]).toEqual([3, 1]);
    expect([metrics.closeToQueryable.count, metrics.closeToQueryable.sum]).toEqual([3, 6 + 0 + 3]);
  });

  test('a partition with a refused row is read again and commits nothing; the others commit', async () => {
    const { value, events, committed } = ports(['bad']);
    const metrics = new ProcessorMetrics();
    await completeCheckpoint(
      capture([
        { partition: 0, employees: ['a'], dueAt: [9000], offset: 5 },
        { partition: 1, employees: ['bad', 'b'], dueAt: [9000, 9000], offset: 8 },
      ]),
      value,
      metrics,
    );
    expect(events).toEqual(['write a', 'write b', 'rewind bad@1', 'commit']);
    expect(committed).toEqual([[{ topic: 'topic.production', partition: 0, point: point(5) }]]);
    // The refused row is neither acknowledged nor queryable.
    expect([metrics.rowsWritten, metrics.closeToQueryable.count]).toEqual([2, 2]);
  });

  test('nothing refused rewinds nothing; no dead letters records none; no resume point commits nothing', async () => {
    const { value, events } = ports();
    await completeCheckpoint(capture([{ partition: 0, employees: ['a'], dueAt: [9000] }]), value, new ProcessorMetrics());
    expect(events).toEqual(['write a']);
  });
});
