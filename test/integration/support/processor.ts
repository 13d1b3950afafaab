import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pseudonymKey } from '../../../core/config.js';
import { distFile } from '../../../core/paths.js';
import type { TestContext } from './context.js';

/** Environment that points a child process at a test's topics, group and database, with the test's settings. */
export function processorEnv(ctx: TestContext, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const c = ctx.config;
  return {
    ...ctx.env,
    KAFKA_BROKERS: c.kafka.brokers.join(','),
    SCHEMA_REGISTRY_URL: c.registry.url,
    CLICKHOUSE_URL: c.clickhouse.url,
    // With CLICKHOUSE_URL a process takes no generated key: it gets the one the test's embedded engine generated.
    KPI_PSEUDONYM_KEY: pseudonymKey(c),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...extra,
  };
}

export function processorLog(ctx: TestContext, name: string): string {
  return join(ctx.config.servicesPath, 'test-logs', ctx.id, `${name}.log`);
}

/** What a processor has logged so far ('' before its log exists). */
export function logOf(ctx: TestContext, name: string): string {
  return existsSync(processorLog(ctx, name)) ? readFileSync(processorLog(ctx, name), 'utf8') : '';
}

/** The partitions a processor's log says it was last assigned. */
export function assignedPartitions(ctx: TestContext, name: string): number[] {
  const lines = logOf(ctx, name)
    .split('\n')
    .filter((l) => l.includes('joined group'));
  const match = /partitions=([\d,]*)/.exec(lines.at(-1) ?? '');
  return match?.[1] ? match[1].split(',').map(Number) : [];
}

const running = new Set<ChildProcess>();

/** SIGKILLs every processor a test started that still runs (call in afterAll: a failed test must not leave them behind). */
export async function killProcessors(): Promise<void> {
  const left = [...running];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map(exited));
}

/** Polls `condition` every 200 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A `kpi-stream` process (`run`, or `command`; on this Node unless `node` names another binary); its output goes to a log file under the services directory. */
export function startProcessor(
  ctx: TestContext,
  name: string,
  args: string[] = [],
  extra: Record<string, string> = {},
  { command = 'run', node = process.execPath }: { command?: string; node?: string } = {},
): ChildProcess {
  mkdirSync(dirname(processorLog(ctx, name)), { recursive: true });
  const log = createWriteStream(processorLog(ctx, name), { flags: 'a' });
  const child = spawn(node, [distFile('cli/main.js'), command, ...args], { env: processorEnv(ctx, extra), stdio: ['ignore', 'pipe', 'pipe'] });
  // Both streams into one file, which ends once both did (the first to end must not end it: the other's last lines would be lost).
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  logged.set(
    child,
    new Promise((resolve) =>
      child.once('close', (code, signal) => {
        log.end(() => resolve(code ?? signal!));
      }),
    ),
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Processes of startProcessor: their exit, once everything they wrote is in their log. */
const logged = new WeakMap<ChildProcess, Promise<number | NodeJS.Signals>>();

/** Resolves with the exit code (or signal) when the process ends (for one of startProcessor's, once its log holds all it wrote). */
export function exited(child: ChildProcess): Promise<number | NodeJS.Signals> {
  const done = logged.get(child);
  if (done) return done;
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal!)));
}

/** Runs a `kpi-stream` command to its end with the test's settings; resolves with its exit code, its output and how long it took. */
export function runCli(
  ctx: TestContext,
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [distFile('cli/main.js'), ...args], { env: processorEnv(ctx, extra), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code: code ?? signal!, stdout, stderr, ms: Date.now() - started })));
}
