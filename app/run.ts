import type { Config } from '../core/config.js';
import { startHealthServer } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import { createProcessRegistry } from '../core/metrics.js';
import { clickhouseReachable, createClickHouseClient } from '../sinks/clickhouse/client.js';
import { startApp, type RunningApp } from './server.js';
import { tokenVerifier } from './tokens.js';

/**
 * Runs `kpi-stream app` until `signal` aborts: the API on KPI_APP_HOST:KPI_APP_PORT,
 * and, with KPI_METRICS_PORT set, /metrics, /healthz and /readyz on their own
 * port as every kpi-stream process serves them (ready once ClickHouse answers
 * and the identity provider's discovery document was read). `started` is told
 * where the app listens.
 */
export async function runApp(config: Config, log: Logger, signal: AbortSignal, started?: (app: RunningApp) => void): Promise<void> {
  const registry = createProcessRegistry();
  const client = createClickHouseClient(config, { application: 'kpi-stream-app' });
  const verifier = tokenVerifier({ issuer: config.oidc.issuer, audience: config.oidc.clientId });
  let app: RunningApp | undefined;
  const health =
    config.metricsPort > 0
      ? await startHealthServer({ registry, host: config.metricsHost, port: config.metricsPort, log, checks: [clickhouseReachable(client, config)] })
      : undefined;
  try {
    app = await startApp({ host: config.appHost, port: config.appPort, client, verifier, registry, log });
    health?.addCheck(app.oidcCheck);
    log.info({ url: app.url, issuer: config.oidc.issuer }, `app listening at ${app.url}; tokens from ${config.oidc.issuer}`);
    started?.(app);
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  } finally {
    await app?.close();
    await health?.close();
    await client.close();
  }
}
