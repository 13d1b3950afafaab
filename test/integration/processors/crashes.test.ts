import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatePlant } from '../../../simulator/run.js';
import { Random } from '../../../simulator/random.js';
import { dropTestResources, testContext, testSeed } from '../support/context.js';
import { expectExactlyTheSimulatedRows, windowRowCount } from '../support/expected.js';
import { exited, killProcessors, logOf, startProcessor, until } from '../support/processor.js';

// A crashed member holds its partitions until its session expires: keep that short.
const processorEnv = { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '300ms', KPI_SINK_MAX_ROWS: '5000', KPI_SESSION_TIMEOUT: '6s' };
const ctx = testContext('crashes', processorEnv);
const out = mkdtempSync(join(tmpdir(), 'kpi-crashes-'));

afterAll(async () => {
  await killProcessors();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

const rowCount = () => windowRowCount(ctx);

test('a processor killed with SIGKILL at random moments while the plant sends still produces exactly the expected month', async () => {
  const seed = testSeed('crash test');
  // The month arrives over about a minute while processors are started and killed.
  const producing = simulatePlant(
    { employees: 80, days: 30, seed, duplicateRate: 0.02, tooLateRate: 0.02, malformedRate: 0.001, disorderMs: 20 * 60_000, rate: 1500, out },
    ctx.config,
    ctx.log,
  );

  const random = new Random(seed, 'kills');
  const rowsAtKill: number[] = [];
  for (let i = 0; i < 12; i += 1) {
    const name = `run-${i}`;
    const rowsBefore = await rowCount();
    const child = startProcessor(ctx, name);
    // Kill it while it works: after it joined the group (its predecessor's session has expired) and wrote
    // rows (on a busy machine that can take a while; once the plant has sent everything there may be
    // nothing left to write), at a random moment.
    await until(`${name} joined the group`, () => logOf(ctx, name).includes('joined group'), 60_000);
    for (const deadline = Date.now() + 20_000; (await rowCount()) <= rowsBefore && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.round(random.uniform(0, 1500))));
    child.kill('SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
    rowsAtKill.push(await rowCount());
  }
  const { sent } = await producing;
  expect(sent).toBeGreaterThan(80_000);
  // Processors were writing when they died: rows kept growing from kill to kill.
  const grew = rowsAtKill.filter((n, i) => n > (rowsAtKill[i - 1] ?? 0)).length;
  expect(grew).toBeGreaterThanOrEqual(6);

  const last = startProcessor(ctx, 'final', ['--exit-when-idle', '5s']);
  expect(await exited(last)).toBe(0);
  await expectExactlyTheSimulatedRows(ctx, out);
}, 600_000);
