import { accessSync, constants, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { formatDuration, formatTime, parseDuration, parseTime } from './time.js';
import { isLoopbackHost } from './net.js';
import { DEFAULT_RETENTION, formatPeriod, readRetention, shortestMs, type Retention } from './retention.js';
import { basicCredentials, generatedSecret, REDACTED, redactUrl } from './secrets.js';

/**
 * kpi-stream is configured by environment variables only. Every variable is
 * declared once below with its default and a one-line doc; `loadConfig` parses
 * and validates them all at start-up and returns a frozen object. A bad value
 * throws a ConfigError naming the variable. Any variable can instead be given
 * as a file holding its value, named by the same name with `_FILE` appended
 * (Docker and Kubernetes secrets).
 */
interface Setting<T> {
  readonly env: string;
  /** The default as a user would write it; undefined = not set. */
  readonly default: string | undefined;
  readonly doc: string;
  readonly parse: (raw: string, env: string) => T;
  /** How a value may be shown (`config`, errors); secrets and URLs hide what is secret in them. */
  readonly display?: (raw: string) => string;
  /** A password, key or token: masked when shown, scrubbed from everything written. */
  readonly secret?: boolean;
}

/** Suffix of the variable that names a file holding a setting's value. */
export const FILE_SUFFIX = '_FILE';

const text = (env: string, def: string | undefined, doc: string): Setting<string> => ({
  env,
  default: def,
  doc,
  parse: (raw) => raw,
});

const optionalText = (env: string, doc: string): Setting<string | undefined> => ({
  env,
  default: undefined,
  doc,
  parse: (raw) => (raw === '' ? undefined : raw),
});

const integer = (env: string, def: number, doc: string, min: number, max: number): Setting<number> => ({
  env,
  default: String(def),
  doc,
  parse: (raw, key) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(key, `expected an integer, got ${JSON.stringify(raw)}`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${value}`);
    return value;
  },
});

const port = (env: string, def: number, doc: string) => integer(env, def, doc, 1, 65535);

/** Most worker threads a processor process starts (KPI_WORKERS). */
export const MAX_WORKERS = 256;

/** A number of threads: `auto` for the cores available to the process (at most MAX_WORKERS), else an integer 1..MAX_WORKERS. */
const threadCount = (env: string, doc: string): Setting<number> => ({
  env,
  default: 'auto',
  doc,
  parse: (raw, key) => {
    const value = raw.trim().toLowerCase();
    if (value === 'auto') return Math.min(availableParallelism(), MAX_WORKERS);
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_WORKERS) {
      throw new ConfigError(key, `expected auto or an integer from 1 to ${MAX_WORKERS}, got ${JSON.stringify(raw)}`);
    }
    return Number(value);
  },
});

const duration = (env: string, def: string, doc: string, minMs = 0): Setting<number> => ({
  env,
  default: def,
  doc,
  parse: (raw, key) => {
    const ms = parseDuration(raw);
    if (ms === undefined) throw new ConfigError(key, `expected a duration such as 500ms, 10s, 10m, 1h or 35d, got ${JSON.stringify(raw)}`);
    if (ms < minMs) throw new ConfigError(key, `must be at least ${formatDuration(minMs)}, got ${raw}`);
    return ms;
  },
});

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

const byteSize = (env: string, def: string, doc: string, min: number): Setting<number> => ({
  env,
  default: def,
  doc,
  parse: (raw, key) => {
    const match = /^\s*(\d+)\s*(|b|kib|mib|gib)\s*$/i.exec(raw);
    if (!match) throw new ConfigError(key, `expected a size such as 512MiB, 1GiB or a number of bytes, got ${JSON.stringify(raw)}`);
    const value = Number(match[1]) * BYTE_UNITS[match[2]!.toLowerCase()]!;
    if (value < min || !Number.isSafeInteger(value)) throw new ConfigError(key, `must be at least ${min} bytes, got ${raw}`);
    return value;
  },
});

const oneOf = <T extends string>(env: string, def: T, doc: string, values: readonly T[]): Setting<T> => ({
  env,
  default: def,
  doc,
  parse: (raw, key) => {
    if (!values.includes(raw as T)) throw new ConfigError(key, `must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    return raw as T;
  },
});

const instant = (env: string, def: string, doc: string): Setting<number> => ({
  env,
  default: def,
  doc,
  parse: (raw, key) => {
    const ms = parseTime(raw);
    if (ms === undefined) throw new ConfigError(key, `expected a date (YYYY-MM-DD) or an ISO 8601 time with a zone, got ${JSON.stringify(raw)}`);
    return ms;
  },
});

/** A local time of day "HH:MM", as milliseconds after midnight. */
const timeOfDay = (env: string, def: string, doc: string): Setting<number> => ({
  env,
  default: def,
  doc,
  parse: (raw, key) => {
    const match = /^\s*([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(raw);
    if (!match) throw new ConfigError(key, `expected a local time of day HH:MM (00:00 to 23:59), got ${JSON.stringify(raw)}`);
    return (Number(match[1]) * 60 + Number(match[2])) * 60_000;
  },
});

const list = (env: string, doc: string): Setting<string[]> => ({
  env,
  default: '',
  doc,
  parse: (raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
});

/** A password, key or token: never shown, never logged. */
const secret = (env: string, doc: string): Setting<string | undefined> => ({
  env,
  default: undefined,
  doc,
  parse: (raw) => (raw === '' ? undefined : raw),
  display: (raw) => (raw === '' ? '' : REDACTED),
  secret: true,
});

/** A secret with a default (so its value is always a string). */
const secretText = (env: string, def: string, doc: string): Setting<string> => ({
  ...text(env, def, doc),
  display: (raw) => (raw === '' ? '' : REDACTED),
  secret: true,
});

const flag = (env: string, def: boolean, doc: string): Setting<boolean> => ({
  env,
  default: String(def),
  doc,
  parse: (raw, key) => {
    const value = raw.trim().toLowerCase();
    if (value === 'true' || value === '1' || value === 'yes') return true;
    if (value === 'false' || value === '0' || value === 'no' || value === '') return false;
    throw new ConfigError(key, `expected true or false, got ${JSON.stringify(raw)}`);
  },
});

/** A PEM file kpi-stream reads at start-up (CA, certificate, private key); the value is its path. */
const pemFile = (env: string, doc: string): Setting<string | undefined> => ({
  env,
  default: undefined,
  doc,
  parse: (raw, key) => {
    if (raw === '') return undefined;
    const path = resolve(raw);
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw new ConfigError(key, `cannot read ${path}`);
    }
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN ')) throw new ConfigError(key, `${path} is not a PEM file (no -----BEGIN line)`);
    refusePlaceholder(key, pem);
    return path;
  },
});

/**
 * An http(s) URL. `hidePath` is for URLs whose path or query is a token
 * (webhooks): only their origin is ever shown. User-info is never shown.
 */
const optionalOneOf = <T extends string>(env: string, doc: string, values: readonly T[]): Setting<T | undefined> => ({
  env,
  default: undefined,
  doc,
  parse: (raw, key) => {
    if (raw === '') return undefined;
    if (!values.includes(raw.toLowerCase() as T)) throw new ConfigError(key, `must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    return raw.toLowerCase() as T;
  },
});

const share = (env: string, def: number, doc: string, min: number, max: number): Setting<number> => ({
  env,
  default: String(def),
  doc,
  parse: (raw, key) => {
    const value = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(key, `expected a number, got ${JSON.stringify(raw)}`);
    if (value < min || value > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${value}`);
    return value;
  },
});

/** The figures a self-report states, as detection settings name them. */
export const REPORT_FIGURES = ['units', 'run_hours', 'defects', 'self_score'] as const;
export type ReportFigure = (typeof REPORT_FIGURES)[number];

/** A value per report figure: `units=1%,run_hours=1%,defects=0.5,self_score=1` (figures left out keep the default). */
const perFigure = (env: string, def: string, doc: string): Setting<Readonly<Record<ReportFigure, number>>> => {
  const parse = (raw: string, key: string, base?: Record<ReportFigure, number>) => {
    const values = { ...base } as Record<ReportFigure, number>;
    for (const item of raw
      .split(',')
      .map((i) => i.trim())
      .filter(Boolean)) {
      const match = /^([a-z_]+)=(\d+(?:\.\d+)?)(%?)$/.exec(item);
      if (!match || !(REPORT_FIGURES as readonly string[]).includes(match[1]!)) {
        throw new ConfigError(key, `expected figure=value pairs for ${REPORT_FIGURES.join(', ')} (e.g. units=1%,defects=0.5), got ${JSON.stringify(item)}`);
      }
      values[match[1] as ReportFigure] = Number(match[2]) / (match[3] ? 100 : 1);
    }
    return Object.freeze(values);
  };
  const defaults = parse(def, env);
  return { env, default: def, doc, parse: (raw, key) => parse(raw, key, defaults) };
};

const url = (env: string, doc: string, hidePath = false): Setting<string | undefined> => ({
  env,
  default: undefined,
  doc,
  parse: (raw, key) => (raw === '' ? undefined : httpUrl(raw, key)),
  display: (raw) => redactUrl(raw, { hidePath }),
});

/** An http(s) URL, without its trailing slashes. */
function httpUrl(raw: string, key: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(key, 'expected an http(s) URL such as https://host:port/path');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(key, `expected an http(s) URL, got one starting ${JSON.stringify(parsed.protocol)}`);
  }
  return raw.replace(/\/+$/, '');
}

/** The retention file (core/retention.ts), read and checked at start-up; unset, every kind at its default. */
const retentionFile = (env: string, doc: string): Setting<Retention> => ({
  env,
  default: '',
  doc,
  parse: (raw, key) => (raw.trim() === '' ? DEFAULT_RETENTION : readRetention(resolve(raw), key)),
});

const brokers = (env: string, doc: string): Setting<string[] | undefined> => ({
  env,
  default: undefined,
  doc,
  parse: (raw, key) => {
    if (raw.trim() === '') return undefined;
    const list = raw.split(',').map((b) => b.trim());
    for (const broker of list) {
      if (!/^[^\s:]+:\d{1,5}$/.test(broker)) throw new ConfigError(key, `expected host:port[,host:port…], got ${JSON.stringify(raw)}`);
    }
    return list;
  },
});

const timeZone = (env: string, def: string, doc: string): Setting<string> => ({
  env,
  default: def,
  doc,
  parse: (raw, key) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: raw });
    } catch {
      throw new ConfigError(key, `unknown IANA time zone ${JSON.stringify(raw)}`);
    }
    return raw;
  },
});

/** The settings, in the order the README documents them. */
/**
 * The local services' settings (`services up`: the demo, the tests, a
 * workstation): where their data goes, their ports, the embedded ClickHouse
 * front's limits. A deployment sets none of them: it points KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL and CLICKHOUSE_URL at its own services.
 */
const localServiceSettings = {
  servicesDir: text('KPI_SERVICES_DIR', '.svc', 'Where local services keep downloads, data, logs and pid files (git-ignored).'),
  kafkaPort: port('KPI_KAFKA_PORT', 9092, 'Port of the local Kafka broker.'),
  kafkaControllerPort: port('KPI_KAFKA_CONTROLLER_PORT', 9093, 'Port of the local Kafka KRaft controller.'),
  kafkaSecurePort: integer(
    'KPI_KAFKA_SECURE_PORT',
    0,
    'Port of a second, SASL_SSL (SCRAM-SHA-512) listener of the local broker, for testing secured clients; 0 = none.',
    0,
    65535,
  ),
  registryPort: port('KPI_REGISTRY_PORT', 8081, 'Port of the local Apicurio registry.'),
  clickhousePort: port('KPI_CLICKHOUSE_PORT', 8123, 'Port of the embedded ClickHouse HTTP interface.'),
  clickhouseMaxBody: byteSize(
    'KPI_CLICKHOUSE_MAX_BODY',
    '1GiB',
    'Embedded ClickHouse: largest request body, as sent and after decompression; larger ones are refused (HTTP 413).',
    1024,
  ),
  clickhouseMaxQueue: integer(
    'KPI_CLICKHOUSE_MAX_QUEUE',
    64,
    'Embedded ClickHouse: queries waiting to run (one runs at a time); more are refused with HTTP 503.',
    1,
    100_000,
  ),
  clickhouseMaxExecutionTime: duration(
    'KPI_CLICKHOUSE_MAX_EXECUTION_TIME',
    '10m',
    'Embedded ClickHouse: max_execution_time of every query, and the most a request may set.',
    1_000,
  ),
  clickhouseMaxMemory: byteSize(
    'KPI_CLICKHOUSE_MAX_MEMORY',
    '4GiB',
    'Embedded ClickHouse: max_memory_usage of every query, and the most a request may set.',
    1 << 20,
  ),
  registryJava: optionalText(
    'KPI_REGISTRY_JAVA',
    'Java (21+) binary for the local registry. Unset: the first Java 21+ found in JAVA_HOME, PATH or /usr/lib/jvm.',
  ),
  alertmanagerPort: port('KPI_ALERTMANAGER_PORT', 9095, 'Port of the local Alertmanager (`services up alertmanager`).'),
  idpHost: text(
    'KPI_IDP_HOST',
    '127.0.0.1',
    'Address the local identity provider listens on; 0.0.0.0 in its container (docker-compose.yml, profile demo). Its issuer stays http://127.0.0.1:<KPI_IDP_PORT>.',
  ),
  idpPort: port('KPI_IDP_PORT', 9096, 'Port of the local OpenID Connect identity provider (`services up idp`), for the demo and tests.'),
  idpUsersFile: optionalText(
    'KPI_IDP_USERS_FILE',
    "YAML file of the local identity provider's users (sub, name, password, kpi_roles, employee_id). Unset: the demo users of tools/idp/users.yaml.",
  ),
} satisfies Record<string, Setting<unknown>>;

export const settings = {
  // Services
  kafkaBrokers: brokers('KAFKA_BROKERS', 'Kafka bootstrap servers (host:port,…). Unset: the local broker that `services up` runs.'),
  kafkaSsl: flag('KAFKA_SSL', false, 'Connect to Kafka over TLS.'),
  kafkaClient: oneOf(
    'KPI_KAFKA_CLIENT',
    'platformatic',
    'The Kafka client library every service consumes and produces with (topics/client/): platformatic (@platformatic/kafka, maintained) or kafkajs. Both pass the same conformance suite; BENCHMARKS.md says why platformatic is the default.',
    ['kafkajs', 'platformatic'] as const,
  ),
  kafkaSslCaFile: pemFile('KAFKA_SSL_CA_FILE', "PEM file of the CA(s) that signed the brokers' certificates. Unset: the system's trusted CAs."),
  kafkaSslCertFile: pemFile('KAFKA_SSL_CERT_FILE', 'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE).'),
  kafkaSslKeyFile: pemFile('KAFKA_SSL_KEY_FILE', 'PEM private key of KAFKA_SSL_CERT_FILE (unencrypted).'),
  kafkaSaslMechanism: optionalOneOf('KAFKA_SASL_MECHANISM', 'SASL mechanism: plain, scram-sha-256 or scram-sha-512. Unset: no SASL.', [
    'plain',
    'scram-sha-256',
    'scram-sha-512',
  ] as const),
  kafkaSaslUsername: secret('KAFKA_SASL_USERNAME', 'SASL user name (an API key on managed clusters, so never shown).'),
  kafkaSaslPassword: secret('KAFKA_SASL_PASSWORD', 'SASL password (or API secret).'),
  schemaRegistryUrl: url(
    'SCHEMA_REGISTRY_URL',
    'Confluent-API schema registry URL; user-info in it is taken as the credentials. Unset: the local Apicurio registry at http://127.0.0.1:<KPI_REGISTRY_PORT>/apis/ccompat/v7.',
  ),
  schemaRegistryUsername: secret('SCHEMA_REGISTRY_USERNAME', 'Registry basic-auth user name (an API key on managed registries, so never shown).'),
  schemaRegistryPassword: secret('SCHEMA_REGISTRY_PASSWORD', 'Registry basic-auth password (or API secret).'),
  schemaRegistryCaFile: pemFile('SCHEMA_REGISTRY_CA_FILE', "PEM file of the CA that signed an https registry's certificate. Unset: the system's trusted CAs."),
  clickhouseUrl: url(
    'CLICKHOUSE_URL',
    'ClickHouse HTTP URL; user-info in it is taken as the credentials. Unset: the embedded engine (chDB) served by `services up` on 127.0.0.1:<KPI_CLICKHOUSE_PORT>.',
  ),
  clickhouseUser: text('CLICKHOUSE_USER', 'default', 'ClickHouse user.'),
  clickhousePassword: secretText(
    'CLICKHOUSE_PASSWORD',
    '',
    'ClickHouse password. Unset with the embedded engine (no CLICKHOUSE_URL): a random one generated on first use into <KPI_SERVICES_DIR>/clickhouse/password (mode 0600), which the engine and every kpi-stream client read.',
  ),
  clickhouseCaFile: pemFile('CLICKHOUSE_CA_FILE', "PEM file of the CA that signed an https ClickHouse's certificate. Unset: the system's trusted CAs."),
  clickhouseDatabase: text('CLICKHOUSE_DATABASE', 'kpi', 'ClickHouse database that holds kpi-stream tables and views.'),
  clickhouseCluster: optionalText(
    'KPI_CLICKHOUSE_CLUSTER',
    "ClickHouse cluster (a name in the servers' remote_servers) to run on: migrations run ON CLUSTER with Replicated*MergeTree tables under Keeper and Distributed tables under the contract's names (docs/cluster.md). Unset: one node.",
  ),
  pseudonymKey: secret(
    'KPI_PSEUDONYM_KEY',
    "Key of the employees' pseudonyms (at least 32 characters), in everything that leaves the database about a person: the BI views of <CLICKHOUSE_DATABASE>_bi, alert payloads, Alertmanager labels. Keep it secret and keep it: a new key gives everyone a new pseudonym. Required with CLICKHOUSE_URL; unset with the embedded engine, a random one generated on first use into <KPI_SERVICES_DIR>/pseudonym-key (mode 0600).",
  ),
  retention: retentionFile(
    'KPI_RETENTION_FILE',
    "YAML or JSON file of how long each kind of data stays in ClickHouse (docs/privacy.md); migrate sets each table's TTL from it. Unset: window rows 13 months, scores and flags 25 months, dead letters 90 days.",
  ),
  // Topics
  topicPrefix: text('KPI_TOPIC_PREFIX', '', 'Prefix for every topic name (isolates test runs; empty in production).'),
  topicPartitions: integer('KPI_TOPIC_PARTITIONS', 6, 'Partitions of each topic kpi-stream creates.', 1, 10_000),
  // Pipeline
  groupId: text('KPI_GROUP_ID', 'kpi-stream-processors', 'Consumer group of the processors.'),
  workers: threadCount(
    'KPI_WORKERS',
    'Worker threads of `kpi-stream run`, each a member of the consumer group with its own partitions and clients; auto: the cores available (os.availableParallelism()); 1: none, the work runs in the main thread.',
  ),
  sessionTimeout: duration(
    'KPI_SESSION_TIMEOUT',
    '30s',
    'A processor that stops heart-beating (it crashed) loses its partitions after this long; heartbeats go every tenth of it.',
    6_000,
  ),
  windowSize: duration('KPI_WINDOW_SIZE', '1d', 'Tumbling window size; must divide a day (e.g. 1h, 8h, 1d).', 60_000),
  timeZone: timeZone('KPI_TIME_ZONE', 'UTC', 'IANA time zone of the plant; windows align to its plant days.'),
  dayStart: timeOfDay('KPI_DAY_START', '00:00', 'Local time the plant day begins (06:00: a day window runs 06:00 to 06:00 and holds the whole night shift).'),
  shiftCalendar: optionalText('KPI_SHIFT_CALENDAR', 'A shift calendar file (YAML or JSON, docs/shifts.md): windows are its shifts instead of KPI_WINDOW_SIZE.'),
  plantsFile: optionalText(
    'KPI_PLANTS_FILE',
    "A plants file (YAML or JSON, docs/shifts.md \"Several plants\"): each plant's time zone, day start and shift calendar. An employee's events fall in the windows of the plant hr.assignments.v1 places them in at the event's time; elsewhere KPI_TIME_ZONE, KPI_DAY_START and KPI_SHIFT_CALENDAR. Unset: one plant.",
  ),
  allowedLateness: duration('KPI_ALLOWED_LATENESS', '10m', 'A window closes when the watermark passes its end plus this.'),
  correctionHorizon: duration(
    'KPI_CORRECTION_HORIZON',
    '35d',
    'Late events correct a closed window up to this long after its end; later ones are dead-lettered.',
  ),
  idleClose: duration('KPI_IDLE_CLOSE', '5m', 'A partition that receives nothing for this long (wall clock) closes its open windows.', 100),
  maxClockSkew: duration(
    'KPI_MAX_CLOCK_SKEW',
    '5m',
    'An event time later than the wall clock plus this is dead-lettered (KPI_ERR_INVALID_TIME); no record moves a clock further.',
  ),
  minEventTime: instant(
    'KPI_MIN_EVENT_TIME',
    '2000-01-01',
    'An event time earlier than this is dead-lettered (KPI_ERR_INVALID_TIME): catches times sent in seconds.',
  ),
  reportMaxDelay: duration(
    'KPI_REPORT_MAX_DELAY',
    '7d',
    'A self-report submitted longer than this after its period ended is dead-lettered (KPI_ERR_INVALID_PERIOD).',
  ),
  maxIdLength: integer('KPI_MAX_ID_LENGTH', 128, 'Longest id or code in any string field; longer ones are dead-lettered (KPI_ERR_ID_TOO_LONG).', 1, 1_000_000),
  maxArrayLength: integer('KPI_MAX_ARRAY_LENGTH', 1000, 'Most items in any array field; more are dead-lettered (KPI_ERR_ARRAY_TOO_LONG).', 0, 10_000_000),
  extensions: list('KPI_EXTENSIONS', 'Modules that add KPIs (paths or package names, comma-separated), each exporting KPI definitions (docs/extending.md).'),
  emitMode: oneOf('KPI_EMIT_MODE', 'final', 'final: a row when its window closes; update: also a new version on every change (live views).', [
    'final',
    'update',
  ] as const),
  flushInterval: duration(
    'KPI_FLUSH_INTERVAL',
    '1s',
    'How often, at the latest, the sink writes to ClickHouse and offsets are committed; a closed window is written at once, after any write under way.',
    10,
  ),
  sinkMaxRows: integer('KPI_SINK_MAX_ROWS', 50_000, 'Accepted records that trigger an early write; consumption waits at twice this many.', 1, 10_000_000),
  closedWindowCache: integer(
    'KPI_CLOSED_WINDOW_CACHE',
    100_000,
    'Closed employee-windows a processor keeps in memory after writing them, latest first, so corrections to them need no read from ClickHouse; 0 = none.',
    0,
    100_000_000,
  ),
  maxOpenWindows: integer(
    'KPI_MAX_OPEN_WINDOWS',
    250_000,
    'Open employee-windows a processor holds at most (about 1.2 KB each); a record that would open one more is dead-lettered (KPI_ERR_TOO_MANY_WINDOWS).',
    1,
    100_000_000,
  ),
  maxWindowEvents: integer(
    'KPI_MAX_WINDOW_EVENTS',
    2_000,
    'Events one employee-window takes at most (10 bytes of ids each); more are dead-lettered (KPI_ERR_TOO_MANY_EVENTS).',
    1,
    10_000_000,
  ),
  alertRules: optionalText(
    'KPI_ALERT_RULES',
    'YAML file of alert rules (thresholds on window metrics and scores, anomaly flags); set, the processors publish live windows for them. Unset: no alerts.',
  ),
  alertWebhookUrl: url(
    'KPI_ALERT_WEBHOOK_URL',
    'Where alert events are POSTed, signed per Standard Webhooks; https unless loopback; only its origin is ever shown. Unset: no webhook.',
    true,
  ),
  alertWebhookSecret: secret(
    'KPI_ALERT_WEBHOOK_SECRET',
    'Webhook signing secrets (whsec_ + base64), space-separated, newest first: the newest signs. Needed with KPI_ALERT_WEBHOOK_URL.',
  ),
  alertmanagerUrl: url('KPI_ALERTMANAGER_URL', 'Alertmanager to post alerts to (API v2); https unless loopback. Unset: none.'),
  alertDeliveryBatch: integer(
    'KPI_ALERT_DELIVERY_BATCH',
    100,
    'Most alert events delivered at once (one Alertmanager POST; webhook requests in parallel).',
    1,
    10_000,
  ),
  reviewWait: duration(
    'KPI_REVIEW_WAIT',
    '10s',
    'How long a decision (a review, a dispute) waits for the applier to record its outcome before it answers that it is on kpi.reviews.v1 and will be applied.',
    100,
  ),
  alertRetryMaxBackoff: duration('KPI_ALERT_RETRY_MAX_BACKOFF', '5m', 'Longest wait between delivery retries (a Retry-After is honoured up to this).', 1_000),
  appUrl: url(
    'KPI_APP_URL',
    "The people app's public address, as a browser reaches it. Unset: `kpi-stream app` at KPI_APP_HOST and KPI_APP_PORT (127.0.0.1 for 0.0.0.0). Sign-in comes back to <KPI_APP_URL>/auth/callback; alert events about a person link to the flag's review page under it (<KPI_APP_URL>/flags/<fingerprint>).",
  ),
  allowPlaintextCredentials: flag(
    'KPI_ALLOW_PLAINTEXT_CREDENTIALS',
    false,
    'Allow passwords in clear text to a host that is not this machine (ClickHouse or the registry over http with credentials, Kafka SASL PLAIN without TLS), on a network you trust.',
  ),
  analyticsInterval: duration(
    'KPI_ANALYTICS_INTERVAL',
    '1m',
    'How often `kpi-stream analytics` scores and checks the windows written since its last cycle.',
    1_000,
  ),
  // Detection
  detectFalseAlarmRate: share(
    'KPI_DETECT_FALSE_ALARM_RATE',
    0.0001,
    "Chance, per report and figure, that an honest person's evidence reaches the sequential test's threshold (it sets the threshold).",
    1e-9,
    0.1,
  ),
  detectSpreadFloor: perFigure(
    'KPI_DETECT_SPREAD_FLOOR',
    'units=1%,run_hours=1%,defects=0.5,self_score=1',
    'Narrowest honest error spread (robust sd) a station or person is judged against: share of units and run hours, defective units, score points.',
  ),
  detectSpreadCeiling: perFigure(
    'KPI_DETECT_SPREAD_CEILING',
    'units=25%,run_hours=25%,defects=10,self_score=15',
    'Widest honest error spread a station or person is judged against, in the same units.',
  ),
  metricsPort: integer(
    'KPI_METRICS_PORT',
    0,
    'Port of the HTTP server of the processors and of alerting: Prometheus /metrics, /healthz, /readyz; 0 turns it off (the container image sets 9464).',
    0,
    65535,
  ),
  metricsHost: text(
    'KPI_METRICS_HOST',
    '127.0.0.1',
    'Address the metrics and health server listens on; 0.0.0.0 (as in the container image) lets Prometheus and probes reach it from elsewhere.',
  ),
  appHost: text('KPI_APP_HOST', '127.0.0.1', 'Address `kpi-stream app` listens on; 0.0.0.0 (as in the container image) serves other machines.'),
  appPort: integer('KPI_APP_PORT', 8090, 'Port of `kpi-stream app`, the web app and its JSON API (0: a free port, for tests).', 0, 65535),
  oidcIssuer: url(
    'KPI_OIDC_ISSUER',
    "The plant's OpenID Connect identity provider (its issuer URL, as in its discovery document): the app accepts bearer tokens it signed. Unset: the local identity provider of `services up idp` at http://127.0.0.1:<KPI_IDP_PORT>.",
  ),
  oidcClientId: text('KPI_OIDC_CLIENT_ID', 'kpi-stream', "The app's client id at the identity provider; access tokens must name it as their audience."),
  oidcClientSecret: secret(
    'KPI_OIDC_CLIENT_SECRET',
    "The app's client secret at the identity provider. Unset with the local identity provider: a random one generated on first use into <KPI_SERVICES_DIR>/idp/client-secret (mode 0600).",
  ),
  appSessionSecret: secret(
    'KPI_APP_SESSION_SECRET',
    "The key of the app's sign-in sessions (encrypted cookies; at least 32 characters; the same on every instance, so any of them serves a signed-in person). Required with KPI_OIDC_ISSUER. Unset with the local identity provider: a random one generated on first use into <KPI_SERVICES_DIR>/app/session-secret (mode 0600).",
  ),
  stallTimeout: duration(
    'KPI_STALL_TIMEOUT',
    '2m',
    '/readyz fails once no flush (ClickHouse insert, offset commit) has finished for this long, or records wait and no batch has finished.',
    1000,
  ),
  logLevel: oneOf('LOG_LEVEL', 'info', 'Least severe level logged: fatal, error, warn, info, debug, trace or silent.', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const),
  logFormat: oneOf('LOG_FORMAT', 'text', 'text: readable lines on stderr; json: pino JSON lines on stdout (for log shippers).', ['text', 'json'] as const),
  // Local services (development only)
  ...localServiceSettings,
} satisfies Record<string, Setting<unknown>>;

const LOCAL_SERVICE_VARIABLES: ReadonlySet<string> = new Set(Object.values(localServiceSettings).map((s: Setting<unknown>) => s.env));

type Settings = typeof settings;
type ValueOf<S> = S extends Setting<infer T> ? T : never;
export type RawConfig = { readonly [K in keyof Settings]: ValueOf<Settings[K]> };

export type SaslMechanism = NonNullable<RawConfig['kafkaSaslMechanism']>;

/** The validated configuration, with derived endpoints and credentials. */
export interface Config extends RawConfig {
  /** KPI_APP_URL, or where `kpi-stream app` listens (KPI_APP_HOST, KPI_APP_PORT) as a browser on this machine reaches it. */
  readonly appUrl: string;
  /** Absolute path of servicesDir. */
  readonly servicesPath: string;
  /** KPI_ALERT_WEBHOOK_SECRET's secrets, newest first. */
  readonly alertWebhookSecrets: readonly string[];
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly external: boolean;
    /** TLS, with the PEM files' paths (read when a client is made). */
    readonly ssl: false | { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
    readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  };
  /** `url` never holds credentials: user-info in SCHEMA_REGISTRY_URL moves to `username`/`password`. */
  readonly registry: { readonly url: string; readonly external: boolean; readonly username?: string; readonly password?: string; readonly caFile?: string };
  /**
   * `url` never holds credentials: user-info in CLICKHOUSE_URL moves to `username`/`password`.
   * `passwordFile`: where the embedded engine's generated password is kept, when that is the password.
   */
  /** The identity provider whose tokens `kpi-stream app` accepts: KPI_OIDC_ISSUER, or the local one (`services up idp`). */
  readonly oidc: {
    readonly issuer: string;
    /** Whether it is the local identity provider (no KPI_OIDC_ISSUER). */
    readonly local: boolean;
    readonly clientId: string;
    /** KPI_OIDC_CLIENT_SECRET, or the local identity provider's generated one (read or made on first use). */
    readonly clientSecret: string;
    /** KPI_APP_SESSION_SECRET, or with the local identity provider a generated one (read or made on first use): the app's session key. */
    readonly sessionSecret: string;
  };
  readonly clickhouse: {
    readonly url: string;
    readonly external: boolean;
    readonly username: string;
    readonly password: string;
    readonly passwordFile?: string;
    readonly caFile?: string;
  };
}

const MS_PER_DAY = 86_400_000;

/**
 * The raw value of a setting: the variable itself, or the contents of the file
 * named by its `_FILE` variant (trailing newlines dropped), or the default.
 */
function rawValue(env: NodeJS.ProcessEnv, setting: Setting<unknown>): string | undefined {
  const direct = env[setting.env];
  const file = env[setting.env + FILE_SUFFIX];
  if (file === undefined || file === '') return direct ?? setting.default;
  if (direct !== undefined && direct !== '') throw new ConfigError(setting.env, `set both ${setting.env} and ${setting.env}${FILE_SUFFIX}; set one`);
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n+$/, '');
  } catch (error) {
    throw new ConfigError(setting.env + FILE_SUFFIX, `cannot read ${resolve(file)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** Splits user-info off a URL: credentials given in the URL are used like the explicit settings, and the URL kept is clean. */
function credentialsInUrl(
  raw: string,
  key: string,
  explicit: { key: string; value: string | undefined },
): { url: string; username?: string; password?: string } {
  const parsed = new URL(raw);
  if (parsed.username === '' && parsed.password === '') return { url: raw };
  if (explicit.value !== undefined) throw new ConfigError(key, `holds credentials and ${explicit.key} is set too; give them one way`);
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/+$/, ''), username, password };
}

/** Values of the templates' placeholders (deploy/kubernetes/secret.template.yaml): a real value never looks like them. */
const PLACEHOLDER = /REPLACE[_ -]?(ME|WITH)|CHANGE[_ -]?ME/i;

/** A value left as a template's placeholder stops start-up: it would be used as it is (a webhook signed with a key everyone knows). */
function refusePlaceholder(key: string, value: string): void {
  if (PLACEHOLDER.test(value)) throw new ConfigError(key, 'is still the placeholder of a template (REPLACE_ME…): fill in the real value');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const value = rawValue(env, setting);
    if (value !== undefined) refusePlaceholder(setting.env, value);
    raw[name] = value === undefined ? undefined : setting.parse(value, setting.env);
  }
  const base = raw as RawConfig;

  if (base.shiftCalendar !== undefined && base.windowSize !== MS_PER_DAY) {
    throw new ConfigError('KPI_WINDOW_SIZE', 'windows follow KPI_SHIFT_CALENDAR: leave KPI_WINDOW_SIZE at 1d');
  }
  if (MS_PER_DAY % base.windowSize !== 0) {
    throw new ConfigError('KPI_WINDOW_SIZE', `must divide a day evenly (e.g. 15m, 1h, 8h, 1d), got ${formatDuration(base.windowSize)}`);
  }
  if (base.stallTimeout <= base.flushInterval) {
    throw new ConfigError('KPI_STALL_TIMEOUT', `must be longer than KPI_FLUSH_INTERVAL (${formatDuration(base.flushInterval)}): a flush is due every interval`);
  }
  if (base.metricsHost.trim() === '') throw new ConfigError('KPI_METRICS_HOST', 'must name an address, e.g. 127.0.0.1 or 0.0.0.0');
  if (base.correctionHorizon < base.allowedLateness) {
    throw new ConfigError('KPI_CORRECTION_HORIZON', 'must not be shorter than KPI_ALLOWED_LATENESS');
  }
  // A late event corrects its window's row up to the horizon after the window ends (a window is at most a day): the row must still be there.
  if (shortestMs(base.retention.window_rows) <= base.correctionHorizon + MS_PER_DAY) {
    throw new ConfigError(
      'KPI_RETENTION_FILE',
      `window_rows (${formatPeriod(base.retention.window_rows)}) must be longer than KPI_CORRECTION_HORIZON (${formatDuration(base.correctionHorizon)}) plus a day: a late correction must find its window's row`,
    );
  }
  const ports: [string, number][] = [
    ['KPI_KAFKA_PORT', base.kafkaPort],
    ['KPI_KAFKA_CONTROLLER_PORT', base.kafkaControllerPort],
    ['KPI_REGISTRY_PORT', base.registryPort],
    ['KPI_CLICKHOUSE_PORT', base.clickhousePort],
    ['KPI_ALERTMANAGER_PORT', base.alertmanagerPort],
    ['KPI_IDP_PORT', base.idpPort],
    ...(base.kafkaSecurePort > 0 ? [['KPI_KAFKA_SECURE_PORT', base.kafkaSecurePort] as [string, number]] : []),
  ];
  for (const [i, [key, value]] of ports.entries()) {
    const clash = ports.slice(0, i).find(([, other]) => other === value);
    if (clash) throw new ConfigError(key, `port ${value} is already used by ${clash[0]}`);
  }
  for (const figure of REPORT_FIGURES) {
    if (base.detectSpreadFloor[figure] > base.detectSpreadCeiling[figure]) {
      throw new ConfigError(
        'KPI_DETECT_SPREAD_FLOOR',
        `${figure} must not exceed KPI_DETECT_SPREAD_CEILING's (${base.detectSpreadFloor[figure]} > ${base.detectSpreadCeiling[figure]})`,
      );
    }
    if (base.detectSpreadFloor[figure] <= 0) throw new ConfigError('KPI_DETECT_SPREAD_FLOOR', `${figure} must be above 0`);
  }
  if (base.pseudonymKey !== undefined && base.pseudonymKey.length < MIN_PSEUDONYM_KEY_LENGTH) {
    throw new ConfigError(
      'KPI_PSEUDONYM_KEY',
      `must be at least ${MIN_PSEUDONYM_KEY_LENGTH} characters (a random one: openssl rand -base64 32), got ${base.pseudonymKey.length}`,
    );
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(base.clickhouseDatabase)) {
    throw new ConfigError('CLICKHOUSE_DATABASE', `must be a plain identifier, got ${JSON.stringify(base.clickhouseDatabase)}`);
  }
  if (base.clickhouseCluster !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(base.clickhouseCluster)) {
      throw new ConfigError(
        'KPI_CLICKHOUSE_CLUSTER',
        `must be a plain identifier (a cluster of remote_servers), got ${JSON.stringify(base.clickhouseCluster)}`,
      );
    }
    if (base.clickhouseUrl === undefined) {
      throw new ConfigError(
        'KPI_CLICKHOUSE_CLUSTER',
        'the embedded engine is one node: set CLICKHOUSE_URL to a server of the cluster, or leave KPI_CLICKHOUSE_CLUSTER unset',
      );
    }
  }
  if (base.minEventTime > Date.now()) {
    throw new ConfigError('KPI_MIN_EVENT_TIME', `must not be in the future, got ${formatTime(base.minEventTime)}`);
  }
  if (!/^[A-Za-z0-9._-]*$/.test(base.topicPrefix)) {
    throw new ConfigError('KPI_TOPIC_PREFIX', `may hold only letters, digits, '.', '_' and '-', got ${JSON.stringify(base.topicPrefix)}`);
  }

  const alertWebhookSecrets = alertSecrets(base);
  const kafka = kafkaSecurity(base);
  const registry = credentialsInUrl(base.schemaRegistryUrl ?? `http://127.0.0.1:${base.registryPort}/apis/ccompat/v7`, 'SCHEMA_REGISTRY_URL', {
    key: 'SCHEMA_REGISTRY_USERNAME',
    value: base.schemaRegistryUsername,
  });
  const registryUsername = registry.username ?? base.schemaRegistryUsername;
  const registryPassword = registry.password ?? base.schemaRegistryPassword;
  if ((registryUsername === undefined) !== (registryPassword === undefined)) {
    throw new ConfigError(
      registryUsername === undefined ? 'SCHEMA_REGISTRY_USERNAME' : 'SCHEMA_REGISTRY_PASSWORD',
      'registry basic auth needs both SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD',
    );
  }
  requireHttps('SCHEMA_REGISTRY_CA_FILE', base.schemaRegistryCaFile, 'SCHEMA_REGISTRY_URL', registry.url);
  const clickhouse = credentialsInUrl(base.clickhouseUrl ?? `http://127.0.0.1:${base.clickhousePort}`, 'CLICKHOUSE_URL', {
    key: 'CLICKHOUSE_PASSWORD',
    value: base.clickhousePassword === '' ? undefined : base.clickhousePassword,
  });
  requireHttps('CLICKHOUSE_CA_FILE', base.clickhouseCaFile, 'CLICKHOUSE_URL', clickhouse.url);
  if (!base.allowPlaintextCredentials) {
    refusePlaintext('SCHEMA_REGISTRY_URL', registry.url, registryPassword !== undefined);
    refusePlaintext('CLICKHOUSE_URL', clickhouse.url, (clickhouse.password ?? base.clickhousePassword) !== '');
    if (kafka.sasl?.mechanism === 'plain' && kafka.ssl === false) {
      const remote = (base.kafkaBrokers ?? []).find((broker) => !isLoopbackHost(broker.slice(0, broker.lastIndexOf(':'))));
      if (remote !== undefined) {
        throw new ConfigError(
          'KAFKA_SASL_MECHANISM',
          `plain without KAFKA_SSL=true sends the SASL password in clear text to ${remote}: set KAFKA_SSL=true, use scram-sha-512, or set KPI_ALLOW_PLAINTEXT_CREDENTIALS=true on a network you trust`,
        );
      }
    }
  }
  const servicesPath = resolve(base.servicesDir);
  const clickhousePassword = clickhouse.password ?? (base.clickhousePassword === '' ? undefined : base.clickhousePassword);
  // The embedded engine never runs without a password: without one given, the one generated on first use.
  const clickhousePasswordFile = base.clickhouseUrl === undefined && clickhousePassword === undefined ? localClickHousePasswordFile(servicesPath) : undefined;

  return Object.freeze({
    ...base,
    // The URL settings keep no credentials either: whatever reads the config sees clean URLs.
    schemaRegistryUrl: base.schemaRegistryUrl === undefined ? undefined : registry.url,
    clickhouseUrl: base.clickhouseUrl === undefined ? undefined : clickhouse.url,
    servicesPath,
    appUrl: base.appUrl ?? listeningUrl(base.appHost, base.appPort),
    alertWebhookSecrets: Object.freeze(alertWebhookSecrets),
    kafka: Object.freeze({
      brokers: Object.freeze(base.kafkaBrokers ?? [`127.0.0.1:${base.kafkaPort}`]),
      external: base.kafkaBrokers !== undefined,
      ...kafka,
    }),
    registry: Object.freeze({
      url: registry.url,
      external: base.schemaRegistryUrl !== undefined,
      ...(registryUsername !== undefined && registryPassword !== undefined ? { username: registryUsername, password: registryPassword } : {}),
      ...(base.schemaRegistryCaFile ? { caFile: base.schemaRegistryCaFile } : {}),
    }),
    oidc: Object.freeze({
      issuer: (base.oidcIssuer ?? `http://127.0.0.1:${base.idpPort}`).replace(/\/+$/, ''),
      local: base.oidcIssuer === undefined,
      clientId: base.oidcClientId,
      get clientSecret(): string {
        if (base.oidcClientSecret !== undefined) return base.oidcClientSecret;
        if (base.oidcIssuer !== undefined)
          throw new ConfigError('KPI_OIDC_CLIENT_SECRET', 'is required with KPI_OIDC_ISSUER: the secret the identity provider gave the app');
        return generatedSecret(localIdpClientSecretFile(servicesPath));
      },
      get sessionSecret(): string {
        if (base.appSessionSecret !== undefined) {
          if (base.appSessionSecret.length < 32) throw new ConfigError('KPI_APP_SESSION_SECRET', 'must be at least 32 characters');
          return base.appSessionSecret;
        }
        if (base.oidcIssuer !== undefined) throw new ConfigError('KPI_APP_SESSION_SECRET', "is required with KPI_OIDC_ISSUER: the key of the app's sessions");
        return generatedSecret(join(servicesPath, 'app', 'session-secret'));
      },
    }),
    clickhouse: Object.freeze({
      url: clickhouse.url,
      external: base.clickhouseUrl !== undefined,
      username: clickhouse.username || base.clickhouseUser,
      // Read, or made on first use, only when something needs it: loading a configuration writes no file.
      get password(): string {
        return clickhousePasswordFile === undefined ? (clickhousePassword ?? '') : readGeneratedPassword(clickhousePasswordFile);
      },
      ...(clickhousePasswordFile === undefined ? {} : { passwordFile: clickhousePasswordFile }),
      ...(base.clickhouseCaFile ? { caFile: base.clickhouseCaFile } : {}),
    }),
  });
}

/**
 * The app's sign-in route (under KPI_APP_URL): the identity provider sends the
 * browser back there with the code. Here, beside the app's address, so the app
 * (which serves it) and the local identity provider (which accepts only it as a
 * redirect) name one path.
 */
export const APP_CALLBACK_PATH = '/auth/callback';

/** The http URL of a server listening on `host`:`port`, as a client on this machine reaches it (0.0.0.0 and :: are every interface). */
export function listeningUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Where the embedded ClickHouse's generated password is kept, under KPI_SERVICES_DIR. */
export function localClickHousePasswordFile(servicesPath: string): string {
  return join(servicesPath, 'clickhouse', 'password');
}

/** Where the local identity provider's client secret for the app is kept, under KPI_SERVICES_DIR. */
export function localIdpClientSecretFile(servicesPath: string): string {
  return join(servicesPath, 'idp', 'client-secret');
}

/**
 * Where the embedded ClickHouse keeps the generated password of the user of a
 * reader role (kpi_hr, kpi_analyst, kpi_works_council), under KPI_SERVICES_DIR.
 */
export function localReaderPasswordFile(servicesPath: string, user: string): string {
  return join(servicesPath, 'clickhouse', `password-${user}`);
}

function readGeneratedPassword(file: string): string {
  try {
    return generatedSecret(file);
  } catch (error) {
    throw new ConfigError(
      'CLICKHOUSE_PASSWORD',
      `cannot read or make the embedded ClickHouse's password file ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}): set CLICKHOUSE_PASSWORD, or CLICKHOUSE_URL for a server`,
    );
  }
}

/** The shortest KPI_PSEUDONYM_KEY accepted (the generated one is 32 base64url characters: 24 random bytes). */
export const MIN_PSEUDONYM_KEY_LENGTH = 32;

/** Where the embedded setup's generated pseudonym key is kept, under KPI_SERVICES_DIR. */
export function localPseudonymKeyFile(servicesPath: string): string {
  return join(servicesPath, 'pseudonym-key');
}

/**
 * The key of the employees' pseudonyms: KPI_PSEUDONYM_KEY, or with the
 * embedded engine the one generated on first use. A deployment on a server
 * must set it: this stops naming the key, for whatever needs it at start-up.
 */
export function pseudonymKey(config: Config): string {
  if (config.pseudonymKey !== undefined) return config.pseudonymKey;
  if (config.clickhouse.external) {
    throw new ConfigError(
      'KPI_PSEUDONYM_KEY',
      'is required with CLICKHOUSE_URL: the BI views, alert payloads and Alertmanager labels name people by pseudonym (set it, or KPI_PSEUDONYM_KEY_FILE, to at least 32 random characters: openssl rand -base64 32)',
    );
  }
  const file = localPseudonymKeyFile(config.servicesPath);
  try {
    return generatedSecret(file);
  } catch (error) {
    throw new ConfigError(
      'KPI_PSEUDONYM_KEY',
      `cannot read or make the generated pseudonym key ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}): set KPI_PSEUDONYM_KEY`,
    );
  }
}

let defaults: Config | undefined;

/** Every setting at its default (the table above): what a part gets that is not configured, in tests and tools too. */
export function defaultConfig(): Config {
  defaults ??= loadConfig({});
  return defaults;
}

/** Whether a URL's host is this machine, where plain http cannot be overheard. */
export function isLoopback(url: string): boolean {
  return isLoopbackHost(new URL(url).hostname);
}

/** The webhook secrets, checked, with the rules between the alert settings. */
function alertSecrets(base: RawConfig): string[] {
  for (const [key, value] of [
    ['KPI_ALERT_WEBHOOK_URL', base.alertWebhookUrl],
    ['KPI_ALERTMANAGER_URL', base.alertmanagerUrl],
  ] as const) {
    if (value !== undefined && !value.startsWith('https:') && !isLoopback(value)) {
      throw new ConfigError(key, 'must be an https URL (plain http only to a loopback address, 127.0.0.1 or localhost)');
    }
  }
  const secrets = (base.alertWebhookSecret ?? '').split(/\s+/).filter((s) => s !== '');
  for (const [i, secret] of secrets.entries()) {
    const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : undefined;
    if (body === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || Buffer.from(body, 'base64').length < 16) {
      throw new ConfigError('KPI_ALERT_WEBHOOK_SECRET', `secret ${i + 1} must be whsec_ followed by the base64 of at least 16 random bytes`);
    }
    // A template's key is text, not random bytes: whsec_ + base64("REPLACE_ME…") is valid base64 everyone can read.
    refusePlaceholder('KPI_ALERT_WEBHOOK_SECRET', Buffer.from(body, 'base64').toString('latin1'));
  }
  if (base.alertWebhookUrl !== undefined && secrets.length === 0) {
    throw new ConfigError('KPI_ALERT_WEBHOOK_SECRET', 'KPI_ALERT_WEBHOOK_URL is set: webhooks are signed, so give a secret (whsec_ + base64)');
  }
  return secrets;
}

/** Kafka's TLS and SASL settings, with the rules between them. */
function kafkaSecurity(base: RawConfig): Pick<Config['kafka'], 'ssl' | 'sasl'> {
  const files = { KAFKA_SSL_CA_FILE: base.kafkaSslCaFile, KAFKA_SSL_CERT_FILE: base.kafkaSslCertFile, KAFKA_SSL_KEY_FILE: base.kafkaSslKeyFile };
  for (const [key, value] of Object.entries(files)) {
    if (value !== undefined && !base.kafkaSsl) throw new ConfigError(key, 'is set but KAFKA_SSL is not true; set KAFKA_SSL=true to connect over TLS');
  }
  if ((base.kafkaSslCertFile === undefined) !== (base.kafkaSslKeyFile === undefined)) {
    throw new ConfigError(
      base.kafkaSslCertFile === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
      'a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    );
  }
  const ssl = base.kafkaSsl
    ? Object.freeze({
        ...(base.kafkaSslCaFile ? { caFile: base.kafkaSslCaFile } : {}),
        ...(base.kafkaSslCertFile ? { certFile: base.kafkaSslCertFile } : {}),
        ...(base.kafkaSslKeyFile ? { keyFile: base.kafkaSslKeyFile } : {}),
      })
    : false;
  const { kafkaSaslMechanism: mechanism, kafkaSaslUsername: username, kafkaSaslPassword: password } = base;
  if (mechanism === undefined) {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError(
        'KAFKA_SASL_MECHANISM',
        'KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but no mechanism; set plain, scram-sha-256 or scram-sha-512',
      );
    }
    return { ssl };
  }
  if (username === undefined) throw new ConfigError('KAFKA_SASL_USERNAME', `KAFKA_SASL_MECHANISM=${mechanism} needs a user name`);
  if (password === undefined) throw new ConfigError('KAFKA_SASL_PASSWORD', `KAFKA_SASL_MECHANISM=${mechanism} needs a password`);
  return { ssl, sasl: Object.freeze({ mechanism, username, password }) };
}

/** Credentials sent over plain http to another machine can be read on the way: refused unless KPI_ALLOW_PLAINTEXT_CREDENTIALS. */
function refusePlaintext(key: string, url: string, withCredentials: boolean): void {
  if (withCredentials && url.startsWith('http:') && !isLoopback(url)) {
    throw new ConfigError(
      key,
      `sends credentials in clear text (http) to ${new URL(url).host}, which is not this machine: use https, or set KPI_ALLOW_PLAINTEXT_CREDENTIALS=true on a network you trust`,
    );
  }
}

function requireHttps(key: string, caFile: string | undefined, urlKey: string, url: string): void {
  if (caFile !== undefined && !url.startsWith('https:')) throw new ConfigError(key, `is set but ${urlKey} is not an https URL; a CA only applies to TLS`);
}

/** The settings as documentation rows: variable, default, meaning. */
export function describeSettings(): { env: string; default: string; doc: string; localService: boolean }[] {
  return Object.values(settings).map((s: Setting<unknown>) => ({
    env: s.env,
    default: s.default ?? '',
    doc: s.doc,
    localService: LOCAL_SERVICE_VARIABLES.has(s.env),
  }));
}

/**
 * Each setting as `config` prints it: its value in `env` (or from its `_FILE`)
 * as it may be shown — secrets masked, URLs without credentials or tokens.
 */
export function describeValues(
  env: NodeJS.ProcessEnv = process.env,
): { env: string; default: string; doc: string; localService: boolean; shown: string | undefined; from: 'env' | 'file' | 'default' }[] {
  return (Object.values(settings) as Setting<unknown>[]).map((s) => {
    const file = env[s.env + FILE_SUFFIX];
    const fromFile = file !== undefined && file !== '';
    const value = fromFile ? rawValue(env, s) : env[s.env];
    const shown = value === undefined ? undefined : (s.display?.(value) ?? value);
    return {
      env: s.env,
      default: s.default ?? '',
      doc: s.doc,
      localService: LOCAL_SERVICE_VARIABLES.has(s.env),
      shown,
      from: fromFile ? 'file' : value === undefined ? 'default' : 'env',
    };
  });
}

/**
 * The secret values in a configuration — every secret setting, credentials
 * taken from URLs, and the path of the alert webhook URL (its token) — for
 * the scrubber that keeps them out of everything kpi-stream writes.
 */
export function secretValues(config: Config): string[] {
  const declared = (Object.entries(settings) as [keyof Settings, Setting<unknown>][]).filter(([, s]) => s.secret).map(([name]) => config[name]);
  const values = [...declared, config.registry.username, config.registry.password, config.clickhouse.password].map((v) =>
    typeof v === 'string' ? v : undefined,
  );
  const pairs: [string | undefined, string | undefined][] = [
    [config.registry.username, config.registry.password],
    [config.clickhouse.username, config.clickhouse.password],
    [config.kafka.sasl?.username, config.kafka.sasl?.password],
  ];
  if (config.alertWebhookUrl) {
    const webhook = new URL(config.alertWebhookUrl);
    values.push(config.alertWebhookUrl, webhook.username, webhook.password, `${webhook.pathname}${webhook.search}`.replace(/^\/$/, ''));
    pairs.push([decodeURIComponent(webhook.username), decodeURIComponent(webhook.password)]);
  }
  values.push(...config.alertWebhookSecrets);
  if (config.alertmanagerUrl) {
    const alertmanager = new URL(config.alertmanagerUrl);
    values.push(alertmanager.username, alertmanager.password);
    pairs.push([decodeURIComponent(alertmanager.username), decodeURIComponent(alertmanager.password)]);
  }
  // As an Authorization header, or an error quoting one, would carry them.
  values.push(...pairs.map(([username, password]) => basicCredentials(username, password)));
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))];
}
