/**
 * Makes sure the integration tests have a real Kafka, schema registry and
 * ClickHouse, in this order of preference:
 *  1. the servers named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL;
 *  2. containers, when a Docker engine is reachable (testcontainers);
 *  3. the local services of `kpi-stream services up` (Maven Central jars, chDB).
 * A service that cannot start fails the whole run with its reason.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { createLogger } from '../../../core/logger.js';
import { servicesUp } from '../../../services/index.js';
import { dockerAvailable, startContainers } from './containers.js';

export default async function globalSetup(): Promise<void> {
  // The local broker gets its SASL_SSL listener too, so the secured-cluster tests run in every run (CI included).
  process.env.KPI_KAFKA_SECURE_PORT ??= String(Number(process.env.KPI_KAFKA_PORT ?? 9092) + 2);
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'info', 'text').child({ component: 'test-services' });
  const allExternal = config.kafka.external && config.registry.external && config.clickhouse.external;

  let started: string[] = [];
  if (!allExternal && (await dockerAvailable())) {
    log.info('a Docker engine is reachable: starting service containers');
    const endpoints = await startContainers(config);
    Object.assign(process.env, endpoints);
  } else {
    try {
      const reports = await servicesUp(config, log);
      started = reports.filter((r) => r.outcome === 'started').map((r) => r.name);
    } catch (error) {
      throw new Error(`integration tests need real services, and one could not start: ${(error as Error).message}`, { cause: error });
    }
  }
  // The teardown stops what this run started (unless KPI_KEEP_SERVICES=1), and leaves running what it found running.
  mkdirSync(config.servicesPath, { recursive: true });
  writeFileSync(join(config.servicesPath, 'test-run.json'), JSON.stringify({ started }));
}
