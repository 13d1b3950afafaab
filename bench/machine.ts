import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import type { Config } from '../core/config.js';
import { serviceLayout, type ServiceName } from '../services/layout.js';
import { readPidFile } from '../services/processes.js';

/** What a result was measured on. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
  };
}

/** The 1-minute load average: the machine is shared, so each figure is reported with the load it was measured under. */
export const load1 = (): number => Number(loadavg()[0]!.toFixed(2));

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds a process has used so far (user + system, all threads), from /proc; undefined where there is none. */
export function processCpuSeconds(pid: number): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return undefined;
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the 12th, stime the 13th.
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** The local services' processes (when `services up` runs them), to count the CPU they spend on a stage. */
export function servicePids(config: Config): Partial<Record<ServiceName, number>> {
  const pids: Partial<Record<ServiceName, number>> = {};
  for (const name of ['kafka', 'clickhouse'] as const) {
    const pid = readPidFile(serviceLayout(config, name).pidFile);
    if (pid !== undefined && processCpuSeconds(pid) !== undefined) pids[name] = pid;
  }
  return pids;
}

/** CPU seconds each service process has used so far: take it before and after a stage. */
export function serviceCpu(pids: Partial<Record<ServiceName, number>>): Partial<Record<ServiceName, number>> {
  const now: Partial<Record<ServiceName, number>> = {};
  for (const [name, pid] of Object.entries(pids) as [ServiceName, number][]) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) now[name] = seconds;
  }
  return now;
}
