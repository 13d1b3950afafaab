import { existsSync } from 'node:fs';
import { localReaderPasswordFile, type Config } from '../../core/config.js';
import { generatedSecret } from '../../core/secrets.js';
import { READER_ROLES, type ReaderRoleName } from '../../sinks/clickhouse/readerRoles.js';
import { checkClickHouse } from '../../sinks/clickhouse/client.js';
import { ServiceError } from '../../core/errors.js';
import { distFile } from '../../core/paths.js';
import { serviceLayout } from '../layout.js';
import type { ServiceDefinition } from '../service.js';

const SERVER_ENTRY = 'tools/clickhouse/main.js';

/**
 * ClickHouse: a server when CLICKHOUSE_URL is set, otherwise the embedded
 * engine (npm chdb) in a process of its own that serves ClickHouse's HTTP
 * interface, so every other process uses @clickhouse/client either way. That
 * process is a development tool of the repository (tools/clickhouse), not part
 * of the published package: an installed kpi-stream uses a server.
 */
export function clickhouseService(config: Config): ServiceDefinition {
  const layout = serviceLayout(config, 'clickhouse');
  return {
    name: 'clickhouse',
    endpoint: config.clickhouse.url,
    external: config.clickhouse.external,
    port: config.clickhousePort,
    portKey: 'KPI_CLICKHOUSE_PORT',
    layout,
    processMarker: SERVER_ENTRY,
    startTimeoutMs: 60_000,
    stopGraceMs: 20_000,

    // chdb and its engine come with `npm install` in a clone (@chdb/lib-linux-x64-gnu, a development dependency).
    install: async () => false,

    async prepare() {
      const entry = distFile(SERVER_ENTRY);
      if (!existsSync(entry)) {
        throw new ServiceError(
          'clickhouse',
          `${entry} is missing: the embedded ClickHouse is a development tool of the kpi-stream repository (run \`npm run build\` in a clone); an installed kpi-stream needs CLICKHOUSE_URL`,
        );
      }
      return {
        command: process.execPath,
        args: [entry],
        env: {
          ...process.env,
          KPI_SERVICES_DIR: config.servicesPath,
          KPI_CLICKHOUSE_PORT: String(config.clickhousePort),
          LOG_LEVEL: config.logLevel,
        },
      };
    },

    // The user's own clients (BI tools, curl) need the password; generated ones are kept in a file only its owner reads.
    access: [
      `user ${config.clickhouse.username}, password ${config.clickhouse.password}${config.clickhouse.passwordFile ? ` (in ${config.clickhouse.passwordFile})` : ''}`,
      ...(config.clickhouse.external
        ? []
        : embeddedReaders(config.servicesPath).map((r) => `user ${r.user} (role ${r.role}), password ${r.password} (in ${r.passwordFile})`)),
    ].join('\n'),
    healthy: () => clickhouseAnswers(config.clickhouse.url),
    connect: () => checkClickHouse(config),
  };
}

/**
 * The users of the reader roles the embedded engine serves (tools/clickhouse/readers.ts): one per role, named as
 * the role, each with a password generated on first use beside the main one. A server's users are the deployment's.
 */
export function embeddedReaders(servicesPath: string): { user: string; role: ReaderRoleName; password: string; passwordFile: string }[] {
  return READER_ROLES.map((role) => {
    const passwordFile = localReaderPasswordFile(servicesPath, role.name);
    return { user: role.name, role: role.name, password: generatedSecret(passwordFile), passwordFile };
  });
}

async function clickhouseAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
    return response.ok && (await response.text()).startsWith('Ok.');
  } catch {
    return false;
  }
}
