import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { DEFAULT_RETENTION, formatPeriod, parsePeriod, RETENTION_KINDS } from '../../../core/retention.js';

/** The retention file (KPI_RETENTION_FILE) as start-up reads it: through loadConfig. */
const dir = mkdtempSync(join(tmpdir(), 'kpi-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function fileWith(text: string, extension = 'yaml'): string {
  const path = join(dir, `retention-${++files}.${extension}`);
  writeFileSync(path, text);
  return path;
}

const load = (env: Record<string, string>) => loadConfig({ KPI_SERVICES_DIR: dir, ...env });

function refusal(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('unset, every kind keeps its documented default', () => {
  const { retention } = load({});
  expect(retention).toBe(DEFAULT_RETENTION);
  expect(Object.fromEntries(Object.entries(retention).map(([kind, period]) => [kind, formatPeriod(period)]))).toEqual({
    window_rows: '13 months',
    scores: '25 months',
    flags: '25 months',
    dead_letters: '90 days',
    access_log: '36 months',
    decisions: '37 months',
  });
  expect(Object.keys(retention)).toEqual(Object.keys(RETENTION_KINDS));
});

test('a file sets the kinds it names; the others keep their defaults; YAML or JSON', () => {
  const yaml = load({
    KPI_RETENTION_FILE: fileWith('# shorter for dead letters\ndead_letters: 30 days\nwindow_rows: 1 month\n', 'yaml'),
    KPI_CORRECTION_HORIZON: '7d',
  });
  expect(yaml.retention).toEqual({ ...DEFAULT_RETENTION, dead_letters: { count: 30, unit: 'day' }, window_rows: { count: 1, unit: 'month' } });
  const json = load({ KPI_RETENTION_FILE: fileWith('{"scores": "36 months", "flags": "1 day"}', 'json') });
  expect(json.retention).toEqual({ ...DEFAULT_RETENTION, scores: { count: 36, unit: 'month' }, flags: { count: 1, unit: 'day' } });
  expect(Object.isFrozen(json.retention)).toBe(true);
  // An empty file asks for nothing: the defaults.
  expect(load({ KPI_RETENTION_FILE: fileWith('') }).retention).toEqual(DEFAULT_RETENTION);
});

test.each([
  ['dead_letters: 90d\n', /dead_letters \(records the processors could not use, with their raw bytes\): expected a number of days or months .* got "90d"/],
  ['scores: 0 months\n', /scores \(scores and grades per employee and period\): .* got "0 months"/],
  ['flags: 90\n', /flags \(inflation flags .*\): .* got 90$/],
  ['window_rows: 1201 months\n', /window_rows \(.*\): .*100 years.* got "1201 months"/],
  ['dead_letters: 2 weeks\n', /dead_letters .* got "2 weeks"/],
])('a bad period (%j) stops start-up naming KPI_RETENTION_FILE, the file and the kind', (text, message) => {
  const path = fileWith(text);
  const error = refusal({ KPI_RETENTION_FILE: path });
  expect(error.key).toBe('KPI_RETENTION_FILE');
  expect(error.code).toBe('KPI_ERR_CONFIG');
  expect(error.message).toContain(`KPI_RETENTION_FILE: ${path}: `);
  expect(error.message).toMatch(message);
});

test('an unknown kind of data is refused, and the message lists the kinds', () => {
  const error = refusal({ KPI_RETENTION_FILE: fileWith('window_rows: 13 months\nraw_events: 1 month\n') });
  expect(error.key).toBe('KPI_RETENTION_FILE');
  expect(error.message).toContain('unknown kind of data "raw_events"; the kinds are window_rows, scores, flags, dead_letters');
});

test('a file that is not a mapping, cannot be read or is not YAML is refused naming KPI_RETENTION_FILE', () => {
  expect(refusal({ KPI_RETENTION_FILE: fileWith('- window_rows: 13 months\n') }).message).toContain('expected a mapping of kind to period');
  expect(refusal({ KPI_RETENTION_FILE: join(dir, 'missing.yaml') }).message).toMatch(/^KPI_RETENTION_FILE: cannot read .*missing\.yaml: .*ENOENT/);
  expect(refusal({ KPI_RETENTION_FILE: fileWith('window_rows: [13 months\n') }).message).toMatch(/^KPI_RETENTION_FILE: cannot read /);
});

test('window rows must outlast the correction horizon: a late correction must find its row', () => {
  const path = fileWith('window_rows: 30 days\n');
  const error = refusal({ KPI_RETENTION_FILE: path });
  expect(error.key).toBe('KPI_RETENTION_FILE');
  expect(error.message).toContain('window_rows (30 days) must be longer than KPI_CORRECTION_HORIZON (35d) plus a day');
  // A month counts as its shortest, 28 days: 2 months against a 55-day horizon is refused, 37 days against 35 is not.
  expect(refusal({ KPI_RETENTION_FILE: fileWith('window_rows: 2 months\n'), KPI_CORRECTION_HORIZON: '55d' }).key).toBe('KPI_RETENTION_FILE');
  expect(load({ KPI_RETENTION_FILE: fileWith('window_rows: 37 days\n') }).retention.window_rows).toEqual({ count: 37, unit: 'day' });
  // At the edge: 36 days is the horizon plus a day exactly, not longer.
  expect(refusal({ KPI_RETENTION_FILE: fileWith('window_rows: 36 days\n') }).key).toBe('KPI_RETENTION_FILE');
});

test('periods: days or months, singular or plural, 1 day to 100 years', () => {
  expect(parsePeriod('1 day')).toEqual({ count: 1, unit: 'day' });
  expect(parsePeriod(' 13 months ')).toEqual({ count: 13, unit: 'month' });
  expect(parsePeriod('1200 months')).toEqual({ count: 1200, unit: 'month' });
  expect(parsePeriod('36500 days')).toEqual({ count: 36_500, unit: 'day' });
  for (const bad of ['36501 days', '0 days', '-1 month', '1.5 months', '13 Months', '13mo', '35d', '']) expect(parsePeriod(bad)).toBeUndefined();
  expect(formatPeriod({ count: 1, unit: 'month' })).toBe('1 month');
  expect(formatPeriod({ count: 90, unit: 'day' })).toBe('90 days');
});
