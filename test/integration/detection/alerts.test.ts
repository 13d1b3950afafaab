import { createServer, type IncomingMessage } from 'node:http';
import { loadConfig } from '../../../core/config.js';
import { sendFlagAlerts } from '../../../detection/alerts.js';
import { runDetection } from '../../../detection/runner.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { batchToken } from '../../../processors/refusals.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { alertsTopic, topicDefinitions } from '../../../topics/definitions.js';
import { createKafka, ensureTopics } from '../../../topics/kafka.js';
import { dropTestResources, testContext } from '../support/context.js';
import { windowRowWith } from '../support/rows.js';

const ctx = testContext('alerts');
const catalog = KpiCatalog.of();
const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 9, 5);
const DAYS = 8;
const received: unknown[] = [];
const receiver = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    received.push(JSON.parse(body));
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  await migrate(ctx.config, ctx.log, catalog);
  const admin = createKafka(ctx.config, 'alerts-test', ctx.log).admin();
  await admin.connect();
  await ensureTopics(admin, topicDefinitions(ctx.config), ctx.log);
  await admin.disconnect();
  // A station of honest operators, one who claims 300 units a shift while the MES counts 200, and one
  // honest shift the IoT gateway missed entirely.
  const offsets = [-2, 1, 0, 2, -1, 1, 0, -2];
  const row = (employee: string, day: number, reportedUnits: number, runMs = 21_600_000) =>
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
    });
  const rows = Array.from({ length: DAYS }, (_, day) => [
    ...Array.from({ length: 8 }, (_, i) => row(`E-honest-${i}`, day, 200 + offsets[(day + i) % 8]!)),
    row('E-over', day, 300),
    row('E-gap', day, 200, day === DAYS - 1 ? 0 : 21_600_000),
  ]).flat();
  const client = createClickHouseClient(ctx.config);
  await new ClickHouseWindowStore(client, catalog, ctx.log).write(rows, batchToken(rows));
  await client.close();
});

afterAll(async () => {
  receiver.close();
  await dropTestResources(ctx);
});

test('new inflation flags alert once, to the alerts topic and the webhook; a measurement gap never does', async () => {
  const address = receiver.address() as { port: number };
  const config = loadConfig({ ...ctx.env, KPI_ALERT_WEBHOOK_URL: `http://127.0.0.1:${address.port}/hook`, KPI_ALERT_MIN_SEVERITY: 'low' });
  const client = createClickHouseClient(config);
  try {
    const flags = await runDetection(client, catalog, ctx.log, { from: MONDAY, to: MONDAY + DAYS * DAY, timeZone: 'UTC' });
    expect(flags.filter((f) => f.kind === 'measurement_gap').map((f) => f.employeeId)).toEqual(['E-gap']);
    const inflation = flags.filter((f) => f.kind !== 'measurement_gap');
    expect(inflation.map((f) => [f.employeeId, f.kind, f.severity])).toEqual(Array.from({ length: DAYS }, () => ['E-over', 'units_overclaim', 'high']));
    expect(await sendFlagAlerts(config, client, flags, ctx.log)).toBe(DAYS);
    expect(received).toHaveLength(1);
    const posted = (received[0] as { alerts: { employee_id: string; kind: string; severity: string; explanation: string }[] }).alerts;
    expect(posted.map((a) => [a.employee_id, a.kind, a.severity])).toEqual(Array.from({ length: DAYS }, () => ['E-over', 'units_overclaim', 'high']));
    expect(posted[0]!.explanation).toContain('Reported 300 units');

    // A second run finds the same flags: nothing new to send.
    const again = await runDetection(client, catalog, ctx.log, { from: MONDAY, to: MONDAY + DAYS * DAY, timeZone: 'UTC' });
    expect(await sendFlagAlerts(config, client, again, ctx.log)).toBe(0);
    expect(received).toHaveLength(1);
  } finally {
    await client.close();
  }

  const consumer = createKafka(ctx.config, 'alerts-reader', ctx.log).consumer({ groupId: `${ctx.config.groupId}.alerts` });
  await consumer.connect();
  await consumer.subscribe({ topic: alertsTopic(ctx.config), fromBeginning: true });
  const messages: { key: string; value: { kind: string } }[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        messages.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) });
        if (messages.length >= DAYS) resolve();
      },
    });
  });
  await consumer.disconnect();
  expect(messages.map((m) => [m.key, m.value.kind])).toEqual(Array.from({ length: DAYS }, () => ['E-over', 'units_overclaim']));
});
