import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { ConfigError } from '../../../core/errors.js';
import { distFile } from '../../../core/paths.js';
import { parseSubjectArgs } from '../../../cli/commands/subject.js';

/** The error parseSubjectArgs throws, or undefined. */
function refusal(args: string[], interactive = false): ConfigError | undefined {
  try {
    parseSubjectArgs(args, interactive);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

test('export and erase name one employee, say why, and who asks (the operating-system user by default)', () => {
  expect(parseSubjectArgs(['export', 'E1', '--purpose', 'request 17'], false)).toEqual({
    action: 'export',
    employeeId: 'E1',
    purpose: 'request 17',
    actor: userInfo().username,
    yes: false,
  });
  expect(parseSubjectArgs(['export', 'E1', '--purpose', 'request 17', '--actor', 'dpo', '--out', 'e1.json'], false)).toMatchObject({
    actor: 'dpo',
    out: 'e1.json',
  });
  expect(parseSubjectArgs(['erase', 'E1', '--purpose', 'request 18', '--yes'], false)).toMatchObject({ action: 'erase', yes: true });
  // Another sub-command is no request: the usage is printed.
  expect(parseSubjectArgs(['delete', 'E1'], false)).toBeUndefined();
  expect(parseSubjectArgs([], false)).toBeUndefined();
});

test.each([
  [['export', '--purpose', 'x'], 'subject export', 'name one employee'],
  [['export', 'E1', 'E2', '--purpose', 'x'], 'subject export', 'got 2 arguments'],
  [['erase', ' ', '--purpose', 'x', '--yes'], 'subject erase', 'name one employee'],
  [['export', 'E1'], '--purpose', 'say why'],
  [['export', 'E1', '--purpose', '  '], '--purpose', 'say why'],
  [['export', 'E1', '--purpose', 'x', '--actor', ''], '--actor', 'name who asks'],
  [['export', 'E1', '--purpose', 'x', '--yes'], 'subject export', "Unknown option '--yes'"],
  [['erase', 'E1', '--purpose', 'x', '--out', 'f.json', '--yes'], 'subject erase', "Unknown option '--out'"],
  [['export', 'E1', '--purpose'], 'subject export', "'--purpose <value>' argument missing"],
])('%j: a ConfigError naming %s', (args, key, message) => {
  const error = refusal(args);
  expect(error?.key).toBe(key);
  expect(error?.message).toContain(message);
});

test('erase asks on a terminal; elsewhere it needs --yes, and says so before it connects to anything', () => {
  expect(refusal(['erase', 'E1', '--purpose', 'x'], true)).toBeUndefined();
  expect(refusal(['erase', 'E1', '--purpose', 'x'], false)?.key).toBe('--yes');
  // Nothing listens on port 1: the refusal comes before any connection (exit 78, not 69).
  const cli = spawnSync(process.execPath, [distFile('cli/main.js'), 'subject', 'erase', 'E1', '--purpose', 'x'], {
    env: { ...process.env, CLICKHOUSE_URL: 'http://127.0.0.1:1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  expect(cli.status).toBe(78);
  expect(cli.stderr).toContain('--yes: erase asks for confirmation on a terminal, and stdin is not one');
});
