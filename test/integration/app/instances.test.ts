import { chromium, type Browser } from 'playwright-core';
import type { RunningApp } from '../../../app/server.js';
import { loadConfig } from '../../../core/config.js';
import { freePort } from '../../../core/net.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { idpService } from '../../../services/idp/service.js';
import { startService, stopService } from '../../../services/service.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { runTestApp } from '../support/app.js';
import { ensureChromium } from '../support/chromium.js';
import { dropTestResources, testContext } from '../support/context.js';
import { signIn, type SignedIn } from '../support/oidc.js';
import { FLAGGED, PASSWORDS, seedPeople, unitsFlagOf } from '../support/people.js';

/**
 * Two instances of `kpi-stream app` behind one address, as a load balancer
 * would run them: one consumer group for their appliers (one of them holds
 * kpi.reviews.v1's partition, the other stands by), one session secret, one
 * database. A decision taken through either instance is applied and answered;
 * a browser signed in through one is signed in on the other.
 */
const ctx = testContext('app_instances', { KPI_IDP_PORT: String(await freePort()), KPI_APP_PORT: String(await freePort()), KPI_METRICS_PORT: '0' });
// The second instance: the same deployment on another port (the identity provider sends sign-ins back to the first).
const second = loadConfig({ ...ctx.env, KPI_APP_PORT: String(await freePort()) });
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const idp = idpService(ctx.config);
const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const [A, B] = FLAGGED.map((employee) => unitsFlagOf(employee, TODAY)) as [string, string];
const stop = new AbortController();
const apps: RunningApp[] = [];
const running: Promise<void>[] = [];
let supervisor: SignedIn;
let browser: Browser | undefined;

async function start(config: typeof ctx.config): Promise<RunningApp> {
  const started = runTestApp(config, ctx.log, stop.signal);
  running.push(started.stopped);
  return started.listening;
}

beforeAll(async () => {
  await startService(idp, ctx.log);
  await migrate(ctx.config, ctx.log, catalog);
  await seedPeople(client, catalog, ctx.log, TODAY);
  apps.push(await start(ctx.config), await start(second));
  supervisor = await signIn(ctx.config, 'supervisor', PASSWORDS.supervisor);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  stop.abort();
  await Promise.all(running);
  await stopService(idp);
  await client.close();
  await dropTestResources(ctx);
}, 60_000);

test('a decision through either instance is applied, whichever applier holds the partition', async () => {
  const review = (app: RunningApp, flag: string, decision: string) =>
    fetch(`${app.url}/api/v1/flags/${flag}/review`, {
      method: 'POST',
      headers: { authorization: `Bearer ${supervisor.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision, reason: `decided through ${app.url}` }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  expect(await review(apps[0]!, A, 'confirmed')).toMatchObject({ status: 200, body: { flag_id: A, status: 'confirmed' } });
  expect(await review(apps[1]!, B, 'dismissed')).toMatchObject({ status: 200, body: { flag_id: B, status: 'dismissed' } });
  // The same flag decided again through the other instance: told who decided first, as on one instance.
  expect(await review(apps[1]!, A, 'dismissed')).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
}, 120_000);

test('a browser signed in through one instance is signed in on the other (one session secret)', async () => {
  browser = await chromium.launch({
    executablePath: await ensureChromium(),
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
  await page.goto(`${apps[0]!.url}/auth/login?return=/me`);
  await page.fill('input[name="login"]', 'employee');
  await page.fill('input[name="password"]', PASSWORDS.employee);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${apps[0]!.url}/me`);
  // Cookies belong to the host, whatever the port: the second instance reads the session the first one made.
  await page.goto(`${apps[1]!.url}/me`);
  expect(page.url()).toBe(`${apps[1]!.url}/me`);
  expect(await page.textContent('h1')).toBe('My figures');
  expect(await page.locator(`article[aria-labelledby="flag-${A}"] .badge`).textContent()).toBe('confirmed');
}, 120_000);
