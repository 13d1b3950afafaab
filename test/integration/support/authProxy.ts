import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A small real reverse proxy in front of a real service (the registry, the
 * embedded ClickHouse), playing the gateway a plant puts there: it serves
 * HTTPS with the given key and certificate, and, given credentials, answers
 * 401 to any request without them. It passes on the service's own credentials
 * (`upstream`: the embedded ClickHouse's generated password), never the
 * client's. Everything else passes through unchanged to the service, which
 * stays real.
 */
export class AuthProxy {
  /** Requests that carried the right credentials, and those refused. */
  accepted = 0;
  refused = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    private readonly expected: string | undefined,
    private readonly protocol: 'http' | 'https',
    private readonly upstream: string | undefined,
  ) {}

  static async start(
    targetUrl: string,
    options: {
      credentials?: { username: string; password: string };
      upstream?: { username: string; password: string };
      tls?: { key: string; cert: string };
    } = {},
  ): Promise<AuthProxy> {
    const basic = (c: { username: string; password: string } | undefined) =>
      c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
    const ref: { proxy?: AuthProxy } = {};
    const handler = (req: IncomingMessage, res: ServerResponse) => ref.proxy!.forward(req, res);
    // Query parameters travel in the URL: allow long request lines, as ClickHouse and the embedded interface do.
    const maxHeaderSize = 1 << 20;
    const server = options.tls
      ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert, maxHeaderSize }, handler)
      : createHttpServer({ maxHeaderSize }, handler);
    const proxy = (ref.proxy = new AuthProxy(server, new URL(targetUrl), basic(options.credentials), options.tls ? 'https' : 'http', basic(options.upstream)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The target URL as reached through the proxy (same path, the proxy's scheme and port). */
  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `${this.protocol}://127.0.0.1:${address.port}${this.target.pathname.replace(/\/$/, '')}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Credentials as the services take them: basic auth, or ClickHouse's X-ClickHouse-User/Key headers (what @clickhouse/client sends over TLS with a CA). */
  private credentialsOf(req: IncomingMessage): string | undefined {
    const user = req.headers['x-clickhouse-user'];
    const key = req.headers['x-clickhouse-key'];
    if (typeof user === 'string' && typeof key === 'string') return `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;
    return req.headers.authorization;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    if (this.expected !== undefined && this.credentialsOf(req) !== this.expected) {
      this.refused += 1;
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="registry"' });
      res.end(JSON.stringify({ error_code: 40101, message: 'Unauthorized' }));
      req.resume();
      return;
    }
    this.accepted += 1;
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: this.target.host };
    delete headers.authorization;
    delete headers['x-clickhouse-user'];
    delete headers['x-clickhouse-key'];
    if (this.upstream !== undefined) headers.authorization = this.upstream;
    const upstream = httpRequest({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  }
}
