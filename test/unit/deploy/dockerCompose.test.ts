import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeSettings, loadConfig } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';

/**
 * docker-compose.yml cannot run on a machine without Docker; this keeps it
 * consistent with the local services and the configuration instead.
 */
interface ComposeService {
  image?: string;
  build?: string;
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}

const root = projectRoot();
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const { kafka, registry, clickhouse, 'kpi-stream': app, 'kpi-stream-analytics': analytics } = compose.services;
const defaults = loadConfig({});
const pomProperty = (pom: string, name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(readFileSync(join(root, pom), 'utf8'))?.[1];
const hostPort = (service: ComposeService | undefined) => service?.ports?.map((p) => Number(p.split(':')[0]));
const containerPort = (service: ComposeService | undefined) => Number(service?.ports?.[0]?.split(':')[1]);

test('it has the three services and kpi-stream, which waits for them to be healthy', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['clickhouse', 'kafka', 'kpi-stream', 'kpi-stream-analytics', 'registry']);
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

test('kpi-stream only sets variables kpi-stream knows, with values it accepts', () => {
  const known = new Set(describeSettings().map((s) => s.env));
  for (const service of [app, analytics]) {
    const env = service?.environment ?? {};
    for (const key of Object.keys(env)) expect(known).toContain(key);
    expect(() => loadConfig(env)).not.toThrow();
  }
  // Both reach the same servers and database.
  for (const key of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'CLICKHOUSE_URL', 'CLICKHOUSE_DATABASE', 'KPI_TIME_ZONE']) {
    expect(analytics?.environment?.[key]).toBe(app?.environment?.[key]);
  }
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
