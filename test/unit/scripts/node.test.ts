import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { PINNED_RELEASES, satisfies, supportedRange } from '../../../scripts/node.mjs';

const launcher = join(projectRoot(), 'scripts', 'node.mjs');
const lineOf = (version: string) => version.replace(/^v/, '').split('.')[0];

test('a version is supported when it is at least the minimum of its line', () => {
  const range = '^22.22.0 || ^24.0.0';
  expect(['v22.22.0', '22.23.3', 'v24.0.0', '24.21.0'].filter((v) => satisfies(v, range))).toHaveLength(4);
  expect(['v20.20.2', '22.21.9', 'v23.11.0', '26.0.0', '18.22.0'].filter((v) => satisfies(v, range))).toEqual([]);
  expect(() => satisfies('24.0.0', '>=22')).toThrow(/engines.node in package.json must be \^X.Y.Z alternatives/);
});

test('package.json engines and the pinned releases name the same lines, the newest one first (the deployment line)', () => {
  const range = supportedRange();
  const lines = [...range.matchAll(/\^(\d+)\./g)].map((m) => m[1]);
  expect(PINNED_RELEASES.map(lineOf).sort()).toEqual([...lines].sort());
  for (const release of PINNED_RELEASES) expect(satisfies(release, range)).toBe(true);
  expect(Number(lineOf(PINNED_RELEASES[0]!))).toBe(Math.max(...lines.map(Number)));
});

test('this Node is a supported one (npm test runs on one)', () => {
  expect(satisfies(process.version, supportedRange())).toBe(true);
});

test('exec runs the command with this Node first in PATH and exits with its code', () => {
  const result = spawnSync(process.execPath, [launcher, 'exec', 'node', '-e', 'console.log(process.execPath); process.exit(3)'], { encoding: 'utf8' });
  expect(result.stdout.trim()).toBe(process.execPath);
  expect(result.status).toBe(3);
});

test('exec passes SIGTERM on to the command (npm, timeout and docker stop it that way) and exits as it does', async () => {
  const program = "process.on('SIGTERM', () => { console.log('clean shutdown'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);";
  const child = spawn(process.execPath, [launcher, 'exec', 'node', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    }),
  );
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  expect(out).toContain('clean shutdown');
  expect(code).toBe(0);
});
