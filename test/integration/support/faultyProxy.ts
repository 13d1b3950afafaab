import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real service, for outages on demand: while down,
 * it drops every open connection and refuses new ones (they are accepted and
 * closed at once). The service itself stays real; only the network fails.
 */
export class FaultyProxy {
  private readonly sockets = new Set<Socket>();
  private up = true;
  private server: Server | undefined;

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(targetUrl: string): Promise<FaultyProxy> {
    const url = new URL(targetUrl.includes('://') ? targetUrl : `tcp://${targetUrl}`);
    const proxy = new FaultyProxy({ host: url.hostname, port: Number(url.port) });
    proxy.server = createServer((client) => proxy.accept(client));
    await new Promise<void>((resolve) => proxy.server!.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server!.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  /** The target URL with the proxy's port in place of the service's. */
  url(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.port = String(this.port);
    return url.toString().replace(/\/$/, '');
  }

  down(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.down();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  private accept(client: Socket): void {
    if (!this.up) {
      client.destroy();
      return;
    }
    const upstream = createConnection(this.target);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
