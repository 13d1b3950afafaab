import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../core/errors.js';
import { distFile, projectRoot } from '../../../core/paths.js';
import { parseManifestArgs } from '../../../cli/commands/manifest.js';

const dir = mkdtempSync(join(tmpdir(), 'kpi-manifest-cli-'));

/** The built CLI (npm test builds first), with its local files in the test's folder. */
function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [distFile('cli/main.js'), ...args], {
    env: { ...process.env, KPI_SERVICES_DIR: dir, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

test('--format and --out: markdown to stdout by default; a bad option is named', () => {
  expect(parseManifestArgs([])).toEqual({ format: 'markdown' });
  expect(parseManifestArgs(['--format', 'json', '--out', 'manifest.json'])).toEqual({ format: 'json', out: 'manifest.json' });
  expect(() => parseManifestArgs(['--format', 'pdf'])).toThrow(new ConfigError('--format', 'expected markdown or json, got "pdf"'));
  expect(() => parseManifestArgs(['--output', 'x'])).toThrow(ConfigError);
});

test('kpi-stream manifest prints Markdown, or JSON to a file, with no service running', () => {
  const markdown = cli(['manifest']);
  expect(markdown.code).toBe(0);
  expect(markdown.out).toMatch(/^# kpi-stream manifest\n/);
  expect(markdown.out).toContain('## 8. Where data leaves kpi-stream');
  const out = join(dir, 'manifest.json');
  const json = cli(['manifest', '--format', 'json', '--out', out]);
  expect(json.code).toBe(0);
  expect(json.out).toBe('');
  expect(Object.keys(JSON.parse(readFileSync(out, 'utf8')) as object)).toEqual(
    expect.arrayContaining(['inputs', 'windows', 'kpis', 'scoring', 'rules', 'roles', 'retention', 'outflows']),
  );
});

test('an extension KPI (KPI_EXTENSIONS) and a retention file show in it', () => {
  const retention = join(dir, 'retention.yaml');
  writeFileSync(retention, 'flags: 36 months\n');
  const { code, out } = cli(['manifest', '--format', 'json'], {
    KPI_EXTENSIONS: join(projectRoot(), 'examples', 'mtbf', 'mtbf.js'),
    KPI_RETENTION_FILE: retention,
  });
  expect(code).toBe(0);
  const manifest = JSON.parse(out) as { kpis: { name: string; extension: boolean }[]; retention: { tables: { table: string; period: string }[] } };
  expect(manifest.kpis.find((k) => k.name === 'mtbf')).toMatchObject({ extension: true });
  expect(manifest.retention.tables.find((t) => t.table === 'anomalies')).toMatchObject({ period: '36 months' });
});

test('a bad setting stops it with exit code 78, naming the setting', () => {
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'rules: [{ name: x, metric: nonsense, scope: employee, above: 1, severity: high }]\n');
  const badRules = cli(['manifest'], { KPI_ALERT_RULES: rules });
  expect(badRules.code).toBe(78);
  expect(badRules.err).toContain('KPI_ALERT_RULES');
  expect(badRules.out).toBe('');
  const badWindow = cli(['manifest'], { KPI_WINDOW_SIZE: '7h' });
  expect(badWindow.code).toBe(78);
  expect(badWindow.err).toContain('invalid configuration: KPI_WINDOW_SIZE');
});
