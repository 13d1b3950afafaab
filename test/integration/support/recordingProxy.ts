import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/** What one request through the proxy looked like, as the server saw and answered it. */
export interface RecordedRequest {
  readonly method: string;
  /** URL parameter names (values of the protocol ones below). */
  readonly params: readonly string[];
  readonly defaultFormat: string | undefined;
  readonly compress: string | undefined;
  readonly decompress: string | undefined;
  readonly sessionId: boolean;
  readonly queryInUrl: boolean;
  readonly contentEncoding: string | undefined;
  readonly acceptEncoding: string | undefined;
  readonly userAgent: string | undefined;
  readonly bodyBytes: number;
  readonly status: number;
  readonly responseEncoding: string | undefined;
  readonly responseFormat: string | undefined;
  readonly exceptionCode: string | undefined;
}

/**
 * An HTTP proxy in front of the embedded ClickHouse that passes every request
 * through unchanged and records how it looked: which formats, compression and
 * headers a real client sends, and what the server answered.
 */
export class RecordingProxy {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;

  private constructor(private readonly target: URL) {}

  static async start(targetUrl: string): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(new URL(targetUrl));
    proxy.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const upstream = request(
          { host: proxy.target.hostname, port: proxy.target.port, method: req.method, path: req.url, headers: { ...req.headers, host: proxy.target.host } },
          (answer) => {
            proxy.record(req, body.length, answer);
            res.writeHead(answer.statusCode!, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => res.destroy(error));
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.server!.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server!.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The requests recorded since `mark` (an index into `requests`). */
  since(mark: number): RecordedRequest[] {
    return this.requests.slice(mark);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private record(req: IncomingMessage, bodyBytes: number, answer: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const header = (message: IncomingMessage, name: string) => {
      const value = message.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    this.requests.push({
      method: req.method ?? '',
      params: [...new Set(url.searchParams.keys())],
      defaultFormat: url.searchParams.get('default_format') ?? undefined,
      compress: url.searchParams.get('compress') ?? undefined,
      decompress: url.searchParams.get('decompress') ?? undefined,
      sessionId: url.searchParams.has('session_id'),
      queryInUrl: url.searchParams.has('query'),
      contentEncoding: header(req, 'content-encoding'),
      acceptEncoding: header(req, 'accept-encoding'),
      userAgent: header(req, 'user-agent'),
      bodyBytes,
      status: answer.statusCode ?? 0,
      responseEncoding: header(answer, 'content-encoding'),
      responseFormat: header(answer, 'x-clickhouse-format'),
      exceptionCode: header(answer, 'x-clickhouse-exception-code'),
    });
  }
}

/** A one-line-per-kind summary of recorded requests, for a test's output and the report. */
export function summarize(requests: readonly RecordedRequest[]): string {
  const kinds = new Map<string, number>();
  for (const r of requests) {
    const key = [
      `${r.method}${r.queryInUrl ? ' query-in-URL' : ''}`,
      `format=${r.responseFormat}`,
      r.contentEncoding ? `Content-Encoding=${r.contentEncoding}` : undefined,
      r.acceptEncoding ? `Accept-Encoding=${r.acceptEncoding}` : undefined,
      r.responseEncoding ? `answered ${r.responseEncoding}` : undefined,
      r.compress ? `compress=${r.compress}` : undefined,
      r.decompress ? `decompress=${r.decompress}` : undefined,
      r.sessionId ? 'session_id' : undefined,
      `status ${r.status}${r.exceptionCode ? ` code ${r.exceptionCode}` : ''}`,
    ]
      .filter(Boolean)
      .join(' ');
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return [...kinds].map(([key, n]) => `  ${n} × ${key}`).join('\n');
}
