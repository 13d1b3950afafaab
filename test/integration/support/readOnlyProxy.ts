import { createServer, request, type Server } from 'node:http';

/**
 * An HTTP proxy in front of a real ClickHouse that can turn it read-only for
 * the clients behind it: once `readOnly()` is called, every request goes on
 * with the setting readonly=1, so ClickHouse itself refuses writes (code 164).
 */
export class ReadOnlyProxy {
  private readonly = false;
  private server: Server | undefined;

  private constructor(private readonly target: URL) {}

  static async start(targetUrl: string): Promise<ReadOnlyProxy> {
    const proxy = new ReadOnlyProxy(new URL(targetUrl));
    proxy.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', proxy.target);
      if (proxy.readonly) url.searchParams.set('readonly', '1');
      const upstream = request(url, { method: req.method, headers: { ...req.headers, host: proxy.target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.server!.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server!.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  readOnly(): void {
    this.readonly = true;
  }

  async close(): Promise<void> {
    this.server!.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}
