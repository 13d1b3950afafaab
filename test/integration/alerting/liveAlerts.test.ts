import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Consumer, Producer } from 'kafkajs';
import { Webhook } from 'standardwebhooks';
import { fingerprintOf } from '../../../alerting/evaluator.js';
import { pseudonymKey } from '../../../core/config.js';
import { isPseudonym, pseudonymOf } from '../../../privacy/pseudonym.js';
import { decodeInput } from '../../../alerting/inputs.js';
import { verifyWebhook } from '../../../alerting/targets.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import type { EventKind, EventOfKind } from '../../../schemas/kinds.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { readDeliverySummary } from '../../../sinks/clickhouse/queries/alertDeliveries.js';
import { alertInputsTopic, alertsTopic, inputTopic } from '../../../topics/definitions.js';
import { createKafka, createProducer, ensureDeploymentTopics } from '../../../topics/kafka.js';
import { createRegistry, registerInputSchemas, type SchemaIds } from '../../../topics/registry.js';
import { dropTestResources, testContext } from '../support/context.js';
import { exited, killProcessors, logOf, startProcessor, until } from '../support/processor.js';
import { WebhookReceiver } from '../support/webhookReceiver.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';

/**
 * Live alerting end to end on the real services: events into Kafka, the
 * processors (`kpi-stream run`) publishing changed windows, the evaluator and
 * the delivery worker (`kpi-stream alerts run`), and a real local receiver
 * that verifies every signature with the standardwebhooks package, fails a
 * third of the requests, and is killed and restarted mid-run — as is the
 * alerting process itself (SIGKILL).
 */
const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'kpi-live-alerts-'));
const rulesFile = join(dir, 'rules.yaml');
writeFileSync(
  rulesFile,
  `rules:
  - { name: station-defects, metric: defect_rate, scope: station, above: 0.05, clear: 0.04, min_sample: 50, cooldown: 10m, severity: high }
  - { name: employee-defects, metric: defect_rate, scope: employee, above: 0.10, min_sample: 20, cooldown: 0s, severity: medium }
`,
);
// Hourly windows that close as soon as a partition's clock passes their end: the previous hour is a closed window.
const ctx = testContext('live_alerts', { KPI_ALERT_RULES: rulesFile, KPI_WINDOW_SIZE: '1h', KPI_ALLOWED_LATENESS: '0s', KPI_SESSION_TIMEOUT: '6s' });
const { config, log } = ctx;
/** An employee as alert events name them: by pseudonym, under the key the processes share (generated with the embedded engine). */
const person = (id: string) => pseudonymOf(pseudonymKey(config), id);
const secret = (text: string) => `whsec_${Buffer.from(text).toString('base64')}`;
const NEWEST = secret('the newest signing secret, 32 B.');
const OLDER = secret('an older secret still configured');
const receiver = new WebhookReceiver([NEWEST, OLDER], 3);
const kafka = createKafka(config, 'live-alerts-test', log);
let producer: Producer;
let tail: Consumer;
let ids: SchemaIds;
const versions = new Map<string, number>();
let alerting: ChildProcess;

const alertingEnv = () => ({
  KPI_ALERT_WEBHOOK_URL: receiver.url,
  KPI_ALERT_WEBHOOK_SECRET: `${NEWEST} ${OLDER}`,
  KPI_ALERT_RETRY_MAX_BACKOFF: '2s',
  KPI_ALERT_DELIVERY_BATCH: '20',
});

const now = Date.now();
const current = Math.floor(now / HOUR) * HOUR;
const previous = current - HOUR;
/** Production times in this hour, never after now (inspections are stamped now): in its first minute too. */
const early = current + Math.floor((now - current) / 3);
const later = current + Math.floor(((now - current) * 2) / 3);

async function send<K extends EventKind>(kind: K, events: EventOfKind[K][]): Promise<void> {
  const registry = createRegistry(config);
  await producer.send({
    topic: inputTopic(config, kind),
    acks: -1,
    messages: await Promise.all(events.map(async (e) => ({ key: e.employee_id, value: await registry.encode(ids[kind], e) }))),
  });
}

let sequence = 0;
const inspected = (employee: string, station: string, productionTime: number, units: number, defective: number) => ({
  event_id: `i-${(sequence += 1)}`,
  employee_id: employee,
  station_id: station,
  work_order_id: 'wo-1',
  production_time: productionTime,
  inspected_time: Date.now(),
  units_inspected: units,
  units_defective: defective,
  defect_codes: defective > 0 ? ['D01'] : [],
});
const produced = (employee: string, station: string, at: number) => ({
  event_id: `p-${(sequence += 1)}`,
  employee_id: employee,
  station_id: station,
  work_order_id: 'wo-1',
  product_code: 'P-1',
  event_time: at,
  units: 50,
  standard_seconds_per_unit: 30,
});

/** Waits until the processors published a snapshot of the employee's window with at least this version. */
const published = (employee: string, windowStart: number, version: number) =>
  until(`${employee}'s window reached version ${version}`, () => (versions.get(`${employee}@${windowStart}`) ?? 0) >= version, 60_000);

/** Every event in the outbox so far, in order (read by a consumer of the test's own). */
const outbox: AlertEvent[] = [];
let outboxTail: Consumer;

beforeAll(async () => {
  await receiver.start();
  await ensureDeploymentTopics(kafka, config, log);
  await migrate(config, log, KpiCatalog.of());
  ids = await registerInputSchemas(createRegistry(config), config, log);
  producer = createProducer(kafka);
  await producer.connect();
  tail = kafka.consumer({ groupId: `${config.groupId}.test-tail` });
  await tail.connect();
  await tail.subscribe({ topic: alertInputsTopic(config), fromBeginning: true });
  await tail.run({
    eachMessage: async ({ message }) => {
      const input = decodeInput(message.key, message.value);
      if (input?.type !== 'window') return;
      const key = `${input.snapshot.employee_id}@${input.snapshot.window_start}`;
      versions.set(key, Math.max(versions.get(key) ?? 0, input.snapshot.version));
    },
  });
  outboxTail = kafka.consumer({ groupId: `${config.groupId}.test-outbox` });
  await outboxTail.connect();
  await outboxTail.subscribe({ topic: alertsTopic(config), fromBeginning: true });
  await outboxTail.run({ eachMessage: async ({ message }) => void outbox.push(JSON.parse(message.value!.toString('utf8')) as AlertEvent) });
}, 120_000);

afterAll(async () => {
  await killProcessors();
  await tail?.disconnect();
  await outboxTail?.disconnect();
  await producer?.disconnect();
  await receiver.kill().catch(() => undefined);
  await dropTestResources(ctx);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('every alert arrives, signed, at least once under a failing, killed receiver and a killed alerting process; flapping raises one alert and one resolution; a late inspection resolves', async () => {
  const processors = startProcessor(ctx, 'processors');
  alerting = startProcessor(ctx, 'alerting', ['run'], alertingEnv(), { command: 'alerts' });

  // 30 operators at 3 stations; a third of them with defect rates above 10 % this hour.
  const operators = Array.from({ length: 30 }, (_, i) => ({ id: `E${String(i).padStart(2, '0')}`, station: `S${i % 3}`, bad: i % 3 === 1 }));
  await send(
    'production',
    operators.map((o) => produced(o.id, o.station, early)),
  );
  await send(
    'inspection',
    operators.map((o) => inspected(o.id, o.station, early, 40, o.bad ? 6 : 1)),
  );
  for (const o of operators) await published(o.id, current, 2);
  // Their alerts fire before the next inspections bring a third of them back under the threshold: judged only
  // after both, those would never have fired (the evaluator judges what it has read when it judges).
  const badOperators = operators.filter((o) => o.bad).map((o) => o.id);
  const fired = (fp: string) => outbox.some((e) => e.fingerprint === fp && e.type === 'alert.firing');
  await until(
    "every bad operator's alert fired",
    () => badOperators.every((id) => fired(fingerprintOf('employee-defects', 'employee', person(id), current))),
    60_000,
  );

  // The receiver dies and comes back; the alerting process is killed outright and started again.
  await until('the receiver got a few requests', () => receiver.requests.length >= 5, 60_000);
  await receiver.kill();
  await send(
    'inspection',
    operators.slice(0, 15).map((o) => inspected(o.id, o.station, later, 30, o.bad ? 0 : 5)),
  );
  alerting.kill('SIGKILL');
  await exited(alerting);
  await receiver.start();
  alerting = startProcessor(ctx, 'alerting-restarted', ['run'], alertingEnv(), { command: 'alerts' });
  await until('the restarted evaluator judges live', () => logOf(ctx, 'alerting-restarted').includes('judging rules live'), 60_000);

  // Flapping: one operator alone at station SF, between 6 % and 4.5 % (never back to 4 %), then 3 %, then 6 % again within the cooldown.
  // Each step waits until the processors published it, and, where it raises something, until the outbox shows it.
  const flapping = fingerprintOf('station-defects', 'station', 'SF', current);
  const raised = (fp: string) => outbox.filter((e) => e.fingerprint === fp).map((e) => e.type);
  const flap = (units: number, defective: number) => inspected('F1', 'SF', early, units, defective);
  await send('production', [produced('F1', 'SF', early)]);
  let version = 1;
  for (const [units, defective, expected] of [
    [100, 6, 'alert.firing'], // 6 %
    [100, 3], // 9 of 200: 4.5 %
    [50, 6], // 15 of 250: 6 %
    [150, 3], // 18 of 400: 4.5 %
    [100, 12], // 30 of 500: 6 %
    [500, 0, 'alert.resolved'], // 30 of 1000: 3 %
    [200, 42], // 72 of 1200: 6 %, within the cooldown: held back
  ] as const) {
    await send('inspection', [flap(units, defective)]);
    await published('F1', current, (version += 1));
    // The states in between raise nothing, so nothing tells when the evaluator judged them: it may judge several at once, which
    // must not change what it raises either (the unit tests judge each state of a flapping value on its own).
    if (expected) await until(`SF's alert is ${expected}`, () => raised(flapping).at(-1) === expected, 30_000);
  }

  // A late inspection: the previous hour's window is closed (and written); its breach is raised, then cleared by more inspections.
  await send('production', [produced('L1', 'SL', previous + 60_000)]);
  await send('inspection', [inspected('L1', 'SL', previous + 60_000, 40, 8)]);
  await published('L1', previous, 2);
  await send('inspection', [inspected('L1', 'SL', previous + 120_000, 400, 0)]);
  await published('L1', previous, 3);

  const late = fingerprintOf('employee-defects', 'employee', person('L1'), previous);
  await until(
    'the flapping and the late alert resolved, and every event in the outbox reached the receiver',
    () => {
      const events = outbox;
      const delivered = new Set(receiver.delivered.map((r) => r.id));
      const types = (fp: string) => events.filter((e) => e.fingerprint === fp).map((e) => e.type);
      return types(flapping).includes('alert.resolved') && types(late).includes('alert.resolved') && events.every((e) => delivered.has(e.id));
    },
    120_000,
  ).catch((error: unknown) => {
    const delivered = new Set(receiver.delivered.map((r) => r.id));
    process.stdout.write(
      `outbox:\n${outbox.map((e) => `  ${e.id} ${e.type} ${e.rule} ${e.employee_id ?? e.station_id} ${delivered.has(e.id) ? 'delivered' : 'NOT delivered'}`).join('\n')}\n` +
        `receiver: ${receiver.requests.length} requests, ${delivered.size} ids delivered\n`,
    );
    throw error;
  });

  // One event per (fingerprint, type, generation): the restarted evaluator raised nothing twice under another id.
  const unique = new Map(outbox.map((e) => [e.id, e]));
  const byFingerprint = (fp: string) => [...unique.values()].filter((e) => e.fingerprint === fp).map((e) => e.type);
  expect(byFingerprint(flapping)).toEqual(['alert.firing', 'alert.resolved']);
  expect(byFingerprint(late)).toEqual(['alert.firing', 'alert.resolved']);
  expect([...unique.values()].find((e) => e.fingerprint === late && e.type === 'alert.resolved')).toMatchObject({
    employee_id: person('L1'),
    station_id: 'SL',
    window_start: new Date(previous).toISOString(),
    value: 8 / 440,
  });
  for (const id of badOperators) expect(byFingerprint(fingerprintOf('employee-defects', 'employee', person(id), current))[0]).toBe('alert.firing');
  expect(byFingerprint(fingerprintOf('station-defects', 'station', 'S1', current))[0]).toBe('alert.firing');
  // What left on kpi.alerts.v1 names no employee: a pseudonym, and a line without the figures.
  for (const e of unique.values()) {
    if (e.scope !== 'employee') continue;
    expect(isPseudonym(e.employee_id!)).toBe(true);
    expect(e.explanation).toBe(
      `A person's defect_rate ${e.type === 'alert.firing' ? 'breaches an alert rule' : 'no longer breaches the alert rule'}; see ${e.review_url}`,
    );
    expect(e.review_url).toBe(`${config.appUrl}/flags/${e.fingerprint}`);
  }

  // At least once: every event arrived, signed (the newest secret verifies it alone); each duplicate carried its event's id.
  const delivered = receiver.delivered;
  for (const e of unique.values()) expect(delivered.some((r) => r.id === e.id)).toBe(true);
  for (const r of receiver.requests) {
    expect(r.verified).toBe(true);
    expect((JSON.parse(r.body) as AlertEvent).id).toBe(r.id);
    expect(() => new Webhook(NEWEST).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature })).not.toThrow();
  }
  const deliveries = new Map<string, number>();
  for (const r of delivered) deliveries.set(r.id, (deliveries.get(r.id) ?? 0) + 1);
  const duplicates = [...deliveries.values()].reduce((n, c) => n + c - 1, 0);
  const failed = receiver.requests.filter((r) => r.status === 503).length;
  expect(failed).toBeGreaterThanOrEqual(Math.floor(receiver.requests.length / 3) - 1);

  // The receiver's verification can fail: a tampered body, a wrong secret, a stale timestamp are each rejected.
  const genuine = delivered[0]!;
  const headers = { 'webhook-id': genuine.id, 'webhook-timestamp': genuine.timestamp, 'webhook-signature': genuine.signature };
  expect(() => verifyWebhook([NEWEST, OLDER], genuine.body, headers)).not.toThrow();
  expect(() => verifyWebhook([NEWEST, OLDER], genuine.body.replace('"severity":"', '"severity":"not-'), headers)).toThrow();
  expect(() => verifyWebhook([secret('a secret that signed nothing here')], genuine.body, headers)).toThrow();
  const stale = new Date(Date.now() - 10 * 60_000);
  const staleHeaders = {
    'webhook-id': genuine.id,
    'webhook-timestamp': String(Math.floor(stale.getTime() / 1000)),
    'webhook-signature': new Webhook(NEWEST).sign(genuine.id, stale, genuine.body),
  };
  expect(() => verifyWebhook([NEWEST, OLDER], genuine.body, staleHeaders)).toThrow(/timestamp/i);

  // Delivery state is in ClickHouse: failed attempts and deliveries, per target.
  const client = createClickHouseClient(config);
  let summary: Awaited<ReturnType<typeof readDeliverySummary>> = [];
  await until('kpi.alert_deliveries records the deliveries', async () => {
    summary = await readDeliverySummary(client);
    return (summary[0]?.delivered ?? 0) >= unique.size;
  });
  await client.close();
  expect(summary[0]).toMatchObject({ target: 'webhook' });
  expect(summary[0]!.failures).toBeGreaterThan(0);

  process.stdout.write(
    `live alerts: ${unique.size} alert events sent (outbox), ${new Set(delivered.map((r) => r.id)).size} delivered, ${receiver.requests.length} requests, ` +
      `${failed} failed by the receiver (503) and retried, ${summary[0]!.failures} failed attempts in kpi.alert_deliveries (the killed process's unrecorded ones aside), ${duplicates} duplicates (same webhook-id)\n`,
  );

  alerting.kill('SIGTERM');
  processors.kill('SIGTERM');
  expect(await exited(alerting)).toBe(0);
  expect(await exited(processors)).toBe(0);
}, 300_000);
