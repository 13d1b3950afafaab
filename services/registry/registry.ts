import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import { checkRegistry } from '../../topics/registry.js';
import { ServiceError } from '../../core/errors.js';
import { projectRoot } from '../../core/paths.js';
import { mavenRepository, serviceLayout } from '../layout.js';
import { run } from '../processes.js';
import type { ServiceDefinition } from '../service.js';
import { findJava, resolveWithMaven } from '../tooling.js';

/**
 * Apicurio Registry 3.3 with its Confluent-compatible API. Its storage is an
 * H2 database in a file under the service's data directory, so schema ids
 * survive a restart (records in Kafka carry those ids). Apicurio 3.3 is built
 * for Java 21, so it runs on the first Java 21+ found (KPI_REGISTRY_JAVA).
 */
export function registryService(config: Config): ServiceDefinition {
  const layout = serviceLayout(config, 'registry');
  const downloadDir = join(layout.installDir, 'download');
  const appDir = join(layout.installDir, 'app');

  return {
    name: 'registry',
    endpoint: config.registry.url,
    external: config.registry.external,
    port: config.registryPort,
    portKey: 'KPI_REGISTRY_PORT',
    layout,
    processMarker: 'quarkus-run.jar',
    startTimeoutMs: 120_000,
    stopGraceMs: 20_000,

    async install() {
      const downloaded = await resolveWithMaven('registry', {
        pom: join(projectRoot(), 'services', 'registry', 'pom.xml'),
        outputDir: downloadDir,
        repository: mavenRepository(config),
        extraArgs: ['-DincludeTypes=tar.gz'],
      });
      if (downloaded || !existsSync(join(appDir, 'quarkus-run.jar'))) {
        const archive = readdirSync(downloadDir).find((file) => file.endsWith('.tar.gz'));
        if (!archive) throw new ServiceError('registry', `Maven resolved no .tar.gz into ${downloadDir}`);
        mkdirSync(appDir, { recursive: true });
        const untar = await run('tar', ['-xzf', join(downloadDir, archive), '-C', appDir]);
        if (untar.code !== 0) throw new ServiceError('registry', `unpacking ${archive} failed: ${untar.stderr}`);
        return true;
      }
      return downloaded;
    },

    async prepare() {
      const java = await findJava('registry', 21, { key: 'KPI_REGISTRY_JAVA', value: config.registryJava });
      return {
        command: java,
        cwd: appDir,
        args: [
          '-Xms128m',
          '-Xmx512m',
          '-Djava.awt.headless=true',
          '-Dquarkus.http.host=127.0.0.1',
          `-Dquarkus.http.port=${config.registryPort}`,
          // The management interface (health, metrics) is not needed here; keep it off fixed ports.
          '-Dquarkus.management.host=127.0.0.1',
          '-Dquarkus.management.port=0',
          '-Dquarkus.http.access-log.enabled=false',
          `-Dapicurio.datasource.url=jdbc:h2:file:${join(layout.dataDir, 'registry')}`,
          '-jar',
          join(appDir, 'quarkus-run.jar'),
        ],
      };
    },

    healthy: () => registryAnswers(config.registry.url),
    connect: () => checkRegistry(config),
  };
}

async function registryAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}
