import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import { ServiceError } from '../../core/errors.js';
import { serviceLayout } from '../layout.js';
import { run } from '../processes.js';
import type { ServiceDefinition } from '../service.js';

/** The Alertmanager release built; v0.27.0 builds with the machine's Go from the module proxy (later ones need web assets the module lacks). */
export const ALERTMANAGER_MODULE = 'github.com/prometheus/alertmanager/cmd/alertmanager@v0.27.0';

/** What `services up alertmanager` runs it with: every alert goes to a receiver that sends nothing (read them back with the API). */
const CONFIG = `# Written by kpi-stream services up: a local Alertmanager for trying and testing alert delivery.
route:
  receiver: none
  group_by: [alertname]
receivers:
  - name: none
`;

/**
 * Prometheus Alertmanager, built once from the Go module proxy with the
 * machine's Go (`go install`, GOPATH, module and build caches under the
 * service's install directory) and run on 127.0.0.1:KPI_ALERTMANAGER_PORT
 * without clustering (its cluster port, 9094 by default, would take the
 * broker's secure listener). Not started by `services up` unless named.
 */
export function alertmanagerService(config: Config): ServiceDefinition {
  const layout = serviceLayout(config, 'alertmanager');
  const binary = join(layout.installDir, 'bin', 'alertmanager');
  const configFile = join(layout.home, 'alertmanager.yml');
  const endpoint = `http://127.0.0.1:${config.alertmanagerPort}`;
  const answers = async (path: string) => {
    try {
      return (await fetch(`${endpoint}${path}`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  };
  return {
    name: 'alertmanager',
    endpoint,
    external: false,
    port: config.alertmanagerPort,
    portKey: 'KPI_ALERTMANAGER_PORT',
    layout,
    processMarker: configFile,
    startTimeoutMs: 60_000,
    stopGraceMs: 10_000,

    async install(log) {
      if (existsSync(binary)) return false;
      mkdirSync(layout.installDir, { recursive: true });
      log.info(`building ${ALERTMANAGER_MODULE} with go install (a few minutes, once)`);
      const go = join(layout.installDir, 'go');
      const env = {
        ...process.env,
        GOBIN: join(layout.installDir, 'bin'),
        GOPATH: go,
        GOMODCACHE: join(go, 'pkg', 'mod'),
        GOCACHE: join(layout.installDir, 'go-build'),
        GOFLAGS: '-modcacherw',
        GOTOOLCHAIN: 'local',
      };
      let result;
      try {
        result = await run('go', ['install', ALERTMANAGER_MODULE], { env });
      } catch (error) {
        throw new ServiceError('alertmanager', 'Go (go) is not on PATH: Alertmanager is built from the Go module proxy', { cause: error });
      }
      if (result.code !== 0 || !existsSync(binary)) {
        const output = (result.stdout + result.stderr).trim().split('\n').slice(-15).join('\n');
        throw new ServiceError('alertmanager', `go install ${ALERTMANAGER_MODULE} failed (exit ${result.code}):\n${output}`);
      }
      return true;
    },

    async prepare() {
      writeFileSync(configFile, CONFIG);
      return {
        command: binary,
        args: [
          `--config.file=${configFile}`,
          `--storage.path=${layout.dataDir}`,
          `--web.listen-address=127.0.0.1:${config.alertmanagerPort}`,
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
      };
    },

    healthy: () => answers('/-/ready'),
    async connect() {
      if (!(await answers('/api/v2/status'))) throw new ServiceError('alertmanager', `no Alertmanager answers at ${endpoint}`);
    },
  };
}
