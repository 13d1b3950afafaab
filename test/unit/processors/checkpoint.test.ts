import type { WindowRow } from '../../../contract/windowRow.js';
import { SinkError } from '../../../core/errors.js';
import { batchToken, writeIsolatingRefusals } from '../../../processors/checkpoint.js';

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
