import { existsSync } from 'node:fs';
import { APP_CALLBACK_PATH, listeningUrl, type Config } from '../../core/config.js';
import { ServiceError } from '../../core/errors.js';
import { distFile } from '../../core/paths.js';
import { serviceLayout } from '../layout.js';
import type { ServiceDefinition } from '../service.js';

const SERVER_ENTRY = 'tools/idp/main.js';

/**
 * Where the app's sign-in comes back to: the only redirects the local identity
 * provider accepts. The app's public address (KPI_APP_URL), and where it
 * listens (KPI_APP_HOST, KPI_APP_PORT) when that differs, as behind a proxy.
 */
export function idpRedirectUris(config: Config): string[] {
  return [...new Set([config.appUrl, listeningUrl(config.appHost, config.appPort)].map((base) => `${base}${APP_CALLBACK_PATH}`))];
}

/**
 * The local OpenID Connect identity provider (tools/idp: npm oidc-provider),
 * for the demo and the tests: `services up idp` runs it on
 * 127.0.0.1:KPI_IDP_PORT with the users of KPI_IDP_USERS_FILE. Not started by
 * `services up` unless named, and not there at all when KPI_OIDC_ISSUER names
 * the plant's own. Like the embedded ClickHouse, a development tool of the
 * repository, left out of the published package.
 */
export function idpService(config: Config): ServiceDefinition {
  const layout = serviceLayout(config, 'idp');
  const discovery = `${config.oidc.issuer}/.well-known/openid-configuration`;
  const answers = async () => {
    try {
      const response = await fetch(discovery, { signal: AbortSignal.timeout(2000) });
      return response.ok && ((await response.json()) as { issuer?: string }).issuer === config.oidc.issuer;
    } catch {
      return false;
    }
  };
  return {
    name: 'idp',
    endpoint: config.oidc.issuer,
    external: !config.oidc.local,
    port: config.idpPort,
    portKey: 'KPI_IDP_PORT',
    layout,
    processMarker: SERVER_ENTRY,
    startTimeoutMs: 30_000,
    stopGraceMs: 5_000,
    // oidc-provider comes with `npm install` in a clone (a development dependency).
    install: async () => false,
    async prepare() {
      const entry = distFile(SERVER_ENTRY);
      if (!existsSync(entry)) {
        throw new ServiceError(
          'idp',
          `${entry} is missing: the local identity provider is a development tool of the kpi-stream repository (run \`npm run build\` in a clone); a plant sets KPI_OIDC_ISSUER`,
        );
      }
      // The provider's settings are this configuration's, whatever environment it was loaded from.
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KPI_SERVICES_DIR: config.servicesPath,
        KPI_IDP_HOST: config.idpHost,
        KPI_IDP_PORT: String(config.idpPort),
        KPI_APP_HOST: config.appHost,
        KPI_APP_PORT: String(config.appPort),
        KPI_APP_URL: config.appUrl,
        KPI_OIDC_CLIENT_ID: config.oidc.clientId,
        KPI_OIDC_CLIENT_SECRET: config.oidc.clientSecret,
        KPI_IDP_USERS_FILE: config.idpUsersFile ?? '',
        LOG_LEVEL: config.logLevel,
      };
      for (const key of ['KPI_OIDC_ISSUER', 'KPI_OIDC_CLIENT_SECRET_FILE', 'KPI_IDP_USERS_FILE_FILE', 'KPI_APP_URL_FILE']) delete env[key];
      return { command: process.execPath, args: [entry], env };
    },
    access: `users and passwords: ${config.idpUsersFile ?? 'tools/idp/users.yaml'}; client ${config.oidc.clientId}`,
    healthy: answers,
    async connect() {
      if (!(await answers())) throw new ServiceError('idp', `no OpenID Connect provider answers at ${discovery} (check KPI_OIDC_ISSUER)`);
    },
  };
}
