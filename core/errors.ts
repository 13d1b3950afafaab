/**
 * Every error kpi-stream raises on purpose is a KpiError with a stable `code`
 * (part of the public surface: logs, dead-letter headers and exit messages
 * carry it) and a `retriable` flag telling the caller whether trying again can
 * help. Errors fall in three classes:
 *
 * - a record's data (DecodeError, RecordError, a too-late or refused record):
 *   the record goes to the dead letters and the stream goes on;
 * - infrastructure that will come back (`retriable`: the registry or
 *   ClickHouse away for a while): retried with backoff, logged, counted;
 * - a misconfiguration or a bug (everything else): the process stops, exit
 *   code 78 for configuration, 1 otherwise, with a message that names it.
 */
export type ErrorCode =
  | 'KPI_ERR_CONFIG'
  | 'KPI_ERR_SERVICE'
  | 'KPI_ERR_AUTH'
  | 'KPI_ERR_TLS'
  | 'KPI_ERR_UNREACHABLE'
  | 'KPI_ERR_TOPIC_MISMATCH'
  | 'KPI_ERR_SCHEMA_INCOMPATIBLE'
  | 'KPI_ERR_REGISTRY_UNAVAILABLE'
  | 'KPI_ERR_DECODE_NOT_AVRO'
  | 'KPI_ERR_DECODE_UNKNOWN_SCHEMA'
  | 'KPI_ERR_DECODE_INCOMPATIBLE_SCHEMA'
  | 'KPI_ERR_DECODE_MALFORMED'
  | 'KPI_ERR_INVALID_VALUE'
  | 'KPI_ERR_INVALID_TIME'
  | 'KPI_ERR_INVALID_PERIOD'
  | 'KPI_ERR_KEY_MISMATCH'
  | 'KPI_ERR_ID_TOO_LONG'
  | 'KPI_ERR_NOT_FINITE'
  | 'KPI_ERR_OUT_OF_RANGE'
  | 'KPI_ERR_ARRAY_TOO_LONG'
  | 'KPI_ERR_TOO_LATE'
  | 'KPI_ERR_SINK_REJECTED'
  | 'KPI_ERR_TOO_MANY_WINDOWS'
  | 'KPI_ERR_TOO_MANY_EVENTS'
  | 'KPI_ERR_INVALID_ALERT_EVENT'
  | 'KPI_ERR_INVALID_REVIEW_EVENT'
  | 'KPI_ERR_INVALID_DECISION'
  | 'KPI_ERR_UNKNOWN_SUBJECT'
  | 'KPI_ERR_SINK'
  | 'KPI_ERR_SINK_RETRIABLE';

export interface KpiErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

export class KpiError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: KpiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration value is missing or invalid; `key` names the variable. */
export class ConfigError extends KpiError {
  readonly key: string;
  constructor(key: string, message: string) {
    super('KPI_ERR_CONFIG', `${key}: ${message}`);
    this.key = key;
  }
}

/** A local service could not be prepared, started, reached or stopped. */
export class ServiceError extends KpiError {
  readonly service: string;
  constructor(service: string, message: string, options: KpiErrorOptions = {}) {
    super('KPI_ERR_SERVICE', `${service}: ${message}`, options);
    this.service = service;
  }
}

/** What went wrong connecting to a service: credentials refused, TLS failed, or no answer. */
export type ConnectionFailure = 'auth' | 'tls' | 'unreachable';

const CONNECTION_CODES: Record<ConnectionFailure, ErrorCode> = { auth: 'KPI_ERR_AUTH', tls: 'KPI_ERR_TLS', unreachable: 'KPI_ERR_UNREACHABLE' };

/**
 * kpi-stream could not connect to Kafka, the registry or ClickHouse: a
 * configuration or infrastructure problem, found at start-up. `settings` names
 * the variables to look at; the message never holds a secret.
 */
export class ConnectionError extends KpiError {
  readonly service: 'kafka' | 'registry' | 'clickhouse';
  readonly failure: ConnectionFailure;
  readonly settings: readonly string[];
  constructor(service: ConnectionError['service'], failure: ConnectionFailure, message: string, settings: readonly string[], options: KpiErrorOptions = {}) {
    super(CONNECTION_CODES[failure], `${service}: ${message} (check ${settings.join(', ')})`, options);
    this.service = service;
    this.failure = failure;
    this.settings = settings;
  }
}

/** An existing topic differs from its definition (partitions, cleanup policy). */
export class TopicMismatchError extends KpiError {
  constructor(message: string) {
    super('KPI_ERR_TOPIC_MISMATCH', message);
  }
}

/** The registry refused a schema because it breaks the subject's compatibility rule. */
export class SchemaCompatibilityError extends KpiError {
  readonly subject: string;
  constructor(subject: string, message: string, options: KpiErrorOptions = {}) {
    super('KPI_ERR_SCHEMA_INCOMPATIBLE', `${subject}: ${message}`, options);
    this.subject = subject;
  }
}

/** The schema registry cannot be reached or answered 5xx: wait and retry, never dead-letter. */
export class RegistryUnavailableError extends KpiError {
  constructor(message: string, options: KpiErrorOptions = {}) {
    super('KPI_ERR_REGISTRY_UNAVAILABLE', message, { ...options, retriable: true });
  }
}

/** The codes of records that go to the dead letters: the record's own data is at fault. */
export const DEAD_LETTER_CODES = [
  'KPI_ERR_DECODE_NOT_AVRO',
  'KPI_ERR_DECODE_UNKNOWN_SCHEMA',
  'KPI_ERR_DECODE_INCOMPATIBLE_SCHEMA',
  'KPI_ERR_DECODE_MALFORMED',
  'KPI_ERR_INVALID_VALUE',
  'KPI_ERR_INVALID_TIME',
  'KPI_ERR_INVALID_PERIOD',
  'KPI_ERR_KEY_MISMATCH',
  'KPI_ERR_ID_TOO_LONG',
  'KPI_ERR_NOT_FINITE',
  'KPI_ERR_OUT_OF_RANGE',
  'KPI_ERR_ARRAY_TOO_LONG',
  'KPI_ERR_TOO_LATE',
  'KPI_ERR_SINK_REJECTED',
  'KPI_ERR_TOO_MANY_WINDOWS',
  'KPI_ERR_TOO_MANY_EVENTS',
  'KPI_ERR_INVALID_ALERT_EVENT',
  'KPI_ERR_INVALID_REVIEW_EVENT',
] as const satisfies readonly ErrorCode[];
export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[number];

/** Codes of input records that cannot be read or break the contract's value rules. */
export type RecordErrorCode = Exclude<
  DeadLetterCode,
  | 'KPI_ERR_TOO_LATE'
  | 'KPI_ERR_SINK_REJECTED'
  | 'KPI_ERR_TOO_MANY_WINDOWS'
  | 'KPI_ERR_TOO_MANY_EVENTS'
  | 'KPI_ERR_INVALID_ALERT_EVENT'
  | 'KPI_ERR_INVALID_REVIEW_EVENT'
>;

/** A record that can never be processed as it is: it goes to the dead-letter topic. */
export class DecodeError extends KpiError {
  readonly schemaId: number | undefined;
  constructor(code: RecordErrorCode, message: string, options: KpiErrorOptions & { schemaId?: number } = {}) {
    super(code, message, options);
    this.schemaId = options.schemaId;
  }
}

/**
 * ClickHouse failed or refused a request: `retriable` when trying again can
 * help (KPI_ERR_SINK_RETRIABLE), `rejected` when it refused the rows' content
 * (KPI_ERR_SINK_REJECTED: the rows are isolated and their records
 * dead-lettered), otherwise fatal (KPI_ERR_SINK).
 */
export class SinkError extends KpiError {
  constructor(message: string, options: KpiErrorOptions & { rejected?: boolean } = {}) {
    super(options.rejected ? 'KPI_ERR_SINK_REJECTED' : options.retriable ? 'KPI_ERR_SINK_RETRIABLE' : 'KPI_ERR_SINK', message, options);
  }
}

/**
 * A decision (a review, a dispute) that cannot be taken as asked: bad input
 * (KPI_ERR_INVALID_DECISION, `field` names it) or a flag or dispute that does
 * not exist (KPI_ERR_UNKNOWN_SUBJECT). Nothing was sent.
 */
export class DecisionError extends KpiError {
  constructor(
    code: 'KPI_ERR_INVALID_DECISION' | 'KPI_ERR_UNKNOWN_SUBJECT',
    readonly field: string,
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * Exit codes of the `kpi-stream` command (README "Exit codes"): 78 for
 * configuration that cannot work (a bad value, credentials or a CA the
 * service refuses), 69 for a service that does not answer, 1 for any other
 * failure.
 */
export const EXIT_CODES = { ok: 0, failure: 1, usage: 2, unavailable: 69, config: 78 } as const;

export function exitCodeOf(error: KpiError): number {
  if (error instanceof ConfigError) return EXIT_CODES.config;
  if (error instanceof ConnectionError) return error.failure === 'unreachable' ? EXIT_CODES.unavailable : EXIT_CODES.config;
  return EXIT_CODES.failure;
}

/** The message of an unknown thrown value, for logs and headers. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
