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

test('config shows every setting without its secrets: masked values, URLs without credentials or tokens', () => {
  const { code, out } = cli(['config'], {
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'api-key-ABCDEF',
    KAFKA_SASL_PASSWORD: 'kafka-secret-123',
    SCHEMA_REGISTRY_URL: 'https://sr-user:sr-secret-456@registry.example:8081/ccompat',
    CLICKHOUSE_PASSWORD: 'ch-secret-789',
    KPI_ALERT_WEBHOOK_URL: 'https://hooks.example/services/T0/B0/tok3n-secret',
    KPI_ALERT_WEBHOOK_SECRET: 'whsec_c2lnbmluZy1zZWNyZXQtb2YtMzItYnl0ZXMtLS0=',
  });
  expect(code).toBe(0);
  for (const secret of [
    'api-key-ABCDEF',
    'kafka-secret-123',
    'sr-user',
    'sr-secret-456',
    'ch-secret-789',
    'tok3n-secret',
    'services/T0',
    'c2lnbmluZy1zZWNyZXQ',
  ])
    expect(out).not.toContain(secret);
  expect(out).toContain('KAFKA_SASL_PASSWORD=[redacted]  (set)');
  expect(out).toContain('SCHEMA_REGISTRY_URL=https://[redacted]@registry.example:8081/ccompat  (set)');
  expect(out).toContain('KPI_ALERT_WEBHOOK_URL=https://hooks.example/[redacted]  (set)');
  expect(out).toContain('KPI_ALERT_WEBHOOK_SECRET=[redacted]  (set)');
  expect(out).toMatch(/^registry {4}https:\/\/registry\.example:8081\/ccompat$/m);
});

test('a _FILE that cannot be read stops start-up naming it, exit code 78', () => {
  const { code, err } = cli(['run'], { KAFKA_SASL_PASSWORD_FILE: '/nonexistent/kafka-password' });
  expect(code).toBe(78);
  expect(err).toContain('invalid configuration: KAFKA_SASL_PASSWORD_FILE: cannot read /nonexistent/kafka-password');
});
