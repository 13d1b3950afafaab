import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { configuredTargets, DeliveryWorker } from '../../../alerting/delivery.js';
import { loadConfig, type Config } from '../../../core/config.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { DEAD_LETTER_HEADERS } from '../../../topics/deadLetters.js';
import { alertsTopic, deadLetterTopic } from '../../../topics/definitions.js';
import { kafkaClient } from '../../../topics/client/client.js';
import { createKafka, createProducer, ensureDeploymentTopics } from '../../../topics/kafka.js';
import { dropTestResources, testContext, type TestContext } from '../support/context.js';
import { until } from '../support/processor.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';

/**
 * Delivery from the outbox to a webhook and an Alertmanager (a local stub
 * that records what it is posted): a receiver that refuses for good does not
 * hold anything back, a receiver that is down holds back only itself, and a
 * record that is not an alert event is dead-lettered, never delivered.
 */
const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;

/** A local HTTP receiver answering with `answer(n)` (its n-th request, from 1) and keeping what it was sent. */
class Receiver {
  readonly bodies: string[] = [];
  private server: Server | undefined;
  url = '';
  constructor(public answer: (n: number) => { status: number; body?: string }) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.bodies.push(Buffer.concat(chunks).toString('utf8'));
        const { status, body = '' } = this.answer(this.bodies.length);
        res.writeHead(status).end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    this.server!.closeAllConnections();
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }

  /** Alert events Alertmanager was posted, by their fingerprint annotation. */
  get alertmanagerEvents(): string[] {
    return this.bodies.flatMap((b) => (JSON.parse(b) as { annotations: { event_id: string } }[]).map((a) => a.annotations.event_id));
  }
}

function alertEvent(i: number): AlertEvent {
  return {
    type: 'alert.firing',
    id: `event-${i}`,
    fingerprint: `fingerprint-${i}`,
    rule: 'station-defect-rate',
    severity: 'high',
    scope: 'station',
    employee_id: null,
    station_id: `S${i}`,
    window_start: '2026-11-02T00:00:00.000Z',
    window_end: '2026-11-03T00:00:00.000Z',
    metric: 'defect_rate',
    value: 0.09,
    threshold: 0.05,
    anomaly: null,
    explanation: `defect_rate of station S${i} is 0.09, above 0.05`,
    started_at: new Date().toISOString(),
    ended_at: null,
    observed_at: new Date().toISOString(),
    review_url: null,
  };
}

interface Setup {
  ctx: TestContext;
  config: Config;
  registry: Registry;
  worker: DeliveryWorker;
  webhook: Receiver;
  alertmanager: Receiver;
  toOutbox(values: (AlertEvent | string)[]): Promise<void>;
  close(): Promise<void>;
}

/** `beforeStart`: what the outbox and the groups hold before the worker starts (an earlier version's work). */
async function setup(
  name: string,
  webhookAnswer: Receiver['answer'],
  beforeStart: (ctx: TestContext, config: Config, toOutbox: Setup['toOutbox']) => Promise<void> = async () => undefined,
): Promise<Setup> {
  const ctx = testContext(name);
  await ensureDeploymentTopics(createKafka(ctx.config, `${name}-admin`, ctx.log), ctx.config, ctx.log);
  await migrate(ctx.config, ctx.log, KpiCatalog.of());
  const webhook = new Receiver(webhookAnswer);
  const alertmanager = new Receiver(() => ({ status: 200 }));
  await webhook.start();
  await alertmanager.start();
  const config = loadConfig({
    ...ctx.env,
    KPI_ALERT_WEBHOOK_URL: `${webhook.url}/hook`,
    KPI_ALERT_WEBHOOK_SECRET: SECRET,
    KPI_ALERTMANAGER_URL: alertmanager.url,
  });
  const registry = new Registry();
  const worker = new DeliveryWorker(config, ctx.log, registry, { targets: configuredTargets(config), batchSize: 10, maxBackoffMs: 1000 });
  const producer = createProducer(createKafka(config, `${name}-outbox`, ctx.log));
  await producer.connect();
  const toOutbox: Setup['toOutbox'] = async (values) => {
    await producer.send({
      topic: alertsTopic(config),
      acks: -1,
      // One key: one partition, so the outbox keeps the order they were written in.
      messages: values.map((v) => ({ key: 'one', value: typeof v === 'string' ? v : JSON.stringify(v) })),
    });
  };
  await beforeStart(ctx, config, toOutbox);
  await worker.start();
  return {
    ctx,
    config,
    registry,
    worker,
    webhook,
    alertmanager,
    toOutbox,
    close: async () => {
      await worker.stop();
      await producer.disconnect();
      await webhook.stop();
      await alertmanager.stop();
      await dropTestResources(ctx);
    },
  };
}

async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

async function rows<T>(config: Config, query: string): Promise<T[]> {
  const client = createClickHouseClient(config);
  try {
    return await (await client.query({ query, format: 'JSONEachRow' })).json<T>();
  } finally {
    await client.close();
  }
}

const count = async (config: Config, from: string) => Number((await rows<{ n: string }>(config, `SELECT count() AS n FROM ${from}`))[0]!.n);

test('a webhook that refuses for good (400, 401, 404, 413) is recorded as failed with its answer, once each, and holds nothing back', async () => {
  const statuses = [400, 401, 404, 413];
  let refusing = true;
  const s = await setup('delivery_refused', (n) =>
    refusing ? { status: statuses[(n - 1) % statuses.length]!, body: `refused: request ${n}` } : { status: 204 },
  );
  try {
    const events = Array.from({ length: 8 }, (_, i) => alertEvent(i));
    await s.toOutbox(events);
    await until('Alertmanager has every event', async () => s.alertmanager.alertmanagerEvents.length >= events.length, 30_000);
    await until('the webhook was tried once per event', async () => s.webhook.bodies.length >= events.length, 30_000);
    expect(await counter(s.registry, 'kpi_alert_delivery_failed_total', { target: 'webhook' })).toBe(events.length);
    expect(await counter(s.registry, 'kpi_alert_delivery_retries_total', { target: 'webhook' })).toBe(0);
    const readiness = await s.worker.check.check();
    expect(readiness).toEqual({
      ok: false,
      detail: expect.stringMatching(/^webhook: 0 delivered, 8 refused for good \(refusing: HTTP 413 at .*\); alertmanager: 8 delivered/),
    });
    await until('every refusal recorded', async () => (await count(s.config, "alert_deliveries WHERE target = 'webhook'")) === events.length, 30_000);
    const recorded = await rows<{ event_id: string; outcome: string; http_status: number; error: string; attempt: number }>(
      s.config,
      "SELECT event_id, outcome, http_status, error, attempt FROM alert_deliveries WHERE target = 'webhook' ORDER BY attempted_at, event_id",
    );
    expect(recorded.map((r) => [r.outcome, r.attempt])).toEqual(events.map(() => ['refused', 1]));
    expect(new Set(recorded.map((r) => r.http_status))).toEqual(new Set(statuses));
    for (const r of recorded) expect(r.error).toMatch(new RegExp(`^HTTP ${r.http_status}: refused: request \\d+$`));
    const state = await rows<{ state: string; failures: string }>(s.config, "SELECT state, failures FROM alert_delivery_state WHERE target = 'webhook'");
    expect(state.every((r) => r.state === 'refused' && Number(r.failures) === 1)).toBe(true);

    // The receiver fixed: the next event is delivered, and readiness comes back.
    refusing = false;
    await s.toOutbox([alertEvent(100)]);
    await until(
      'the webhook took the next event',
      async () => (await counter(s.registry, 'kpi_alert_events_delivered_total', { target: 'webhook' })) === 1,
      30_000,
    );
    expect((await s.worker.check.check()).ok).toBe(true);
  } finally {
    await s.close();
  }
}, 120_000);

test("an upgrade delivers nothing twice: each target's group starts where the one group of earlier versions got to", async () => {
  const delivered = [alertEvent(1), alertEvent(2)];
  const s = await setup(
    'delivery_upgrade',
    () => ({ status: 204 }),
    async (ctx, config, toOutbox) => {
      // An earlier version's single group delivered these to every target and committed past them.
      await toOutbox(delivered);
      const admin = kafkaClient(config, 'delivery-upgrade-admin', ctx.log).admin();
      await admin.connect();
      try {
        const written = (await admin.topicOffsets(alertsTopic(config))).filter((p) => p.high > 0);
        await admin.setCommittedOffsets(
          `${config.groupId}.delivery`,
          alertsTopic(config),
          written.map(({ partition, high }) => ({ partition, offset: high })),
        );
      } finally {
        await admin.disconnect();
      }
    },
  );
  try {
    await s.toOutbox([alertEvent(3)]);
    await until('Alertmanager has the new event', async () => s.alertmanager.alertmanagerEvents.includes('event-3'), 30_000);
    await until('the webhook has the new event', async () => s.webhook.bodies.length >= 1, 30_000);
    expect(s.alertmanager.alertmanagerEvents).toEqual(['event-3']);
    expect(s.webhook.bodies.map((b) => (JSON.parse(b) as AlertEvent).id)).toEqual(['event-3']);
  } finally {
    await s.close();
  }
}, 120_000);

test('a webhook that is down holds back only its own deliveries: Alertmanager gets every event meanwhile', async () => {
  const s = await setup('delivery_down', () => ({ status: 503 }));
  try {
    const events = Array.from({ length: 25 }, (_, i) => alertEvent(i));
    await s.toOutbox(events.slice(0, 10));
    await until(
      'the webhook is being retried',
      async () => (await counter(s.registry, 'kpi_alert_delivery_retries_total', { target: 'webhook' })) >= 2,
      30_000,
    );
    await s.toOutbox(events.slice(10));
    await until('Alertmanager has every event', async () => s.alertmanager.alertmanagerEvents.length >= events.length, 30_000);
    expect(new Set(s.alertmanager.alertmanagerEvents)).toEqual(new Set(events.map((e) => e.id)));
    expect(await counter(s.registry, 'kpi_alert_events_delivered_total', { target: 'webhook' })).toBe(0);
    expect(await counter(s.registry, 'kpi_alert_delivery_failed_total', { target: 'webhook' })).toBe(0);
    // Still retrying the first chunk (its fingerprints side by side): no later event passed it.
    expect(new Set(s.webhook.bodies.map((b) => (JSON.parse(b) as AlertEvent).id))).toEqual(new Set(events.slice(0, 10).map((e) => e.id)));
  } finally {
    await s.close();
  }
}, 120_000);

test('an outbox record that is not an alert event is dead-lettered once, never signed or sent; the others are delivered and audited', async () => {
  const s = await setup('delivery_invalid', () => ({ status: 204 }));
  try {
    const { window_start: _missing, ...withoutWindowStart } = alertEvent(2);
    await s.toOutbox([alertEvent(1), '{"type":"alert.firing", not json', JSON.stringify(withoutWindowStart), alertEvent(3)]);
    await until('both targets have the two alert events', async () => s.alertmanager.alertmanagerEvents.length >= 2 && s.webhook.bodies.length >= 2, 30_000);
    const sent = s.webhook.bodies.map((b) => (JSON.parse(b) as AlertEvent).id);
    expect(sent).toEqual(['event-1', 'event-3']);
    expect(s.alertmanager.alertmanagerEvents).toEqual(['event-1', 'event-3']);
    expect(await counter(s.registry, 'kpi_dead_letters_total', { code: 'KPI_ERR_INVALID_ALERT_EVENT' })).toBe(2);

    // In kpi.dlq.v1 once each (only the first target's reader dead-letters), with the reason.
    const consumer = createKafka(s.config, 'delivery-invalid-dlq', s.ctx.log).consumer({ groupId: `${s.ctx.id}.dlq-reader` });
    const letters: { offset: string; code: string; message: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic(s.config), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({
          offset: String(message.headers![DEAD_LETTER_HEADERS.sourceOffset]),
          code: String(message.headers![DEAD_LETTER_HEADERS.errorClass]),
          message: String(message.headers![DEAD_LETTER_HEADERS.errorMessage]),
        });
      },
    });
    await until('the dead letters are in kpi.dlq.v1', async () => letters.length >= 2, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await consumer.disconnect();
    expect(letters.map((l) => [l.offset, l.code])).toEqual([
      ['1', 'KPI_ERR_INVALID_ALERT_EVENT'],
      ['2', 'KPI_ERR_INVALID_ALERT_EVENT'],
    ]);
    expect(letters[0]!.message).toMatch(/not JSON/);
    expect(letters[1]!.message).toMatch(/window_start/);

    // The audit went on past them: every delivery of the valid events is recorded, and the dead letters are queryable.
    await until('the deliveries are recorded', async () => (await count(s.config, 'alert_deliveries')) === 4, 30_000);
    const dead = await rows<{ error_code: string }>(s.config, `SELECT error_code FROM dead_letters FINAL WHERE source_topic = '${alertsTopic(s.config)}'`);
    expect(dead).toEqual([{ error_code: 'KPI_ERR_INVALID_ALERT_EVENT' }, { error_code: 'KPI_ERR_INVALID_ALERT_EVENT' }]);
  } finally {
    await s.close();
  }
}, 120_000);
