import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError, messageOf } from './errors.js';
import type { Logger } from './logger.js';

/** One line of /readyz: whether a part of the process is ready, and why (never a secret: the line is served to anyone who asks). */
export interface CheckResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** Something /readyz asks: a component of the process that can tell whether it does its work. */
export interface HealthCheck {
  /** Short and stable, e.g. `clickhouse`: probes and people read it. */
  readonly name: string;
  check(): CheckResult | Promise<CheckResult>;
}

/** What /metrics serves: a prom-client registry, or anything that writes an exposition like one (the metrics of a process's worker threads merged). */
export type MetricsSource = Pick<Registry, 'metrics' | 'contentType'>;

export interface HealthServerOptions {
  /** The process's registry (core/metrics.ts), served on /metrics. */
  readonly registry: MetricsSource;
  /** What /readyz asks; every one must pass. More can be added later with `addCheck`. */
  readonly checks?: readonly HealthCheck[];
  /** KPI_METRICS_HOST. */
  readonly host: string;
  /** KPI_METRICS_PORT; 0 = a free port (tests). */
  readonly port: number;
  readonly log: Logger;
  /** A check that has not answered after this long counts as failed. */
  readonly checkTimeoutMs?: number;
}

export interface HealthServer {
  /** Where it listens, e.g. http://127.0.0.1:9464. */
  readonly url: string;
  readonly port: number;
  addCheck(check: HealthCheck): void;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 5_000;

/**
 * The one HTTP server of a kpi-stream process, for Prometheus and probes:
 *
 * - `GET /metrics`: the registry in Prometheus' text format;
 * - `GET /healthz` (liveness): 200 while the process serves requests at all.
 *   A process whose work failed exits (exit codes, README), so a live process
 *   that is stuck is a readiness matter: restarting it would not bring back
 *   ClickHouse, and would move its partitions to another member for nothing;
 * - `GET /readyz` (readiness): runs every check at once; 200 when all pass,
 *   else 503; one line per check either way (`[+] name: detail` or `[-] …`).
 *
 * A port in use or a host it cannot listen on stops start-up naming
 * KPI_METRICS_PORT or KPI_METRICS_HOST.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { registry, log } = options;
  const checks = [...(options.checks ?? [])];
  const timeoutMs = options.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
  let lastReady: boolean | undefined;

  const readiness = async (): Promise<{ ready: boolean; lines: string[] }> => {
    const results = await Promise.all(checks.map(async (check) => ({ name: check.name, ...(await runCheck(check, timeoutMs)) })));
    const ready = results.every((r) => r.ok);
    if (ready !== lastReady) {
      const failing = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
      if (ready) log.info('ready');
      // Not ready before it ever was is how a process starts; after it was, someone should look.
      else if (lastReady) log.warn(`not ready: ${failing.join('; ')}`);
      else log.info(`not ready: ${failing.join('; ')}`);
      lastReady = ready;
    }
    return { ready, lines: results.map((r) => `[${r.ok ? '+' : '-'}] ${r.name}: ${r.detail}`) };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: try /metrics, /healthz or /readyz\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      const body = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok\n');
    } else {
      const { ready, lines } = await readiness();
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${[...lines, ready ? 'ready' : 'not ready'].join('\n')}\n`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, `${req.url ?? ''}: ${messageOf(error)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  });
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenFailure(error, options.host, options.port)));
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  log.info(`serving /metrics, /healthz and /readyz on ${url}`);
  return {
    url,
    port,
    addCheck: (check) => void checks.push(check),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its connection open between scrapes.
        server.closeAllConnections();
      }),
  };
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs / 1000}s` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch (error) {
    return { ok: false, detail: messageOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

function listenFailure(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
    return new ConfigError('KPI_METRICS_PORT', `cannot listen on ${host}:${port} (${error.code}): another process uses the port, or it is privileged`);
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
    return new ConfigError('KPI_METRICS_HOST', `cannot listen on ${host} (${error.code}): not an address of this machine`);
  }
  return error;
}
