import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../core/config.js';
import { SinkError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { retrying } from '../../core/retry.js';

export type { ClickHouseClient };

/**
 * The one way kpi-stream talks to ClickHouse: @clickhouse/client over HTTP,
 * to a server (CLICKHOUSE_URL) or to the embedded engine's HTTP interface.
 * `withDatabase: false` is for creating the database itself.
 */
export function createClickHouseClient(config: Config, options: { withDatabase?: boolean; application?: string } = {}): ClickHouseClient {
  return createClient({
    url: config.clickhouse.url,
    username: config.clickhouseUser,
    password: config.clickhousePassword,
    database: options.withDatabase === false ? undefined : config.clickhouseDatabase,
    application: options.application ?? 'kpi-stream',
    // Failures reach the caller as errors, which kpi-stream logs with context.
    log: { level: ClickHouseLogLevel.OFF },
    compression: { request: false, response: false },
    clickhouse_settings: {
      // Reads of the pipeline's own writes must see them at once.
      async_insert: 0,
      date_time_input_format: 'best_effort',
      // Rows must read back bit for bit: the fast float parser can be off by one unit in the last place.
      precise_float_parsing: 1,
      output_format_json_quote_64bit_integers: 0,
    },
  });
}

/** ClickHouse error codes worth another try: the server is busy, restarting or out of a resource for now. */
const RETRIABLE_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  252, // TOO_MANY_PARTS (merges catch up; kpi-stream never inserts into too many partitions at once)
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

/** Codes with which ClickHouse refuses the content of an insert: the same rows fail every time. */
const CONTENT_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  407, // DECIMAL_OVERFLOW
  456, // UNKNOWN_QUERY_PARAMETER (a server that reads placeholders in the data)
  469, // VIOLATED_CONSTRAINT
]);

const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|Timeout error|other side closed|fetch failed/i;

/** The ClickHouse error code of a failure, when it has one. */
export function clickhouseCode(error: unknown): number | undefined {
  return error instanceof ClickHouseError ? Number(error.code) : undefined;
}

/** Wraps any ClickHouse failure in a SinkError that says whether to retry, or that the content was refused. */
export function sinkFailure(error: unknown, what: string): SinkError {
  if (error instanceof SinkError) return error;
  const code = clickhouseCode(error);
  const retriable = code !== undefined ? RETRIABLE_CODES.has(code) : NETWORK_FAILURE.test(messageOf(error));
  const rejected = code !== undefined && CONTENT_CODES.has(code);
  return new SinkError(`${what}: ${messageOf(error)}`, { retriable, rejected, cause: error });
}

/**
 * Runs one ClickHouse request with kpi-stream's retry policy: retriable
 * failures (the server away or busy) are retried with backoff until they pass
 * or `signal` aborts; any other failure is thrown as a SinkError.
 */
export async function withRetries<T>(what: string, log: Logger, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await retrying(() => work(), { what, log, signal, retriable: (error) => sinkFailure(error, what).retriable });
  } catch (error) {
    if (signal?.aborted) throw new SinkError(`${what}: stopped while retrying`, { cause: error });
    throw sinkFailure(error, what);
  }
}

/** Runs work with a client of its own, closed afterwards. */
export async function withClickHouse<T>(config: Config, work: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const client = createClickHouseClient(config);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
