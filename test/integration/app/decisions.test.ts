import type { RunningApp } from '../../../app/server.js';
import { freePort } from '../../../core/net.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { idpService } from '../../../services/idp/service.js';
import { startService, stopService } from '../../../services/service.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { runTestApp } from '../support/app.js';
import { dropTestResources, testContext } from '../support/context.js';
import { signIn, type SignedIn } from '../support/oidc.js';
import { FLAGGED, PASSWORDS, seedPeople, unitsFlagOf } from '../support/people.js';

/**
 * Decisions through the app, as `kpi-stream app` runs (app/run.ts: the API
 * and the applier of kpi.reviews.v1 in one process) on the real services,
 * with tokens from the local identity provider: the supervisor reviews, the
 * employee disputes, HR decides, and the flags and figures follow. The role ×
 * route table of the decision routes is in api.test.ts.
 */
const ctx = testContext('app_decisions', { KPI_IDP_PORT: String(await freePort()), KPI_APP_PORT: String(await freePort()), KPI_METRICS_PORT: '0' });
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const idp = idpService(ctx.config);
const DAY = 86_400_000;
// Today: the dispute figures count disputes by the month they were opened in, among the people with windows that month.
const TODAY = Math.floor(Date.now() / DAY) * DAY;

/** A: the employee's, confirmed then disputed; B: dismissed; C: two reviewers at once; X: outside the supervisor's teams. */
const [A, B, C, X] = FLAGGED.map((employee) => unitsFlagOf(employee, TODAY)) as [string, string, string, string];
const tokens: Record<string, SignedIn> = {};
const stop = new AbortController();
let app: RunningApp;
let running: Promise<void>;
/** The dispute the employee opens, which HR decides. */
let disputeId = '';

async function call(method: 'GET' | 'POST', path: string, user: keyof typeof PASSWORDS, body?: unknown) {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[user]!.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
const review = (flag: string, user: keyof typeof PASSWORDS, body: unknown) => call('POST', `/api/v1/flags/${flag}/review`, user, body);
const statuses = async (path: string, user: keyof typeof PASSWORDS) =>
  ((await call('GET', path, user)).body.flags as Record<string, unknown>[]).map((f) => [f.flag_id, f.status]);

beforeAll(async () => {
  await startService(idp, ctx.log);
  await migrate(ctx.config, ctx.log, catalog);
  await seedPeople(client, catalog, ctx.log, TODAY);
  const started = runTestApp(ctx.config, ctx.log, stop.signal);
  running = started.stopped;
  app = await started.listening;
  for (const [login, password] of Object.entries(PASSWORDS)) tokens[login] = await signIn(ctx.config, login, password);
}, 180_000);

afterAll(async () => {
  stop.abort();
  await running;
  await stopService(idp);
  await client.close();
  await dropTestResources(ctx);
});

test('a review needs a decision the contract names and a reason: 400 in the error shape, and nothing decided', async () => {
  for (const body of [
    { decision: 'confirmed', reason: '' },
    { decision: 'confirmed', reason: '   ' },
    { decision: 'confirmed' },
    { decision: 'approved', reason: 'checked' },
    { decision: 'confirmed', reason: 'checked', expected_status: 'disputed' },
    { decision: 'confirmed', reason: 7 },
  ]) {
    expect(await review(C, 'supervisor', body)).toEqual({ status: 400, body: { error: { code: 'bad_request', message: expect.any(String) } } });
  }
  expect((await review('f_123', 'supervisor', { decision: 'confirmed', reason: 'checked' })).status).toBe(400);
  expect(await statuses('/api/v1/flags?status=proposed', 'hr')).toEqual([A, B, C, X].map((f) => [f, 'proposed']));
});

test('the supervisor confirms one flag and dismisses another; a flag outside their teams is refused', async () => {
  expect(await review(A, 'supervisor', { decision: 'confirmed', reason: 'the MES shows 100 units' })).toEqual({
    status: 200,
    body: { flag_id: A, event_id: expect.any(String), status: 'confirmed', flag_status: 'confirmed' },
  });
  expect(await review(B, 'supervisor', { decision: 'dismissed', reason: 'units were booked on the wrong station' })).toMatchObject({
    status: 200,
    body: { flag_id: B, status: 'dismissed' },
  });
  expect(await review(X, 'supervisor', { decision: 'confirmed', reason: 'checked' })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
  expect(await statuses('/api/v1/flags?status=confirmed', 'supervisor')).toEqual([[A, 'confirmed']]);
  expect(await statuses('/api/v1/flags?status=dismissed', 'supervisor')).toEqual([[B, 'dismissed']]);
  expect(await statuses('/api/v1/flags?status=proposed', 'supervisor')).toEqual([[C, 'proposed']]);
});

test('two reviews of one flag at once: one 200, the other 409 naming who decided first', async () => {
  const answers = await Promise.all([
    review(C, 'supervisor', { decision: 'confirmed', reason: 'checked the counts' }),
    review(C, 'hr', { decision: 'measurement_problem', reason: 'the counter was broken' }),
  ]);
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  const won = answers.find((a) => a.status === 200)!.body;
  const winner = won.status === 'confirmed' ? 'E000002 \\(supervisor\\)' : 'hr \\(hr\\)';
  expect(answers.find((a) => a.status === 409)!.body).toEqual({
    error: { code: 'conflict', message: expect.stringMatching(new RegExp(`^already ${String(won.status)} by ${winner} at 20`)) },
  });
  expect(await statuses(`/api/v1/flags?status=${String(won.status)}`, 'hr')).toContainEqual([C, won.status]);
});

test('the employee disputes the confirmed flag about them, and no one else’s', async () => {
  const statement = { subject: 'flag', statement: 'the machine was down; I counted by hand' };
  expect(await call('POST', '/api/v1/disputes', 'employee', { ...statement, subject_id: B })).toMatchObject({
    status: 403,
    body: { error: { code: 'forbidden' } },
  });
  const opened = await call('POST', '/api/v1/disputes', 'employee', { ...statement, subject_id: A });
  expect(opened).toEqual({
    status: 201,
    body: { dispute_id: expect.stringMatching(/^d_[0-9a-f-]{36}$/), event_id: expect.any(String), status: 'open', flag_status: 'disputed' },
  });
  expect(await statuses('/api/v1/me', 'employee')).toEqual([[A, 'disputed']]);
  // Disputed once is enough: the flag is no longer confirmed.
  expect(await call('POST', '/api/v1/disputes', 'employee', { ...statement, subject_id: A })).toMatchObject({
    status: 409,
    body: { error: { code: 'conflict', message: expect.stringContaining('already disputed by E000001 (employee)') } },
  });
  disputeId = String(opened.body.dispute_id);
});

test('HR upholds the dispute: the flag is overturned in /flags and /me, and the dispute figures count it', async () => {
  const decide = (outcome: string) =>
    call('POST', `/api/v1/disputes/${disputeId}/decision`, 'hr', { outcome, resolution: 'the hand count matches the shipping notes' });
  expect(await decide('upheld')).toEqual({
    status: 200,
    body: { dispute_id: disputeId, event_id: expect.any(String), status: 'upheld', flag_status: 'overturned' },
  });
  expect(await decide('rejected')).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining('already upheld by hr (hr)') } } });
  expect(await statuses('/api/v1/flags?status=overturned', 'hr')).toEqual([[A, 'overturned']]);
  expect(await statuses('/api/v1/flags?status=overturned', 'supervisor')).toEqual([[A, 'overturned']]);
  expect(await statuses('/api/v1/me', 'employee')).toEqual([[A, 'overturned']]);

  const summary = await call('GET', '/api/v1/teams/T1/summary', 'works-council');
  const month = new Date(TODAY).toISOString().slice(0, 8) + '01';
  expect(summary.body.disputes).toEqual([
    {
      period_start: month,
      plant_id: 'P1',
      employees: 7,
      disputes: 1,
      disputes_per_100_employees: expect.closeTo(100 / 7, 6),
      decided: 1,
      upheld: 1,
      share_upheld: 1,
      median_days_to_decide: expect.any(Number),
    },
  ]);
  expect(JSON.stringify(summary.body)).not.toMatch(/E0000/);
});
