import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagPublisherTo } from '../../../alerting/service.js';
import { startAlerting, type Alerting } from '../../../alerting/run.js';
import { loadConfig, pseudonymKey } from '../../../core/config.js';
import { pseudonymOf } from '../../../privacy/pseudonym.js';
import { analyticsCycle } from '../../../detection/analytics.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { topicDefinitions } from '../../../topics/definitions.js';
import { createKafka, createProducer, ensureTopics } from '../../../topics/kafka.js';
import { dropTestResources, testContext } from '../support/context.js';
import { until } from '../support/processor.js';
import { windowRowWith } from '../support/rows.js';
import { WebhookReceiver } from '../support/webhookReceiver.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';

/**
 * Inflation flags reach receivers only through anomaly rules: the analytics
 * service (continuous, incremental) scores and checks the windows written
 * since its last cycle, publishes its flags, and the evaluator raises an
 * alert per flagged employee-window — never for a measurement gap — and
 * resolves it once a correction removes the flag. What reaches the receiver
 * names the employee by pseudonym and links the review page, unless the rule
 * discloses them.
 */
const catalog = KpiCatalog.of();
const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 9, 5);
const DAYS = 8;
const dir = mkdtempSync(join(tmpdir(), 'kpi-anomaly-alerts-'));
const rulesFile = join(dir, 'rules.yaml');
// The same flags twice: by pseudonym (the default) and, for a rule that says so, by name with the flag's explanation.
writeFileSync(
  rulesFile,
  'rules:\n' +
    '  - { name: inflated-self-report, anomaly: any, min_severity: medium, severity: high }\n' +
    '  - { name: inflated-self-report-named, anomaly: any, min_severity: medium, severity: high, disclose: true }\n',
);
const SECRET = `whsec_${Buffer.from('anomaly alerts test secret, 32 B').toString('base64')}`;
const ctx = testContext('anomaly_alerts', { KPI_ALERT_RULES: rulesFile });
const receiver = new WebhookReceiver([SECRET]);
let alerting: Alerting;

const offsets = [-2, 1, 0, 2, -1, 1, 0, -2];
/** A station of honest operators, one who claims `overclaim` units a shift while the MES counts 200, and one honest shift the IoT gateway missed. */
const rows = (overclaim: number, version: number) =>
  Array.from({ length: DAYS }, (_, day) => {
    const row = (employee: string, reportedUnits: number, runMs = 21_600_000) =>
      windowRowWith(catalog, {
        employee,
        start: MONDAY + day * DAY,
        end: MONDAY + (day + 1) * DAY,
        station: 'S1',
        measures: { units: 200, standard_ms: 20_000_000, run_ms: runMs, idle_ms: runMs === 0 ? 0 : 7_200_000 },
        report: {
          eventId: `r-${employee}-${day}`,
          submittedTime: MONDAY,
          units: reportedUnits,
          runHours: 6 + offsets[(day + employee.length) % 8]! / 100,
          defectiveUnits: 0,
          selfScore: null,
        },
        events: version,
      });
    return [
      ...Array.from({ length: 8 }, (_, i) => row(`E-honest-${i}`, 200 + offsets[(day + i) % 8]!)),
      row('E-over', overclaim),
      row('E-gap', 200, day === DAYS - 1 ? 0 : 21_600_000),
    ];
  }).flat();

beforeAll(async () => {
  await receiver.start();
  await migrate(ctx.config, ctx.log, catalog);
  const admin = createKafka(ctx.config, 'anomaly-alerts-test', ctx.log).admin();
  await admin.connect();
  await ensureTopics(admin, topicDefinitions(ctx.config), ctx.log);
  await admin.disconnect();
}, 60_000);

afterAll(async () => {
  await alerting?.stop();
  await receiver.kill();
  await dropTestResources(ctx);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('analytics flags what was written since its last cycle; anomaly rules alert on inflation, never on a gap, and resolve on correction', async () => {
  const config = loadConfig({ ...ctx.env, KPI_ALERT_WEBHOOK_URL: receiver.url, KPI_ALERT_WEBHOOK_SECRET: SECRET });
  alerting = await startAlerting(config, ctx.log);
  const client = createClickHouseClient(config);
  const store = new ClickHouseWindowStore(client, catalog, ctx.log);
  const producer = createProducer(createKafka(config, 'anomaly-alerts-flags', ctx.log), { allowAutoTopicCreation: false });
  await producer.connect();
  const publish = flagPublisherTo(producer, config);
  // Every insert here is acknowledged before a cycle starts, so none is under way: no need to let rows settle.
  const cycle = () => analyticsCycle(client, catalog, config, ctx.log, publish, { settleMs: 0 });
  const received = () => receiver.delivered.map((r) => JSON.parse(r.body) as AlertEvent);
  try {
    const written = rows(300, 1);
    await store.write(written, batchToken(written));
    const first = await cycle();
    expect(first).toMatchObject({ windows: written.length, employees: 10 });
    expect(first.flags).toBeGreaterThan(DAYS); // E-over's shifts, and E-gap's measurement gap
    await until('an alert per inflated shift and rule', () => received().length >= 2 * DAYS, 60_000);
    const ofRule = (rule: string) => received().filter((e) => e.rule === rule);
    const pseudonym = pseudonymOf(pseudonymKey(config), 'E-over');
    expect(ofRule('inflated-self-report').map((e) => [e.type, e.employee_id, e.anomaly, e.severity])).toEqual(
      Array.from({ length: DAYS }, () => ['alert.firing', pseudonym, 'units_overclaim', 'high']),
    );
    for (const e of ofRule('inflated-self-report')) {
      expect(e.review_url).toBe(`${config.appUrl}/flags/${e.fingerprint}`);
      expect(e.explanation).toBe(`A flag about a person awaits review: ${e.review_url}`);
    }
    expect(JSON.stringify(ofRule('inflated-self-report'))).not.toMatch(/E-over|Reported/);
    expect(ofRule('inflated-self-report-named').map((e) => [e.type, e.employee_id, e.anomaly])).toEqual(
      Array.from({ length: DAYS }, () => ['alert.firing', 'E-over', 'units_overclaim']),
    );
    expect(ofRule('inflated-self-report-named')[0]!.explanation).toContain('Reported 300 units');
    expect(ofRule('inflated-self-report-named')[0]!.review_url).toMatch(/\/flags\/[0-9a-f]{32}$/);

    // Nothing written since: the next cycle does nothing.
    expect(await cycle()).toMatchObject({ windows: 0, flags: 0 });

    // HR corrects E-over's reports (a later self-report per shift): only those rows are written, scored and checked again.
    const corrected = rows(201, 2).filter((r) => r.employee_id === 'E-over');
    await store.write(corrected, batchToken(corrected));
    expect(await cycle()).toMatchObject({ windows: DAYS, employees: 1 });
    await until('every alert resolved', () => received().filter((e) => e.type === 'alert.resolved').length >= 2 * DAYS, 60_000);
    expect(
      new Set(
        received()
          .filter((e) => e.type === 'alert.resolved')
          .map((e) => e.fingerprint),
      ),
    ).toEqual(
      new Set(
        received()
          .filter((e) => e.type === 'alert.firing')
          .map((e) => e.fingerprint),
      ),
    );
    const gap = pseudonymOf(pseudonymKey(config), 'E-gap');
    expect(received().some((e) => e.employee_id === 'E-gap' || e.employee_id === gap)).toBe(false);
  } finally {
    await producer.disconnect();
    await client.close();
  }
}, 180_000);
