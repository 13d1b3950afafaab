import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isInflationFlag } from '../contract/flag.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { projectRoot } from '../core/paths.js';
import { localServices, servicesUp } from '../services/index.js';
import { stopService } from '../services/service.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { readPlacedFlags, type PlacedFlag } from '../sinks/clickhouse/queries/anomalies.js';

/** The demo users' file of the local identity provider: names, passwords and roles come from it, never from a copy. */
export const DEMO_USERS_TEMPLATE = join('tools', 'idp', 'users.yaml');
/** The file the demo writes for its run, beside its report: the template's users with this run's employee ids. */
export const DEMO_USERS_FILE = 'idp-users.yaml';

/** A user of the local identity provider, as tools/idp/users.yaml lists them. */
export interface DemoUser {
  readonly sub: string;
  readonly name: string;
  readonly password: string;
  readonly kpi_roles: readonly string[];
  readonly employee_id?: string;
}

/** Who plays the supervisor and the employee in this run: people of the simulated organisation with flags awaiting review. */
export interface DemoCast {
  /** A supervisor whose team's people have the most flags awaiting review (placed at each flag's window start). */
  readonly supervisorId: string;
  /** Their flags awaiting review. */
  readonly teamFlags: number;
  /** The most flagged person of those teams. */
  readonly employeeId: string;
  readonly employeeFlags: number;
}

/**
 * The cast for the demo's sign-ins, from the flags awaiting review: the
 * supervisor with the most of them in the teams they led (so their page has
 * something to review), and the most flagged of their people (so the
 * employee's page has something to dispute). Ties go to the smaller id; none
 * without a proposed inflation flag placed in a team with a supervisor.
 */
export function demoCast(flags: readonly Pick<PlacedFlag, 'employeeId' | 'supervisorId' | 'kind' | 'status'>[]): DemoCast | undefined {
  const placed = flags.filter((f) => f.status === 'proposed' && isInflationFlag(f) && f.supervisorId !== '');
  const most = (ids: readonly string[]): [string, number] | undefined => {
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    return [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))[0];
  };
  const supervisor = most(placed.map((f) => f.supervisorId));
  if (supervisor === undefined) return undefined;
  const [employeeId, employeeFlags] = most(placed.filter((f) => f.supervisorId === supervisor[0]).map((f) => f.employeeId))!;
  return { supervisorId: supervisor[0], teamFlags: supervisor[1], employeeId, employeeFlags };
}

/**
 * The template's users with this run's ids: whoever has the supervisor role
 * becomes the cast's supervisor, whoever is only an employee the cast's
 * employee; the others (HR, works council, analyst, admin) are as listed.
 */
export function castUsers(users: readonly DemoUser[], cast: DemoCast): DemoUser[] {
  return users.map((user) => {
    if (user.kpi_roles.includes('supervisor')) return { ...user, employee_id: cast.supervisorId };
    if (user.kpi_roles.includes('employee')) return { ...user, employee_id: cast.employeeId };
    return user;
  });
}

/** Reads an identity provider's users file (the provider itself checks it in full when it starts). */
export function readDemoUsers(path: string): DemoUser[] {
  const users = (parse(readFileSync(path, 'utf8')) as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) throw new Error(`${path}: expected a list of users under "users"`);
  return users as DemoUser[];
}

/** Writes a users file the local identity provider reads (KPI_IDP_USERS_FILE). */
export function writeDemoUsers(path: string, users: readonly DemoUser[]): void {
  writeFileSync(
    path,
    `# Written by kpi-stream demo from ${DEMO_USERS_TEMPLATE}, with the employee ids of this run's simulated plant.\n${stringify({ users })}`,
  );
}

/** Where people sign in after the demo, and as whom. */
export interface DemoPeople {
  /** The app's address (KPI_APP_URL). */
  readonly url: string;
  readonly issuer: string;
  /** The users to sign in as (empty with the plant's own identity provider, KPI_OIDC_ISSUER). */
  readonly users: readonly DemoUser[];
  /** The users file the local identity provider reads. */
  readonly usersFile?: string;
  readonly cast?: DemoCast;
  readonly seconds: number;
}

/**
 * Starts the people in the loop on the demo's data, in the background like the
 * services (`services down` stops them): the local identity provider, with
 * the demo users of tools/idp/users.yaml cast from this run's organisation and
 * flags (written beside the report and read by a restarted provider; a
 * KPI_IDP_USERS_FILE of the user's is used as it is), then `kpi-stream app`.
 */
export async function startDemoPeople(config: Config, log: Logger, client: ClickHouseClient, out: string): Promise<DemoPeople> {
  const started = Date.now();
  const cast = demoCast(await readPlacedFlags(client, { status: 'proposed' }));
  let people = config;
  let users: DemoUser[] = [];
  if (config.oidc.local) {
    if (config.idpUsersFile === undefined) {
      const template = readDemoUsers(join(projectRoot(), DEMO_USERS_TEMPLATE));
      users = cast === undefined ? template : castUsers(template, cast);
      const usersFile = join(out, DEMO_USERS_FILE);
      writeDemoUsers(usersFile, users);
      people = { ...config, idpUsersFile: usersFile };
    } else if (existsSync(config.idpUsersFile)) users = readDemoUsers(config.idpUsersFile);
  }
  // Left running by an earlier demo, they read another run's users or settings when they started: they start afresh.
  for (const service of localServices(people, ['app', 'idp'], log)) await stopService(service);
  await servicesUp(people, log, ['idp']);
  await servicesUp(people, log, ['app']);
  return {
    url: config.appUrl,
    issuer: config.oidc.issuer,
    users,
    ...(people.idpUsersFile === undefined ? {} : { usersFile: people.idpUsersFile }),
    ...(cast === undefined ? {} : { cast }),
    seconds: (Date.now() - started) / 1000,
  };
}
