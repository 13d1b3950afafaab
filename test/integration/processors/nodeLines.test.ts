import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatePlant } from '../../../simulator/run.js';
import { PINNED_RELEASES, installedRelease } from '../../../scripts/node.mjs';
import { dropTestResources, testContext, type TestContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { exited, killProcessors, logOf, startProcessor } from '../support/processor.js';

/** A line Node.js prints on stderr when it warns: `(node:1234) TimeoutNegativeWarning: …`, `(node:1234) [DEP0040] …`. */
const NODE_WARNING = /^\(node:\d+\) .*$/gm;
const contexts: TestContext[] = [];
const outs: string[] = [];

afterAll(async () => {
  await killProcessors();
  for (const out of outs) rmSync(out, { recursive: true, force: true });
  for (const ctx of contexts) await dropTestResources(ctx);
});

// The pinned release of each supported line, fetched into .tools/ like CI does (scripts/node.mjs).
test.each(PINNED_RELEASES)(
  'on Node %s a processor writes exactly the expected rows and Node prints no warning',
  async (release) => {
    const node = join(installedRelease(release), 'node');
    const ctx = testContext(`node_${release.split('.')[0]}`, { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '300ms' });
    const out = mkdtempSync(join(tmpdir(), 'kpi-node-lines-'));
    contexts.push(ctx);
    outs.push(out);
    await simulatePlant({ employees: 50, days: 4, seed: 24, duplicateRate: 0.02, malformedRate: 0.002, tooLateRate: 0.02, out }, ctx.config, ctx.log);

    const processor = startProcessor(ctx, 'run', ['--exit-when-idle', '3s'], {}, { node });
    expect(await exited(processor)).toBe(0);
    const log = logOf(ctx, 'run');
    expect(log).toContain('stopped after');
    // kafkajs 2.2.4 made Node 24 print a TimeoutNegativeWarning in every process (topics/kafkaRequestQueue.ts).
    expect(log.match(NODE_WARNING) ?? []).toEqual([]);
    await expectExactlyTheSimulatedRows(ctx, out);
  },
  300_000,
);
