import { createServer, type IncomingMessage } from 'node:http';
import { loadConfig } from '../../../core/config.js';
import { alert } from '../../../cli/commands/analytics.js';
import { runDetection } from '../../../detection/runner.js';
import { newEmployeeWindow, toRow } from '../../../processors/employeeWindow.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { ClickHouseMetricsSink, batchToken } from '../../../sinks/clickhouse/metricsSink.js';
import { alertsTopic, topicDefinitions } from '../../../topics/definitions.js';
import { createKafka, ensureTopics } from '../../../topics/kafka.js';
import { dropTestResources, testContext } from '../support/context.js';

const ctx = testContext('alerts');
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
  await migrate(ctx.config, ctx.log);
  const admin = createKafka(ctx.config, 'alerts-test', ctx.log).admin();
  await admin.connect();
  await ensureTopics(admin, topicDefinitions(ctx.config), ctx.log);
  await admin.disconnect();
  // A station of honest operators, one who claims 300 units a shift while the MES counts 200, and one
  // honest shift the IoT gateway missed entirely.
  const offsets = [-2, 1, 0, 2, -1, 1, 0, -2];
  const row = (employee: string, day: number, reportedUnits: number, runMs = 21_600_000) => {
    const state = newEmployeeWindow(employee, { start: MONDAY + day * DAY, end: MONDAY + (day + 1) * DAY });
    Object.assign(state, {
      units: 200, standardMs: 20_000_000, runMs, idleMs: runMs === 0 ? 0 : 7_200_000,
      report: { eventId: `r-${employee}-${day}`, submittedTime: MONDAY, units: reportedUnits, runHours: 6 + offsets[(day + employee.length) % 8]! / 100, defectiveUnits: 0, selfScore: null },
    });
    state.stationWeights.set('S1', 1);
    state.eventIds.add(`e-${employee}-${day}`);
    return toRow(state);
  };
  const rows = Array.from({ length: DAYS }, (_, day) => [
    ...Array.from({ length: 8 }, (_, i) => row(`E-honest-${i}`, day, 200 + offsets[(day + i) % 8]!)),
    row('E-over', day, 300),
    row('E-gap', day, 200, day === DAYS - 1 ? 0 : 21_600_000),
  ]).flat();
  const sink = new ClickHouseMetricsSink(createClickHouseClient(ctx.config), ctx.log);
  await sink.write(rows, batchToken(rows));
  await sink.close();
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
    const flags = await runDetection(client, ctx.log, { from: MONDAY, to: MONDAY + DAYS * DAY, timeZone: 'UTC' });
    expect(flags.filter((f) => f.kind === 'measurement_gap').map((f) => f.employeeId)).toEqual(['E-gap']);
    const inflation = flags.filter((f) => f.kind !== 'measurement_gap');
    expect(inflation.map((f) => [f.employeeId, f.kind, f.severity])).toEqual(Array.from({ length: DAYS }, () => ['E-over', 'units_overclaim', 'high']));
    expect(await alert(config, client, flags, ctx.log)).toBe(DAYS);
    expect(received).toHaveLength(1);
    const posted = (received[0] as { alerts: { employee_id: string; kind: string; severity: string; explanation: string }[] }).alerts;
    expect(posted.map((a) => [a.employee_id, a.kind, a.severity])).toEqual(Array.from({ length: DAYS }, () => ['E-over', 'units_overclaim', 'high']));
    expect(posted[0]!.explanation).toContain('Reported 300 units');

    // A second run finds the same flags: nothing new to send.
    const again = await runDetection(client, ctx.log, { from: MONDAY, to: MONDAY + DAYS * DAY, timeZone: 'UTC' });
    expect(await alert(config, client, again, ctx.log)).toBe(0);
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
