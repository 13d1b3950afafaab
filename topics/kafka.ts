import { readFileSync } from 'node:fs';
import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type ITopicConfig,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from 'kafkajs';
import type { Config } from '../core/config.js';
import { ConnectionError, TopicMismatchError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { retrying } from '../core/retry.js';
import { topicDefinitions, type TopicDefinition } from './definitions.js';
import { fixKafkaRequestQueue } from './kafkaRequestQueue.js';

/** How long a probe client waits for a connection, an authentication or an answer. */
const PROBE_TIMEOUT_MS = 5000;

/** TLS (CA, client certificate) and SASL options of every kafkajs client, from KAFKA_SSL* and KAFKA_SASL*. */
export function kafkaSecurity(config: Config): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = config.kafka;
  return {
    ...(ssl
      ? {
          ssl: {
            ...(ssl.caFile ? { ca: [readFileSync(ssl.caFile, 'utf8')] } : {}),
            ...(ssl.certFile && ssl.keyFile ? { cert: readFileSync(ssl.certFile, 'utf8'), key: readFileSync(ssl.keyFile, 'utf8') } : {}),
          },
        }
      : {}),
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions } : {}),
  };
}

/**
 * A kafkajs client whose log lines go to our pino logger. kafkajs' INFO lines
 * (joins, rebalances) become debug: kpi-stream logs what matters itself.
 * `probe` makes a client that fails at once instead of retrying, for
 * start-up checks and health checks.
 */
export function createKafka(config: Config, clientId: string, log: Logger, options: { probe?: boolean } = {}): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  fixKafkaRequestQueue();
  return new Kafka({
    clientId,
    brokers: [...config.kafka.brokers],
    ...kafkaSecurity(config),
    ...(options.probe
      ? { connectionTimeout: PROBE_TIMEOUT_MS, authenticationTimeout: PROBE_TIMEOUT_MS, requestTimeout: PROBE_TIMEOUT_MS, retry: { retries: 0 } }
      : { connectionTimeout: 5000, requestTimeout: 30_000, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 } }),
    logLevel: options.probe ? logLevel.NOTHING : logLevel.INFO,
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
 * The kafkajs producer behind the client port (topics/client/kafkajs.ts; the
 * services produce through the port, whichever library KPI_KAFKA_CLIENT
 * names). It partitions by key like the Java client (murmur2), so an
 * employee's events share a partition number on every topic.
 *
 * It is idempotent, as the Java client is by default: kafkajs sends a request
 * again whole when one of its partitions answers with stale metadata (a leader
 * moving, a topic just created), and without a producer id the broker would
 * write the other partitions' records twice. It retries a send until the
 * broker takes it (every retry is logged): a kafkajs producer that gave up
 * would reuse the sequence numbers of records the broker may have written, and
 * the broker would drop the next records as their duplicates.
 */
export function createProducer(kafka: Kafka, options: ProducerConfig = {}): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    retry: { retries: Number.MAX_SAFE_INTEGER },
    ...options,
  });
}

export interface TopicReport {
  created: string[];
  unchanged: string[];
  /** Differences that are reported but not fatal (e.g. a longer retention chosen by an operator). */
  warnings: string[];
}

/**
 * Runs a Kafka admin request, retrying for up to 30 s what kafkajs marks
 * retriable: right after topics are created a broker reports them unknown for
 * a moment ("This server does not host this topic-partition"), and a group
 * coordinator may still be loading.
 */
export function withKafkaRetries<T>(what: string, log: Logger, work: () => Promise<T>): Promise<T> {
  return retrying(() => work(), {
    what,
    log,
    retriable: (error) => (error as { retriable?: boolean }).retriable === true,
    giveUpAfterMs: 30_000,
    maxBackoffMs: 2_000,
  });
}

/** ensureTopics for every topic of the deployment, through an admin client of its own, closed after. */
export async function ensureDeploymentTopics(kafka: Kafka, config: Config, log: Logger): Promise<TopicReport> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, topicDefinitions(config), log);
  } finally {
    await admin.disconnect();
  }
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
    // kafkajs' own wait for leaders fails on the metadata error a broker answers for a moment
    // ("This server does not host this topic-partition"), so wait here, retrying that.
    await admin.createTopics({ topics: missing.map(topicConfig), waitForLeaders: false });
    await waitForTopics(
      admin,
      missing.map((d) => d.name),
      log,
    );
    for (const d of missing) {
      report.created.push(d.name);
      log.info({ topic: d.name, partitions: d.partitions }, `created topic ${d.name}`);
    }
  }

  const present = definitions.filter((d) => existing.has(d.name));
  if (present.length === 0) return report;
  const metadata = await withKafkaRetries('reading topic metadata', log, () => admin.fetchTopicMetadata({ topics: present.map((d) => d.name) }));
  const configs = await withKafkaRetries('reading topic configs', log, () =>
    admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((d) => ({ type: 2 /* TOPIC */, name: d.name, configNames: ['cleanup.policy', 'retention.ms'] })),
    }),
  );
  const problems: string[] = [];
  for (const d of present) {
    const partitions = metadata.topics.find((t) => t.name === d.name)?.partitions.length ?? 0;
    const entries = configs.resources.find((r) => r.resourceName === d.name)?.configEntries ?? [];
    const value = (name: string) => entries.find((e) => e.configName === name)?.configValue;
    if (partitions !== d.partitions) {
      problems.push(
        `topic ${d.name} has ${partitions} partitions, its definition ${d.partitions} (KPI_TOPIC_PARTITIONS); kpi-stream never repartitions a topic: recreate it or set KPI_TOPIC_PARTITIONS=${partitions}`,
      );
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

/** Waits (up to 30 s) until every partition of the topics has a leader the broker reports. */
export function waitForTopics(admin: Admin, names: readonly string[], log: Logger): Promise<void> {
  return withKafkaRetries(`waiting for topics ${names.join(', ')}`, log, async () => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [...names] });
    const leaderless = topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
    if (leaderless.length > 0) throw Object.assign(new Error(`topics without leaders yet: ${leaderless.map((t) => t.name).join(', ')}`), { retriable: true });
  });
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

/** How long the start-up check may take in all, whatever the cluster does. */
const CHECK_DEADLINE_MS = 15_000;

/**
 * Connects to the cluster as every kpi-stream client will (TLS, SASL) and asks
 * for its brokers. Fails within seconds with a ConnectionError naming the
 * settings to look at: refused credentials, a certificate that does not
 * verify, a TLS client at a plaintext listener or the other way round, or no
 * broker answering.
 */
export async function checkKafka(config: Config, log: Logger): Promise<void> {
  const admin = createKafka(config, 'kpi-stream-check', log, { probe: true }).admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_DEADLINE_MS / 1000}s`)), CHECK_DEADLINE_MS);
  });
  try {
    await Promise.race([admin.connect().then(() => admin.describeCluster()), deadline]);
  } catch (error) {
    throw kafkaConnectionFailure(config, error);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** The innermost cause of a kafkajs error (they wrap: retries exceeded → connection error → socket error). */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth += 1) {
    const next =
      (current as { cause?: unknown; originalError?: unknown } | undefined)?.cause ?? (current as { originalError?: unknown } | undefined)?.originalError;
    if (next === undefined || next === current) break;
    current = next;
  }
  return current;
}

const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO/;

/** Maps a failed connection to what the user should look at. */
export function kafkaConnectionFailure(config: Config, error: unknown): ConnectionError {
  const brokers = config.kafka.brokers.join(',');
  const tls = config.kafka.ssl !== false;
  const cause = rootCause(error);
  const texts = [error, cause].map((e) => `${(e as { name?: string })?.name ?? ''} ${(e as { code?: string })?.code ?? ''} ${messageOf(e)}`).join(' ');
  if (/SASLAuthentication|Authentication failed|SASL .* authentication failed|SaslAuthenticationFailed/i.test(texts)) {
    return new ConnectionError(
      'kafka',
      'auth',
      `the brokers at ${brokers} refused the SASL credentials (${config.kafka.sasl?.mechanism ?? 'no mechanism set'})`,
      ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'],
      { cause: error },
    );
  }
  if (/not valid given the current SASL state/i.test(texts)) {
    return new ConnectionError(
      'kafka',
      'auth',
      `the listener at ${brokers} takes no SASL: unset KAFKA_SASL_MECHANISM, or name the SASL listener's port`,
      ['KAFKA_SASL_MECHANISM', 'KAFKA_BROKERS'],
      { cause: error },
    );
  }
  if (/UNSUPPORTED_SASL_MECHANISM|Unsupported SASL mechanism|does not support the requested SASL mechanism/i.test(texts)) {
    return new ConnectionError(
      'kafka',
      'auth',
      `the brokers at ${brokers} do not offer SASL mechanism ${config.kafka.sasl?.mechanism}`,
      ['KAFKA_SASL_MECHANISM'],
      { cause: error },
    );
  }
  if (
    /alert (certificate unknown|bad certificate|unknown ca|certificate required|certificate expired|certificate revoked)|alert number (42|43|44|45|46|48|116)\b/i.test(
      texts,
    )
  ) {
    return new ConnectionError(
      'kafka',
      'tls',
      `the brokers at ${brokers} refused the client certificate (${config.kafka.ssl && config.kafka.ssl.certFile ? 'not signed by a CA they trust' : 'none was sent, and the listener requires one'})`,
      ['KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'],
      { cause: error },
    );
  }
  if (CERTIFICATE_CODES.test(texts) || /certificate/i.test(texts)) {
    return new ConnectionError(
      'kafka',
      'tls',
      `the brokers' TLS certificate at ${brokers} does not verify (${messageOf(cause)}): the CA that signed it is not trusted`,
      ['KAFKA_SSL_CA_FILE', 'KAFKA_BROKERS'],
      { cause: error },
    );
  }
  if (
    tls &&
    /ECONNRESET|socket disconnected before secure TLS|wrong version number|EPROTO|packet length too long|Closed connection|Connection closed/i.test(texts)
  ) {
    return new ConnectionError(
      'kafka',
      'tls',
      `the listener at ${brokers} does not speak TLS (KAFKA_SSL=true, but the connection closed during the TLS handshake): a plaintext or SASL_PLAINTEXT listener`,
      ['KAFKA_SSL', 'KAFKA_BROKERS'],
      { cause: error },
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i.test(texts)) {
    return new ConnectionError('kafka', 'unreachable', `no broker answers at ${brokers} (${messageOf(cause)})`, ['KAFKA_BROKERS'], { cause: error });
  }
  // A TLS listener closes on a plaintext client's first request; a broker that is down or filtered refuses or times out instead.
  if (!tls && /Closed connection|ECONNRESET|Connection closed/i.test(texts)) {
    return new ConnectionError(
      'kafka',
      'tls',
      `the listener at ${brokers} closed the connection or did not answer a plaintext client: it expects TLS (KAFKA_SSL=true)${config.kafka.sasl ? '' : ' and perhaps SASL (KAFKA_SASL_MECHANISM)'}`,
      ['KAFKA_SSL', 'KAFKA_SASL_MECHANISM', 'KAFKA_BROKERS'],
      { cause: error },
    );
  }
  const hint = tls ? '' : ' — a TLS listener (set KAFKA_SSL=true) or a SASL listener (set KAFKA_SASL_MECHANISM) leaves a plaintext client without an answer';
  return new ConnectionError(
    'kafka',
    'unreachable',
    `the brokers at ${brokers} did not complete a connection (${messageOf(error)})${hint}`,
    tls ? ['KAFKA_BROKERS', 'KAFKA_SSL'] : ['KAFKA_BROKERS', 'KAFKA_SSL', 'KAFKA_SASL_MECHANISM'],
    { cause: error },
  );
}
