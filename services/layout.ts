import { join } from 'node:path';
import type { Config } from '../core/config.js';

export type ServiceName = 'kafka' | 'registry' | 'clickhouse' | 'alertmanager' | 'idp' | 'app';

/** Where a local service keeps its files, all under KPI_SERVICES_DIR/<name>/. */
export interface ServiceLayout {
  readonly home: string;
  /** Downloaded artifacts (jars, the registry app). */
  readonly installDir: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export function serviceLayout(config: Config, name: ServiceName): ServiceLayout {
  const home = join(config.servicesPath, name);
  return {
    home,
    installDir: join(home, 'install'),
    dataDir: join(home, 'data'),
    logDir: join(home, 'logs'),
    logFile: join(home, 'logs', `${name}.out`),
    pidFile: join(home, `${name}.pid`),
  };
}

/** Maven's local repository for service downloads (kept out of ~/.m2 so a clone is self-contained). */
export function mavenRepository(config: Config): string {
  return join(config.servicesPath, 'm2');
}
