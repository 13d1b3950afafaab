import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FILE_SUFFIX, describeSettings, loadConfig } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';

/**
 * docker-compose.yml cannot run on a machine without Docker; this keeps it
 * consistent with the local services and the configuration instead.
 */
interface ComposeService {
  image?: string;
  build?: string | { context: string; target: string };
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  secrets?: string[];
  volumes?: string[];
  entrypoint?: string[];
  healthcheck?: { test: string[] };
  expose?: string[];
  command?: string[];
  profiles?: string[];
  network_mode?: string;
}

const root = projectRoot();
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
};
const {
  kafka,
  registry,
  clickhouse,
  'kpi-stream': app,
  'kpi-stream-analytics': analytics,
  'kpi-stream-alerting': alerting,
  'kpi-stream-app': peopleApp,
  idp,
} = compose.services;
const defaults = loadConfig({});
const pomProperty = (pom: string, name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(readFileSync(join(root, pom), 'utf8'))?.[1];
/** "127.0.0.1:8123:8123" → host address, host port, container port. */
const published = (service: ComposeService | undefined) =>
  (service?.ports ?? []).map((p) => {
    const [address, host, container] = p.split(':');
    return { address, host: Number(host), container: Number(container) };
  });
const hostPort = (service: ComposeService | undefined) => published(service).map((p) => p.host);
const containerPort = (service: ComposeService | undefined) => published(service)[0]?.container;

test('it has the three services and kpi-stream, which waits for them to be healthy', () => {
  expect(Object.keys(compose.services).sort()).toEqual([
    'clickhouse',
    'grafana',
    'idp',
    'kafka',
    'kpi-stream',
    'kpi-stream-alerting',
    'kpi-stream-analytics',
    'kpi-stream-app',
    'registry',
  ]);
  expect(app?.build).toBe('.');
  expect(app?.depends_on).toEqual({
    kafka: { condition: 'service_healthy' },
    registry: { condition: 'service_healthy' },
    clickhouse: { condition: 'service_healthy' },
  });
});

test('the services run the versions the local services download', () => {
  expect(kafka?.image).toBe(`apache/kafka:${pomProperty('services/kafka/pom.xml', 'kafka.version')}`);
  expect(registry?.image).toBe(`apicurio/apicurio-registry:${pomProperty('services/registry/pom.xml', 'apicurio.version')}`);
  expect(clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server:/);
});

test('host ports are the local defaults', () => {
  expect(hostPort(kafka)).toEqual([defaults.kafkaPort]);
  expect(hostPort(registry)).toEqual([defaults.registryPort]);
  expect(hostPort(clickhouse)).toEqual([defaults.clickhousePort]);
});

test('kpi-stream reaches each service by its compose name and container port', () => {
  const env = app?.environment ?? {};
  const internalListener = /INTERNAL:\/\/kafka:(\d+)/.exec(kafka?.environment?.KAFKA_ADVERTISED_LISTENERS ?? '')?.[1];
  expect(env.KAFKA_BROKERS).toBe(`kafka:${internalListener}`);
  expect(env.SCHEMA_REGISTRY_URL).toBe(`http://registry:${containerPort(registry)}/apis/ccompat/v7`);
  expect(env.CLICKHOUSE_URL).toBe(`http://clickhouse:${containerPort(clickhouse)}`);
});

test('every port is published on the loopback interface only', () => {
  const all = Object.values(compose.services).flatMap(published);
  expect(all.length).toBeGreaterThan(0);
  for (const port of all) expect(port.address).toBe('127.0.0.1');
});

test('kpi-stream only sets variables kpi-stream knows, with values it accepts', () => {
  const known = new Set(describeSettings().map((s) => s.env));
  const secretFiles = mkdtempSync(join(tmpdir(), 'kpi-compose-'));
  try {
    for (const service of [app, analytics, alerting, peopleApp, idp]) {
      const env = { ...service?.environment };
      for (const key of Object.keys(env)) expect(known).toContain(key.endsWith(FILE_SUFFIX) && !known.has(key) ? key.slice(0, -FILE_SUFFIX.length) : key);
      // Secret files are mounted at /run/secrets/<name>: stand-ins here.
      for (const [key, value] of Object.entries(env)) {
        if (!value.startsWith('/run/secrets/')) continue;
        // Long enough for every secret (a pseudonym key has at least 32 characters).
        writeFileSync(join(secretFiles, value.slice('/run/secrets/'.length)), 'a stand-in for the secret, 32 characters or more\n');
        env[key] = join(secretFiles, value.slice('/run/secrets/'.length));
      }
      expect(() => loadConfig(env)).not.toThrow();
    }
  } finally {
    rmSync(secretFiles, { recursive: true, force: true });
  }
  // Both reach the same servers and database.
  for (const key of [
    'KAFKA_BROKERS',
    'SCHEMA_REGISTRY_URL',
    'CLICKHOUSE_URL',
    'CLICKHOUSE_USER',
    'CLICKHOUSE_PASSWORD_FILE',
    'CLICKHOUSE_DATABASE',
    'KPI_TIME_ZONE',
    'KPI_ALERT_RULES',
  ]) {
    expect(analytics?.environment?.[key]).toBe(app?.environment?.[key]);
    expect(alerting?.environment?.[key]).toBe(app?.environment?.[key]);
    if (key !== 'KPI_ALERT_RULES') expect(peopleApp?.environment?.[key]).toBe(app?.environment?.[key]);
  }
  // The rules the processors publish for are the ones alerting judges: a file that passes `alerts check`.
  expect(alerting?.volumes).toContain(`./deploy/alert-rules.yaml:${app?.environment?.KPI_ALERT_RULES}:ro`);
});

test('the broker behaves like the local one: no implicit topics, the same default partition count', () => {
  const env = kafka?.environment ?? {};
  expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  expect(Number(env.KAFKA_NUM_PARTITIONS)).toBe(defaults.topicPartitions);
  expect(Number(app?.environment?.KPI_TOPIC_PARTITIONS)).toBe(defaults.topicPartitions);
});

test('registry storage survives a restart, as locally', () => {
  expect(registry?.environment?.APICURIO_DATASOURCE_URL).toMatch(/^jdbc:h2:file:/);
});

test('ClickHouse has passwords, from secret files only, and a read-only user for BI tools', () => {
  expect(clickhouse?.environment?.CLICKHOUSE_SKIP_USER_SETUP).toBeUndefined();
  expect(clickhouse?.environment?.CLICKHOUSE_USER).toBe(app?.environment?.CLICKHOUSE_USER);
  // No password in the file itself: every service gets them as secrets.
  for (const service of Object.values(compose.services)) {
    for (const key of Object.keys(service.environment ?? {})) expect(key).not.toMatch(/PASSWORD$/);
  }
  expect(clickhouse?.secrets?.sort()).toEqual(['clickhouse_bi_password', 'clickhouse_password']);
  expect(clickhouse?.entrypoint?.join(' ')).toContain('/run/secrets/clickhouse_password');
  for (const service of [app, analytics, alerting]) {
    expect(service?.secrets).toContain('clickhouse_password');
    expect(service?.environment?.CLICKHOUSE_PASSWORD_FILE).toBe('/run/secrets/clickhouse_password');
  }
  // Analytics (kpi_bi) and alerting name people by pseudonym: the key is a secret file to both.
  expect(analytics?.secrets).toEqual(['clickhouse_password', 'pseudonym_key']);
  expect(analytics?.environment?.KPI_PSEUDONYM_KEY_FILE).toBe('/run/secrets/pseudonym_key');
  expect(alerting?.secrets).toEqual(['clickhouse_password', 'pseudonym_key']);
  expect(alerting?.environment?.KPI_PSEUDONYM_KEY_FILE).toBe('/run/secrets/pseudonym_key');
  for (const { file } of Object.values(compose.secrets)) expect(file).toMatch(/^\.\/deploy\/secrets\//);
  expect(readFileSync(join(root, '.gitignore'), 'utf8')).toContain('deploy/secrets/*');
  expect(readFileSync(join(root, '.dockerignore'), 'utf8')).toContain('deploy/secrets');

  const biUser = clickhouse?.volumes?.find((v) => v.includes('users.d/kpi-bi.xml'));
  expect(biUser).toMatch(/:ro$/);
  const xml = readFileSync(join(root, biUser!.split(':')[0]!), 'utf8');
  expect(xml).toContain('<password from_env="CLICKHOUSE_BI_PASSWORD"/>');
  // Its own profile: read-only, where a client may only lower max_execution_time (Grafana's data source sets it).
  expect(xml).toContain('<profile>kpi_bi</profile>');
  expect(/<profiles>\s*<kpi_bi>\s*<readonly>1<\/readonly>/.test(xml)).toBe(true);
  expect(xml).toContain(`GRANT SELECT ON ${defaults.clickhouseDatabase}.employee_window_metrics_current`);
  expect(xml).not.toContain(`ON ${defaults.clickhouseDatabase}.*`);
  expect(clickhouse?.entrypoint?.join(' ')).toContain('CLICKHOUSE_BI_PASSWORD');
});

test('kpi-stream itself is health-checked on its readiness, scrapable from the network, and the analytics wait for it', () => {
  const port = app?.environment?.KPI_METRICS_PORT;
  expect(Number(port)).toBeGreaterThan(0);
  expect(app?.environment?.KPI_METRICS_HOST).toBe('0.0.0.0');
  expect(app?.expose).toEqual([port]);
  // Not published: with --scale, replicas would clash on a host port; Prometheus scrapes over the compose network.
  expect(app?.ports).toBeUndefined();
  expect(app?.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
  expect(analytics?.depends_on).toEqual({ 'kpi-stream': { condition: 'service_healthy' } });
  expect(alerting?.depends_on).toEqual({ 'kpi-stream': { condition: 'service_healthy' } });
});

test('the Dockerfile installs exactly the lockfile, without install scripts, and runs as non-root', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const runs = dockerfile.split('\n').filter((line) => line.startsWith('RUN '));
  expect(runs[0]).toMatch(/^RUN npm ci --ignore-scripts/);
  for (const run of runs) expect(run).not.toMatch(/npm (install|i |run build)/);
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
  expect(finalStage).toMatch(/^USER node$/m);
  expect(existsSync(join(root, 'package-lock.json'))).toBe(true);
});

test('the people app runs `kpi-stream app` on its default port, after the processors, probed on /readyz like them', () => {
  expect(peopleApp?.build).toBe('.');
  expect(peopleApp?.command).toEqual(['app']);
  expect(peopleApp?.depends_on).toEqual({ 'kpi-stream': { condition: 'service_healthy' } });
  const env = peopleApp?.environment ?? {};
  expect(env.KPI_APP_HOST).toBe('0.0.0.0');
  expect(Number(env.KPI_APP_PORT)).toBe(defaults.appPort);
  expect(published(peopleApp)).toContainEqual({ address: '127.0.0.1', host: defaults.appPort, container: defaults.appPort });
  expect(env.KPI_APP_URL).toBe(`http://127.0.0.1:${defaults.appPort}`);
  expect(env.KPI_METRICS_PORT).toBe(app?.environment?.KPI_METRICS_PORT);
  expect(peopleApp?.expose).toEqual([env.KPI_METRICS_PORT]);
  expect(peopleApp?.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${env.KPI_METRICS_PORT}/readyz`);
  // The client secret is a secret file, like every password.
  expect(peopleApp?.secrets).toEqual(['clickhouse_password', 'oidc_client_secret', 'app_session_secret']);
  expect(env.KPI_OIDC_CLIENT_SECRET_FILE).toBe('/run/secrets/oidc_client_secret');
  expect(compose.secrets.oidc_client_secret?.file).toBe('./deploy/secrets/oidc_client_secret');
  expect(env.KPI_APP_SESSION_SECRET_FILE).toBe('/run/secrets/app_session_secret');
  expect(compose.secrets.app_session_secret?.file).toBe('./deploy/secrets/app_session_secret');
});

test("the demo's identity provider: only with --profile demo, built from the image's idp stage, at the address the app checks tokens against", () => {
  expect(idp?.profiles).toEqual(['demo']);
  expect(idp?.build).toEqual({ context: '.', target: 'idp' });
  // In the app's network namespace: the browser (through the app's published port) and the app reach the same issuer.
  expect(idp?.network_mode).toBe('service:kpi-stream-app');
  expect(idp?.ports).toBeUndefined();
  const env = idp?.environment ?? {};
  const issuer = new URL(peopleApp!.environment!.KPI_OIDC_ISSUER!);
  expect(env.KPI_OIDC_ISSUER).toBe(issuer.origin);
  expect(published(peopleApp)).toContainEqual({ address: '127.0.0.1', host: Number(issuer.port), container: Number(env.KPI_IDP_PORT) });
  expect(Number(env.KPI_IDP_PORT)).toBe(defaults.idpPort);
  for (const key of ['KPI_OIDC_CLIENT_ID', 'KPI_OIDC_CLIENT_SECRET_FILE', 'KPI_APP_URL']) expect(env[key]).toBe(peopleApp?.environment?.[key]);
  expect(idp?.secrets).toEqual(['oidc_client_secret']);
  // Its signing key survives a restart where the image lets it write (KPI_SERVICES_DIR of the idp stage).
  expect(idp?.volumes).toEqual(['idp-data:/var/lib/kpi-idp']);
  expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/^ENV .*KPI_SERVICES_DIR=\/var\/lib\/kpi-idp KPI_IDP_HOST=0\.0\.0\.0$/m);
});
