import { existsSync } from 'node:fs';
import { listeningUrl, type Config } from '../../core/config.js';
import { ServiceError } from '../../core/errors.js';
import { distFile } from '../../core/paths.js';
import { serviceLayout } from '../layout.js';
import type { ServiceDefinition } from '../service.js';

const CLI_ENTRY = 'cli/main.js';

/**
 * `kpi-stream app` run in the background, as the demo leaves it for people to
 * sign in to: started with `services up app` after Kafka, ClickHouse and the
 * identity provider, stopped with the other local services by `services down`.
 * The same process a deployment runs (README "The app"), with this
 * configuration's settings. Healthy when its /readyz answers ready (with
 * KPI_METRICS_PORT set), else when it answers on its port at all.
 */
export function appService(config: Config): ServiceDefinition {
  const layout = serviceLayout(config, 'app');
  const url = listeningUrl(config.appHost, config.appPort);
  const probe = config.metricsPort > 0 ? `${listeningUrl(config.metricsHost, config.metricsPort)}/readyz` : undefined;
  const answers = async () => {
    try {
      const response = await fetch(probe ?? `${url}/`, { signal: AbortSignal.timeout(2000) });
      return probe === undefined || response.ok;
    } catch {
      return false;
    }
  };
  return {
    name: 'app',
    endpoint: config.appUrl,
    external: false,
    port: config.appPort,
    portKey: 'KPI_APP_PORT',
    layout,
    // node <cli/main.js> app: the command line's arguments are NUL-separated.
    processMarker: `${CLI_ENTRY}\0app`,
    // Its start creates topics, migrates ClickHouse and joins the applier's group.
    startTimeoutMs: 120_000,
    stopGraceMs: 10_000,
    install: async () => false,
    async prepare() {
      const entry = distFile(CLI_ENTRY);
      if (!existsSync(entry)) throw new ServiceError('app', `${entry} is missing: run \`npm run build\``);
      // This configuration's settings, whatever environment it was loaded from.
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KPI_SERVICES_DIR: config.servicesPath,
        KPI_APP_HOST: config.appHost,
        KPI_APP_PORT: String(config.appPort),
        KPI_APP_URL: config.appUrl,
        KPI_METRICS_HOST: config.metricsHost,
        KPI_METRICS_PORT: String(config.metricsPort),
        LOG_LEVEL: config.logLevel,
      };
      delete env.KPI_APP_URL_FILE;
      return { command: process.execPath, args: [entry, 'app'], env };
    },
    healthy: answers,
    async connect() {
      if (!(await answers())) throw new ServiceError('app', `kpi-stream app does not answer at ${probe ?? url}`);
    },
  };
}
