import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../core/logger.js';
import { isLoopbackHost } from '../../core/net.js';
import { serializer } from '../../core/serialize.js';
import { chooseResponseEncoding, CompressionError, decodeBlocks, decodeContent, encodeBlocks, encodeContent } from './compression.js';
import type { Engine, EngineConnection, QueryResult } from './engine.js';
import { analysisMessage, objectsRead, readerAnalysis, refusedRead, type ReaderAccount } from './readers.js';
import { judgeStatement, quoteLiteral, splitRequest, SqlRefusal, type RequestText, type Statement } from './sqlText.js';

/**
 * ClickHouse's HTTP interface over the embedded engine, as a ClickHouse server
 * answers it (docs/design.md "Services, with or without Docker"), for @clickhouse/client, BI tools'
 * drivers (clickhouse-connect, the JDBC driver) and curl:
 *
 * - `GET /ping` → `Ok.`; `GET|POST /?query=…` with the SQL in `query` and/or
 *   the body; an INSERT's data follows its `FORMAT` clause (or `VALUES`) and is
 *   never read as SQL;
 * - `param_<name>` bound to `{name:Type}` placeholders, `database`,
 *   `default_format`, `query_id`, `session_id`, and any other URL parameter as
 *   a setting — all for that one request (a session keeps its own `SET` and
 *   `USE`, as on a server);
 * - request bodies in gzip, deflate, br, lz4 or zstd (`Content-Encoding`) and
 *   ClickHouse's compressed blocks (`decompress=1`); responses likewise
 *   (`Accept-Encoding`, unless `enable_http_compression=0`; `compress=1`);
 * - errors as `Code: N. DB::Exception: … (NAME) (version …)` with the HTTP
 *   status and `X-ClickHouse-Exception-Code` a server sends.
 *
 * It is safe to leave running on a shared machine: loopback Host names only
 * and no browser requests (Origin), the configured user and password, one
 * statement per request as the engine's parser reads it (and runs in its
 * canonical form), nothing that reaches files, URLs, other servers or
 * programs (the engine's grants and settings profile, engine.ts, and what
 * sqlText.ts refuses where the engine has no rule), read-only GET, capped
 * bodies, a bounded queue, and the limits of the engine's settings profile.
 * Besides the main user it serves one user per reader role, confined to what
 * the role reads (readers.ts).
 */

export interface HttpInterfaceOptions {
  readonly engine: Engine;
  readonly log: Logger;
  /** The one user the interface accepts, as a server's users.xml would define it. */
  readonly user: string;
  readonly password: string;
  /** The users of the reader roles (kpi_hr, kpi_analyst, kpi_works_council): reads only, of what their role reads. */
  readonly readers?: readonly ReaderAccount[];
  /** Largest request body, as sent and after decompression (bytes). */
  readonly maxBodyBytes: number;
  /** Queries that may wait while one runs; more are refused with HTTP 503. */
  readonly maxQueuedQueries: number;
}

/** URL parameters that are part of the HTTP protocol, not settings of the query. */
const PROTOCOL_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'http_response_buffer_size',
  'http_native_compression_disable_checksumming_on_decompress',
  'role',
  'quota_key',
  'client_protocol_version',
  'http_wait_end_of_query',
  'stacktrace',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SERVER_NAME = 'kpi-stream-chdb';
const DEFAULT_SESSION_TIMEOUT_S = 60;
const MAX_SESSION_TIMEOUT_S = 3600;

/** A ClickHouse exception as the HTTP interface reports it. */
export class HttpQueryError extends Error {
  constructor(
    readonly clickhouseCode: number,
    readonly codeName: string,
    readonly detail: string,
  ) {
    super(`Code: ${clickhouseCode}. DB::Exception: ${detail}. (${codeName})`);
  }
}

/** Error codes by the HTTP status a server answers them with (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp). */
const STATUS_CODES: [number, readonly number[]][] = [
  [401, [194]], // REQUIRED_PASSWORD
  [403, [192, 193, 497, 512, 516]], // UNKNOWN_USER, WRONG_PASSWORD, ACCESS_DENIED, SET_NON_GRANTED_ROLE, AUTHENTICATION_FAILED
  [400, [6, 8, 15, 25, 26, 27, 36, 37, 38, 41, 44, 53, 62, 72, 117, 123, 167, 168, 223, 321, 376, 427, 441, 675, 676]], // parse errors, SYNTAX_ERROR, BAD_ARGUMENTS …
  [404, [46, 47, 50, 56, 60, 63, 73, 78, 81, 115, 152, 336, 511]], // UNKNOWN_TABLE, UNKNOWN_FUNCTION, UNKNOWN_SETTING …
  [413, [229]], // QUERY_IS_TOO_LARGE
  [501, [48]], // NOT_IMPLEMENTED
  [503, [76, 209, 439]], // CANNOT_OPEN_FILE, SOCKET_TIMEOUT, CANNOT_SCHEDULE_TASK
  [411, [381]], // HTTP_LENGTH_REQUIRED
  [408, [159]], // TIMEOUT_EXCEEDED
  [415, [779]], // UNSUPPORTED_MEDIA_TYPE
  // Not a server's mapping: the embedded interface's queue is full, which is temporary (clients retry 503).
  [503, [202]], // TOO_MANY_SIMULTANEOUS_QUERIES
];

function httpStatusOf(code: number): number {
  return STATUS_CODES.find(([, codes]) => codes.includes(code))?.[0] ?? 500;
}

/** The innermost `Code: N. DB::Exception: … (NAME)` of a chDB error. */
function parseEngineError(error: unknown): HttpQueryError {
  if (error instanceof HttpQueryError) return error;
  if (error instanceof SqlRefusal || error instanceof CompressionError) return new HttpQueryError(error.code, error.codeName, error.message);
  const message = error instanceof Error ? error.message : String(error);
  const last = [...message.matchAll(/Code: (\d+)\. DB::Exception: /g)].at(-1);
  if (!last) return new HttpQueryError(1001, 'STD_EXCEPTION', message);
  const rest = message.slice(last.index + last[0].length);
  const name = [...rest.matchAll(/\(([A-Z][A-Z0-9_]+)\)/g)].at(-1)?.[1];
  const text = name ? rest.slice(0, rest.indexOf(`(${name})`)) : rest;
  return new HttpQueryError(
    Number(last[1]),
    name ?? 'UNKNOWN_EXCEPTION',
    text
      .trim()
      .replace(/\.$/, '')
      .replace(/ \(version [^)]*\)$/, ''),
  );
}

function contentTypeOf(format: string): string {
  const f = format.toLowerCase();
  if (f === 'jsoneachrow' || f === 'jsonstringseachrow' || f === 'jsoncompacteachrow' || f === 'ndjson' || f === 'jsonlines')
    return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f === 'xml') return 'application/xml; charset=UTF-8';
  if (f === 'native' || f.startsWith('rowbinary') || f.startsWith('arrow') || f === 'parquet' || f === 'orc' || f === 'avro' || f === 'msgpack')
    return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}

/** Host names a browser can only reach on this machine: anything else may be DNS rebinding. */
function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true; // HTTP/1.0 clients send none; browsers always do
  try {
    return isLoopbackHost(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

const sameSecret = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** The credentials of a request, read as a server reads them (authenticateUserByHTTP.cpp). */
function credentialsOf(req: IncomingMessage, url: URL): { user: string; password: string } {
  const headerUser = String(req.headers['x-clickhouse-user'] ?? '');
  const headerKey = String(req.headers['x-clickhouse-key'] ?? '');
  const authorization = req.headers.authorization;
  const inParams = url.searchParams.has('user') || url.searchParams.has('password');
  const mixed = (a: string, b: string) =>
    new HttpQueryError(516, 'AUTHENTICATION_FAILED', `Invalid authentication: it is not allowed to use ${a} and ${b} simultaneously`);
  if (headerUser !== '' || headerKey !== '') {
    if (authorization !== undefined) throw mixed('X-ClickHouse HTTP headers', 'Authorization HTTP header');
    if (inParams) throw mixed('X-ClickHouse HTTP headers', 'authentication via parameters');
    if (headerUser === '') throw new HttpQueryError(516, 'AUTHENTICATION_FAILED', 'Got an empty user name from X-ClickHouse HTTP headers');
    return { user: headerUser, password: headerKey };
  }
  if (authorization !== undefined) {
    if (inParams) throw mixed('Authorization HTTP header', 'authentication via parameters');
    const [scheme, info = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() !== 'basic')
      throw new HttpQueryError(516, 'AUTHENTICATION_FAILED', `Invalid authentication: '${scheme}' HTTP Authorization scheme is not supported`);
    const decoded = Buffer.from(info, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    if (user === '') throw new HttpQueryError(516, 'AUTHENTICATION_FAILED', 'Got an empty user name from Authorization HTTP header');
    return { user, password: colon < 0 ? '' : decoded.slice(colon + 1) };
  }
  const user = url.searchParams.get('user') ?? 'default';
  if (user === '') throw new HttpQueryError(516, 'AUTHENTICATION_FAILED', 'Got an empty user name from authentication via parameters');
  return { user, password: url.searchParams.get('password') ?? '' };
}

/** What a session keeps between its requests: the statements that changed it (SET, USE), replayed in order. */
interface HttpSession {
  readonly id: string;
  readonly state: string[];
  timeoutMs: number;
  expiresAt: number;
  busy: boolean;
}

interface PreparedRequest {
  /** The reader the request came from, or undefined for the main user. */
  readonly reader: ReaderAccount | undefined;
  readonly text: RequestText;
  readonly setup: string[];
  readonly format: string;
  readonly session: HttpSession | undefined;
}

export function createClickHouseHttpServer(options: HttpInterfaceOptions): Server {
  const { engine, log } = options;
  const exclusive = serializer();
  const sessions = new Map<string, HttpSession>();
  let waiting = 0;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions) if (!session.busy && session.expiresAt <= now) sessions.delete(id);
  }, 10_000);
  sweep.unref();

  /** Runs requests one at a time (one engine), refusing more than the queue holds; a request whose client left is dropped unrun. */
  const enqueue = <T>(cancelled: AbortSignal, work: () => Promise<T>): Promise<T> => {
    if (waiting >= options.maxQueuedQueries) {
      return Promise.reject(
        new HttpQueryError(
          202,
          'TOO_MANY_SIMULTANEOUS_QUERIES',
          `Too many simultaneous queries. Maximum: ${options.maxQueuedQueries} waiting (KPI_CLICKHOUSE_MAX_QUEUE)`,
        ),
      );
    }
    waiting++;
    return exclusive(async () => {
      waiting--;
      if (cancelled.aborted) throw new HttpQueryError(394, 'QUERY_WAS_CANCELLED', 'Query was cancelled: the client closed the connection before it ran');
      return work();
    });
  };

  // A session is its user's: another user naming its id gets a session of its own.
  const sessionOf = (url: URL, user: string): HttpSession | undefined => {
    const id = url.searchParams.get('session_id');
    if (!id) return undefined;
    let timeoutS = DEFAULT_SESSION_TIMEOUT_S;
    const requested = url.searchParams.get('session_timeout');
    if (requested !== null) {
      if (!/^\d+$/.test(requested)) throw new HttpQueryError(374, 'INVALID_SESSION_TIMEOUT', `Invalid session timeout: '${requested}'`);
      timeoutS = Number(requested);
      if (timeoutS > MAX_SESSION_TIMEOUT_S) {
        throw new HttpQueryError(
          374,
          'INVALID_SESSION_TIMEOUT',
          `Session timeout '${requested}' is larger than max_session_timeout: ${MAX_SESSION_TIMEOUT_S}. Maximum session timeout could be modified in configuration file`,
        );
      }
    }
    const key = `${user}\n${id}`;
    let session = sessions.get(key);
    if (session && session.expiresAt <= Date.now() && !session.busy) {
      sessions.delete(key);
      session = undefined;
    }
    if (!session) {
      if (url.searchParams.get('session_check') === '1') throw new HttpQueryError(372, 'SESSION_NOT_FOUND', `Session ${id} not found`);
      session = { id, state: [], timeoutMs: timeoutS * 1000, expiresAt: 0, busy: false };
      sessions.set(key, session);
    }
    if (session.busy) throw new HttpQueryError(373, 'SESSION_IS_LOCKED', `Session ${id} is locked by a concurrent client`);
    session.timeoutMs = timeoutS * 1000;
    return session;
  };

  const prepare = (req: IncomingMessage, url: URL, text: Buffer, user: string, reader: ReaderAccount | undefined): PreparedRequest => {
    const session = sessionOf(url, user);
    const setup: string[] = [];
    if (session) setup.push(...session.state);
    // A server runs GET requests with readonly=2: reads, and settings, but no writes.
    if (req.method === 'GET') setup.push('SET readonly = 2');
    for (const [key, value] of url.searchParams) {
      if (key.startsWith('param_')) {
        const name = key.slice('param_'.length);
        if (!IDENTIFIER.test(name)) throw new HttpQueryError(457, 'BAD_QUERY_PARAMETER', `Invalid query parameter name ${JSON.stringify(name)}`);
        setup.push(`SET param_${name} = ${quoteLiteral(value)}`);
      } else if (!PROTOCOL_PARAMS.has(key)) {
        if (!IDENTIFIER.test(key)) throw new HttpQueryError(115, 'UNKNOWN_SETTING', `Unknown setting ${JSON.stringify(key)}`);
        setup.push(`SET ${key} = ${quoteLiteral(value)}`);
      }
    }
    const database = url.searchParams.get('database') ?? headerOf(req, 'x-clickhouse-database');
    if (database !== undefined && database !== '') {
      if (!IDENTIFIER.test(database)) throw new HttpQueryError(81, 'UNKNOWN_DATABASE', `Database ${JSON.stringify(database)} does not exist`);
      setup.push(`USE ${database}`);
    }
    // Last, over whatever the session and the URL set: the reader's role, and reads only (the engine refuses to change either).
    if (reader) setup.push(`SET ROLE ${reader.role}`, 'SET readonly = 2');
    const format = url.searchParams.get('default_format') ?? headerOf(req, 'x-clickhouse-format') ?? 'TabSeparated';
    if (!IDENTIFIER.test(format)) throw new HttpQueryError(73, 'UNKNOWN_FORMAT', `Unknown output format ${format}`);
    return { reader, text: splitRequest(text), setup, format, session };
  };

  /**
   * Judges the request's statement by the engine's parser, before anything of the request is set (its query
   * parameters stay placeholders; what changes how SQL is read, the dialect, is fixed by the engine), then
   * runs the setup and the statement's canonical form.
   */
  const execute = async (prepared: PreparedRequest): Promise<QueryResult & { statement: Statement; writtenRows: number; writtenBytes: number }> => {
    const connection: EngineConnection = engine.connect();
    try {
      const statement = judgeStatement(await connection.canonical(prepared.text.sql), prepared.text.data);
      const analysis = prepared.reader ? readerAnalysis(prepared.reader, statement) : undefined;
      if ((statement.kind === 'set' || statement.kind === 'use') && !prepared.session) {
        throw new HttpQueryError(113, 'THERE_IS_NO_SESSION', 'There is no session or session context has expired');
      }
      // One call for the setup: each statement is single (ours, or a session's canonical SET/USE).
      if (prepared.setup.length > 0) await connection.query(prepared.setup.join('\n;\n'), 'TabSeparated');
      if (prepared.reader && analysis !== undefined) await checkReaderRead(connection, prepared.reader, analysis);
      if (statement.insert !== undefined) {
        const inserted = await connection.insert(statement.insert.statementFor, statement.insert.data);
        return {
          statement,
          bytes: new Uint8Array(0),
          rowsRead: 0,
          bytesRead: 0,
          writtenRows: inserted.rowsWritten,
          writtenBytes: inserted.bytesWritten,
          elapsedSeconds: inserted.elapsedSeconds,
        };
      }
      const result = await connection.query(statement.sql, prepared.format);
      if (prepared.session && (statement.kind === 'set' || statement.kind === 'use')) prepared.session.state.push(statement.sql);
      return { statement, ...result, writtenRows: 0, writtenBytes: 0 };
    } finally {
      connection.close();
    }
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => new HttpQueryError(229, 'QUERY_IS_TOO_LARGE', `Request body is larger than ${options.maxBodyBytes} bytes (KPI_CLICKHOUSE_MAX_BODY)`);
    if (declared > options.maxBodyBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > options.maxBodyBytes) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const queryId = url.searchParams.get('query_id') || randomUUID();
    const common = { 'X-ClickHouse-Server-Display-Name': SERVER_NAME, 'X-ClickHouse-Query-Id': queryId, 'X-ClickHouse-Timezone': engine.timeZone };
    const cancelled = new AbortController();
    let reader: ReaderAccount | undefined;
    res.on('close', () => {
      if (!res.writableFinished) cancelled.abort();
    });
    try {
      if (!isLoopbackHostHeader(req.headers.host)) {
        throw new HttpQueryError(
          497,
          'ACCESS_DENIED',
          `Host ${JSON.stringify(req.headers.host)} is not a loopback name: the embedded ClickHouse answers only requests addressed to this machine`,
        );
      }
      if (req.headers.origin !== undefined) {
        throw new HttpQueryError(
          497,
          'ACCESS_DENIED',
          'Requests from web pages (with an Origin header) are not allowed: the embedded ClickHouse answers programs on this machine only',
        );
      }
      if (url.pathname === '/ping' || url.pathname === '/replicas_status' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'X-ClickHouse-Server-Display-Name': SERVER_NAME }).end('Ok.\n');
        return;
      }
      if (url.pathname !== '/' || (req.method !== 'GET' && req.method !== 'POST')) {
        res
          .writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Server-Display-Name': SERVER_NAME })
          .end(`There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`);
        return;
      }
      const credentials = credentialsOf(req, url);
      const main = sameSecret(credentials.user, options.user) && sameSecret(credentials.password, options.password);
      reader = (options.readers ?? []).find((r) => sameSecret(credentials.user, r.user) && sameSecret(credentials.password, r.password));
      if (!main && !reader) {
        throw new HttpQueryError(
          516,
          'AUTHENTICATION_FAILED',
          `${credentials.user}: Authentication failed: password is incorrect, or there is no user with such name`,
        );
      }

      let body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
      const contentEncoding = headerOf(req, 'content-encoding');
      body = decodeContent(body, contentEncoding, options.maxBodyBytes);
      if (flag(url, 'decompress')) body = decodeBlocks(body, options.maxBodyBytes);
      const query = url.searchParams.get('query');
      const text = query ? Buffer.concat([Buffer.from(`${query}\n`), body]) : body;
      if (text.length === 0) throw new HttpQueryError(62, 'SYNTAX_ERROR', 'Empty query');

      const prepared = prepare(req, url, text, credentials.user, reader);
      const { session } = prepared;
      if (session) session.busy = true;
      let result;
      try {
        result = await enqueue(cancelled.signal, () => execute(prepared));
      } finally {
        if (session) {
          session.busy = false;
          session.expiresAt = Date.now() + session.timeoutMs;
        }
      }
      const format = result.statement.format ?? prepared.format;
      let payload = Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength);
      const resultBytes = payload.length;
      const headers: Record<string, string> = {
        ...common,
        'Content-Type': contentTypeOf(format),
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Summary': JSON.stringify({
          read_rows: String(result.rowsRead),
          read_bytes: String(result.bytesRead),
          written_rows: String(result.writtenRows),
          written_bytes: String(result.writtenBytes),
          result_bytes: String(resultBytes),
          elapsed_ns: String(Math.round(result.elapsedSeconds * 1e9)),
        }),
      };
      if (flag(url, 'compress')) {
        const method = url.searchParams.get('network_compression_method')?.toLowerCase() === 'zstd' ? 'zstd' : 'lz4';
        payload = encodeBlocks(payload, method);
      }
      // enable_http_compression is 1 by default (the engine's default too): Accept-Encoding alone asks for it.
      const encoding = flag(url, 'enable_http_compression', true) ? chooseResponseEncoding(headerOf(req, 'accept-encoding')) : undefined;
      if (encoding) {
        payload = encodeContent(payload, encoding);
        headers['Content-Encoding'] = encoding;
      }
      res.writeHead(200, headers).end(payload);
      log.debug(
        {
          queryId,
          method: req.method,
          kind: result.statement.kind,
          format,
          params: [...url.searchParams.keys()].join(','),
          insertBytes: result.statement.insert?.data.length,
          contentEncoding,
          acceptEncoding: headerOf(req, 'accept-encoding'),
          responseEncoding: encoding,
          compress: url.searchParams.get('compress') ?? undefined,
          decompress: url.searchParams.get('decompress') ?? undefined,
          session: session !== undefined,
          client: headerOf(req, 'user-agent'),
          bytes: payload.length,
        },
        'query done',
      );
    } catch (error) {
      const failure = parseEngineError(error);
      let detail =
        failure.clickhouseCode === 164 && req.method === 'GET'
          ? 'Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries'
          : failure.detail;
      // A refusal names the engine's one user, `default`; a server names the user who asked, and here the role and who refused.
      if (reader && detail.startsWith('default: ')) {
        const byEngine = !(error instanceof SqlRefusal) && failure.clickhouseCode === 497;
        detail = `${reader.user}: ${detail.slice('default: '.length)}${byEngine ? ` (the role ${reader.role} has no such grant: refused by the embedded engine's grants)` : ''}`;
      }
      log.debug({ queryId, code: failure.clickhouseCode, err: detail, client: headerOf(req, 'user-agent') }, 'query failed');
      if (res.headersSent || cancelled.signal.aborted) return;
      res
        .writeHead(httpStatusOf(failure.clickhouseCode), {
          ...common,
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Exception-Code': String(failure.clickhouseCode),
        })
        .end(`Code: ${failure.clickhouseCode}. DB::Exception: ${detail}. (${failure.codeName}) (version ${engine.version})\n`);
    }
  };

  // Parameters travel in the URL: allow ClickHouse's default http_max_uri_size (1 MiB).
  const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    handle(req, res).catch((error) => {
      log.error({ err: error }, 'request handler failed');
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  server.on('close', () => clearInterval(sweep));
  return server;
}

/**
 * Refuses a reader's statement that reads a system table or table function its
 * role may not, by what the engine's analyzer says it reads (readers.ts).
 */
async function checkReaderRead(connection: EngineConnection, reader: ReaderAccount, analysis: string): Promise<void> {
  let tree: string;
  try {
    const result = await connection.query(`EXPLAIN QUERY TREE ${analysis}`, 'TabSeparatedRaw');
    tree = Buffer.from(result.bytes).toString('utf8');
  } catch (error) {
    const failure = parseEngineError(error);
    const withheld = analysisMessage(reader, failure.clickhouseCode);
    throw withheld === undefined ? failure : new HttpQueryError(failure.clickhouseCode, failure.codeName, withheld);
  }
  const refusal = refusedRead(reader, objectsRead(tree));
  if (refusal) throw refusal;
}

/** A boolean URL parameter as a server reads it: 1/0, true/false. */
function flag(url: URL, name: string, otherwise = false): boolean {
  const value = url.searchParams.get(name)?.toLowerCase();
  return value === undefined ? otherwise : value === '1' || value === 'true';
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
