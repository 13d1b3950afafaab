import { describeSettings, loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';

const load = (env: Record<string, string>) => loadConfig(env);

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('defaults describe the local services and a daily UTC window', () => {
  const config = load({});
  expect(config.kafka).toEqual({ brokers: ['127.0.0.1:9092'], external: false });
  expect(config.registry).toEqual({ url: 'http://127.0.0.1:8081/apis/ccompat/v7', external: false });
  expect(config.clickhouse).toEqual({ url: 'http://127.0.0.1:8123', external: false });
  expect(config.windowSize).toBe(86_400_000);
  expect(config.timeZone).toBe('UTC');
  expect(config.allowedLateness).toBe(600_000);
  expect(config.correctionHorizon).toBe(35 * 86_400_000);
  expect(config.emitMode).toBe('final');
  expect(Object.isFrozen(config)).toBe(true);
});

test('variables pointing at servers make those services external', () => {
  const config = load({ KAFKA_BROKERS: 'k1:9092, k2:9092', SCHEMA_REGISTRY_URL: 'http://sr:8081/', CLICKHOUSE_URL: 'https://ch:8443' });
  expect(config.kafka).toEqual({ brokers: ['k1:9092', 'k2:9092'], external: true });
  expect(config.registry).toEqual({ url: 'http://sr:8081', external: true });
  expect(config.clickhouse).toEqual({ url: 'https://ch:8443', external: true });
});

test('local ports move the derived endpoints', () => {
  const config = load({ KPI_KAFKA_PORT: '19092', KPI_REGISTRY_PORT: '18081', KPI_CLICKHOUSE_PORT: '18123' });
  expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
  expect(config.registry.url).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
  expect(config.clickhouse.url).toBe('http://127.0.0.1:18123');
});

test.each([
  [{ KPI_KAFKA_PORT: 'ninety' }, 'KPI_KAFKA_PORT', 'expected an integer'],
  [{ KPI_KAFKA_PORT: '70000' }, 'KPI_KAFKA_PORT', 'between 1 and 65535'],
  [{ KPI_WINDOW_SIZE: '7h' }, 'KPI_WINDOW_SIZE', 'must divide a day'],
  [{ KPI_WINDOW_SIZE: 'daily' }, 'KPI_WINDOW_SIZE', 'expected a duration'],
  [{ KPI_TIME_ZONE: 'Mars/Olympus' }, 'KPI_TIME_ZONE', 'unknown IANA time zone'],
  [{ KPI_EMIT_MODE: 'sometimes' }, 'KPI_EMIT_MODE', 'must be one of final, update'],
  [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS', 'host:port'],
  [{ CLICKHOUSE_URL: 'ftp://x' }, 'CLICKHOUSE_URL', 'http(s) URL'],
  [{ CLICKHOUSE_DATABASE: 'kpi; DROP' }, 'CLICKHOUSE_DATABASE', 'plain identifier'],
  [{ KPI_REGISTRY_PORT: '9092' }, 'KPI_REGISTRY_PORT', 'already used by KPI_KAFKA_PORT'],
  [{ KPI_CORRECTION_HORIZON: '5m' }, 'KPI_CORRECTION_HORIZON', 'KPI_ALLOWED_LATENESS'],
  [{ KPI_TOPIC_PREFIX: 'a b' }, 'KPI_TOPIC_PREFIX', 'letters, digits'],
])('%j is refused naming %s', (env, key, text) => {
  const error = configError(env);
  expect(error.key).toBe(key);
  expect(error.code).toBe('KPI_ERR_CONFIG');
  expect(error.message).toContain(key);
  expect(error.message).toContain(text);
});

test('every setting has a variable name and a doc line', () => {
  const rows = describeSettings();
  expect(rows.length).toBeGreaterThan(15);
  for (const row of rows) {
    expect(row.env).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(row.doc.length).toBeGreaterThan(10);
  }
  expect(new Set(rows.map((r) => r.env)).size).toBe(rows.length);
});

test('detection settings: a false-alarm rate, and honest spread floors and ceilings per figure', () => {
  const config = load({ KPI_DETECT_FALSE_ALARM_RATE: '0.001', KPI_DETECT_SPREAD_FLOOR: 'units=2%, defects=1', KPI_DETECT_SPREAD_CEILING: 'self_score=20' });
  expect(config.detectFalseAlarmRate).toBe(0.001);
  expect(config.detectSpreadFloor).toEqual({ units: 0.02, run_hours: 0.01, defects: 1, self_score: 1 });
  expect(config.detectSpreadCeiling).toEqual({ units: 0.25, run_hours: 0.25, defects: 10, self_score: 20 });
});

test.each([
  [{ KPI_DETECT_FALSE_ALARM_RATE: '0.5' }, 'KPI_DETECT_FALSE_ALARM_RATE'],
  [{ KPI_DETECT_FALSE_ALARM_RATE: 'rare' }, 'KPI_DETECT_FALSE_ALARM_RATE'],
  [{ KPI_DETECT_SPREAD_FLOOR: 'units:1%' }, 'KPI_DETECT_SPREAD_FLOOR'],
  [{ KPI_DETECT_SPREAD_FLOOR: 'scrap=1' }, 'KPI_DETECT_SPREAD_FLOOR'],
  [{ KPI_DETECT_SPREAD_FLOOR: 'units=0' }, 'KPI_DETECT_SPREAD_FLOOR'],
  [{ KPI_DETECT_SPREAD_FLOOR: 'units=30%' }, 'KPI_DETECT_SPREAD_FLOOR'],
])('bad detection setting %j stops start-up naming %s', (env, key) => {
  const error = configError(env);
  expect(error.key).toBe(key);
  expect(error.code).toBe('KPI_ERR_CONFIG');
});
