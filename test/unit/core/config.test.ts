import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSettings, describeValues, loadConfig, secretValues } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';

/** The local services' folder of these tests (the embedded ClickHouse's generated password goes there). */
const servicesDir = mkdtempSync(join(tmpdir(), 'kpi-config-svc-'));
afterAll(() => rmSync(servicesDir, { recursive: true, force: true }));
const load = (env: Record<string, string>) => loadConfig({ KPI_SERVICES_DIR: servicesDir, ...env });

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
  expect(config.kafka).toEqual({ brokers: ['127.0.0.1:9092'], external: false, ssl: false });
  expect(config.registry).toEqual({ url: 'http://127.0.0.1:8081/apis/ccompat/v7', external: false });
  expect(config.clickhouse).toEqual({
    url: 'http://127.0.0.1:8123',
    external: false,
    username: 'default',
    password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    passwordFile: join(servicesDir, 'clickhouse', 'password'),
  });
  expect(config.windowSize).toBe(86_400_000);
  expect(config.timeZone).toBe('UTC');
  expect(config.allowedLateness).toBe(600_000);
  expect(config.correctionHorizon).toBe(35 * 86_400_000);
  expect(config.emitMode).toBe('final');
  expect(Object.isFrozen(config)).toBe(true);
});

test('the embedded ClickHouse never has an empty password: one is generated on first use, 0600, and every process reads the same', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-config-pw-'));
  try {
    const first = load({ KPI_SERVICES_DIR: dir });
    const file = join(dir, 'clickhouse', 'password');
    expect(first.clickhouse.passwordFile).toBe(file);
    expect(first.clickhouse.password).toHaveLength(32);
    expect(readFileSync(file, 'utf8')).toBe(`${first.clickhouse.password}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'clickhouse')).mode & 0o777).toBe(0o700);
    expect(load({ KPI_SERVICES_DIR: dir }).clickhouse.password).toBe(first.clickhouse.password);
    expect(secretValues(first)).toContain(first.clickhouse.password);
    // A password given, or a server, is used as it is; an empty one is no password given.
    const given = load({ KPI_SERVICES_DIR: dir, CLICKHOUSE_PASSWORD: 'mine' }).clickhouse;
    expect(given.password).toBe('mine');
    expect(given).not.toHaveProperty('passwordFile');
    expect(load({ KPI_SERVICES_DIR: dir, CLICKHOUSE_PASSWORD: '' }).clickhouse.password).toBe(first.clickhouse.password);
    expect(load({ KPI_SERVICES_DIR: dir, CLICKHOUSE_URL: 'https://ch:8443' }).clickhouse.password).toBe('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the embedded ClickHouse limits take sizes and durations', () => {
  const defaults = load({});
  expect([defaults.clickhouseMaxBody, defaults.clickhouseMaxQueue, defaults.clickhouseMaxExecutionTime, defaults.clickhouseMaxMemory]).toEqual([
    2 ** 30,
    64,
    600_000,
    4 * 2 ** 30,
  ]);
  const set = load({ KPI_CLICKHOUSE_MAX_BODY: '512MiB', KPI_CLICKHOUSE_MAX_MEMORY: '2048 KiB', KPI_CLICKHOUSE_MAX_EXECUTION_TIME: '30s' });
  expect([set.clickhouseMaxBody, set.clickhouseMaxMemory, set.clickhouseMaxExecutionTime]).toEqual([512 * 2 ** 20, 2 * 2 ** 20, 30_000]);
});

test('variables pointing at servers make those services external', () => {
  const config = load({ KAFKA_BROKERS: 'k1:9092, k2:9092', SCHEMA_REGISTRY_URL: 'http://sr:8081/', CLICKHOUSE_URL: 'https://ch:8443' });
  expect(config.kafka).toEqual({ brokers: ['k1:9092', 'k2:9092'], external: true, ssl: false });
  expect(config.registry).toEqual({ url: 'http://sr:8081', external: true });
  expect(config.clickhouse).toEqual({ url: 'https://ch:8443', external: true, username: 'default', password: '' });
});

test('the metrics and health server is off, on loopback, by default; the container image turns it on for every interface', () => {
  const defaults = load({});
  expect([defaults.metricsPort, defaults.metricsHost, defaults.stallTimeout]).toEqual([0, '127.0.0.1', 120_000]);
  const image = load({ KPI_METRICS_PORT: '9464', KPI_METRICS_HOST: '0.0.0.0', KPI_STALL_TIMEOUT: '5m' });
  expect([image.metricsPort, image.metricsHost, image.stallTimeout]).toEqual([9464, '0.0.0.0', 300_000]);
});

test('local ports move the derived endpoints', () => {
  const config = load({ KPI_KAFKA_PORT: '19092', KPI_REGISTRY_PORT: '18081', KPI_CLICKHOUSE_PORT: '18123' });
  expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
  expect(config.registry.url).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
  expect(config.clickhouse.url).toBe('http://127.0.0.1:18123');
});

test("the app's public address follows where it listens unless KPI_APP_URL says otherwise (a proxy in front)", () => {
  expect(load({}).appUrl).toBe('http://127.0.0.1:8090');
  expect(load({ KPI_APP_PORT: '29097' }).appUrl).toBe('http://127.0.0.1:29097');
  // Every interface: a browser on this machine reaches it on loopback.
  expect(load({ KPI_APP_HOST: '0.0.0.0', KPI_APP_PORT: '8080' }).appUrl).toBe('http://127.0.0.1:8080');
  expect(load({ KPI_APP_HOST: '::', KPI_APP_PORT: '8080' }).appUrl).toBe('http://[::1]:8080');
  expect(load({ KPI_APP_HOST: 'fd00::5' }).appUrl).toBe('http://[fd00::5]:8090');
  expect(load({ KPI_APP_PORT: '29097', KPI_APP_URL: 'https://people.plant.example/' }).appUrl).toBe('https://people.plant.example');
  expect(configError({ KPI_APP_URL: 'people.plant.example' }).key).toBe('KPI_APP_URL');
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
  [{ KAFKA_SSL: 'maybe' }, 'KAFKA_SSL', 'expected true or false'],
  [{ KPI_KAFKA_CLIENT: 'rdkafka' }, 'KPI_KAFKA_CLIENT', 'must be one of kafkajs, platformatic'],
  [{ KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, 'KAFKA_SSL_CA_FILE', 'cannot read /nonexistent/ca.pem'],
  [{ KAFKA_SASL_MECHANISM: 'kerberos' }, 'KAFKA_SASL_MECHANISM', 'plain, scram-sha-256, scram-sha-512'],
  [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'pw-1234' }, 'KAFKA_SASL_USERNAME', 'needs a user name'],
  [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'svc' }, 'KAFKA_SASL_PASSWORD', 'needs a password'],
  [{ KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'pw-1234' }, 'KAFKA_SASL_MECHANISM', 'no mechanism'],
  [{ SCHEMA_REGISTRY_USERNAME: 'key' }, 'SCHEMA_REGISTRY_PASSWORD', 'needs both'],
  [{ SCHEMA_REGISTRY_URL: 'https://a:b@sr:8081', SCHEMA_REGISTRY_USERNAME: 'c', SCHEMA_REGISTRY_PASSWORD: 'd' }, 'SCHEMA_REGISTRY_URL', 'give them one way'],
  [{ KPI_KAFKA_SECURE_PORT: '9093' }, 'KPI_KAFKA_SECURE_PORT', 'already used by KPI_KAFKA_CONTROLLER_PORT'],
  [{ KPI_CLICKHOUSE_MAX_BODY: 'lots' }, 'KPI_CLICKHOUSE_MAX_BODY', 'expected a size'],
  [{ KPI_CLICKHOUSE_MAX_BODY: '12' }, 'KPI_CLICKHOUSE_MAX_BODY', 'at least 1024 bytes'],
  [{ KPI_CLICKHOUSE_MAX_QUEUE: '0' }, 'KPI_CLICKHOUSE_MAX_QUEUE', 'between 1 and'],
  [{ KPI_CLICKHOUSE_MAX_EXECUTION_TIME: '10ms' }, 'KPI_CLICKHOUSE_MAX_EXECUTION_TIME', 'at least 1s'],
  [{ KPI_METRICS_PORT: '-1' }, 'KPI_METRICS_PORT', 'between 0 and 65535'],
  [{ KPI_METRICS_HOST: ' ' }, 'KPI_METRICS_HOST', 'must name an address'],
  [{ KPI_STALL_TIMEOUT: '1s', KPI_FLUSH_INTERVAL: '1s' }, 'KPI_STALL_TIMEOUT', 'longer than KPI_FLUSH_INTERVAL'],
  [{ KPI_STALL_TIMEOUT: '500ms' }, 'KPI_STALL_TIMEOUT', 'at least 1s'],
  [{ KPI_WORKERS: '0' }, 'KPI_WORKERS', 'expected auto or an integer from 1 to 256'],
  [{ KPI_WORKERS: '257' }, 'KPI_WORKERS', 'expected auto or an integer from 1 to 256'],
  [{ KPI_WORKERS: 'many' }, 'KPI_WORKERS', 'got "many"'],
  [{ KPI_WORKERS: '1.5' }, 'KPI_WORKERS', 'expected auto or an integer'],
])('%j is refused naming %s', (env, key, text) => {
  const error = configError(env);
  expect(error.key).toBe(key);
  expect(error.code).toBe('KPI_ERR_CONFIG');
  expect(error.message).toContain(key);
  expect(error.message).toContain(text);
});

test('the processors use the cores available unless KPI_WORKERS says how many threads', () => {
  expect(load({}).workers).toBe(Math.min(availableParallelism(), 256));
  expect(load({ KPI_WORKERS: 'AUTO' }).workers).toBe(Math.min(availableParallelism(), 256));
  expect(load({ KPI_WORKERS: '1' }).workers).toBe(1);
  expect(load({ KPI_WORKERS: ' 256 ' }).workers).toBe(256);
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

describe('TLS, SASL and secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-config-'));
  const pem = join(dir, 'ca.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const notPem = join(dir, 'ca.txt');
  writeFileSync(notPem, 'not a certificate\n');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 's3cret-from-file\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a secured cluster: TLS with a CA and a client certificate, SCRAM with the password from a file', () => {
    const config = load({
      KAFKA_BROKERS: 'b1:9094',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: pem,
      KAFKA_SSL_CERT_FILE: pem,
      KAFKA_SSL_KEY_FILE: pem,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'kpi',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(config.kafka.ssl).toEqual({ caFile: pem, certFile: pem, keyFile: pem });
    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'kpi', password: 's3cret-from-file' });
  });

  test('any variable can come from a file; a value and a file together, or a file that cannot be read, name the variable', () => {
    expect(load({ CLICKHOUSE_PASSWORD_FILE: passwordFile }).clickhouse.password).toBe('s3cret-from-file');
    expect(load({ KPI_TOPIC_PARTITIONS_FILE: (writeFileSync(join(dir, 'n'), '3\n'), join(dir, 'n')) }).topicPartitions).toBe(3);
    expect(configError({ CLICKHOUSE_PASSWORD: 'x', CLICKHOUSE_PASSWORD_FILE: passwordFile }).message).toContain(
      'set both CLICKHOUSE_PASSWORD and CLICKHOUSE_PASSWORD_FILE',
    );
    const unreadable = configError({ KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') });
    expect(unreadable.key).toBe('KAFKA_SASL_PASSWORD_FILE');
    expect(unreadable.message).toContain('ENOENT');
  });

  test.each([
    [{ KAFKA_SSL_CA_FILE: pem }, 'KAFKA_SSL_CA_FILE', 'KAFKA_SSL is not true'],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: pem }, 'KAFKA_SSL_KEY_FILE', 'needs both'],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: pem }, 'KAFKA_SSL_CERT_FILE', 'needs both'],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem }, 'KAFKA_SSL_CA_FILE', 'not a PEM file'],
    [{ SCHEMA_REGISTRY_CA_FILE: pem, SCHEMA_REGISTRY_URL: 'http://sr:8081' }, 'SCHEMA_REGISTRY_CA_FILE', 'not an https URL'],
    [{ CLICKHOUSE_CA_FILE: pem }, 'CLICKHOUSE_CA_FILE', 'not an https URL'],
  ])('cross-field rule: %j is refused naming %s', (env, key, text) => {
    const error = configError(env);
    expect(error.key).toBe(key);
    expect(error.message).toContain(text);
  });

  test('credentials in a URL become the credentials, and the URL kept has none', () => {
    const config = load({
      SCHEMA_REGISTRY_URL: 'https://key%40x:p%2Fss@sr.example:443/ccompat',
      CLICKHOUSE_URL: 'https://bi:chpass@ch:8443',
      SCHEMA_REGISTRY_CA_FILE: pem,
    });
    expect(config.registry).toEqual({ url: 'https://sr.example/ccompat', external: true, username: 'key@x', password: 'p/ss', caFile: pem });
    expect(config.schemaRegistryUrl).toBe('https://sr.example/ccompat');
    expect(config.clickhouse).toEqual({ url: 'https://ch:8443', external: true, username: 'bi', password: 'chpass' });
    expect(config.clickhouseUrl).toBe('https://ch:8443');
  });

  test('a URL that does not parse is refused without echoing it (it may hold credentials)', () => {
    const error = configError({ SCHEMA_REGISTRY_URL: 'http://user:hunter22@[bad' });
    expect(error.key).toBe('SCHEMA_REGISTRY_URL');
    expect(error.message).not.toContain('hunter22');
  });

  test('secret values are collected for the scrubber, and shown masked', () => {
    const env = {
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'api-key-123',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
      SCHEMA_REGISTRY_URL: 'https://sr-user:sr-pass@sr:8081',
      CLICKHOUSE_PASSWORD: 'ch-pass',
      KPI_ALERT_WEBHOOK_URL: 'https://hooks.example/services/T1/B2/tok3n?x=1',
      KPI_ALERT_WEBHOOK_SECRET: `${NEW_SECRET} ${OLD_SECRET}`,
      KPI_ALERTMANAGER_URL: 'https://am-user:am-pass@alertmanager.example:9093',
    };
    expect(secretValues(load(env)).sort()).toEqual(
      [
        `${NEW_SECRET} ${OLD_SECRET}`,
        NEW_SECRET,
        OLD_SECRET,
        'am-user',
        'am-pass',
        'api-key-123',
        's3cret-from-file',
        'sr-user',
        'sr-pass',
        'ch-pass',
        'https://hooks.example/services/T1/B2/tok3n?x=1',
        '/services/T1/B2/tok3n?x=1',
        // As Basic credentials in a header, which an error may quote.
        ...['sr-user:sr-pass', 'default:ch-pass', 'api-key-123:s3cret-from-file', 'am-user:am-pass'].map((pair) => Buffer.from(pair).toString('base64')),
      ].sort(),
    );
    const shown = Object.fromEntries(describeValues(env).map((row) => [row.env, row.shown]));
    expect(shown).toMatchObject({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: '[redacted]',
      KAFKA_SASL_PASSWORD: '[redacted]',
      SCHEMA_REGISTRY_URL: 'https://[redacted]@sr:8081',
      CLICKHOUSE_PASSWORD: '[redacted]',
      KPI_ALERT_WEBHOOK_URL: 'https://hooks.example/[redacted]',
      KPI_ALERT_WEBHOOK_SECRET: '[redacted]',
      KPI_ALERTMANAGER_URL: 'https://[redacted]@alertmanager.example:9093',
    });
    expect(load(env).alertWebhookSecrets).toEqual([NEW_SECRET, OLD_SECRET]);
    expect(describeValues(env).find((row) => row.env === 'KAFKA_SASL_PASSWORD')?.from).toBe('file');
  });
});

const NEW_SECRET = `whsec_${Buffer.from('a new secret of 32 random bytes!').toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.from('the old secret, of 32 bytes too.').toString('base64')}`;

describe('alert delivery settings', () => {
  test.each([
    [{ KPI_ALERT_WEBHOOK_URL: 'http://hooks.example/x', KPI_ALERT_WEBHOOK_SECRET: NEW_SECRET }, 'KPI_ALERT_WEBHOOK_URL', 'https'],
    [{ KPI_ALERTMANAGER_URL: 'http://alertmanager:9093' }, 'KPI_ALERTMANAGER_URL', 'https'],
    [{ KPI_ALERT_WEBHOOK_URL: 'https://hooks.example/x' }, 'KPI_ALERT_WEBHOOK_SECRET', 'signed'],
    [{ KPI_ALERT_WEBHOOK_SECRET: 'not-a-secret' }, 'KPI_ALERT_WEBHOOK_SECRET', 'secret 1'],
    [{ KPI_ALERT_WEBHOOK_SECRET: `${NEW_SECRET} whsec_c2hvcnQ=` }, 'KPI_ALERT_WEBHOOK_SECRET', 'secret 2'],
    [{ KPI_ALERTMANAGER_PORT: '9092' }, 'KPI_ALERTMANAGER_PORT', 'KPI_KAFKA_PORT'],
  ])('%j stops start-up naming %s', (env, key, words) => {
    const error = configError(env);
    expect(error.key).toBe(key);
    expect(error.message).toContain(words);
    expect(error.message).not.toContain(NEW_SECRET);
  });

  test('plain http is fine to a loopback receiver, and several secrets rotate, newest first', () => {
    const config = load({
      KPI_ALERT_WEBHOOK_URL: 'http://127.0.0.1:8080/hook',
      KPI_ALERT_WEBHOOK_SECRET: ` ${NEW_SECRET}  ${OLD_SECRET} `,
      KPI_ALERTMANAGER_URL: 'http://localhost:9095',
    });
    expect(config.alertWebhookSecrets).toEqual([NEW_SECRET, OLD_SECRET]);
    expect(config.alertmanagerUrl).toBe('http://localhost:9095');
  });
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

test('loopback is the parsed host, not a prefix: 127.attacker.example is not this machine', () => {
  const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
  for (const url of ['http://127.attacker.example/hook', 'http://127.0.0.1.attacker.example/hook', 'http://localhost.attacker.example/', 'http://[::2]/']) {
    expect(configError({ KPI_ALERT_WEBHOOK_URL: url, KPI_ALERT_WEBHOOK_SECRET: secret }).key).toBe('KPI_ALERT_WEBHOOK_URL');
    expect(configError({ KPI_ALERTMANAGER_URL: url }).key).toBe('KPI_ALERTMANAGER_URL');
  }
  for (const url of ['http://127.0.0.1:9/hook', 'http://127.1.2.3/', 'http://localhost:9095', 'http://[::1]:9095', 'http://api.localhost/']) {
    expect(load({ KPI_ALERTMANAGER_URL: url }).alertmanagerUrl).toBe(url.replace(/\/$/, ''));
  }
});

test('clear-text credentials to another machine are refused unless KPI_ALLOW_PLAINTEXT_CREDENTIALS=true', () => {
  const plain = [
    [{ CLICKHOUSE_URL: 'http://ch.plant.local:8123', CLICKHOUSE_PASSWORD: 'pw' }, 'CLICKHOUSE_URL'],
    [{ CLICKHOUSE_URL: 'http://kpi:pw@ch.plant.local:8123' }, 'CLICKHOUSE_URL'],
    [{ SCHEMA_REGISTRY_URL: 'http://127.attacker.example:8081', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' }, 'SCHEMA_REGISTRY_URL'],
    [{ KAFKA_BROKERS: 'k1:9092', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_MECHANISM'],
  ] as const;
  for (const [env, key] of plain) {
    expect(configError(env).key).toBe(key);
    expect(() => load({ ...env, KPI_ALLOW_PLAINTEXT_CREDENTIALS: 'true' })).not.toThrow();
  }
  // TLS, this machine, SCRAM (which never sends the password) or no credentials at all are fine.
  for (const env of <Record<string, string>[]>[
    { CLICKHOUSE_URL: 'https://ch.plant.local:8443', CLICKHOUSE_PASSWORD: 'pw' },
    { CLICKHOUSE_URL: 'http://127.0.0.1:8123', CLICKHOUSE_PASSWORD: 'pw' },
    { CLICKHOUSE_URL: 'http://ch.plant.local:8123' },
    { KAFKA_BROKERS: 'k1:9092', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
    { KAFKA_BROKERS: 'k1:9093', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
  ]) {
    expect(() => load(env)).not.toThrow();
  }
});

test("a template's placeholder is refused at start-up, naming the variable: a secret, a URL, a PEM file, a webhook key", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-config-placeholder-'));
  try {
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nREPLACE_WITH_THE_KAFKA_CA_CERTIFICATE\n-----END CERTIFICATE-----\n');
    const templateKey = `whsec_${Buffer.from('REPLACE_ME_WITH_32_RANDOM_BYTES').toString('base64')}`;
    for (const [env, key] of [
      [{ CLICKHOUSE_URL: 'https://ch:8443', CLICKHOUSE_PASSWORD: 'REPLACE_ME' }, 'CLICKHOUSE_PASSWORD'],
      [
        { KPI_ALERT_WEBHOOK_URL: 'https://hooks.example.com/REPLACE_ME', KPI_ALERT_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}` },
        'KPI_ALERT_WEBHOOK_URL',
      ],
      [{ KPI_ALERT_WEBHOOK_URL: 'https://hooks.example.com/x', KPI_ALERT_WEBHOOK_SECRET: templateKey }, 'KPI_ALERT_WEBHOOK_SECRET'],
      [{ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: pem }, 'KAFKA_SSL_CA_FILE'],
      [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'changeme', KAFKA_SASL_PASSWORD: 'x' }, 'KAFKA_SASL_USERNAME'],
    ] as [Record<string, string>, string][]) {
      const error = configError(env);
      expect({ key: error.key, message: error.message }).toEqual({ key, message: expect.stringContaining('placeholder') });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
