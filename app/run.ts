import { readPlants } from '../contract/plants.js';
import { pseudonymKey, type Config } from '../core/config.js';
import { startHealthServer, type CheckResult, type HealthCheck } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import { createProcessRegistry } from '../core/metrics.js';
import { reviewsGroup } from '../people/applier.js';
import { startReviewApplier, type RunningApplier } from '../people/run.js';
import { clickhouseReachable, createClickHouseClient } from '../sinks/clickhouse/client.js';
import { loadManifestInputs, manifest } from '../manifest/manifest.js';
import { pseudonymOf } from '../privacy/pseudonym.js';
import { startApp, type RunningApp, type WebOptions } from './server.js';
import { tokenVerifier } from './tokens.js';

/**
 * Runs `kpi-stream app` until `signal` aborts: the API on KPI_APP_HOST:KPI_APP_PORT,
 * the applier of kpi.reviews.v1 in the same process (so a decision taken
 * through the API is applied without another process; people/run.ts), and,
 * with KPI_METRICS_PORT set, /metrics, /healthz and /readyz on their own port
 * as every kpi-stream process serves them (ready once ClickHouse answers, the
 * applier is a member of its group and knows how many decisions wait for it,
 * and the identity provider's discovery document was read). `started` is told
 * where the app listens. If the applier's consumer stops for good, this
 * rejects with its error: the app does not stay up taking decisions nobody applies.
 */
export async function runApp(config: Config, log: Logger, signal: AbortSignal, started?: (app: RunningApp) => void): Promise<void> {
  const registry = createProcessRegistry();
  const client = createClickHouseClient(config, { application: 'kpi-stream-app' });
  const verifier = tokenVerifier({ issuer: config.oidc.issuer, audience: config.oidc.clientId });
  let app: RunningApp | undefined;
  let applier: RunningApplier | undefined;
  // Every check is there from the start: /readyz must not answer ready while the applier and the routes are still starting.
  const starting = (what: string): CheckResult => ({ ok: false, detail: `starting: ${what}` });
  const checks: HealthCheck[] = [
    clickhouseReachable(client, config),
    {
      name: 'reviews-applier',
      check: () => applier?.check.check() ?? starting(`creating topics, migrating ClickHouse, joining group ${reviewsGroup(config)}`),
    },
    { name: 'oidc', check: () => app?.oidcCheck.check() ?? starting(`the routes are not served yet; tokens from ${config.oidc.issuer}`) },
  ];
  const health = config.metricsPort > 0 ? await startHealthServer({ registry, host: config.metricsHost, port: config.metricsPort, log, checks }) : undefined;
  try {
    applier = await startReviewApplier(config, log);
    app = await startApp({ host: config.appHost, port: config.appPort, client, verifier, registry, log, desk: applier.desk, web: webOptions(config) });
    log.info({ url: app.url, issuer: config.oidc.issuer }, `app listening at ${app.url}; tokens from ${config.oidc.issuer}`);
    started?.(app);
    if (!signal.aborted) {
      await Promise.race([new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })), applier.failed]);
    }
  } finally {
    await app?.close();
    await applier?.stop();
    await health?.close();
    await client.close();
  }
}

/** The pages' settings from the configuration; the secrets are read (or, locally, made) here, so a missing one stops the start naming its key. */
export function webOptions(config: Config): WebOptions {
  const plants = config.plantsFile === undefined ? new Map() : readPlants(config.plantsFile);
  const key = pseudonymKey(config);
  return {
    issuer: config.oidc.issuer,
    clientId: config.oidc.clientId,
    clientSecret: config.oidc.clientSecret,
    allowHttp: config.oidc.local,
    appUrl: config.appUrl,
    sessionSecret: config.oidc.sessionSecret,
    zoneOf: (plantId) => plants.get(plantId)?.timeZone ?? config.timeZone,
    manifest: async () => manifest(config, await loadManifestInputs(config)),
    pseudonymOf: (employeeId) => pseudonymOf(key, employeeId),
  };
}
