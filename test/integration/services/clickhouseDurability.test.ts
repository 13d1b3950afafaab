import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { distFile } from '../../../core/paths.js';
import { serviceLayout } from '../../../services/layout.js';
import { readPidFile } from '../../../services/processes.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { dropTestResources, testContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';
import { exited, killProcessors, logOf, processorEnv, startProcessor, until } from '../support/processor.js';

/**
 * Inserts the embedded ClickHouse acknowledged survive its owner process being
 * killed (SIGKILL) while processors write a simulated plant into it; after
 * `services up clickhouse` the processors carry on and the rows come out exact.
 */
const ctx = testContext('clickhouse_kill', { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '300ms', KPI_SINK_MAX_ROWS: '2000' });
const out = mkdtempSync(join(tmpdir(), 'kpi-ch-kill-'));
const execute = promisify(execFile);
const KILLS = 3;

let simulate: ChildProcess | undefined;

/** Writes retried after a failure, as the processor logs them (core/retry.ts). */
const retries = () => logOf(ctx, 'run').match(/ failed \(.*\); retrying/g)?.length ?? 0;

afterAll(async () => {
  simulate?.kill('SIGKILL');
  await killProcessors();
  // Whatever happened, the next test files find ClickHouse up (a no-op when it is).
  await execute(process.execPath, [distFile('cli/main.js'), 'services', 'up', 'clickhouse'], { env: ctx.env });
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, [distFile('cli/main.js'), ...args], {
    env: processorEnv(ctx, { LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/**
 * The highest row version of each (employee, window) ClickHouse acknowledged.
 * Unlike a row count, merges do not change it (ReplacingMergeTree keeps each
 * key's highest version), so it can only grow while nothing is lost.
 */
async function acknowledgedVersions(): Promise<Map<string, number>> {
  const client = createClickHouseClient(ctx.config);
  try {
    const result = await client.query({
      query:
        'SELECT employee_id, toUnixTimestamp64Milli(window_start) AS start, max(version) AS version FROM employee_window_metrics GROUP BY employee_id, window_start',
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ employee_id: string; start: number; version: number }>();
    return new Map(rows.map((r) => [`${r.employee_id}@${r.start}`, Number(r.version)]));
  } catch {
    return new Map(); // before the processor migrated
  } finally {
    await client.close();
  }
}

/** Keys whose acknowledged version is gone or lower in `after`. */
function lost(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...before].filter(([key, version]) => (after.get(key) ?? -1) < version).map(([key, version]) => `${key} v${version} → v${after.get(key) ?? 'none'}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the embedded ClickHouse killed with SIGKILL mid-stream and restarted keeps every acknowledged row, and the rows come out exact', async () => {
  const seed = Number(process.env.KPI_TEST_SEED ?? Date.now() % 100_000);
  process.stdout.write(`ClickHouse kill test seed ${seed} (KPI_TEST_SEED)\n`);
  // About 60,000 records over about 40 s, so the kills land while the plant sends and processors write.
  simulate = cli([
    'simulate',
    '--employees',
    '50',
    '--days',
    '30',
    '--seed',
    String(seed),
    '--duplicates',
    '0.02',
    '--disorder',
    '20m',
    '--rate',
    '1500',
    '--out',
    out,
  ]);
  const processor = startProcessor(ctx, 'run', ['--exit-when-idle', '5s']);
  const pidFile = serviceLayout(ctx.config, 'clickhouse').pidFile;
  const figures: string[] = [];

  const sendingAtKill: boolean[] = [];

  for (let kill = 1; kill <= KILLS; kill++) {
    // Kill while the processor writes: once 150 more employee-windows than at the last restart are acknowledged.
    const floor = (await acknowledgedVersions()).size + 150;
    let before = new Map<string, number>();
    for (const deadline = Date.now() + 60_000; before.size <= floor && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      before = await acknowledgedVersions();
    }
    expect(before.size).toBeGreaterThan(floor);
    const retriesBefore = retries();

    const pid = readPidFile(pidFile)!;
    sendingAtKill.push(simulate.exitCode === null);
    process.kill(pid, 'SIGKILL');
    await until('the ClickHouse owner died', () => !alive(pid), 10_000);
    // The processor notices: a write fails and is retried.
    await until('the processor retried a write', () => retries() > retriesBefore, 30_000);
    await execute(process.execPath, [distFile('cli/main.js'), 'services', 'up', 'clickhouse'], { env: ctx.env });
    const after = await acknowledgedVersions();
    const versions = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    figures.push(
      `kill ${kill}: ${before.size} employee-windows (${versions(before)} events) acknowledged before, ${after.size} (${versions(after)}) readable after the restart`,
    );
    expect(lost(before, after)).toEqual([]);
  }
  expect(sendingAtKill[0]).toBe(true);
  expect(await exited(simulate)).toBe(0);
  expect(await exited(processor)).toBe(0);
  figures.push(`after the stream: ${(await acknowledgedVersions()).size} employee-windows`);
  process.stdout.write(`${figures.join('\n')}\n`);
  await expectExactlyTheSimulatedRows(ctx, out);
}, 300_000);
