import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, localPseudonymKeyFile, pseudonymKey } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { isPseudonym, pseudonymOf } from '../../../privacy/pseudonym.js';

const KEY = 'a-key-of-at-least-thirty-two-characters';

describe('pseudonymOf', () => {
  it('is stable for one key and one person, and has the pseudonym form', () => {
    expect(pseudonymOf(KEY, 'E-0001')).toBe(pseudonymOf(KEY, 'E-0001'));
    expect(isPseudonym(pseudonymOf(KEY, 'E-0001'))).toBe(true);
  });

  it('differs between people and between keys', () => {
    expect(pseudonymOf(KEY, 'E-0001')).not.toBe(pseudonymOf(KEY, 'E-0002'));
    expect(pseudonymOf(KEY, 'E-0001')).not.toBe(pseudonymOf(`${KEY}!`, 'E-0001'));
  });

  it('is the keyed hash (HMAC-SHA-256) of the id, not a hash anyone can recompute', () => {
    // HMAC-SHA-256("key", "The quick brown fox jumps over the lazy dog") = f7bc83f430538424b13298e6aa6fb143…
    expect(pseudonymOf('key', 'The quick brown fox jumps over the lazy dog')).toBe('e_f7bc83f430538424b13298e6');
  });

  it('tells a pseudonym from an employee id', () => {
    expect(isPseudonym('E-0001')).toBe(false);
    expect(isPseudonym('e_f7bc83f430538424b13298e')).toBe(false);
    expect(isPseudonym('e_F7BC83F430538424B13298E6')).toBe(false);
  });
});

describe('pseudonymKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kpi-pseudonym-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is KPI_PSEUDONYM_KEY when set', () => {
    expect(pseudonymKey(loadConfig({ KPI_SERVICES_DIR: dir, KPI_PSEUDONYM_KEY: KEY }))).toBe(KEY);
  });

  it('refuses a key shorter than 32 characters, naming the key', () => {
    expect(() => loadConfig({ KPI_SERVICES_DIR: dir, KPI_PSEUDONYM_KEY: 'x'.repeat(31) })).toThrow(
      expect.objectContaining({ key: 'KPI_PSEUDONYM_KEY', message: expect.stringContaining('at least 32 characters') }),
    );
    expect(pseudonymKey(loadConfig({ KPI_SERVICES_DIR: dir, KPI_PSEUDONYM_KEY: 'x'.repeat(32) }))).toHaveLength(32);
  });

  it('is generated once with the embedded engine, in a file only its owner reads', () => {
    const config = loadConfig({ KPI_SERVICES_DIR: dir });
    const key = pseudonymKey(config);
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(pseudonymKey(loadConfig({ KPI_SERVICES_DIR: dir }))).toBe(key);
    expect(statSync(localPseudonymKeyFile(config.servicesPath)).mode & 0o777).toBe(0o600);
  });

  it('is required with a ClickHouse server, naming the key', () => {
    const config = loadConfig({ KPI_SERVICES_DIR: dir, CLICKHOUSE_URL: 'http://127.0.0.1:8123' });
    let error: unknown;
    try {
      pseudonymKey(config);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ key: 'KPI_PSEUDONYM_KEY', message: expect.stringContaining('required with CLICKHOUSE_URL') });
  });
});
