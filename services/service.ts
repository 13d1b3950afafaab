import { mkdirSync } from 'node:fs';
import { ServiceError } from '../core/errors.js';
import { privateDirectory } from '../core/privateFiles.js';
import type { Logger } from '../core/logger.js';
import type { ServiceLayout, ServiceName } from './layout.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { isOurProcess, isPortOpen, readPidFile, removePidFile, spawnDetached, stopProcess, tail, writePidFile } from './processes.js';

/** How to run one local service; the lifecycle around it is the same for all. */
export interface ServiceDefinition {
  readonly name: ServiceName;
  /** What clients connect to, e.g. 127.0.0.1:9092 or http://127.0.0.1:8081/apis/ccompat/v7. */
  readonly endpoint: string;
  /** Set when the user pointed kpi-stream at their own server (KAFKA_BROKERS, …). */
  readonly external: boolean;
  readonly port: number;
  /** The config variable that sets `port`, for error messages. */
  readonly portKey: string;
  readonly layout: ServiceLayout;
  /** A string in the process's command line that identifies it as this service. */
  readonly processMarker: string;
  readonly startTimeoutMs: number;
  readonly stopGraceMs: number;
  /** Downloads what the service needs; returns whether it downloaded anything. */
  install(log: Logger): Promise<boolean>;
  /** Writes config, formats storage…; returns the command to run. */
  prepare(log: Logger): Promise<{ command: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv }>;
  /** Whether the local service answers as it should. */
  healthy(): Promise<boolean>;
  /** Connects as kpi-stream's clients do (TLS, credentials); throws a ConnectionError naming the settings to look at. */
  connect(): Promise<void>;
  /** Set-up that needs the running service (users…); runs after every `up`, so it must be idempotent. */
  afterStart?(log: Logger): Promise<void>;
  /** How a client of the user's gets in (`services status` prints it), when it takes credentials. */
  readonly access?: string;
}

export type ServiceState = 'running' | 'stopped' | 'external' | 'unreachable';

export interface ServiceStatus {
  name: ServiceName;
  state: ServiceState;
  endpoint: string;
  pid?: number;
  logFile?: string;
  access?: string;
}

export interface StartReport {
  name: ServiceName;
  outcome: 'started' | 'already-running' | 'external';
  endpoint: string;
  pid?: number;
  /** Time spent downloading, 0 when nothing was downloaded. */
  installMs: number;
  /** Time from spawn to healthy. */
  startMs: number;
}

export async function serviceStatus(service: ServiceDefinition): Promise<ServiceStatus> {
  const base = { name: service.name, endpoint: service.endpoint };
  if (service.external)
    return {
      ...base,
      state: await service.connect().then(
        () => 'external' as const,
        () => 'unreachable' as const,
      ),
    };
  const local = { ...base, ...(service.access === undefined ? {} : { access: service.access }) };
  const pid = readPidFile(service.layout.pidFile);
  if (pid !== undefined && isOurProcess(pid, service.processMarker)) {
    return { ...local, state: (await service.healthy()) ? 'running' : 'unreachable', pid, logFile: service.layout.logFile };
  }
  return { ...local, state: 'stopped' };
}

/** Starts a service unless it runs already; resolves when it is healthy. */
export async function startService(service: ServiceDefinition, log: Logger): Promise<StartReport> {
  const report = { name: service.name, endpoint: service.endpoint, installMs: 0, startMs: 0 };
  if (service.external) {
    await service.connect();
    return { ...report, outcome: 'external' };
  }

  const existing = readPidFile(service.layout.pidFile);
  if (existing !== undefined && isOurProcess(existing, service.processMarker)) {
    await waitHealthy(service, existing);
    await service.afterStart?.(log);
    return { ...report, outcome: 'already-running', pid: existing };
  }
  removePidFile(service.layout.pidFile);
  if (await isPortOpen(service.port)) {
    throw new ServiceError(service.name, `port ${service.port} (${service.portKey}) is already in use by another process; stop it or choose another port`);
  }

  // Its data (events, window rows: personal data), logs and secrets are the user's alone.
  privateDirectory(service.layout.home);
  const installStart = Date.now();
  if (await service.install(log)) report.installMs = Date.now() - installStart;
  mkdirSync(service.layout.dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(service.layout.logDir, { recursive: true, mode: 0o700 });
  const { command, args, cwd, env } = await service.prepare(log);

  const spawnedAt = Date.now();
  const pid = spawnDetached(command, args, { cwd, env, logFile: service.layout.logFile });
  writePidFile(service.layout.pidFile, pid);
  try {
    await waitHealthy(service, pid);
    await service.afterStart?.(log);
  } catch (error) {
    await stopProcess(pid, 2000);
    removePidFile(service.layout.pidFile);
    throw error;
  }
  return { ...report, outcome: 'started', pid, startMs: Date.now() - spawnedAt };
}

async function waitHealthy(service: ServiceDefinition, pid: number): Promise<void> {
  const deadline = Date.now() + service.startTimeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, service.processMarker)) {
      throw new ServiceError(service.name, `exited during start-up; last lines of ${service.layout.logFile}:\n${tail(service.layout.logFile)}`);
    }
    if (await service.healthy()) return;
    await sleep(250);
  }
  throw new ServiceError(
    service.name,
    `not healthy after ${service.startTimeoutMs / 1000}s; last lines of ${service.layout.logFile}:\n${tail(service.layout.logFile)}`,
  );
}

export async function stopService(service: ServiceDefinition): Promise<'stopped' | 'not-running' | 'external'> {
  if (service.external) return 'external';
  const pid = readPidFile(service.layout.pidFile);
  if (pid === undefined || !isOurProcess(pid, service.processMarker)) {
    removePidFile(service.layout.pidFile);
    return 'not-running';
  }
  await stopProcess(pid, service.stopGraceMs);
  removePidFile(service.layout.pidFile);
  return 'stopped';
}
