import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeCertificate, makeCertificateAuthority, secureListener, secureListenerEnv, securePassword } from '../../../services/kafka/secureListener.js';
import { topicDefinitions } from '../../../topics/definitions.js';
import { AuthProxy } from '../support/authProxy.js';
import { dropTestResources, testContext } from '../support/context.js';
import { killProcessors, runCli } from '../support/processor.js';

/**
 * A plant's secured infrastructure, and what a wrong setting does: each
 * failure stops the command within seconds, with exit code 78 (69 when
 * nothing answers), a stable code, and a message naming the settings to look
 * at — never a hang, a stack trace or the secret itself.
 */
const ctx = testContext('connections');
const listener = secureListener(ctx.config);
if (!listener) throw new Error("these tests need the local broker's SASL_SSL listener: set KPI_KAFKA_SECURE_PORT (the integration set-up does)");
const secure = secureListenerEnv(listener);
const scratch = mkdtempSync(join(tmpdir(), 'kpi-connections-'));
const FAST_MS = 15_000;
let registryProxy: AuthProxy;
let clickhouseProxy: AuthProxy;
const registryCredentials = { username: 'sr-user', password: `sr-pass-${ctx.id}` };

beforeAll(async () => {
  // A CA nobody trusts, with a client certificate it signed.
  await makeCertificateAuthority(scratch, 'foreign-ca', 'foreign CA');
  await makeCertificate(scratch, 'foreign-ca', 'foreign-client', 'intruder', ['extendedKeyUsage=clientAuth']);
  // The listener's broker certificate (for 127.0.0.1, signed by the local CA) serves the HTTPS gateways too.
  const tls = { key: readFileSync(join(listener.dir, 'broker.key'), 'utf8'), cert: readFileSync(join(listener.dir, 'broker.pem'), 'utf8') };
  registryProxy = await AuthProxy.start(ctx.config.registry.url, { credentials: registryCredentials, tls });
  clickhouseProxy = await AuthProxy.start(ctx.config.clickhouse.url, {
    upstream: { username: ctx.config.clickhouse.username, password: ctx.config.clickhouse.password },
    tls,
  });
});

afterAll(async () => {
  await killProcessors();
  await registryProxy.close();
  await clickhouseProxy.close();
  await dropTestResources(ctx);
  rmSync(scratch, { recursive: true, force: true });
});

async function failsFast(
  args: string[],
  env: Record<string, string>,
  expected: { exit: number; code: string; text: RegExp; settings: string[] },
  secret?: string,
) {
  const result = await runCli(ctx, args, env);
  const output = result.stdout + result.stderr;
  expect({ exit: result.code, output }).toEqual({ exit: expected.exit, output: expect.stringMatching(expected.text) });
  expect(output).toContain(`code=${expected.code}`);
  for (const setting of expected.settings) expect(output).toContain(setting);
  expect(output).not.toMatch(/\n\s+at .*\(.*\.js:\d+:\d+\)/); // no stack trace
  if (secret) expect(output).not.toContain(secret);
  expect(result.ms).toBeLessThan(FAST_MS);
}

describe('Kafka over SASL_SSL (SCRAM-SHA-512)', () => {
  test('the right credentials and CA connect: topics are created through the secured listener', async () => {
    const result = await runCli(ctx, ['topics', 'create'], { ...secure });
    expect(result.stderr).toContain(`topics: ${topicDefinitions(ctx.config).length} created`);
    expect(result.code).toBe(0);
  }, 60_000);

  test('a wrong password stops start-up naming the SASL settings, without echoing it', async () => {
    const wrong = `wrong-${securePassword(listener)}`;
    await failsFast(
      ['run'],
      { ...secure, KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: wrong },
      { exit: 78, code: 'KPI_ERR_AUTH', text: /refused the SASL credentials/, settings: ['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME'] },
      wrong,
    );
  }, 30_000);

  test('an unknown CA stops start-up naming KAFKA_SSL_CA_FILE', async () => {
    await failsFast(
      ['run'],
      { ...secure, KAFKA_SSL_CA_FILE: join(scratch, 'foreign-ca.pem') },
      { exit: 78, code: 'KPI_ERR_TLS', text: /certificate .* does not verify/, settings: ['KAFKA_SSL_CA_FILE'] },
    );
  }, 30_000);

  test('a plaintext client at the TLS listener stops start-up naming KAFKA_SSL', async () => {
    await failsFast(['run'], { KAFKA_BROKERS: secure.KAFKA_BROKERS! }, { exit: 78, code: 'KPI_ERR_TLS', text: /expects TLS/, settings: ['KAFKA_SSL'] });
  }, 30_000);

  test('a TLS client at a plaintext listener stops start-up naming KAFKA_SSL', async () => {
    await failsFast(
      ['run'],
      { ...secure, KAFKA_BROKERS: ctx.config.kafka.brokers.join(',') },
      { exit: 78, code: 'KPI_ERR_TLS', text: /does not speak TLS/, settings: ['KAFKA_SSL', 'KAFKA_BROKERS'] },
    );
  }, 30_000);

  test("mutual TLS: a client certificate signed by the cluster's CA is accepted, one from another CA is refused", async () => {
    const good = await runCli(ctx, ['topics', 'create'], {
      ...secure,
      KAFKA_SSL_CERT_FILE: listener.clientCertFile,
      KAFKA_SSL_KEY_FILE: listener.clientKeyFile,
    });
    expect(good.code).toBe(0);
    await failsFast(
      ['topics', 'create'],
      { ...secure, KAFKA_SSL_CERT_FILE: join(scratch, 'foreign-client.pem'), KAFKA_SSL_KEY_FILE: join(scratch, 'foreign-client.key') },
      { exit: 78, code: 'KPI_ERR_TLS', text: /refused the client certificate/, settings: ['KAFKA_SSL_CERT_FILE'] },
    );
  }, 60_000);

  test('no broker at the address exits 69 naming KAFKA_BROKERS', async () => {
    await failsFast(
      ['run'],
      { KAFKA_BROKERS: '127.0.0.1:1' },
      { exit: 69, code: 'KPI_ERR_UNREACHABLE', text: /no broker answers at 127\.0\.0\.1:1/, settings: ['KAFKA_BROKERS'] },
    );
  }, 30_000);
});

describe('a schema registry behind an authenticating HTTPS gateway', () => {
  const through = () => ({ SCHEMA_REGISTRY_URL: registryProxy.url, SCHEMA_REGISTRY_CA_FILE: listener.caFile });

  test('the right credentials and CA register the schemas', async () => {
    const before = registryProxy.accepted;
    const result = await runCli(ctx, ['topics', 'create'], {
      ...through(),
      SCHEMA_REGISTRY_USERNAME: registryCredentials.username,
      SCHEMA_REGISTRY_PASSWORD: registryCredentials.password,
    });
    expect(result.stderr).toContain('schemas registered');
    expect(result.code).toBe(0);
    expect(registryProxy.accepted).toBeGreaterThan(before);
  }, 60_000);

  test('a wrong password (HTTP 401) stops start-up naming the registry credentials', async () => {
    await failsFast(
      ['topics', 'create'],
      { ...through(), SCHEMA_REGISTRY_USERNAME: registryCredentials.username, SCHEMA_REGISTRY_PASSWORD: 'not-the-password' },
      { exit: 78, code: 'KPI_ERR_AUTH', text: /refused the credentials \(HTTP 401\)/, settings: ['SCHEMA_REGISTRY_PASSWORD'] },
      'not-the-password',
    );
  }, 30_000);

  test('credentials in the URL work like the settings, and are never shown', async () => {
    const url = new URL(registryProxy.url);
    url.username = registryCredentials.username;
    url.password = 'wrong-in-url';
    await failsFast(
      ['topics', 'create'],
      { ...through(), SCHEMA_REGISTRY_URL: url.toString() },
      { exit: 78, code: 'KPI_ERR_AUTH', text: /refused the credentials/, settings: ['SCHEMA_REGISTRY_URL'] },
      'wrong-in-url',
    );
  }, 30_000);

  test('without the private CA, start-up stops naming SCHEMA_REGISTRY_CA_FILE', async () => {
    await failsFast(
      ['topics', 'create'],
      {
        SCHEMA_REGISTRY_URL: registryProxy.url,
        SCHEMA_REGISTRY_USERNAME: registryCredentials.username,
        SCHEMA_REGISTRY_PASSWORD: registryCredentials.password,
      },
      { exit: 78, code: 'KPI_ERR_TLS', text: /does not verify/, settings: ['SCHEMA_REGISTRY_CA_FILE'] },
    );
  }, 30_000);
});

describe('ClickHouse over HTTPS with a private CA', () => {
  test('with CLICKHOUSE_CA_FILE the migrations run through TLS', async () => {
    const before = clickhouseProxy.accepted;
    const result = await runCli(ctx, ['migrate'], { CLICKHOUSE_URL: clickhouseProxy.url, CLICKHOUSE_CA_FILE: listener.caFile });
    expect(result.code).toBe(0);
    expect(clickhouseProxy.accepted).toBeGreaterThan(before);
  }, 60_000);

  test('without it, start-up stops naming CLICKHOUSE_CA_FILE', async () => {
    await failsFast(
      ['migrate'],
      { CLICKHOUSE_URL: clickhouseProxy.url },
      { exit: 78, code: 'KPI_ERR_TLS', text: /does not verify/, settings: ['CLICKHOUSE_CA_FILE'] },
    );
  }, 30_000);
});
