import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStart, simulatePlant } from '../../../simulator/run.js';
import { dropTestResources, testContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { assignedPartitions, exited, killProcessors, startProcessor, until } from '../support/processor.js';

const ctx = testContext('scale_out', { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '300ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-scale-'));

afterAll(async () => {
  await killProcessors();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('processors share the partitions; one leaving and one joining mid-stream changes no result', async () => {
  // One start for both runs, so the first half is the full month's first half.
  const plant = { employees: 80, days: 30, start: defaultStart(30), seed: 99, duplicateRate: 0.02, disorderMs: 20 * 60_000, out };
  // Half the month is in Kafka before the processors start; the rest arrives while they run. (No
  // too-late feedback here: the first half's would move the feedback clocks past the second half.)
  const firstHalf = await simulatePlant({ ...plant, days: 15 }, ctx.config, ctx.log);
  expect(firstHalf.sent).toBeGreaterThan(0);

  const a = startProcessor(ctx, 'a');
  const b = startProcessor(ctx, 'b');
  const c = startProcessor(ctx, 'c');
  const shared = (names: string[]) => () => {
    const shares = names.map((name) => assignedPartitions(ctx, name));
    return shares.every((s) => s.length === 2) && shares.flat().sort().join() === '0,1,2,3,4,5';
  };
  await until('a, b and c own two partitions each', shared(['a', 'b', 'c']));
  await pause(1000);
  const producing = simulatePlant(plant, ctx.config, ctx.log); // the full month; its first half repeats as duplicates
  await pause(2000);
  b.kill('SIGTERM'); // leaves cleanly
  expect(await exited(b)).toBe(0);
  const d = startProcessor(ctx, 'd'); // joins mid-stream
  await producing;
  // After b left and d joined, a, c and d split the six partitions again.
  await until('a, c and d own two partitions each', shared(['a', 'c', 'd']));
  await pause(3000);
  for (const child of [a, c, d]) child.kill('SIGTERM');
  for (const child of [a, c, d]) expect(await exited(child)).toBe(0);
  // Whatever is left (the last windows, closed by idleness) is finished by one processor.
  const last = startProcessor(ctx, 'last', ['--exit-when-idle', '5s']);
  expect(await exited(last)).toBe(0);

  await expectExactlyTheSimulatedRows(ctx, out);
}, 600_000);
