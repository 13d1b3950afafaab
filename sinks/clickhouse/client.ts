import { readFileSync } from 'node:fs';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { secretValues, type Config } from '../../core/config.js';
import { ConnectionError, SinkError, messageOf } from '../../core/errors.js';
import type { HealthCheck } from '../../core/health.js';
import type { Logger } from '../../core/logger.js';
import { retrying } from '../../core/retry.js';
import { redactUrl, secretScrubber } from '../../core/secrets.js';
import { clusterPlacement, type ClusterPlacement } from './cluster.js';

export type { ClickHouseClient };

/**
 * The one way kpi-stream talks to ClickHouse: @clickhouse/client over HTTP,
 * to a server (CLICKHOUSE_URL) or to the embedded engine's HTTP interface.
 * `withDatabase: false` is for creating the database itself.
 */
export function createClickHouseClient(
  config: Config,
  options: { withDatabase?: boolean; application?: string; requestTimeoutMs?: number } = {},
): ClickHouseClient {
  const placement = clusterPlacement(config);
  const client = createClient({
    ...(options.requestTimeoutMs ? { request_timeout: options.requestTimeoutMs } : {}),
    url: config.clickhouse.url,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    ...(config.clickhouse.caFile ? { tls: { ca_cert: readFileSync(config.clickhouse.caFile) } } : {}),
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
      ...(placement ? ON_A_CLUSTER : {}),
    },
  });
  if (placement) placements.set(client, placement);
  return client;
}

/**
 * On a cluster an insert goes to the Distributed table, which would queue it
 * on the node's disk and answer at once; kpi-stream commits offsets on that
 * answer, so it must mean the rows are on the shard's replicas. With two
 * replicas per shard (docs/cluster.md; migrate refuses more) the majority
 * quorum is both: every acknowledged row is on every replica, and a read on
 * either sees it (the processors read rows back to correct them).
 */
const ON_A_CLUSTER = {
  distributed_foreground_insert: 1,
  insert_quorum: 'auto',
  // Inserts into one table from several processors at once; parallel quorum inserts need no lock in Keeper.
  insert_quorum_parallel: 1,
} as const;

const placements = new WeakMap<ClickHouseClient, ClusterPlacement>();

/** The cluster a client was made for (KPI_CLICKHOUSE_CLUSTER); undefined on one node. */
export function placementOf(client: ClickHouseClient): ClusterPlacement | undefined {
  return placements.get(client);
}

/** ClickHouse error codes worth another try: the server is busy, restarting or out of a resource for now. */
const RETRIABLE_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  225, // NO_ZOOKEEPER (a replica lost Keeper for now)
  242, // TABLE_IS_READ_ONLY (a replica without its Keeper session)
  252, // TOO_MANY_PARTS (merges catch up; kpi-stream never inserts into too many partitions at once)
  279, // ALL_CONNECTION_TRIES_FAILED (a shard's replicas unreachable through a Distributed table)
  285, // TOO_FEW_LIVE_REPLICAS (the insert quorum cannot be met until a replica is back)
  286, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
  319, // UNKNOWN_STATUS_OF_INSERT (retried with the same deduplication token: written once either way)
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

/**
 * The /readyz check of a process that writes to ClickHouse: its `/ping`
 * answers. Not a query: the embedded engine runs one at a time, and a probe
 * must not queue behind a large insert (credentials were checked at start-up).
 */
export function clickhouseReachable(client: ClickHouseClient, config: Config, timeoutMs = 4_000): HealthCheck {
  const url = redactUrl(config.clickhouse.url);
  const scrub = secretScrubber(secretValues(config));
  return {
    name: 'clickhouse',
    check: async () => {
      const started = Date.now();
      const result = await client.ping({ select: false, abort_signal: AbortSignal.timeout(timeoutMs) });
      return result.success
        ? { ok: true, detail: `${url} answered /ping in ${Date.now() - started} ms` }
        : { ok: false, detail: `${url} does not answer /ping: ${scrub(messageOf(result.error))}` };
    },
  };
}

/**
 * Runs `SELECT 1` as kpi-stream's user (ClickHouse's /ping needs no
 * credentials, so it proves nothing about them). Fails within seconds with a
 * ConnectionError naming the settings to look at: refused credentials (516),
 * a certificate that does not verify, or no answer.
 */
export async function checkClickHouse(config: Config): Promise<void> {
  const client = createClickHouseClient(config, { withDatabase: false, application: 'kpi-stream-check', requestTimeoutMs: 10_000 });
  try {
    await client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((result) => result.json());
  } catch (error) {
    throw clickhouseConnectionFailure(config, error);
  } finally {
    await client.close();
  }
}

export function clickhouseConnectionFailure(config: Config, error: unknown): ConnectionError {
  const url = config.clickhouse.url;
  const code = error instanceof ClickHouseError ? Number(error.code) : undefined;
  if (code === 516 || code === 192 /* UNKNOWN_USER */ || code === 194 /* REQUIRED_PASSWORD */) {
    return new ConnectionError(
      'clickhouse',
      'auth',
      `ClickHouse at ${url} refused user ${JSON.stringify(config.clickhouse.username)} (code ${code}: wrong password or unknown user)`,
      ['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD'],
      { cause: error },
    );
  }
  if (code === 497 /* ACCESS_DENIED */) {
    return new ConnectionError(
      'clickhouse',
      'auth',
      `ClickHouse at ${url} denied user ${JSON.stringify(config.clickhouse.username)} (code 497: not enough privileges)`,
      ['CLICKHOUSE_USER'],
      { cause: error },
    );
  }
  const text = `${(error as { code?: string }).code ?? ''} ${messageOf(error)}`;
  if (/certificate|CERT_|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/i.test(text)) {
    return new ConnectionError(
      'clickhouse',
      'tls',
      `ClickHouse's TLS certificate at ${url} does not verify (${messageOf(error)}): the CA that signed it is not trusted`,
      ['CLICKHOUSE_CA_FILE', 'CLICKHOUSE_URL'],
      { cause: error },
    );
  }
  if (/wrong version number|EPROTO|packet length too long|socket disconnected before secure TLS/i.test(text)) {
    return new ConnectionError('clickhouse', 'tls', `ClickHouse at ${url} does not speak TLS: use an http:// URL (or its https port)`, ['CLICKHOUSE_URL'], {
      cause: error,
    });
  }
  return new ConnectionError('clickhouse', 'unreachable', `ClickHouse at ${url} does not answer (${messageOf(error)})`, ['CLICKHOUSE_URL'], { cause: error });
}
