import type { Config } from '../../../core/config.js';

/**
 * The same services as containers, for machines with a Docker engine. Images
 * and environment match docker-compose.yml. Host ports are the configured ones.
 */
type Started = { stop(): Promise<unknown> };
const running: Started[] = [];

export async function dockerAvailable(): Promise<boolean> {
  if (process.env.KPI_TEST_CONTAINERS === '0') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Starts the services not given by environment variables; returns the variables that point at them. */
export async function startContainers(config: Config): Promise<Record<string, string>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const env: Record<string, string> = {};
  if (!config.kafka.external) {
    const kafka = await new GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: 9092, host: config.kafkaPort })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${config.kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    running.push(kafka);
    env.KAFKA_BROKERS = `127.0.0.1:${config.kafkaPort}`;
  }
  if (!config.registry.external) {
    const registry = await new GenericContainer('apicurio/apicurio-registry:3.3.3')
      .withExposedPorts({ container: 8080, host: config.registryPort })
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start();
    running.push(registry);
    env.SCHEMA_REGISTRY_URL = `http://127.0.0.1:${config.registryPort}/apis/ccompat/v7`;
  }
  if (!config.clickhouse.external) {
    const clickhouse = await new GenericContainer('clickhouse/clickhouse-server:25.8')
      .withExposedPorts({ container: 8123, host: config.clickhousePort })
      .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
      .withWaitStrategy(Wait.forHttp('/ping', 8123))
      .start();
    running.push(clickhouse);
    env.CLICKHOUSE_URL = `http://127.0.0.1:${config.clickhousePort}`;
  }
  return env;
}

export async function stopContainers(): Promise<void> {
  await Promise.all(running.splice(0).map((c) => c.stop()));
}
