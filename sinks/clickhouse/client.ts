import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../core/config.js';
import { SinkError, messageOf } from '../../core/errors.js';

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
  164, // READONLY (replica restarting)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|Timeout error|other side closed|fetch failed/i;

/** Wraps any ClickHouse failure in a SinkError that says whether to retry. */
export function sinkFailure(error: unknown, what: string): SinkError {
  if (error instanceof SinkError) return error;
  const code = error instanceof ClickHouseError ? Number(error.code) : undefined;
  const retriable = code !== undefined ? RETRIABLE_CODES.has(code) : NETWORK_FAILURE.test(messageOf(error));
  return new SinkError(`${what}: ${messageOf(error)}`, { retriable, cause: error });
}
