import { createServer, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { freePort } from '../../core/net.js';
import { secureListener, secureListenerEnv, securePassword } from '../../services/kafka/secureListener.js';
import { serviceLayout } from '../../services/layout.js';
import { createClickHouseClient } from '../../sinks/clickhouse/client.js';
import { alertInputsTopic, alertsTopic, deadLetterTopic } from '../../topics/definitions.js';
import { createKafka } from '../../topics/kafka.js';
import { AuthProxy } from './support/authProxy.js';
import { dropTestResources, testContext } from './support/context.js';
import { expectExactlyTheSimulatedRows } from './support/expected.js';
import { killProcessors, runCli, startProcessor, exited, logOf, until } from './support/processor.js';

/**
 * The main job on a plant's secured infrastructure, as child processes with
 * known secrets: Kafka over SASL_SSL (SCRAM-SHA-512) on the local broker's
 * secure listener, the registry and ClickHouse behind authenticating HTTPS
 * gateways (the embedded ClickHouse itself has no users, so its credentials
 * are checked by its gateway), an alert webhook whose path is a token, every
 * secret given through a `_FILE`. The rows must be exact, and no byte kpi-stream
 * wrote — output, logs, metrics, dead letters (topic and table), alerts
 * (topic and webhook), simulation files — may hold a secret.
 */
const seed = Number(process.env.KPI_TEST_SEED ?? Math.floor(Math.random() * 1_000_000));
const ctx = testContext('secured_job');
const listener = secureListener(ctx.config);
if (!listener) throw new Error("this test needs the local broker's SASL_SSL listener: set KPI_KAFKA_SECURE_PORT (the integration set-up does)");
const dir = mkdtempSync(join(tmpdir(), 'kpi-secured-'));
const out = join(dir, 'simulation');
const token = () => randomBytes(12).toString('base64url');
const secrets = {
  kafkaUser: listener.username,
  kafkaPassword: securePassword(listener),
  registryUser: `sr-${token()}`,
  registryPassword: `pw-${token()}`,
  clickhousePassword: `ch-${token()}`,
  webhookToken: `T${token()}`,
  webhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
  pseudonymKey: `pk-${randomBytes(32).toString('base64url')}`,
};
/** Every form a secret could leak in: as is, JSON- and URL-encoded, and inside a basic-auth header. */
function leakForms(): { name: string; form: string }[] {
  const forms: { name: string; form: string }[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)])) forms.push({ name, form });
  }
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  forms.push({ name: 'registry basic auth', form: basic(secrets.registryUser, secrets.registryPassword) });
  forms.push({ name: 'clickhouse basic auth', form: basic('default', secrets.clickhousePassword) });
  return forms;
}

/** Artifacts to scan, by name. */
const artifacts = new Map<string, Buffer>();
const capture = (name: string, content: string | Buffer) => artifacts.set(name, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'));

function leaks(from: Map<string, Buffer>): string[] {
  const found: string[] = [];
  for (const [artifact, bytes] of from) {
    for (const { name, form } of leakForms()) if (bytes.includes(Buffer.from(form, 'utf8'))) found.push(`${name} in ${artifact}`);
  }
  return found;
}

const webhookBodies: string[] = [];
const webhook = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    webhookBodies.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${Buffer.concat(chunks).toString('utf8')}`);
    res.writeHead(req.url === `/hooks/${secrets.webhookToken}` ? 204 : 404).end();
  });
});
let registryProxy: AuthProxy;
let clickhouseProxy: AuthProxy;
let env: Record<string, string>;

beforeAll(async () => {
  process.stdout.write(`secured job seed ${seed} (KPI_TEST_SEED=${seed} repeats it)\n`);
  const tls = { key: readFileSync(join(listener.dir, 'broker.key'), 'utf8'), cert: readFileSync(join(listener.dir, 'broker.pem'), 'utf8') };
  registryProxy = await AuthProxy.start(ctx.config.registry.url, { credentials: { username: secrets.registryUser, password: secrets.registryPassword }, tls });
  const upstream = { username: ctx.config.clickhouse.username, password: ctx.config.clickhouse.password };
  clickhouseProxy = await AuthProxy.start(ctx.config.clickhouse.url, {
    credentials: { username: 'default', password: secrets.clickhousePassword },
    upstream,
    tls,
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const port = (webhook.address() as { port: number }).port;
  const file = (name: string, value: string) => {
    writeFileSync(join(dir, name), `${value}\n`, { mode: 0o600 });
    return join(dir, name);
  };
  env = {
    ...secureListenerEnv(listener),
    SCHEMA_REGISTRY_URL: registryProxy.url,
    SCHEMA_REGISTRY_CA_FILE: listener.caFile,
    SCHEMA_REGISTRY_USERNAME_FILE: file('registry-user', secrets.registryUser),
    SCHEMA_REGISTRY_PASSWORD_FILE: file('registry-password', secrets.registryPassword),
    CLICKHOUSE_URL: clickhouseProxy.url,
    CLICKHOUSE_CA_FILE: listener.caFile,
    CLICKHOUSE_PASSWORD_FILE: file('clickhouse-password', secrets.clickhousePassword),
    KPI_ALERT_WEBHOOK_URL_FILE: file('webhook-url', `http://127.0.0.1:${port}/hooks/${secrets.webhookToken}`),
    KPI_ALERT_WEBHOOK_SECRET_FILE: file('webhook-secret', secrets.webhookSecret),
    // detect gives people their pseudonym: with CLICKHOUSE_URL, the key must be set (here as a file, so not also directly).
    KPI_PSEUDONYM_KEY_FILE: file('pseudonym-key', secrets.pseudonymKey),
    KPI_PSEUDONYM_KEY: '',
    KPI_ALERT_RULES: file(
      'rules.yaml',
      'rules:\n  - { name: inflated, anomaly: any, severity: high }\n  - { name: station-defects, metric: defect_rate, scope: station, above: 0.04, min_sample: 50, severity: medium }',
    ),
    KPI_IDLE_CLOSE: '1s',
    // As much logging as there is short of kafkajs' per-request trace.
    LOG_LEVEL: 'debug',
  };
  // The settings must be those the test means: the same loader the processes use.
  const config = loadConfig({ ...ctx.env, ...env, SCHEMA_REGISTRY_USERNAME: '', SCHEMA_REGISTRY_PASSWORD: '' });
  expect(config.kafka.sasl?.password).toBe(secrets.kafkaPassword);
  expect(config.registry.password).toBe(secrets.registryPassword);
}, 60_000);

afterAll(async () => {
  await killProcessors();
  await registryProxy.close();
  await clickhouseProxy.close();
  await new Promise((resolve) => webhook.close(resolve));
  await dropTestResources(ctx);
  rmSync(dir, { recursive: true, force: true });
});

describe('a demo-sized job on secured Kafka, registry and ClickHouse', () => {
  test('gives exactly the expected rows, dead letters and alerts', async () => {
    const config = await runCli(ctx, ['config'], env);
    expect(config.code).toBe(0);
    capture('config stdout', config.stdout);
    capture('config stderr', config.stderr);

    const simulate = await runCli(
      ctx,
      ['simulate', '--employees', '200', '--days', '14', '--seed', String(seed), '--malformed', '0.001', '--too-late', '0.01', '--out', out],
      env,
    );
    capture('simulate stdout', simulate.stdout);
    capture('simulate stderr', simulate.stderr);
    expect(simulate.code).toBe(0);
    process.stdout.write(`secured job: ${/\d+ records in [^:]*/.exec(simulate.stderr)?.[0] ?? 'no record count'} through SASL_SSL\n`);
    for (const file of readdirSync(out)) capture(`simulation file ${file}`, readFileSync(join(out, file)));

    // The processors, with JSON logs and metrics; /metrics, /readyz and /healthz are read while they run. A port free a
    // moment ago can be taken before the processor listens (an outgoing connection's): then it stops at once, naming
    // KPI_METRICS_PORT, and starts again on another.
    const served = new Map<string, string>();
    let code: number | NodeJS.Signals = 1;
    for (let start = 1; start <= 3; start += 1) {
      const metricsPort = await freePort();
      const processor = startProcessor(ctx, 'secured', ['--exit-when-idle', '3s'], { ...env, LOG_FORMAT: 'json', KPI_METRICS_PORT: String(metricsPort) });
      while (processor.exitCode === null) {
        for (const path of ['/metrics', '/readyz', '/healthz']) {
          const body = await fetch(`http://127.0.0.1:${metricsPort}${path}`).then(
            (r) => r.text(),
            () => '',
          );
          if (body !== '') served.set(path, body);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      code = await exited(processor);
      if (!(code === 78 && /KPI_METRICS_PORT: cannot listen on [^ ]+ \(EADDRINUSE\)/.test(logOf(ctx, 'secured')))) break;
    }
    expect(code).toBe(0);
    capture('run output (json logs)', logOf(ctx, 'secured'));
    expect(served.get('/metrics')).toContain('kpi_records_total{');
    expect(served.get('/readyz')).toContain('[+] clickhouse: ');
    for (const [path, body] of served) capture(`served ${path}`, body);

    // Live alerting: the processors published their windows (KPI_ALERT_RULES is set), detection publishes its flags.
    const alerting = startProcessor(ctx, 'secured-alerting', ['run'], { ...env, LOG_FORMAT: 'json' }, { command: 'alerts' });
    const detect = await runCli(ctx, ['detect'], env);
    capture('detect stdout', detect.stdout);
    capture('detect stderr', detect.stderr);
    expect(detect.code).toBe(0);
    await until('alerts reached the webhook', () => webhookBodies.length > 0, 60_000);
    alerting.kill('SIGTERM');
    expect(await exited(alerting)).toBe(0);
    capture('alerts run output (json logs)', logOf(ctx, 'secured-alerting'));

    // A command that fails on a wrong secret says so without either secret.
    const refused = await runCli(ctx, ['run'], { ...env, SCHEMA_REGISTRY_PASSWORD_FILE: '', SCHEMA_REGISTRY_PASSWORD: `${secrets.registryPassword}-old` });
    expect(refused.code).toBe(78);
    capture('refused run output', refused.stdout + refused.stderr);

    await expectExactlyTheSimulatedRows(ctx, out);
    // The secrets were really used: every gateway saw its credentials, the webhook its token.
    expect(registryProxy.accepted).toBeGreaterThan(0);
    expect(clickhouseProxy.accepted).toBeGreaterThan(0);
    expect(webhookBodies.length).toBeGreaterThan(0);
    for (const body of webhookBodies) capture('webhook request (without its URL)', body.slice(body.indexOf('\n')));
  }, 300_000);

  test('leaves no secret in any byte it wrote', async () => {
    // Dead letters and alerts, every byte: keys, values and headers of the topics, every column of the table.
    const kafka = createKafka(ctx.config, 'secured-job-scan', ctx.log);
    for (const topic of [deadLetterTopic(ctx.config), alertsTopic(ctx.config), alertInputsTopic(ctx.config)]) {
      const admin = kafka.admin();
      await admin.connect();
      const total = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
      await admin.disconnect();
      expect(total).toBeGreaterThan(0);
      const consumer = kafka.consumer({ groupId: `${ctx.config.groupId}.scan.${topic}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const bytes: Buffer[] = [];
      let remaining = total;
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            bytes.push(message.key ?? Buffer.alloc(0), message.value ?? Buffer.alloc(0));
            for (const [name, value] of Object.entries(message.headers ?? {})) bytes.push(Buffer.from(name), Buffer.from(String(value)));
            remaining -= 1;
            if (remaining === 0) resolve();
          },
        });
      });
      await consumer.disconnect();
      capture(`topic ${topic}`, Buffer.concat(bytes));
    }
    const client = createClickHouseClient(ctx.config);
    try {
      for (const table of ['dead_letters', 'alert_deliveries', 'anomalies']) {
        const text = await (await client.query({ query: `SELECT * FROM ${table}`, format: 'JSONEachRow' })).text();
        capture(`table ${table}`, text);
      }
    } finally {
      await client.close();
    }
    expect(artifacts.get('table dead_letters')!.length).toBeGreaterThan(0);
    const serviceLog = serviceLayout(ctx.config, 'clickhouse').logFile;
    if (existsSync(serviceLog)) capture('embedded ClickHouse log', readFileSync(serviceLog));

    // The scan finds a secret where there is one.
    expect(leaks(new Map([['control', readFileSync(join(dir, 'registry-password'))]]))).toEqual(['registryPassword in control']);
    expect(artifacts.size).toBeGreaterThan(15);
    const bytes = [...artifacts.values()].reduce((n, b) => n + b.length, 0);
    process.stdout.write(`secret scan: ${artifacts.size} artifacts, ${bytes} bytes, ${leakForms().length} forms of ${Object.keys(secrets).length} secrets\n`);
    expect(leaks(artifacts)).toEqual([]);
  }, 120_000);
});
