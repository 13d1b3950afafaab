import { createServer, type IncomingMessage, type Server } from 'node:http';
import { verifyWebhook } from '../../../alerting/targets.js';

/** One request the receiver got: its headers, body, whether its signature verified, and what it answered. */
export interface ReceivedRequest {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
  readonly verified: boolean;
  readonly status: number;
}

/**
 * A real local webhook receiver, as an alert receiver would run one: it
 * verifies every request's Standard Webhooks signature with the
 * `standardwebhooks` package (any of `secrets`), answers 401 to one that
 * does not verify, fails every `failEvery`-th request with 503 and a
 * Retry-After, and can be killed (every connection dropped, the port
 * closed) and restarted on the same port.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private count = 0;
  port = 0;

  constructor(
    private readonly secrets: readonly string[],
    private readonly failEvery = 0,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, (status, headers = {}) => res.writeHead(status, headers).end()));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Drops every connection and closes the port, as a receiver that crashed. */
  async kill(): Promise<void> {
    const server = this.server!;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/alerts`;
  }

  /** Requests that verified and were answered 2xx: alerts delivered. */
  get delivered(): ReceivedRequest[] {
    return this.requests.filter((r) => r.verified && r.status < 300);
  }

  private handle(req: IncomingMessage, answer: (status: number, headers?: Record<string, string>) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => String(req.headers[name] ?? '');
      const headers = {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      };
      let verified = true;
      try {
        verifyWebhook(this.secrets, body, headers);
      } catch {
        verified = false;
      }
      this.count += 1;
      const status = !verified ? 401 : this.failEvery > 0 && this.count % this.failEvery === 0 ? 503 : 204;
      this.requests.push({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body,
        verified,
        status,
      });
      answer(status, status === 503 ? { 'retry-after': '1' } : {});
    });
  }
}
