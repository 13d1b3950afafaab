import { Kafka, Partitioners, logLevel, type Admin, type ITopicConfig, type LogEntry, type Producer, type ProducerConfig } from 'kafkajs';
import type { Config } from '../core/config.js';
import { TopicMismatchError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { TopicDefinition } from './definitions.js';
import { fixKafkaRequestQueue } from './kafkaRequestQueue.js';

/**
 * A kafkajs client whose log lines go to our pino logger. kafkajs' INFO lines
 * (joins, rebalances) become debug: kpi-stream logs what matters itself.
 */
export function createKafka(config: Config, clientId: string, log: Logger): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  fixKafkaRequestQueue();
  return new Kafka({
    clientId,
    brokers: [...config.kafka.brokers],
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...fields } = entry;
        // "Response …" errors are protocol errors kafkajs retries by itself (coordinator moving, leader election).
        if (level === logLevel.ERROR && !message.startsWith('Response ')) kafkaLog.error(fields, message);
        else if (level === logLevel.ERROR) kafkaLog.warn(fields, message);
        else if (level === logLevel.WARN) kafkaLog.warn(fields, message);
        else if (level === logLevel.INFO) kafkaLog.debug(fields, message);
        else kafkaLog.trace(fields, message);
      },
  });
}

/**
 * A producer that partitions by key like the Java client (murmur2), so an
 * employee's events share a partition number on every topic.
 */
export function createProducer(kafka: Kafka, options: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...options });
}

export interface TopicReport {
  created: string[];
  unchanged: string[];
  /** Differences that are reported but not fatal (e.g. a longer retention chosen by an operator). */
  warnings: string[];
}

/**
 * Creates the missing topics and checks the existing ones against their
 * definitions. Existing topics are never changed: a different partition count
 * or cleanup policy throws TopicMismatchError, a different retention warns.
 */
export async function ensureTopics(admin: Admin, definitions: readonly TopicDefinition[], log: Logger): Promise<TopicReport> {
  const report: TopicReport = { created: [], unchanged: [], warnings: [] };
  const existing = new Set(await admin.listTopics());
  const missing = definitions.filter((d) => !existing.has(d.name));
  if (missing.length > 0) {
    // A concurrent creator (another processor starting) makes createTopics return false: fine, we check below.
    await admin.createTopics({ topics: missing.map(topicConfig), waitForLeaders: false });
    await leadersElected(admin, missing.map((d) => d.name));
    for (const d of missing) {
      report.created.push(d.name);
      log.info({ topic: d.name, partitions: d.partitions }, `created topic ${d.name}`);
    }
  }

  const present = definitions.filter((d) => existing.has(d.name));
  if (present.length === 0) return report;
  const metadata = await admin.fetchTopicMetadata({ topics: present.map((d) => d.name) });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((d) => ({ type: 2 /* TOPIC */, name: d.name, configNames: ['cleanup.policy', 'retention.ms'] })),
  });
  const problems: string[] = [];
  for (const d of present) {
    const partitions = metadata.topics.find((t) => t.name === d.name)?.partitions.length ?? 0;
    const entries = configs.resources.find((r) => r.resourceName === d.name)?.configEntries ?? [];
    const value = (name: string) => entries.find((e) => e.configName === name)?.configValue;
    if (partitions !== d.partitions) {
      problems.push(`topic ${d.name} has ${partitions} partitions, its definition ${d.partitions} (KPI_TOPIC_PARTITIONS); kpi-stream never repartitions a topic: recreate it or set KPI_TOPIC_PARTITIONS=${partitions}`);
    }
    if (value('cleanup.policy') !== d.cleanupPolicy) {
      problems.push(`topic ${d.name} has cleanup.policy=${value('cleanup.policy')}, its definition ${d.cleanupPolicy}`);
    }
    const retention = Number(value('retention.ms'));
    if (retention !== d.retentionMs && retention !== -1 && retention < d.retentionMs) {
      const warning = `topic ${d.name} keeps records for ${retention} ms, less than its definition ${d.retentionMs} ms: late corrections may not be rebuildable`;
      report.warnings.push(warning);
      log.warn({ topic: d.name }, warning);
    }
    report.unchanged.push(d.name);
  }
  if (problems.length > 0) throw new TopicMismatchError(problems.join('; '));
  return report;
}

/** Metadata errors of a topic that the broker has created but not yet published to its metadata cache. */
const NOT_YET_PUBLISHED = ['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE'];
const LEADER_ELECTION_TIMEOUT_MS = 30_000;

/**
 * Resolves once every partition of new topics has a leader. kafkajs'
 * `waitForLeaders` gives up on the first UNKNOWN_TOPIC_OR_PARTITION, yet a
 * KRaft broker answers that for a topic it has just created until its
 * metadata cache catches up with the controller (KAFKA-15780).
 */
async function leadersElected(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADER_ELECTION_TIMEOUT_MS;
  for (;;) {
    let unsettled: unknown = 'partitions without a leader';
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (!NOT_YET_PUBLISHED.includes((error as { type?: string }).type ?? '')) throw error;
      unsettled = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`topics ${topics.join(', ')} have no partition leaders ${LEADER_ELECTION_TIMEOUT_MS / 1000}s after they were created`, { cause: unsettled });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function topicConfig(d: TopicDefinition): ITopicConfig {
  return {
    topic: d.name,
    numPartitions: d.partitions,
    replicationFactor: -1,
    configEntries: [
      { name: 'cleanup.policy', value: d.cleanupPolicy },
      { name: 'retention.ms', value: String(d.retentionMs) },
    ],
  };
}
