import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair, importJWK, type JWK } from 'jose';
import { webOptions } from '../../../app/run.js';
import { startApp, type RunningApp } from '../../../app/server.js';
import { tokenVerifier } from '../../../app/tokens.js';
import { projectRoot } from '../../../core/paths.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { flagId } from '../../../people/flagId.js';
import { ReviewDesk } from '../../../people/reviewDesk.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { idpService } from '../../../services/idp/service.js';
import { serviceLayout } from '../../../services/layout.js';
import { startService, stopService } from '../../../services/service.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { reviewsTopic } from '../../../topics/definitions.js';
import { kafkaClient } from '../../../topics/client/client.js';
import type { KafkaProducer } from '../../../topics/client/port.js';
import { createKafka, ensureDeploymentTopics } from '../../../topics/kafka.js';
import { Registry } from 'prom-client';
import { dropTestResources, testContext } from '../support/context.js';
import { signIn, type SignedIn } from '../support/oidc.js';
import { demoMember, insertAssignments, insertUnitsFlags } from '../support/people.js';
import { windowRowWith } from '../support/rows.js';

/**
 * The app's read API on the real ClickHouse, with tokens from the local
 * identity provider (`services up idp`, started here on a port of its own)
 * obtained through its real sign-in: every route with every role of the demo
 * users, allowed and refused, and the tokens that must not get in.
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The demo users and an HR officer of another plant (P2) than the people here (P1).
const usersFile = join(mkdtempSync(join(tmpdir(), 'kpi-app-api-')), 'users.yaml');
writeFileSync(
  usersFile,
  readFileSync(join(projectRoot(), 'tools', 'idp', 'users.yaml'), 'utf8') +
    '  - { sub: hr-p2, name: HR officer of plant P2, password: hr-of-p2-demo, kpi_roles: [hr], plant_id: P2 }\n',
);
// The app's port is fixed before it starts: the identity provider accepts the redirect back to it only.
const ctx = testContext('app_api', { KPI_IDP_PORT: String(await freePort()), KPI_APP_PORT: String(await freePort()), KPI_IDP_USERS_FILE: usersFile });
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const idp = idpService(ctx.config);
const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 9, 5);
const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Team T1, led by the demo supervisor E000002: the demo employee E000001 and five more. Team T2, led by E000008: E000009 alone. */
const T1 = ['E000001', 'E000003', 'E000004', 'E000005', 'E000006', 'E000007'];
const PASSWORDS: Record<string, string> = {
  employee: 'employee-demo',
  supervisor: 'supervisor-demo',
  hr: 'hr-officer-demo',
  'hr-p2': 'hr-of-p2-demo',
  'works-council': 'works-council-demo',
  analyst: 'analyst-demo',
  admin: 'admin-demo',
};
const tokens: Record<string, SignedIn> = {};
let app: RunningApp;
let producer: KafkaProducer;

async function get(path: string, token?: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  await startService(idp, ctx.log);
  await migrate(ctx.config, ctx.log, catalog);
  const people = [...T1, 'E000009'];
  const windows = people.flatMap((employee) =>
    [0, 1].map((day) =>
      windowRowWith(catalog, {
        employee,
        start: MONDAY + day * DAY,
        end: MONDAY + (day + 1) * DAY,
        station: 'S001',
        measures: { units: 100, standard_ms: 3_600_000, run_ms: 3_600_000 },
        report: { units: 120, runHours: 1, defectiveUnits: 0, selfScore: 95, submittedTime: MONDAY + (day + 1) * DAY, eventId: `${employee}-r${day}` },
      }),
    ),
  );
  await new ClickHouseWindowStore(client, catalog, ctx.log).write(windows, batchToken(windows));
  await insertAssignments(client, people.map(demoMember), MONDAY - 30 * DAY);
  await insertUnitsFlags(client, ['E000001', 'E000009'], {
    day: MONDAY,
    station: 'S001',
    reported: 120,
    measured: 100,
    evidence: { reports: [{ reported: 120, measured: 100 }] },
  });
  const insert = (table: string, values: Record<string, unknown>[]) => client.insert({ table, values, format: 'JSONEachRow' });
  await insert('employee_scores', [
    {
      model_version: 'default-v1',
      period_type: 'window',
      period_start: at(MONDAY),
      employee_id: 'E000001',
      station_id: 'S001',
      score: 80,
      grade: 'qualified',
      computed_at: at(MONDAY + DAY),
    },
  ]);
  // The desk is real, and no applier runs here: a decision sent waits on the topic (decisions.test.ts has the applier).
  const kafka = createKafka(ctx.config, 'app-api-test', ctx.log);
  await ensureDeploymentTopics(kafka, ctx.config, ctx.log);
  producer = kafkaClient(ctx.config, 'app-api-test', ctx.log).producer();
  await producer.connect();
  app = await startApp({
    host: '127.0.0.1',
    port: ctx.config.appPort,
    client,
    verifier: tokenVerifier({ issuer: ctx.config.oidc.issuer, audience: ctx.config.oidc.clientId }),
    registry: new Registry(),
    log: ctx.log,
    desk: new ReviewDesk({ config: ctx.config, producer, client, waitMs: 1_000 }),
    web: webOptions(ctx.config),
  });
  for (const [login, password] of Object.entries(PASSWORDS)) tokens[login] = await signIn(ctx.config, login, password);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await producer?.disconnect();
  await stopService(idp);
  await client.close();
  await dropTestResources(ctx);
});

const ROUTES = ['/api/v1/me', '/api/v1/flags?status=proposed', '/api/v1/teams/T1/summary', '/api/v1/disputes'] as const;
/** Who gets what, per the contract: 200 where the role may read, else 403. */
const EXPECTED: Record<string, Record<(typeof ROUTES)[number], number>> = {
  employee: { '/api/v1/me': 200, '/api/v1/flags?status=proposed': 403, '/api/v1/teams/T1/summary': 403, '/api/v1/disputes': 200 },
  supervisor: { '/api/v1/me': 200, '/api/v1/flags?status=proposed': 200, '/api/v1/teams/T1/summary': 200, '/api/v1/disputes': 200 }, // also an employee: their own
  hr: { '/api/v1/me': 403, '/api/v1/flags?status=proposed': 200, '/api/v1/teams/T1/summary': 200, '/api/v1/disputes': 200 },
  // HR of another plant: reads its plant's flags and disputes (none here), not a team of P1.
  'hr-p2': { '/api/v1/me': 403, '/api/v1/flags?status=proposed': 200, '/api/v1/teams/T1/summary': 403, '/api/v1/disputes': 200 },
  'works-council': { '/api/v1/me': 403, '/api/v1/flags?status=proposed': 403, '/api/v1/teams/T1/summary': 200, '/api/v1/disputes': 403 },
  analyst: { '/api/v1/me': 403, '/api/v1/flags?status=proposed': 403, '/api/v1/teams/T1/summary': 403, '/api/v1/disputes': 403 },
  admin: { '/api/v1/me': 403, '/api/v1/flags?status=proposed': 403, '/api/v1/teams/T1/summary': 403, '/api/v1/disputes': 403 },
};

test.each(Object.keys(EXPECTED))('every route answers %s as the contract says, refusals in the error shape', async (user) => {
  for (const route of ROUTES) {
    const { status, body, headers } = await get(route, tokens[user]!.accessToken);
    expect({ user, route, status }).toEqual({ user, route, status: EXPECTED[user]![route] });
    if (status === 403) expect(body).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    expect(headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('cache-control')).toBe('no-store');
  }
});

/**
 * The decision routes, each about a subject that does not exist: HR, whose
 * scope is every flag and dispute, is told 404 (nothing is sent); every other
 * role is refused 403, as for a subject outside its scope; no token, 401.
 */
const UNKNOWN_FLAG = 'f_000000000000000000000000';
const UNKNOWN_DISPUTE = 'd_00000000-0000-4000-8000-000000000000';
const POSTS = {
  review: [`/api/v1/flags/${UNKNOWN_FLAG}/review`, { decision: 'confirmed', reason: 'checked against the MES' }],
  dispute: ['/api/v1/disputes', { subject: 'flag', subject_id: UNKNOWN_FLAG, statement: 'I counted by hand' }],
  decision: [`/api/v1/disputes/${UNKNOWN_DISPUTE}/decision`, { outcome: 'upheld', resolution: 'the hand count holds' }],
} as const;
// A flag id that names no flag is, to anyone but HR, refused as one outside their scope would be: the answer must not tell whether a colleague was flagged.
const POSTED: Record<string, Record<keyof typeof POSTS, number>> = {
  employee: { review: 403, dispute: 403, decision: 403 },
  supervisor: { review: 403, dispute: 403, decision: 403 },
  hr: { review: 404, dispute: 403, decision: 404 },
  'hr-p2': { review: 403, dispute: 403, decision: 404 },
  'works-council': { review: 403, dispute: 403, decision: 403 },
  analyst: { review: 403, dispute: 403, decision: 403 },
  admin: { review: 403, dispute: 403, decision: 403 },
};

async function post(path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test.each(Object.keys(POSTED))('every decision route answers %s as the contract says: admitted (404 on an unknown subject) or refused', async (user) => {
  for (const [name, [path, body]] of Object.entries(POSTS) as [keyof typeof POSTS, (typeof POSTS)[keyof typeof POSTS]][]) {
    const answer = await post(path, body, tokens[user]!.accessToken);
    expect({ user, name, status: answer.status }).toEqual({ user, name, status: POSTED[user]![name] });
    expect(answer.body).toEqual({ error: { code: answer.status === 404 ? 'not_found' : 'forbidden', message: expect.any(String) } });
  }
});

test('every decision route without a token: 401', async () => {
  for (const [path, body] of Object.values(POSTS)) expect(await post(path, body)).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
});

test('a decision no applier records within KPI_REVIEW_WAIT: 202, pending on kpi.reviews.v1; the flag stays proposed', async () => {
  const flag = flagId({ employeeId: 'E000001', windowStart: MONDAY, kind: 'units_overclaim', method: 'single_window' });
  const answer = await post(`/api/v1/flags/${flag}/review`, { decision: 'confirmed', reason: 'the MES shows 100 units' }, tokens.supervisor!.accessToken);
  expect(answer).toEqual({
    status: 202,
    body: {
      flag_id: flag,
      event_id: expect.any(String),
      status: 'pending',
      message: expect.stringContaining(`on ${reviewsTopic(ctx.config)} and will be applied`),
    },
  });
  expect((await get('/api/v1/flags?status=proposed', tokens.supervisor!.accessToken)).body.flags).toEqual([
    expect.objectContaining({ flag_id: flag, status: 'proposed' }),
  ]);
});

test('an employee sees their own windows, scores and flags, and no one else’s; the read is in the access log', async () => {
  const { body } = await get('/api/v1/me', tokens.employee!.accessToken);
  const windows = body.windows as Record<string, unknown>[];
  const flags = body.flags as Record<string, unknown>[];
  expect(body.employee_id).toBe('E000001');
  expect(windows.map((w) => [w.employee_id, w.window_start])).toEqual([
    ['E000001', '2026-10-05T00:00:00.000Z'],
    ['E000001', '2026-10-06T00:00:00.000Z'],
  ]);
  expect((body.scores as Record<string, unknown>[]).map((s) => [s.employee_id, s.grade])).toEqual([['E000001', 'qualified']]);
  expect(flags).toEqual([
    expect.objectContaining({
      employee_id: 'E000001',
      flag_id: flagId({ employeeId: 'E000001', windowStart: MONDAY, kind: 'units_overclaim', method: 'single_window' }),
      team_id: 'T1',
      status: 'proposed',
      explanation: expect.stringContaining('120 units'),
      evidence: { reports: [{ reported: 120, measured: 100 }] },
    }),
  ]);
  const log = await (
    await client.query({ query: `SELECT actor, action, purpose FROM access_log WHERE employee_id = 'E000001' AND action = 'app_read'`, format: 'JSONEachRow' })
  ).json();
  expect(log).toContainEqual({ actor: 'oidc:employee', action: 'app_read', purpose: 'GET /api/v1/me' });
});

test('a supervisor sees the flags of the teams they lead; HR sees all, HR of another plant none of them', async () => {
  const led = await get('/api/v1/flags?status=proposed', tokens.supervisor!.accessToken);
  expect((led.body.flags as Record<string, unknown>[]).map((f) => f.employee_id)).toEqual(['E000001']);
  const all = await get('/api/v1/flags?status=proposed', tokens.hr!.accessToken);
  expect((all.body.flags as Record<string, unknown>[]).map((f) => f.employee_id).sort()).toEqual(['E000001', 'E000009']);
  expect((await get('/api/v1/flags?status=proposed', tokens['hr-p2']!.accessToken)).body.flags).toEqual([]);
  const flagOfP1 = (all.body.flags as Record<string, unknown>[])[0]!.flag_id as string;
  expect(await post(`/api/v1/flags/${flagOfP1}/review`, { decision: 'dismissed', reason: 'not mine to judge' }, tokens['hr-p2']!.accessToken)).toEqual({
    status: 403,
    body: { error: { code: 'forbidden', message: 'no flag of that id is yours to see or decide' } },
  });
  const log = await (
    await client.query({
      query: `SELECT DISTINCT employee_id, actor FROM access_log WHERE action = 'app_read' AND purpose LIKE 'GET /api/v1/flags%' ORDER BY employee_id, actor`,
      format: 'JSONEachRow',
    })
  ).json();
  expect(log).toEqual([
    { employee_id: 'E000001', actor: 'oidc:hr' },
    { employee_id: 'E000001', actor: 'oidc:supervisor' },
    { employee_id: 'E000009', actor: 'oidc:hr' },
  ]);
});

test("a team's summary: aggregates of 5 or more; a supervisor is refused a team they do not lead", async () => {
  const summary = await get('/api/v1/teams/T1/summary', tokens['works-council']!.accessToken);
  expect((summary.body.windows as Record<string, unknown>[]).map((w) => [w.team_id, w.employees])).toEqual([
    ['T1', 6],
    ['T1', 6],
  ]);
  expect(JSON.stringify(summary.body)).not.toMatch(/E0000/);
  // T2 has one person: withheld for HR, and not the supervisor's team.
  // The plant's dispute figures (7 people in October): none disputed yet.
  expect((await get('/api/v1/teams/T2/summary', tokens.hr!.accessToken)).body).toEqual({
    team_id: 'T2',
    windows: [],
    disputes: [
      {
        period_start: '2026-10-01',
        plant_id: 'P1',
        employees: 7,
        disputes: 0,
        disputes_per_100_employees: 0,
        decided: 0,
        upheld: 0,
        share_upheld: null,
        median_days_to_decide: null,
      },
    ],
  });
  expect((await get('/api/v1/teams/T2/summary', tokens.supervisor!.accessToken)).status).toBe(403);
});

describe('tokens that must not get in: 401 in the error shape', () => {
  const refused = async (token: string | undefined, header?: string, path = '/api/v1/me') => {
    const response = await fetch(
      `${app.url}${path}`,
      header === undefined && token === undefined ? {} : { headers: { authorization: header ?? `Bearer ${token}` } },
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  };
  /** A token signed with the identity provider's own key (from its data directory), with these claims. */
  const signedByIdp = async (claims: Record<string, unknown>, expiresAt: number) => {
    const jwk = JSON.parse(readFileSync(join(serviceLayout(ctx.config, 'idp').dataDir, 'signing-key.json'), 'utf8')) as JWK;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid!, typ: 'at+jwt' })
      .setIssuer(ctx.config.oidc.issuer)
      .setAudience(ctx.config.oidc.clientId)
      .setSubject('employee')
      .setIssuedAt(expiresAt - 600)
      .setExpirationTime(expiresAt)
      .sign(await importJWK(jwk, 'ES256'));
  };
  const claims = { kpi_roles: ['employee'], employee_id: 'E000001' };

  test('none, or not a Bearer token', async () => {
    await refused(undefined);
    await refused(undefined, `Basic ${Buffer.from('employee:employee-demo').toString('base64')}`);
  });
  test('none, on a path the router decodes to an API route (/%61pi/v1/me is /api/v1/me)', async () => {
    await refused(undefined, undefined, '/%61pi/v1/me');
  });
  test('tampered: the payload changed after signing (another employee_id)', async () => {
    const [header, payload, signature] = tokens.employee!.accessToken.split('.');
    const changed = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), employee_id: 'E000009' };
    await refused(`${header}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`);
  });
  test('expired, though signed by the identity provider; the same token unexpired gets in', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await signedByIdp(claims, now - 60));
    expect((await get('/api/v1/me', await signedByIdp(claims, now + 60))).status).toBe(200);
  });
  test('from a foreign issuer, or signed by a foreign key in the issuer’s name', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = (issuer: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'foreign', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(ctx.config.oidc.clientId)
        .setSubject('employee')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    await refused(await foreign('https://idp.example.com'));
    await refused(await foreign(ctx.config.oidc.issuer));
  });
  test('an ID token in place of an access token', async () => {
    await refused(tokens.employee!.idToken);
  });
});
