import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertPrivacyOf, neutralExplanation, reviewUrlOf } from '../../../alerting/people.js';
import { startAlerting } from '../../../alerting/run.js';
import { loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { createLogger } from '../../../core/logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kpi-alert-people-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('the review page is under KPI_APP_URL (default http://127.0.0.1:8090, the default address of the app), by the fingerprint', () => {
  expect(alertPrivacyOf(loadConfig({ KPI_SERVICES_DIR: dir })).appUrl).toBe('http://127.0.0.1:8090');
  const config = loadConfig({ KPI_SERVICES_DIR: dir, KPI_APP_URL: 'https://people.plant.example/kpi/' });
  expect(reviewUrlOf(alertPrivacyOf(config).appUrl, '5b2a808cbcb2a02a44cea9cda6854a62')).toBe(
    'https://people.plant.example/kpi/flags/5b2a808cbcb2a02a44cea9cda6854a62',
  );
  expect(() => loadConfig({ KPI_SERVICES_DIR: dir, KPI_APP_URL: 'people.plant.example' })).toThrow(expect.objectContaining({ key: 'KPI_APP_URL' }));
});

test('the neutral line says what kind of alert it is and where to look, with no figure', () => {
  const url = 'https://people.example/flags/fp';
  expect(neutralExplanation({ type: 'alert.firing', metric: null, review_url: url })).toBe(`A flag about a person was confirmed on review: ${url}`);
  expect(neutralExplanation({ type: 'alert.resolved', metric: null, review_url: url })).toBe(`A flag about a person no longer stands: ${url}`);
  expect(neutralExplanation({ type: 'alert.firing', metric: 'efficiency', review_url: url })).toBe(`A person's efficiency breaches an alert rule; see ${url}`);
  expect(neutralExplanation({ type: 'alert.resolved', metric: 'efficiency', review_url: url })).toBe(
    `A person's efficiency no longer breaches the alert rule; see ${url}`,
  );
});

test('alerting does not start on a ClickHouse server without KPI_PSEUDONYM_KEY, naming the key before it connects to anything', async () => {
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'rules:\n  - { name: flags, anomaly: any, severity: high }\n');
  // Nothing listens on these ports: an attempt to connect would fail otherwise, and later.
  const config = loadConfig({ KPI_SERVICES_DIR: dir, KPI_ALERT_RULES: rules, CLICKHOUSE_URL: 'http://127.0.0.1:9', KAFKA_BROKERS: '127.0.0.1:9' });
  const started = startAlerting(config, createLogger('silent'));
  await expect(started).rejects.toBeInstanceOf(ConfigError);
  await expect(started).rejects.toMatchObject({ key: 'KPI_PSEUDONYM_KEY' });
});
