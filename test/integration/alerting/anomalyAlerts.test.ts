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
import { kafkaClient } from '../../../topics/client/client.js';
import { createKafka, ensureDeploymentTopics } from '../../../topics/kafka.js';
import { flagId } from '../../../contract/flagId.js';
import { ReviewDesk, type Actor } from '../../../people/reviewDesk.js';
import { startReviewApplier, type RunningApplier } from '../../../people/run.js';
import { dropTestResources, testContext } from '../support/context.js';
import { until } from '../support/processor.js';
import { windowRowWith } from '../support/rows.js';
import { WebhookReceiver } from '../support/webhookReceiver.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';

/**
 * Inflation flags reach receivers only through anomaly rules, and only once
 * a reviewer confirmed them: the analytics service (continuous, incremental)
 * scores and checks the windows written since its last cycle, publishes its
 * flags; the reviews applier publishes each decision's flag status; the
 * evaluator raises an alert per confirmed flagged employee-window — never
 * for a proposed flag nor a measurement gap — and resolves it once a dispute
 * overturns the flag or a correction removes it. What reaches the receiver
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
let applier: RunningApplier | undefined;
const SUPERVISOR: Actor = { id: 'S-lead', role: 'supervisor' };
const HR: Actor = { id: 'H-1', role: 'hr' };
/** E-over's shifts a supervisor confirms; the others stay proposed. */
const CONFIRMED_DAYS = [0, 1, 2, 3];

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
  await ensureDeploymentTopics(createKafka(ctx.config, 'anomaly-alerts-test', ctx.log), ctx.config, ctx.log);
}, 60_000);

afterAll(async () => {
  await applier?.stop();
  await alerting?.stop();
  await receiver.kill();
  await dropTestResources(ctx);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('anomaly rules alert on confirmed inflation flags only, never on a proposed one or a gap; a dispute upheld and a correction resolve them', async () => {
  const config = loadConfig({ ...ctx.env, KPI_ALERT_WEBHOOK_URL: receiver.url, KPI_ALERT_WEBHOOK_SECRET: SECRET });
  alerting = await startAlerting(config, ctx.log);
  applier = await startReviewApplier(config, ctx.log);
  const client = createClickHouseClient(config);
  const store = new ClickHouseWindowStore(client, catalog, ctx.log);
  const producer = kafkaClient(config, 'anomaly-alerts-flags', ctx.log).producer();
  await producer.connect();
  const publish = flagPublisherTo(producer, config);
  // Every insert here is acknowledged before a cycle starts, so none is under way: no need to let rows settle.
  const cycle = () => analyticsCycle(client, catalog, config, ctx.log, publish, { settleMs: 0 });
  const received = () => receiver.delivered.map((r) => JSON.parse(r.body) as AlertEvent);
  const desk = new ReviewDesk({ config, producer, client, waitMs: 30_000 });
  /** The id of one of E-over's flags of a day (a window may hold one per method), as flags_current gives it. */
  const flagOfDay = async (day: number) => {
    const result = await client.query({
      query: `SELECT flag_id, method FROM flags_current WHERE employee_id = 'E-over' AND window_start = fromUnixTimestamp64Milli({start:Int64}) ORDER BY method`,
      query_params: { start: MONDAY + day * DAY },
      format: 'JSONEachRow',
    });
    const [flag] = await result.json<{ flag_id: string; method: 'sequential' | 'single_window' }>();
    expect(flag!.flag_id).toBe(flagId({ employeeId: 'E-over', windowStart: MONDAY + day * DAY, kind: 'units_overclaim', method: flag!.method }));
    return flag!.flag_id;
  };
  try {
    const written = rows(300, 1);
    await store.write(written, batchToken(written));
    const first = await cycle();
    expect(first).toMatchObject({ windows: written.length, employees: 10 });
    expect(first.flags).toBeGreaterThan(DAYS); // E-over's shifts, and E-gap's measurement gap
    // Every flag is a proposal: nothing names anyone until a reviewer confirms. Confirming some shifts is what tells
    // that the others, still proposed, raised nothing: their alerts would have come in the same order before these.
    for (const day of CONFIRMED_DAYS) {
      expect(await desk.review(await flagOfDay(day), 'confirmed', 'the MES count checks out', SUPERVISOR)).toMatchObject({ outcome: 'applied' });
    }
    await until('an alert per confirmed shift and rule', () => received().length >= 2 * CONFIRMED_DAYS.length, 60_000);
    // A moment for anything else the evaluator would raise to arrive: nothing does.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const ofRule = (rule: string) => received().filter((e) => e.rule === rule);
    const pseudonym = pseudonymOf(pseudonymKey(config), 'E-over');
    expect(ofRule('inflated-self-report').map((e) => [e.type, e.employee_id, e.anomaly, e.severity, e.window_start.slice(0, 10)])).toEqual(
      CONFIRMED_DAYS.map((day) => ['alert.firing', pseudonym, 'units_overclaim', 'high', new Date(MONDAY + day * DAY).toISOString().slice(0, 10)]),
    );
    for (const e of ofRule('inflated-self-report')) {
      expect(e.review_url).toBe(`${config.appUrl}/flags/${e.fingerprint}`);
      expect(e.explanation).toBe(`A flag about a person was confirmed on review: ${e.review_url}`);
    }
    expect(JSON.stringify(ofRule('inflated-self-report'))).not.toMatch(/E-over|Reported/);
    expect(ofRule('inflated-self-report-named').map((e) => [e.type, e.employee_id, e.anomaly])).toEqual(
      CONFIRMED_DAYS.map(() => ['alert.firing', 'E-over', 'units_overclaim']),
    );
    expect(ofRule('inflated-self-report-named')[0]!.explanation).toContain('Reported 300 units');
    expect(ofRule('inflated-self-report-named')[0]!.review_url).toMatch(/\/flags\/[0-9a-f]{32}$/);

    // Nothing written since: the next cycle does nothing.
    expect(await cycle()).toMatchObject({ windows: 0, flags: 0 });

    // E-over disputes the first confirmed flag and HR upholds it: the flag is overturned, and both alerts on it are
    // resolved under the fingerprints they fired with; a disputed flag still stood meanwhile.
    const disputed = await desk.openDispute('flag', await flagOfDay(0), 'the counter missed a pallet', { id: 'E-over', role: 'employee' });
    expect(disputed).toMatchObject({ outcome: 'applied', flagStatus: 'disputed' });
    expect(await desk.decideDispute(disputed.subjectId, 'upheld', 'the MES log shows the pallet', HR)).toMatchObject({
      outcome: 'applied',
      flagStatus: 'overturned',
    });
    await until('both alerts on the overturned flag resolved', () => received().filter((e) => e.type === 'alert.resolved').length >= 2, 60_000);
    const firstDay = new Date(MONDAY).toISOString();
    const onFirstDay = (type: AlertEvent['type']) =>
      received()
        .filter((e) => e.type === type && e.window_start === firstDay)
        .map((e) => [e.rule, e.fingerprint])
        .sort();
    expect(onFirstDay('alert.resolved')).toEqual(onFirstDay('alert.firing'));
    expect(received().filter((e) => e.type === 'alert.resolved' && e.window_start !== firstDay)).toEqual([]);
    const [overturned] = received().filter((e) => e.type === 'alert.resolved' && e.rule === 'inflated-self-report');
    expect(overturned).toMatchObject({ employee_id: pseudonym, explanation: `A flag about a person no longer stands: ${overturned!.review_url}` });
    expect(received().find((e) => e.type === 'alert.resolved' && e.rule === 'inflated-self-report-named')!.explanation).toBe(
      'The units_overclaim flag of employee E-over in the window from ' + firstDay + ' no longer stands: a dispute overturned it',
    );

    // HR corrects E-over's reports (a later self-report per shift): only those rows are written, scored and checked again.
    const corrected = rows(201, 2).filter((r) => r.employee_id === 'E-over');
    await store.write(corrected, batchToken(corrected));
    expect(await cycle()).toMatchObject({ windows: DAYS, employees: 1 });
    await until('every alert resolved', () => received().filter((e) => e.type === 'alert.resolved').length >= 2 * CONFIRMED_DAYS.length, 60_000);
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
