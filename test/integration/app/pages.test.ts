import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startAlerting, type Alerting } from '../../../alerting/run.js';
import { flagPublisherTo } from '../../../alerting/service.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';
import { flagFromRow } from '../../../contract/flag.js';
import { loadConfig, pseudonymKey } from '../../../core/config.js';
import type { RunningApp } from '../../../app/server.js';
import { freePort } from '../../../core/net.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { pseudonymOf } from '../../../privacy/pseudonym.js';
import { PlantClock } from '../../../processors/windows.js';
import { readReport } from '../../../reporting/run.js';
import { scorePeriods } from '../../../scoring/score.js';
import { idpService } from '../../../services/idp/service.js';
import { startService, stopService } from '../../../services/service.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { kafkaClient } from '../../../topics/client/client.js';
import { createKafka, ensureDeploymentTopics } from '../../../topics/kafka.js';
import { runTestApp } from '../support/app.js';
import { ensureChromium } from '../support/chromium.js';
import { dropTestResources, testContext } from '../support/context.js';
import { signIn as signInForToken } from '../support/oidc.js';
import { FLAGGED, PASSWORDS, seedPeople, unitsFlagOf, type DemoUser } from '../support/people.js';
import { until } from '../support/processor.js';
import { WebhookReceiver } from '../support/webhookReceiver.js';

/**
 * The app's pages in a real browser (Debian's Chromium, driven by
 * playwright-core), on the real services, signed in through the local
 * identity provider's own sign-in form as each role: the supervisor confirms
 * one flag and dismisses another, using the keyboard only for one of them;
 * the employee sees their own figures, is refused someone else's flag (the
 * page says so, and the API answers 403), and disputes the confirmed flag;
 * HR upholds the dispute, the flag is overturned in ClickHouse and the dispute
 * figures count it, live alerting resolves the alert the confirmation raised,
 * and the report leaves the flag out; the works council sees aggregates and
 * no name. An alert's link opens the flag behind it. Every page
 * is checked by axe-core (no serious or critical violation), rendered in
 * English and in Simplified Chinese, and photographed (the paths are printed).
 */
/** The page's document, as the functions run in the browser see it (the tests are compiled without the DOM's types). */
declare const document: {
  activeElement: { textContent: string | null } | null;
  querySelector(selector: string): unknown;
  documentElement: { setAttribute(name: string, value: string): void };
};

/** Each test signs in through the identity provider and drives a browser: a few seconds each, far more on a busy machine. */
const BROWSING_MS = 120_000;

// Live alerting beside the app: an anomaly rule, whose alerts reach a webhook receiver (by pseudonym, with the review link).
const rulesDir = mkdtempSync(join(tmpdir(), 'kpi-pages-rules-'));
writeFileSync(join(rulesDir, 'rules.yaml'), 'rules:\n  - { name: inflated-self-report, anomaly: any, min_severity: medium, severity: high }\n');
const SECRET = `whsec_${Buffer.from('the app pages test secret, 32 B.').toString('base64')}`;
const receiver = new WebhookReceiver([SECRET]);
const ctx = testContext('app_pages', {
  KPI_IDP_PORT: String(await freePort()),
  KPI_APP_PORT: String(await freePort()),
  KPI_METRICS_PORT: '0',
  KPI_ALERT_RULES: join(rulesDir, 'rules.yaml'),
});
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const idp = idpService(ctx.config);
const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const [A, B, C, X] = FLAGGED.map((employee) => unitsFlagOf(employee, TODAY)) as [string, string, string, string];
const shots = process.env.KPI_TEST_SCREENSHOTS ?? join(tmpdir(), `kpi-pages-${process.pid}`);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const stop = new AbortController();
let app: RunningApp;
let running: Promise<void>;
let browser: Browser;
let alerting: Alerting;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
/** The addresses a test opens to be refused: their answer's status is what it checks. */
const askedToRefuse = new Set<string>();

/** Opens a page the reader must be refused, and answers its status. */
async function refused(page: Page, path: string): Promise<number> {
  askedToRefuse.add(`${app.url}${path}`);
  return (await page.goto(`${app.url}${path}`))!.status();
}
const photographed: string[] = [];

/** A browser of its own for one person: its own cookies, the language it asks for. */
async function browse(locale = 'en-GB'): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // A refusal the test asked for (refused()) is Chromium's console error too; anything else is a fault.
    if (message.type() === 'error' && !(askedToRefuse.has(page.url()) && /^Failed to load resource/.test(message.text())))
      pageErrors.push(`${page.url()}: ${message.text()}`);
  });
  return page;
}

/** Signs in as a person does: the app's sign-in button, the identity provider's form, and back. */
async function signIn(user: DemoUser, locale?: string): Promise<Page> {
  const page = await browse(locale);
  await page.goto(`${app.url}/`);
  await page.click('a.button[href="/auth/login"]');
  await page.waitForURL((url) => url.href.startsWith(ctx.config.oidc.issuer));
  await page.fill('input[name="login"]', user);
  await page.fill('input[name="password"]', PASSWORDS[user]);
  await page.click('button[type="submit"]');
  await page.waitForURL((url) => url.href.startsWith(app.url));
  return page;
}

/**
 * Does what sends the page elsewhere (a form, a link) and waits for the new
 * document: the old one is marked first, since a form that comes back to the
 * same address would otherwise be read before its answer arrived.
 */
async function leave(page: Page, act: () => Promise<unknown>): Promise<void> {
  await page.evaluate(() => document.documentElement.setAttribute('data-left', ''));
  await act();
  await page.waitForSelector('html:not([data-left])');
}

/** axe-core on the page as it is: the violations of impact serious or critical (axe runs through the DevTools protocol, which the CSP does not govern). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 3).join(', ')}`);
}

/** The checks every page passes: accessible, no script error; then its photograph. */
async function checkAndPhotograph(page: Page, name: string): Promise<void> {
  expect({ page: name, violations: await seriousViolations(page) }).toEqual({ page: name, violations: [] });
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  photographed.push(path);
}

/** The alert events the webhook received, oldest first. */
const received = () => receiver.delivered.map((r) => JSON.parse(r.body) as AlertEvent);
/** How alerts name E000001, the demo employee: by pseudonym. */
const pseudonymOfA = () => pseudonymOf(pseudonymKey(ctx.config), 'E000001');

const flagStatus = async (flag: string) => {
  const result = await client.query({ query: 'SELECT status FROM flags_current WHERE flag_id = {flag:String}', query_params: { flag }, format: 'JSONEachRow' });
  return ((await result.json<{ status: string }>())[0] ?? { status: 'missing' }).status;
};

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  await startService(idp, ctx.log);
  await migrate(ctx.config, ctx.log, catalog);
  await seedPeople(client, catalog, ctx.log, TODAY);
  await receiver.start();
  alerting = await startAlerting(loadConfig({ ...ctx.env, KPI_ALERT_WEBHOOK_URL: receiver.url, KPI_ALERT_WEBHOOK_SECRET: SECRET }), ctx.log);
  // The flags reach alerting as detection publishes them; their reviews, as the app's applier publishes each status.
  const kafka = createKafka(ctx.config, 'app-pages-flags', ctx.log);
  await ensureDeploymentTopics(kafka, ctx.config, ctx.log);
  const producer = kafkaClient(ctx.config, 'app-pages-flags', ctx.log).producer();
  await producer.connect();
  const anomalies = await client.query({
    query: 'SELECT *, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms FROM anomalies',
    format: 'JSONEachRow',
  });
  await flagPublisherTo(producer, ctx.config)([], (await anomalies.json<Record<string, unknown>>()).map(flagFromRow));
  await producer.disconnect();
  const started = runTestApp(ctx.config, ctx.log, stop.signal);
  running = started.stopped;
  app = await started.listening;
  browser = await chromium.launch({
    executablePath: await ensureChromium(),
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  stop.abort();
  await running;
  await alerting?.stop();
  await receiver.kill();
  rmSync(rulesDir, { recursive: true, force: true });
  await stopService(idp);
  await client.close();
  await dropTestResources(ctx);
  process.stdout.write(`app pages test: ${photographed.length} screenshots in ${shots}:\n${photographed.map((p) => `  ${p}`).join('\n')}\n`);
  if (process.env.KPI_TEST_SCREENSHOTS === undefined && process.env.KPI_TEST_KEEP_DATA !== '1') rmSync(shots, { recursive: true, force: true });
}, 60_000);

test(
  'before signing in: the start page offers sign-in, every other page sends to the identity provider',
  async () => {
    const page = await browse();
    await page.goto(`${app.url}/`);
    expect(await page.textContent('h1')).toBe('Reviews and disputes');
    await checkAndPhotograph(page, 'en-start');
    // A page that does not exist is a page too, in the page's language.
    expect(await refused(page, '/no-such-page')).toBe(404);
    expect(await page.textContent('.notice.error')).toBe('There is no such page or item.');
    const response = await page.goto(`${app.url}/review`);
    expect(response!.url().startsWith(ctx.config.oidc.issuer)).toBe(true);
  },
  BROWSING_MS,
);

test(
  'the supervisor confirms one flag and dismisses another (by keyboard only); a flag outside their teams is not shown',
  async () => {
    const page = await signIn('supervisor');
    await page.goto(`${app.url}/review`);
    const shown = await page.$$eval('article.flag', (articles) => articles.map((a) => a.getAttribute('aria-labelledby')));
    expect(shown.sort()).toEqual([A, B, C].map((f) => `flag-${f}`).sort());
    expect(await page.textContent('main')).not.toContain('E000009');
    await checkAndPhotograph(page, 'en-supervisor-review');

    const flagA = page.locator(`article[aria-labelledby="flag-${A}"]`);
    await flagA.locator('input[value="confirmed"]').check();
    await flagA.locator('textarea[name="reason"]').fill('The MES counted 100 units; 150 were reported.');
    await leave(page, () => flagA.locator('button[type="submit"]').click());
    expect(page.url()).toBe(`${app.url}/review`);
    expect(await page.textContent('.notice.done')).toContain('confirmed');

    // Flag B by keyboard alone: Tab into its choices, the arrow to "dismiss", Tab to the reason, type, Tab to the button, Enter.
    const focusIs = (selector: string) => page.evaluate((s) => document.activeElement === document.querySelector(s), selector);
    for (let i = 0; i < 200 && !(await focusIs(`input[id="${B}-confirmed"]`)); i++) await page.keyboard.press('Tab');
    expect(await focusIs(`input[id="${B}-confirmed"]`)).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await focusIs(`input[id="${B}-dismissed"]:checked`)).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focusIs(`textarea[id="${B}-reason"]`)).toBe(true);
    await page.keyboard.type('Units were booked on the wrong station.');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Record the decision');
    await leave(page, () => page.keyboard.press('Enter'));
    expect(page.url()).toBe(`${app.url}/review`);
    expect(await page.textContent('.notice.done')).toContain('dismissed');
    expect([await flagStatus(A), await flagStatus(B), await flagStatus(C), await flagStatus(X)]).toEqual(['confirmed', 'dismissed', 'proposed', 'proposed']);
    await checkAndPhotograph(page, 'en-supervisor-decided');

    expect(await refused(page, `/flags/${X}`)).toBe(403);
    expect(await page.textContent('.notice.error')).toContain('You may not see this');

    // Confirmed, flag A now raises an alert, by pseudonym and with its review link, which opens flag A for the supervisor.
    await until('the confirmed flag raises an alert', () => received().some((e) => e.type === 'alert.firing'), 60_000);
    const firing = received().filter((e) => e.type === 'alert.firing');
    expect(firing.map((e) => e.employee_id)).toEqual([pseudonymOfA()]);
    expect(firing[0]!.review_url).toBe(`${app.url}/flags/${firing[0]!.fingerprint}`);
    await page.goto(firing[0]!.review_url!);
    expect(await page.getAttribute('article.flag', 'aria-labelledby')).toBe(`flag-${A}`);
    expect(await page.locator('article.flag .badge').textContent()).toBe('confirmed');
    expect(await refused(page, '/flags/no-such-alert')).toBe(404);
  },
  BROWSING_MS,
);

test(
  "the employee sees their own figures, is refused anyone else's, and disputes the confirmed flag",
  async () => {
    const page = await signIn('employee');
    await page.goto(`${app.url}/me`);
    const main = (await page.textContent('main'))!;
    expect(main).toContain('E000001');
    expect(main).not.toMatch(/E00000[3-9]/);
    expect(await page.locator(`article[aria-labelledby="flag-${A}"] .badge`).textContent()).toBe('confirmed');
    await checkAndPhotograph(page, 'en-employee');

    expect(await refused(page, `/flags/${B}`)).toBe(403);
    expect(await page.textContent('.notice.error')).toContain('no flag of that id is yours to see');
    // A flag id that names no flag gets the very same answer: the page tells no one whether a colleague was flagged.
    expect(await refused(page, '/flags/f_000000000000000000000000')).toBe(403);
    expect(await page.textContent('.notice.error')).toContain('no flag of that id is yours to see');
    await checkAndPhotograph(page, 'en-employee-refused');
    const token = await signInForToken(ctx.config, 'employee', PASSWORDS.employee);
    for (const path of ['/api/v1/flags', '/api/v1/teams/T1/summary']) {
      expect((await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${token.accessToken}` } })).status).toBe(403);
    }

    await page.goto(`${app.url}/me`);
    const flagA = page.locator(`article[aria-labelledby="flag-${A}"]`);
    await flagA.locator('summary', { hasText: 'Dispute this flag' }).click();
    await flagA.locator('textarea[name="statement"]').fill('I was moved to a second station that afternoon; the units there count too.');
    await leave(page, () => flagA.locator('button[type="submit"]').click());
    expect(page.url()).toBe(`${app.url}/me`);
    expect(await page.textContent('.notice.done')).toContain('HR will decide it');
    expect(await flagStatus(A)).toBe('disputed');
    expect(await page.locator('#disputes ~ .scroll .badge').first().textContent()).toBe('open');
  },
  BROWSING_MS,
);

test(
  "a form without its CSRF token, or with another session's, is refused and changes nothing",
  async () => {
    const page = await signIn('supervisor');
    const bare = await page.request.post(`${app.url}/flags/${C}/review`, { form: { decision: 'confirmed', reason: 'forged' }, maxRedirects: 0 });
    expect(bare.status()).toBe(403);
    const other = await signIn('hr');
    await other.goto(`${app.url}/review`);
    const foreign = await other.getAttribute('input[name="_csrf"]', 'value');
    const crossed = await page.request.post(`${app.url}/flags/${C}/review`, {
      form: { decision: 'confirmed', reason: 'forged', _csrf: foreign! },
      maxRedirects: 0,
    });
    expect(crossed.status()).toBe(403);
    expect(await flagStatus(C)).toBe('proposed');
  },
  BROWSING_MS,
);

test(
  'HR sees the dispute with both sides and upholds it: the flag is overturned and the dispute figures count it',
  async () => {
    const page = await signIn('hr');
    await page.goto(`${app.url}/disputes`);
    const dispute = page.locator('article.dispute-case').first();
    expect(await dispute.locator('blockquote').textContent()).toContain('second station');
    expect(await dispute.locator('article.flag h3').textContent()).toContain('E000001');
    await checkAndPhotograph(page, 'en-hr-disputes');
    await dispute.locator('input[value="upheld"]').check();
    await dispute.locator('textarea[name="resolution"]').fill('The second station’s units were left out of the count.');
    await leave(page, () => dispute.locator('button[type="submit"]').click());
    expect(page.url()).toBe(`${app.url}/disputes`);
    expect(await page.textContent('.notice.done')).toContain('upheld');
    expect(await flagStatus(A)).toBe('overturned');
    // Withdrawn everywhere: live alerting resolves the alert under the fingerprint it fired with ...
    const fired = received().find((e) => e.type === 'alert.firing')!;
    await until('the overturned flag resolves its alert', () => received().some((e) => e.type === 'alert.resolved'), 60_000);
    expect(
      received()
        .filter((e) => e.type === 'alert.resolved')
        .map((e) => [e.fingerprint, e.employee_id]),
    ).toEqual([[fired.fingerprint, pseudonymOfA()]]);
    // ... and the report, scored as `kpi-stream score` scores, lists only the flags still awaiting review, counting the two withdrawn.
    await scorePeriods(client, catalog, { period: 'week', timeZone: 'UTC' });
    const report = await readReport(client, {
      plant: 'P1',
      period: 'week',
      from: TODAY,
      to: TODAY + DAY,
      plantTime: new PlantClock('UTC', 0),
      catalog,
      access: { actor: 'pages-test', purpose: 'the report after the dispute' },
    });
    expect(report.anomalies.map((a) => [a.employeeId, a.review]).sort()).toEqual([
      ['E000004', 'awaiting_review'],
      ['E000009', 'awaiting_review'],
    ]);
    expect(report.totals.dismissedOnReview).toBe(2);
    expect(report.disputes).toEqual([expect.objectContaining({ plant_id: 'P1', employees: 7, disputes: 1, decided: 1, upheld: 1, share_upheld: 1 })]);
    const figures = page.locator('#dispute-figures ~ .scroll tbody tr').first();
    // Month, plant P1, 7 people, 1 dispute, 14.3 per 100, 100% upheld.
    expect(await figures.locator('td').allTextContents()).toEqual([expect.any(String), 'P1', '7', '1', '14.3', '100%', expect.any(String)]);
    await checkAndPhotograph(page, 'en-hr-decided');
  },
  BROWSING_MS,
);

test(
  'the works council sees team and plant aggregates and the dispute figures, and no name',
  async () => {
    const page = await signIn('works-council');
    await page.goto(`${app.url}/overview`);
    const main = (await page.textContent('main'))!;
    expect(main).toContain('Team T1');
    expect(main).not.toMatch(/E0000\d\d/);
    expect(main).not.toContain('Team T2');
    await checkAndPhotograph(page, 'en-works-council');
    await page.goto(`${app.url}/manifest`);
    expect(await page.textContent('h1')).toBe('What is measured, and who sees it');
    await checkAndPhotograph(page, 'en-manifest');
    expect(await refused(page, '/me')).toBe(403);
  },
  BROWSING_MS,
);

test(
  'the pages in Simplified Chinese: the browser’s language first, and the switch on the page',
  async () => {
    const chinese = {
      employee: ['/me', '我的数据'],
      supervisor: ['/review', '待审核的标记'],
      hr: ['/disputes', '申诉'],
      'works-council': ['/overview', '班组与工厂'],
    } as const;
    for (const [user, [path, heading]] of Object.entries(chinese)) {
      const page = await signIn(user as DemoUser, 'zh-CN');
      await page.goto(`${app.url}${path}`);
      expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
      expect(await page.textContent('h1')).toBe(heading);
      await checkAndPhotograph(page, `zh-${user}`);
    }
    const page = await signIn('employee');
    await page.goto(`${app.url}/me`);
    expect(await page.textContent('h1')).toBe('My figures');
    await leave(page, () => page.click('a[hreflang="zh-CN"]'));
    expect(page.url()).toBe(`${app.url}/me`);
    expect(await page.textContent('h1')).toBe('我的数据');
  },
  BROWSING_MS,
);

test(
  'every page ran without a script error',
  () => {
    expect(pageErrors).toEqual([]);
  },
  BROWSING_MS,
);
