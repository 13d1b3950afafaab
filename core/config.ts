import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { parseDuration, formatDuration } from './duration.js';

/**
 * kpi-stream is configured by environment variables only. Every variable is
 * declared once below with its default and a one-line doc; `loadConfig` parses
 * and validates them all at start-up and returns a frozen object. A bad value
 * throws a ConfigError naming the variable.
 */
interface Setting<T> {
  readonly env: string;
  /** The default as a user would write it; undefined = not set. */
  readonly default: string | undefined;
  readonly doc: string;
  readonly parse: (raw: string, env: string) => T;
}

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

const oneOf = <T extends string>(env: string, def: T, doc: string, values: readonly T[]): Setting<T> => ({
  env,
  default: def,
  doc,
  parse: (raw, key) => {
    if (!values.includes(raw as T)) throw new ConfigError(key, `must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    return raw as T;
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
    for (const item of raw.split(',').map((i) => i.trim()).filter(Boolean)) {
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

const url = (env: string, doc: string): Setting<string | undefined> => ({
  env,
  default: undefined,
  doc,
  parse: (raw, key) => {
    if (raw === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(key, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError(key, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
    }
    return raw.replace(/\/+$/, '');
  },
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
export const settings = {
  // Services
  kafkaBrokers: brokers('KAFKA_BROKERS', 'Kafka bootstrap servers (host:port,…). Unset: the local broker that `services up` runs.'),
  schemaRegistryUrl: url('SCHEMA_REGISTRY_URL', 'Confluent-API schema registry URL. Unset: the local Apicurio registry at http://127.0.0.1:<KPI_REGISTRY_PORT>/apis/ccompat/v7.'),
  clickhouseUrl: url('CLICKHOUSE_URL', 'ClickHouse HTTP URL. Unset: the embedded engine (chDB) served by `services up` on 127.0.0.1:<KPI_CLICKHOUSE_PORT>.'),
  clickhouseUser: text('CLICKHOUSE_USER', 'default', 'ClickHouse user.'),
  clickhousePassword: text('CLICKHOUSE_PASSWORD', '', 'ClickHouse password (redacted in logs).'),
  clickhouseDatabase: text('CLICKHOUSE_DATABASE', 'kpi', 'ClickHouse database that holds kpi-stream tables and views.'),
  servicesDir: text('KPI_SERVICES_DIR', '.svc', 'Where local services keep downloads, data, logs and pid files (git-ignored).'),
  kafkaPort: port('KPI_KAFKA_PORT', 9092, 'Port of the local Kafka broker.'),
  kafkaControllerPort: port('KPI_KAFKA_CONTROLLER_PORT', 9093, 'Port of the local Kafka KRaft controller.'),
  registryPort: port('KPI_REGISTRY_PORT', 8081, 'Port of the local Apicurio registry.'),
  clickhousePort: port('KPI_CLICKHOUSE_PORT', 8123, 'Port of the embedded ClickHouse HTTP interface.'),
  registryJava: optionalText('KPI_REGISTRY_JAVA', 'Java (21+) binary for the local registry. Unset: the first Java 21+ found in JAVA_HOME, PATH or /usr/lib/jvm.'),
  // Topics
  topicPrefix: text('KPI_TOPIC_PREFIX', '', 'Prefix for every topic name (isolates test runs; empty in production).'),
  topicPartitions: integer('KPI_TOPIC_PARTITIONS', 6, 'Partitions of each topic kpi-stream creates.', 1, 10_000),
  // Pipeline
  groupId: text('KPI_GROUP_ID', 'kpi-stream-processors', 'Consumer group of the processors.'),
  sessionTimeout: duration('KPI_SESSION_TIMEOUT', '30s', 'A processor that stops heart-beating (it crashed) loses its partitions after this long; heartbeats go every tenth of it.', 6_000),
  windowSize: duration('KPI_WINDOW_SIZE', '1d', 'Tumbling window size; must divide a day (e.g. 1h, 8h, 1d).', 60_000),
  timeZone: timeZone('KPI_TIME_ZONE', 'UTC', 'IANA time zone of the plant; windows align to its midnight.'),
  allowedLateness: duration('KPI_ALLOWED_LATENESS', '10m', 'A window closes when the watermark passes its end plus this.'),
  correctionHorizon: duration('KPI_CORRECTION_HORIZON', '35d', 'Late events correct a closed window up to this long after its end; later ones are dead-lettered.'),
  idleClose: duration('KPI_IDLE_CLOSE', '5m', 'A partition that receives nothing for this long (wall clock) closes its open windows.', 100),
  emitMode: oneOf('KPI_EMIT_MODE', 'final', 'final: a row when its window closes; update: also a new version on every change (live views).', ['final', 'update'] as const),
  flushInterval: duration('KPI_FLUSH_INTERVAL', '1s', 'How often the sink writes a batch to ClickHouse and offsets are committed.', 10),
  sinkMaxRows: integer('KPI_SINK_MAX_ROWS', 50_000, 'Accepted records that trigger an early write; consumption waits at twice this many.', 1, 10_000_000),
  alertWebhookUrl: url('KPI_ALERT_WEBHOOK_URL', 'Where `detect --alert` POSTs new flags as JSON (they always go to kpi.alerts.v1). Unset: topic only.'),
  alertMinSeverity: oneOf('KPI_ALERT_MIN_SEVERITY', 'medium', 'Least severe flag that raises an alert: low, medium or high.', ['low', 'medium', 'high'] as const),
  // Detection
  detectFalseAlarmRate: share('KPI_DETECT_FALSE_ALARM_RATE', 0.0001, 'Chance, per report and figure, that an honest person\'s evidence reaches the sequential test\'s threshold (it sets the threshold).', 1e-9, 0.1),
  detectSpreadFloor: perFigure('KPI_DETECT_SPREAD_FLOOR', 'units=1%,run_hours=1%,defects=0.5,self_score=1', 'Narrowest honest error spread (robust sd) a station or person is judged against: share of units and run hours, defective units, score points.'),
  detectSpreadCeiling: perFigure('KPI_DETECT_SPREAD_CEILING', 'units=25%,run_hours=25%,defects=10,self_score=15', 'Widest honest error spread a station or person is judged against, in the same units.'),
  metricsPort: integer('KPI_METRICS_PORT', 0, 'Port of the processors\' Prometheus /metrics endpoint on 127.0.0.1; 0 turns it off.', 0, 65535),
  logLevel: oneOf('LOG_LEVEL', 'info', 'Least severe level logged: fatal, error, warn, info, debug, trace or silent.', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  logFormat: oneOf('LOG_FORMAT', 'text', 'text: readable lines on stderr; json: pino JSON lines on stdout (for log shippers).', ['text', 'json'] as const),
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
type ValueOf<S> = S extends Setting<infer T> ? T : never;
export type RawConfig = { readonly [K in keyof Settings]: ValueOf<Settings[K]> };

/** The validated configuration, with derived endpoints. */
export interface Config extends RawConfig {
  /** Absolute path of servicesDir. */
  readonly servicesPath: string;
  readonly kafka: { readonly brokers: readonly string[]; readonly external: boolean };
  readonly registry: { readonly url: string; readonly external: boolean };
  readonly clickhouse: { readonly url: string; readonly external: boolean };
}

const MS_PER_DAY = 86_400_000;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const value = env[setting.env] ?? setting.default;
    raw[name] = value === undefined ? undefined : setting.parse(value, setting.env);
  }
  const base = raw as RawConfig;

  if (MS_PER_DAY % base.windowSize !== 0) {
    throw new ConfigError('KPI_WINDOW_SIZE', `must divide a day evenly (e.g. 15m, 1h, 8h, 1d), got ${formatDuration(base.windowSize)}`);
  }
  if (base.correctionHorizon < base.allowedLateness) {
    throw new ConfigError('KPI_CORRECTION_HORIZON', 'must not be shorter than KPI_ALLOWED_LATENESS');
  }
  const ports: [string, number][] = [
    ['KPI_KAFKA_PORT', base.kafkaPort],
    ['KPI_KAFKA_CONTROLLER_PORT', base.kafkaControllerPort],
    ['KPI_REGISTRY_PORT', base.registryPort],
    ['KPI_CLICKHOUSE_PORT', base.clickhousePort],
  ];
  for (const [i, [key, value]] of ports.entries()) {
    const clash = ports.slice(0, i).find(([, other]) => other === value);
    if (clash) throw new ConfigError(key, `port ${value} is already used by ${clash[0]}`);
  }
  for (const figure of REPORT_FIGURES) {
    if (base.detectSpreadFloor[figure] > base.detectSpreadCeiling[figure]) {
      throw new ConfigError('KPI_DETECT_SPREAD_FLOOR', `${figure} must not exceed KPI_DETECT_SPREAD_CEILING's (${base.detectSpreadFloor[figure]} > ${base.detectSpreadCeiling[figure]})`);
    }
    if (base.detectSpreadFloor[figure] <= 0) throw new ConfigError('KPI_DETECT_SPREAD_FLOOR', `${figure} must be above 0`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(base.clickhouseDatabase)) {
    throw new ConfigError('CLICKHOUSE_DATABASE', `must be a plain identifier, got ${JSON.stringify(base.clickhouseDatabase)}`);
  }
  if (!/^[A-Za-z0-9._-]*$/.test(base.topicPrefix)) {
    throw new ConfigError('KPI_TOPIC_PREFIX', `may hold only letters, digits, '.', '_' and '-', got ${JSON.stringify(base.topicPrefix)}`);
  }

  return Object.freeze({
    ...base,
    servicesPath: resolve(base.servicesDir),
    kafka: Object.freeze({
      brokers: Object.freeze(base.kafkaBrokers ?? [`127.0.0.1:${base.kafkaPort}`]),
      external: base.kafkaBrokers !== undefined,
    }),
    registry: Object.freeze({
      url: base.schemaRegistryUrl ?? `http://127.0.0.1:${base.registryPort}/apis/ccompat/v7`,
      external: base.schemaRegistryUrl !== undefined,
    }),
    clickhouse: Object.freeze({
      url: base.clickhouseUrl ?? `http://127.0.0.1:${base.clickhousePort}`,
      external: base.clickhouseUrl !== undefined,
    }),
  });
}

/** The settings as documentation rows: variable, default, meaning. */
export function describeSettings(): { env: string; default: string; doc: string }[] {
  return Object.values(settings).map((s: Setting<unknown>) => ({ env: s.env, default: s.default ?? '', doc: s.doc }));
}
