import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { gzipSync, gunzipSync, inflateSync, brotliDecompressSync, deflateSync } from 'node:zlib';
import type { Logger } from '../../core/logger.js';
import { serializer } from '../../core/serialize.js';

/**
 * The part of ClickHouse's HTTP interface that @clickhouse/client and BI tools
 * use, served over an embedded chDB session (DESIGN.md "Real services"):
 *
 * - `GET /ping` → `Ok.`
 * - `GET|POST /?query=…` with the SQL in `query` and/or the body (an INSERT's
 *   data follows its `FORMAT` clause in the body);
 * - `param_<name>` query parameters bound server-side to `{name:Type}`
 *   placeholders, with the HTTP interface's text (TSV-escaped) semantics;
 * - `database`, `default_format`, `query_id`, and any other URL parameter as a
 *   query-scoped setting;
 * - gzip/deflate/br request bodies, gzip responses with `enable_http_compression=1`;
 * - errors as `Code: N. DB::Exception: …` with the HTTP status and
 *   `X-ClickHouse-Exception-Code` header a ClickHouse server would send.
 *
 * chDB runs one query at a time per data directory, so requests are queued.
 * There is no authentication: the interface listens on loopback only.
 */
export interface ChdbSession {
  queryAsync(query: string, opts?: { format?: string }): Promise<{ bytes(): Uint8Array; rowsRead: number; bytesRead: number; elapsed: number }>;
}

/** URL parameters that are part of the HTTP protocol, not settings of the query. */
const PROTOCOL_PARAMS = new Set([
  'query', 'database', 'default_format', 'query_id', 'user', 'password', 'session_id', 'session_timeout',
  'session_check', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query', 'enable_http_compression',
  'http_zlib_compression_level', 'http_response_compression_method', 'send_progress_in_http_headers',
  'http_headers_progress_interval_ms', 'http_send_progress_interval_ms', 'http_response_buffer_size',
  'http_native_compression_disable_checksumming_on_decompress', 'role', 'quota_key', 'client_protocol_version',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/g;
const FORMAT_CLAUSE = /\bFORMAT\s+([A-Za-z0-9_]+)\s*$/i;
const MAX_BODY_BYTES = 1 << 30;

/** ClickHouse error codes that the HTTP interface answers with a 4xx status. */
const STATUS_BY_CODE: Record<number, number> = {
  62: 400, // SYNTAX_ERROR
  36: 400, // BAD_ARGUMENTS
  115: 400, // UNKNOWN_SETTING
  456: 400, // UNKNOWN_QUERY_PARAMETER
  457: 400, // BAD_QUERY_PARAMETER
  60: 404, // UNKNOWN_TABLE
  81: 404, // UNKNOWN_DATABASE
  516: 401, // AUTHENTICATION_FAILED
};

class HttpQueryError extends Error {
  constructor(readonly clickhouseCode: number, readonly codeName: string, message: string) {
    super(`Code: ${clickhouseCode}. DB::Exception: ${message}. (${codeName})`);
  }
}

/** A ClickHouse string literal: every value crosses into SQL quoted, never raw. */
function quoteLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function contentTypeOf(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('json')) return f.includes('eachrow') || f.includes('lines') ? 'application/x-ndjson; charset=UTF-8' : 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8';
  return 'text/plain; charset=UTF-8';
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpQueryError(36, 'BAD_ARGUMENTS', `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  switch ((req.headers['content-encoding'] ?? '').toLowerCase()) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      throw new HttpQueryError(36, 'BAD_ARGUMENTS', `unsupported Content-Encoding ${req.headers['content-encoding']}`);
  }
}

interface QueryRequest {
  sql: string;
  database: string | undefined;
  format: string;
  settings: [string, string][];
  params: [string, string][];
  queryId: string;
}

function parseRequest(url: URL, body: string): QueryRequest {
  const fromUrl = url.searchParams.get('query') ?? '';
  const sql = fromUrl && body ? `${fromUrl}\n${body}` : fromUrl || body;
  if (sql.trim() === '') throw new HttpQueryError(36, 'BAD_ARGUMENTS', 'Empty query');

  const settings: [string, string][] = [];
  const params: [string, string][] = [];
  for (const [key, value] of url.searchParams) {
    if (key.startsWith('param_')) {
      const name = key.slice('param_'.length);
      if (!IDENTIFIER.test(name)) throw new HttpQueryError(457, 'BAD_QUERY_PARAMETER', `invalid parameter name ${JSON.stringify(name)}`);
      params.push([name, value]);
    } else if (!PROTOCOL_PARAMS.has(key)) {
      if (!IDENTIFIER.test(key)) throw new HttpQueryError(115, 'UNKNOWN_SETTING', `invalid setting name ${JSON.stringify(key)}`);
      settings.push([key, value]);
    }
  }
  const database = url.searchParams.get('database') ?? undefined;
  if (database !== undefined && !IDENTIFIER.test(database)) {
    throw new HttpQueryError(81, 'UNKNOWN_DATABASE', `invalid database name ${JSON.stringify(database)}`);
  }
  // Placeholders a request does not bind must fail, as on a server: session
  // parameters of earlier requests would otherwise fill them in.
  const bound = new Set(params.map(([name]) => name));
  for (const match of sql.matchAll(PLACEHOLDER)) {
    if (!bound.has(match[1]!)) throw new HttpQueryError(456, 'UNKNOWN_QUERY_PARAMETER', `Substitution \`${match[1]}\` is not set`);
  }
  return {
    sql,
    database,
    format: url.searchParams.get('default_format') ?? 'TabSeparated',
    settings,
    params,
    queryId: url.searchParams.get('query_id') ?? randomUUID(),
  };
}

function parseChdbError(error: unknown): HttpQueryError {
  const message = error instanceof Error ? error.message : String(error);
  // chDB may nest "Code: N. DB::Exception: Code: N. DB::Exception: … (NAME) (version …). (NAME)": keep the innermost.
  const last = [...message.matchAll(/Code: (\d+)\. DB::Exception: /g)].at(-1);
  if (!last) return new HttpQueryError(1001, 'STD_EXCEPTION', message);
  const rest = message.slice(last.index + last[0].length);
  const name = [...rest.matchAll(/\(([A-Z][A-Z0-9_]+)\)/g)].at(-1)?.[1];
  const text = name ? rest.slice(0, rest.indexOf(`(${name})`)) : rest;
  return new HttpQueryError(Number(last[1]), name ?? 'UNKNOWN_EXCEPTION', text.trim().replace(/\.$/, ''));
}

export interface HttpInterfaceOptions {
  session: ChdbSession;
  log: Logger;
  serverVersion: string;
}

export function createClickHouseHttpServer({ session, log, serverVersion }: HttpInterfaceOptions): Server {
  const exclusive = serializer();

  const run = (request: QueryRequest) =>
    exclusive(async () => {
      const setup = [
        `USE ${request.database ?? 'default'}`,
        ...request.settings.map(([key, value]) => `SET ${key} = ${quoteLiteral(value)}`),
        ...request.params.map(([name, value]) => `SET param_${name} = ${quoteLiteral(value)}`),
      ];
      try {
        await session.queryAsync(setup.join(';\n'));
        return await session.queryAsync(request.sql, { format: request.format });
      } finally {
        if (request.settings.length > 0) {
          await session.queryAsync(request.settings.map(([key]) => `SET ${key} = DEFAULT`).join(';\n')).catch((error) => {
            log.error({ err: error }, 'could not reset query settings');
          });
        }
      }
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('X-ClickHouse-Server-Display-Name', 'kpi-stream-chdb');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/' || (req.method !== 'GET' && req.method !== 'POST')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(`There is no handle ${url.pathname}\n`);
      return;
    }
    let queryId = url.searchParams.get('query_id') ?? '';
    try {
      const body = req.method === 'POST' ? (await readBody(req)).toString('utf8') : '';
      const request = parseRequest(url, body);
      queryId = request.queryId;
      const started = Date.now();
      const result = await run(request);
      const format = FORMAT_CLAUSE.exec(request.sql)?.[1] ?? request.format;
      let payload = Buffer.from(result.bytes());
      const headers: Record<string, string> = {
        'Content-Type': contentTypeOf(format),
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Timezone': 'UTC',
        'X-ClickHouse-Summary': JSON.stringify({
          read_rows: String(result.rowsRead),
          read_bytes: String(result.bytesRead),
          written_rows: '0',
          written_bytes: '0',
          total_rows_to_read: '0',
          result_rows: '0',
          result_bytes: String(payload.length),
          elapsed_ns: String(Math.round(result.elapsed * 1e9)),
        }),
      };
      const accepts = String(req.headers['accept-encoding'] ?? '');
      if (url.searchParams.get('enable_http_compression') === '1' && payload.length > 0) {
        if (/\bgzip\b/.test(accepts)) {
          payload = gzipSync(payload);
          headers['Content-Encoding'] = 'gzip';
        } else if (/\bdeflate\b/.test(accepts)) {
          payload = deflateSync(payload);
          headers['Content-Encoding'] = 'deflate';
        }
      }
      res.writeHead(200, headers).end(payload);
      log.debug({ queryId, ms: Date.now() - started, bytes: payload.length }, 'query done');
    } catch (error) {
      const failure = error instanceof HttpQueryError ? error : parseChdbError(error);
      log.debug({ queryId, code: failure.clickhouseCode, err: failure.message }, 'query failed');
      res
        .writeHead(STATUS_BY_CODE[failure.clickhouseCode] ?? 500, {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Exception-Code': String(failure.clickhouseCode),
        })
        .end(`${failure.message.replace(/\.$/, '')} (version ${serverVersion})\n`);
    }
  };

  // Parameters travel in the URL: allow ClickHouse's default http_max_uri_size (1 MiB).
  return createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    handle(req, res).catch((error) => {
      log.error({ err: error }, 'request handler failed');
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
}
