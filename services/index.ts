import type { Config } from '../core/config.js';
import { messageOf, type KpiError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { alertmanagerService } from './alertmanager/alertmanager.js';
import { appService } from './app/service.js';
import { clickhouseService } from './clickhouse/service.js';
import { idpService } from './idp/service.js';
import { kafkaService } from './kafka/kafka.js';
import type { ServiceName } from './layout.js';
import { registryService } from './registry/registry.js';
import { serviceStatus, startService, stopService, type ServiceDefinition, type ServiceStatus, type StartReport } from './service.js';

export type { ServiceName } from './layout.js';
export type { ServiceStatus, StartReport } from './service.js';

/** The services `services up` starts when none is named. */
export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'registry', 'clickhouse'];
/**
 * Every service that can be named: Alertmanager, the identity provider and the
 * app in the background (the demo's) are started only when asked; `services
 * down` stops them all.
 */
export const ALL_SERVICE_NAMES: readonly ServiceName[] = [...SERVICE_NAMES, 'alertmanager', 'idp', 'app'];

export function localServices(config: Config, names: readonly ServiceName[] = SERVICE_NAMES, log: Logger = createLogger('silent')): ServiceDefinition[] {
  const all: Record<ServiceName, () => ServiceDefinition> = {
    kafka: () => kafkaService(config, log),
    registry: () => registryService(config),
    clickhouse: () => clickhouseService(config),
    alertmanager: () => alertmanagerService(config),
    idp: () => idpService(config),
    app: () => appService(config),
  };
  return names.map((name) => all[name]());
}

/**
 * Starts the services (in parallel) that are not running yet and waits until
 * each answers. Services the user pointed at their own servers are only checked.
 * Rejects with the first failure after every start attempt has settled.
 */
export async function servicesUp(config: Config, log: Logger, names?: readonly ServiceName[]): Promise<StartReport[]> {
  const results = await Promise.allSettled(
    localServices(config, names, log).map(async (service) => {
      log.info({ service: service.name }, `${service.name}: starting`);
      const report = await startService(service, log.child({ service: service.name }));
      log.info({ service: service.name }, describeStart(report));
      return report;
    }),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<StartReport>).value);
}

export async function servicesDown(config: Config, log: Logger, names?: readonly ServiceName[]): Promise<void> {
  await Promise.all(
    localServices(config, names ?? ALL_SERVICE_NAMES).map(async (service) => {
      const outcome = await stopService(service);
      log.info({ service: service.name, outcome }, `${service.name}: ${outcome}`);
    }),
  );
}

/**
 * Connects to each named service as kpi-stream's clients do (TLS, SASL,
 * credentials), all at once; throws the first ConnectionError, which names
 * the settings to look at. Commands call it where they start, so a wrong
 * password or CA stops them within seconds.
 */
export async function checkConnections(config: Config, names: readonly ServiceName[], log: Logger): Promise<void> {
  const results = await Promise.allSettled(localServices(config, names, log).map((service) => service.connect()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  for (const extra of failures.slice(1)) log.error({ code: (extra as KpiError).code }, messageOf(extra));
  if (failures.length > 0) throw failures[0];
}

export function servicesStatus(config: Config, names?: readonly ServiceName[]): Promise<ServiceStatus[]> {
  return Promise.all(localServices(config, names).map(serviceStatus));
}

function describeStart(report: StartReport): string {
  switch (report.outcome) {
    case 'external':
      return `${report.name}: using ${report.endpoint}`;
    case 'already-running':
      return `${report.name}: already running (pid ${report.pid}) at ${report.endpoint}`;
    case 'started': {
      const download = report.installMs > 0 ? `, downloaded in ${(report.installMs / 1000).toFixed(1)}s` : '';
      return `${report.name}: started (pid ${report.pid}) at ${report.endpoint} in ${(report.startMs / 1000).toFixed(1)}s${download}`;
    }
  }
}
