import { Registry } from 'prom-client';
import { AlertEvaluator } from '../../../alerting/evaluator.js';
import { alertPrivacyOf } from '../../../alerting/people.js';
import { pseudonymOf } from '../../../privacy/pseudonym.js';
import { DeliveryWorker, configuredTargets } from '../../../alerting/delivery.js';
import { parseRules } from '../../../alerting/rules.js';
import type { WindowSnapshot } from '../../../contract/windowSnapshot.js';
import { loadConfig } from '../../../core/config.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { DEFAULT_SCORING } from '../../../scoring/model.js';
import { servicesDown, servicesUp } from '../../../services/index.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { alertsTopic } from '../../../topics/definitions.js';
import { createKafka, createProducer, ensureDeploymentTopics } from '../../../topics/kafka.js';
import { dropTestResources, testContext } from '../support/context.js';
import { until } from '../support/processor.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';

/**
 * Alert events delivered from the outbox to a real Prometheus Alertmanager
 * (v0.27.0, built from the Go module proxy by `services up alertmanager`),
 * read back through Alertmanager's own API: firing alerts with docs/contract.md's
 * labels, then resolved. The delivery worker's metrics are read from the
 * registry it was given.
 */
const ctx = testContext('alertmanager');
const catalog = KpiCatalog.of();
const W0 = Date.UTC(2026, 10, 2);
let startedHere = false;
let endpoint = '';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

const activeAlerts = async (): Promise<AmAlert[]> =>
  (await (await fetch(`${endpoint}/api/v2/alerts?active=true&silenced=true&inhibited=true`)).json()) as AmAlert[];

beforeAll(async () => {
  // A failed build or start fails the test with its reason.
  const [report] = await servicesUp(ctx.config, ctx.log, ['alertmanager']);
  startedHere = report!.outcome === 'started';
  endpoint = report!.endpoint;
  await ensureDeploymentTopics(createKafka(ctx.config, 'alertmanager-test', ctx.log), ctx.config, ctx.log);
  await migrate(ctx.config, ctx.log, catalog);
}, 600_000);

afterAll(async () => {
  await dropTestResources(ctx);
  if (startedHere && process.env.KPI_KEEP_SERVICES !== '1') await servicesDown(ctx.config, ctx.log, ['alertmanager']);
}, 60_000);

test('firing and resolved alerts reach Alertmanager with the rule, severity and scope key (a pseudonym for a person) as labels', async () => {
  const privacy = alertPrivacyOf(ctx.config);
  // Events as the evaluator raises them: a station's defect rate and an employee's efficiency, both breaching, then both back.
  const evaluator = new AlertEvaluator(
    parseRules(
      {
        rules: [
          { name: 'station-defect-rate', metric: 'defect_rate', scope: 'station', above: 0.05, min_sample: 50, severity: 'high', cooldown: '0s' },
          { name: 'low-efficiency', metric: 'efficiency', scope: 'employee', below: 0.6, severity: 'medium', cooldown: '0s' },
        ],
      },
      catalog,
    ),
    catalog,
    DEFAULT_SCORING,
    privacy,
    { closed: true }, // one window, taken as closed: efficiency is judged without waiting for the next shift
  );
  const window = (version: number, measures: Record<string, number>): WindowSnapshot => ({
    employee_id: 'E7',
    window_start: W0,
    window_end: W0 + 86_400_000,
    station_id: 'S3',
    version,
    measures: { ...Object.fromEntries(catalog.measures.map((m) => [m.name, 0])), ...measures },
    report: null,
    observed_at: Date.now(),
  });
  evaluator.applyWindow(window(2, { units_inspected: 100, units_defective: 9, standard_ms: 10 * 3_600_000, run_ms: 20 * 3_600_000 }));
  const firing = evaluator.evaluate(Date.now());
  evaluator.applyWindow(window(4, { units_inspected: 400, units_defective: 9, standard_ms: 16 * 3_600_000, run_ms: 20 * 3_600_000 }));
  const resolved = evaluator.evaluate(Date.now());
  expect(firing.map((e) => e.type)).toEqual(['alert.firing', 'alert.firing']);
  expect(resolved.map((e) => e.type)).toEqual(['alert.resolved', 'alert.resolved']);

  const config = loadConfig({ ...ctx.env, KPI_ALERTMANAGER_URL: endpoint });
  const registry = new Registry();
  const worker = new DeliveryWorker(config, ctx.log, registry, { targets: configuredTargets(config), batchSize: 10, maxBackoffMs: 2000 });
  const producer = createProducer(createKafka(config, 'alertmanager-test-outbox', ctx.log));
  await producer.connect();
  const toOutbox = (events: AlertEvent[]) =>
    producer.send({ topic: alertsTopic(config), acks: -1, messages: events.map((e) => ({ key: e.fingerprint, value: JSON.stringify(e) })) });
  try {
    await worker.start();
    await toOutbox(firing);
    let alerts: AmAlert[] = [];
    await until('Alertmanager holds both alerts', async () => (alerts = await activeAlerts()).length >= 2, 60_000);
    const byName = new Map(alerts.map((a) => [a.labels.alertname, a]));
    expect(byName.get('station-defect-rate')!.labels).toEqual({
      alertname: 'station-defect-rate',
      severity: 'high',
      scope: 'station',
      station_id: 'S3',
      window_start: '2026-11-02T00:00:00.000Z',
    });
    expect(byName.get('low-efficiency')!.labels).toEqual({
      alertname: 'low-efficiency',
      severity: 'medium',
      scope: 'employee',
      employee_id: pseudonymOf(privacy.pseudonymKey, 'E7'),
      window_start: '2026-11-02T00:00:00.000Z',
    });
    const person = byName.get('low-efficiency')!;
    const reviewUrl = `${ctx.config.appUrl}/flags/${firing.find((e) => e.scope === 'employee')!.fingerprint}`;
    expect(person.annotations).toMatchObject({ metric: 'efficiency', value: '0.5', threshold: '0.6', station_id: 'S3', review_url: reviewUrl });
    expect(person.generatorURL).toBe(reviewUrl);
    // Nothing in Alertmanager names the person or explains with their figures.
    expect(JSON.stringify(person)).not.toContain('E7');
    expect(person.annotations.explanation).toBe(`A person's efficiency breaches an alert rule; see ${reviewUrl}`);
    expect(byName.get('station-defect-rate')!.annotations.explanation).toBe(firing.find((e) => e.scope === 'station')!.explanation);
    for (const alert of alerts) expect(alert.status.state).toBe('active');

    await toOutbox(resolved);
    await until('Alertmanager has both alerts resolved', async () => (await activeAlerts()).length === 0, 60_000);

    const delivered = await registry.getSingleMetric('kpi_alert_events_delivered_total')!.get();
    const count = (type: string) => delivered.values.find((v) => v.labels.target === 'alertmanager' && v.labels.type === type)?.value;
    expect(count('alert.firing')).toBe(2);
    expect(count('alert.resolved')).toBe(2);
    const attempts = await registry.getSingleMetric('kpi_alert_delivery_attempts_total')!.get();
    // One POST per outbox batch, never one per event twice: the firing pair and the resolved pair each take one POST per
    // partition they sit on, and their partitions follow the fingerprints, which follow the pseudonym key (one or two).
    const posts = attempts.values.find((v) => v.labels.outcome === 'delivered')?.value;
    expect(posts === 2 || posts === 4).toBe(true);
    expect(attempts.values.find((v) => v.labels.outcome === 'failed')).toBeUndefined();
    const latency = await registry.getSingleMetric('kpi_alert_delivery_latency_seconds')!.get();
    expect(latency.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value).toBe(4);
  } finally {
    await worker.stop();
    await producer.disconnect();
  }

  const client = createClickHouseClient(ctx.config);
  try {
    const rows = await (
      await client.query({ query: "SELECT type, target, outcome FROM alert_deliveries WHERE target = 'alertmanager' ORDER BY type", format: 'JSONEachRow' })
    ).json();
    expect(rows).toEqual([
      { type: 'alert.firing', target: 'alertmanager', outcome: 'delivered' },
      { type: 'alert.firing', target: 'alertmanager', outcome: 'delivered' },
      { type: 'alert.resolved', target: 'alertmanager', outcome: 'delivered' },
      { type: 'alert.resolved', target: 'alertmanager', outcome: 'delivered' },
    ]);
  } finally {
    await client.close();
  }
}, 120_000);
