import { spawnSync } from 'node:child_process';
import { distFile } from '../../../core/paths.js';

/** The built CLI (npm test builds first). */
function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [distFile('cli/main.js'), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

test('bad configuration stops start-up naming the variable, exit code 78', () => {
  const { code, err } = cli(['run'], { KPI_WINDOW_SIZE: '7h' });
  expect(code).toBe(78);
  expect(err).toContain('invalid configuration: KPI_WINDOW_SIZE: must divide a day evenly');
});

test('--help lists the commands; each command has its own help', () => {
  const { code, out } = cli(['--help']);
  expect(code).toBe(0);
  for (const command of ['demo', 'run', 'services', 'topics', 'simulate', 'score', 'detect', 'evaluate', 'migrate', 'bench', 'config']) {
    expect(out).toMatch(new RegExp(`^  ${command} `, 'm'));
    const help = cli([command, '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain(`kpi-stream ${command}`);
  }
});

test('an unknown command or option is an error', () => {
  expect(cli(['frobnicate']).code).toBe(2);
  const bad = cli(['simulate', '--dry-run', '--employees', 'many']);
  expect(bad.code).toBe(78);
  expect(bad.err).toContain('--employees');
});
