import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaService } from '../../../services/kafka/kafka.js';
import { startService, stopService } from '../../../services/service.js';
import { defaultStart, simulatePlant } from '../../../simulator/run.js';
import { dropTestResources, testContext, testSeed } from '../support/context.js';
import { expectExactlyTheSimulatedRows, windowRowCount } from '../support/expected.js';
import { assignedPartitions, exited, killProcessors, startProcessor, until } from '../support/processor.js';

/**
 * Scale-out pushed further (`npm run test:long`): 12 partitions shared by 6
 * processor processes; two of them killed with SIGKILL while the plant sends,
 * then the broker itself stopped and started again with the four survivors
 * running, and the rest of the month sent after it. The rows come out exact.
 * A crashed member holds its partitions until its session expires: kept short.
 */
const PARTITIONS = 12;
const ctx = testContext('scale_out_12', {
  KPI_TOPIC_PARTITIONS: String(PARTITIONS),
  KPI_IDLE_CLOSE: '2s',
  KPI_FLUSH_INTERVAL: '300ms',
  KPI_SINK_MAX_ROWS: '5000',
  KPI_SESSION_TIMEOUT: '6s',
});
const out = mkdtempSync(join(tmpdir(), 'kpi-scale-12-'));

afterAll(async () => {
  await killProcessors();
  // Whatever happened, the next test files find the broker up (a no-op when it is).
  await startService(kafkaService(ctx.config), ctx.log);
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rowCount = () => windowRowCount(ctx);

/** Whether these processors own every partition, `each` apiece. */
const sharing = (names: readonly string[], each: number) => () => {
  const shares = names.map((name) => assignedPartitions(ctx, name));
  return (
    shares.every((s) => s.length === each) &&
    shares
      .flat()
      .sort((a, b) => a - b)
      .join() === [...Array(PARTITIONS).keys()].join()
  );
};

test('12 partitions, 6 processes, two killed with SIGKILL and the broker restarted mid-stream: the rows are exact', async () => {
  if (ctx.config.kafka.external) throw new Error('this test restarts the local broker: run it without KAFKA_BROKERS');
  const began = Date.now();
  const seed = testSeed('12-partition scale-out');
  // One start for every phase: each phase sends the month up to its day, the days before it again (as duplicates).
  const plant = { employees: 120, start: defaultStart(30), seed, duplicateRate: 0.02, disorderMs: 20 * 60_000, out };
  const first = await simulatePlant({ ...plant, days: 10 }, ctx.config, ctx.log);
  expect(first.sent).toBeGreaterThan(0);

  const names = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
  const processors = new Map(names.map((name) => [name, startProcessor(ctx, name)]));
  await until('six processes own two partitions each', sharing(names, 2), 180_000);

  // Phase 2 arrives over about 20 s; two processes are killed while it does, once they have written rows.
  const producing = simulatePlant({ ...plant, days: 20, rate: 5000 }, ctx.config, ctx.log);
  const victims = ['p2', 'p5'];
  for (const name of victims) {
    const before = await rowCount();
    await until(`rows are written before ${name} is killed`, async () => (await rowCount()) > before, 60_000);
    processors.get(name)!.kill('SIGKILL');
    expect(await exited(processors.get(name)!)).toBe('SIGKILL');
    await pause(1500);
  }
  const second = await producing;
  const survivors = names.filter((n) => !victims.includes(n));
  await until('the four survivors own three partitions each', sharing(survivors, 3), 120_000);

  // The broker goes away under the running processors and comes back with the same data.
  const broker = kafkaService(ctx.config, ctx.log);
  expect(await stopService(broker)).toBe('stopped');
  await pause(3000);
  expect((await startService(broker, ctx.log)).outcome).toBe('started');

  // The rest of the month arrives after the restart; the survivors carry on.
  const third = await simulatePlant({ ...plant, days: 30 }, ctx.config, ctx.log);
  expect(third.sent).toBeGreaterThan(second.sent);
  await until('the four survivors own three partitions each after the restart', sharing(survivors, 3), 180_000);
  // The survivors work through the last phase: rows grow, then hold still for 5 s.
  let seen = -1;
  await until(
    'the survivors wrote the last phase',
    async () => {
      const now = await rowCount();
      const still = now === seen;
      seen = now;
      if (!still) await pause(5000);
      return still;
    },
    300_000,
  );
  for (const name of survivors) expect(processors.get(name)!.exitCode).toBeNull(); // none died of the restart
  for (const name of survivors) processors.get(name)!.kill('SIGTERM');
  for (const name of survivors) expect(await exited(processors.get(name)!)).toBe(0);
  // Whatever is left (the last windows, closed by idleness) is finished by one processor.
  const last = startProcessor(ctx, 'last', ['--exit-when-idle', '5s']);
  expect(await exited(last)).toBe(0);

  await expectExactlyTheSimulatedRows(ctx, out);
  process.stdout.write(`12-partition scale-out: ${third.sent} records in the last phase, ${Math.round((Date.now() - began) / 1000)} s in all\n`);
}, 1_200_000);
