import { ConfigError } from '../../core/errors.js';
import { ALL_SERVICE_NAMES, servicesDown, servicesStatus, servicesUp, type ServiceName } from '../../services/index.js';
import type { Command } from '../command.js';

export const servicesCommand: Command = {
  name: 'services',
  summary: 'Download, start, check and stop the local Kafka, schema registry and ClickHouse',
  usage: `Usage: kpi-stream services <up|down|status> [kafka|registry|clickhouse|alertmanager|idp|app …]

  up       download what is missing, start what is not running, wait until healthy
  down     stop the services kpi-stream started (SIGTERM, then SIGKILL)
  status   show each service's state, endpoint and pid, and the embedded
           ClickHouse's user and password (generated on first use)

Without names: Kafka, the registry and ClickHouse. Alertmanager (built from
the Go module proxy on first use), the local identity provider (idp) and
\`kpi-stream app\` in the background (app, as the demo leaves it) run only
when named; 'down' without names stops them too. Services given by
KAFKA_BROKERS, SCHEMA_REGISTRY_URL or CLICKHOUSE_URL are external: 'up' only
checks that they answer. Files live under KPI_SERVICES_DIR.`,

  async run(args, { config, log }) {
    const [action, ...rest] = args;
    const names = rest.length > 0 ? rest.map(parseName) : undefined;
    switch (action) {
      case 'up':
        await servicesUp(config, log, names);
        // The users and passwords of the services started here (the embedded ClickHouse's): what a BI tool connects with.
        for (const s of await servicesStatus(config, names)) if (s.access && s.state === 'running') process.stdout.write(`${s.name}\n${accessLines(s.access)}`);
        return 0;
      case 'down':
        await servicesDown(config, log, names);
        return 0;
      case 'status': {
        const statuses = await servicesStatus(config, names);
        for (const s of statuses) {
          process.stdout.write(
            `${s.name.padEnd(11)} ${s.state.padEnd(12)} ${s.endpoint}${s.pid ? `  pid ${s.pid}` : ''}${s.logFile ? `  log ${s.logFile}` : ''}\n`,
          );
          if (s.access) process.stdout.write(accessLines(s.access));
        }
        return statuses.every((s) => s.state === 'running' || s.state === 'external') ? 0 : 3;
      }
      default:
        process.stderr.write(`${this.usage}\n`);
        return 2;
    }
  },
};

function parseName(name: string): ServiceName {
  if (!(ALL_SERVICE_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError('services', `unknown service ${JSON.stringify(name)}; expected one of ${ALL_SERVICE_NAMES.join(', ')}`);
  }
  return name as ServiceName;
}

/** A service's access lines (users and passwords), indented under its status line. */
function accessLines(access: string): string {
  return access
    .split('\n')
    .map((line) => `${''.padEnd(24)} ${line}\n`)
    .join('');
}
