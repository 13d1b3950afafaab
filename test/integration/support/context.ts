import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../core/config.js';
import { createLogger, type Logger } from '../../../core/logger.js';
import { projectRoot } from '../../../core/paths.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { biDatabase } from '../../../sinks/clickhouse/queries/biViews.js';
import { createKafka } from '../../../topics/kafka.js';

/** The tests' retention: the longest, so rows of fixed past dates stay (retention.yaml says why). */
const TEST_RETENTION_FILE = join(projectRoot(), 'test', 'integration', 'support', 'retention.yaml');

/** A test's own corner of the shared services: unique topic prefix, database and consumer group. */
export interface TestContext {
  readonly id: string;
  /** The environment the config was loaded from; child processes get it too. */
  readonly env: NodeJS.ProcessEnv;
  readonly config: Config;
  readonly log: Logger;
}

export function testContext(name: string, overrides: Record<string, string> = {}): TestContext {
  const id = `${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  const base = {
    ...process.env,
    KPI_TOPIC_PREFIX: `it.${id}.`,
    CLICKHOUSE_DATABASE: `it_${id}`,
    KPI_GROUP_ID: `it.${id}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    KPI_RETENTION_FILE: process.env.KPI_RETENTION_FILE ?? TEST_RETENTION_FILE,
    ...overrides,
  };
  // The embedded ClickHouse's generated password, named as a user names it: so child processes and
  // clients pointed at a proxy in front of the engine (CLICKHOUSE_URL) get in too.
  const passwordFile = loadConfig(base).clickhouse.passwordFile;
  const env = passwordFile === undefined ? base : { ...base, CLICKHOUSE_PASSWORD_FILE: passwordFile };
  const config = loadConfig(env);
  return { id, env, config, log: createLogger(config.logLevel, 'text').child({ test: id }) };
}

/** Deletes the test's topics, database and its BI database (kept when KPI_TEST_KEEP_DATA=1, to look at after a failure). */
export async function dropTestResources({ config, log }: TestContext): Promise<void> {
  if (process.env.KPI_TEST_KEEP_DATA === '1') {
    log.warn({ database: config.clickhouseDatabase, topics: `${config.topicPrefix}*` }, 'KPI_TEST_KEEP_DATA=1: keeping the test data');
    return;
  }
  const admin = createKafka(config, 'kpi-stream-test-cleanup', log).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(config.topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
  const clickhouse = createClickHouseClient(config, { withDatabase: false });
  try {
    const onCluster = config.clickhouseCluster ? ` ON CLUSTER ${config.clickhouseCluster} SYNC` : '';
    // The BI database's views read the database: gone first.
    for (const database of [biDatabase(config.clickhouseDatabase), config.clickhouseDatabase]) {
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}${onCluster}` });
    }
  } finally {
    await clickhouse.close();
  }
}

/** A test's random seed: KPI_TEST_SEED when set (to repeat a run), else a fresh one; printed either way. */
export function testSeed(test: string): number {
  const seed = process.env.KPI_TEST_SEED ? Number(process.env.KPI_TEST_SEED) : Math.floor(Math.random() * 1_000_000);
  process.stdout.write(`${test} seed ${seed} (KPI_TEST_SEED=${seed} repeats it)\n`);
  return seed;
}
