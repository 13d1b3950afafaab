import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DAY, HOUR } from '../../../core/time.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import type { AssignmentChanged, ProductionReported } from '../../../schemas/events.js';
import { embeddedReaders } from '../../../services/clickhouse/service.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { pseudonymKey } from '../../../core/config.js';
import { pseudonymise } from '../../../privacy/pseudonymise.js';
import { biDatabase } from '../../../privacy/roles.js';
import { encodeEvent } from '../../../topics/codec.js';
import { assignmentsTopic, inputTopic } from '../../../topics/definitions.js';
import { createKafka, createProducer } from '../../../topics/kafka.js';
import { createRegistry, registerInputSchemas } from '../../../topics/registry.js';
import { installClickhouseConnect, READER_READS_PROGRAM } from '../support/biClients.js';
import { dropTestResources, testContext, type TestContext } from '../support/context.js';
import { startEmbeddedClickHouse, type EmbeddedClickHouse } from '../support/embeddedClickHouse.js';

/**
 * The reader roles through clickhouse-connect (Superset's driver), as each of
 * the users kpi_hr, kpi_analyst and kpi_works_council: an allowed read returns
 * rows, every other read is refused, and the test says who refused it. The
 * embedded engine grants the roles on its CLICKHOUSE_DATABASE, so the test
 * runs one of its own for its database; the processors fill it from the real
 * broker and registry: nine people, five in one team and four in another.
 *
 * Who enforces what here: the engine's role grants (SET ROLE per request)
 * refuse databases, tables and views outside the role, writes, file() and
 * url(); the HTTP interface refuses system tables beyond a BI client's and
 * SET ROLE. On a server, its grants (migrate) do all of it.
 */
const database = `it_roles_${randomBytes(3).toString('hex')}`;
// A view of the BI database as migrate makes it: people by pseudonym (column `employee`).
const analystView = `${biDatabase(database)}.employee_window_metrics`;
const start = Date.UTC(2026, 10, 2);
const day = (n: number) => start + n * DAY;
const exec = promisify(execFile);
let embedded: EmbeddedClickHouse;
let ctx: TestContext;
let python: string;

type Answer = { rows: number } | { code: number; error: string };
const BY_ENGINE = 'the embedded engine (its role grants)';
const BY_INTERFACE = 'the embedded HTTP interface (what the analyzer says the statement reads)';
const READS_ONLY = 'the embedded HTTP interface (its readers run reads only)';

async function readAs(user: string, reads: string[]): Promise<Answer[]> {
  const reader = embeddedReaders(embedded.env.KPI_SERVICES_DIR!).find((r) => r.user === user)!;
  const port = Number(new URL(embedded.url).port);
  const child = exec(python, [READER_READS_PROGRAM], { maxBuffer: 1 << 24 });
  child.child.stdin!.end(JSON.stringify({ host: '127.0.0.1', port, user, password: reader.password, reads }));
  return JSON.parse((await child).stdout) as Answer[];
}

beforeAll(async () => {
  embedded = await startEmbeddedClickHouse({ CLICKHOUSE_DATABASE: database });
  ctx = testContext('reader_roles', {
    CLICKHOUSE_DATABASE: database,
    KPI_CLICKHOUSE_PORT: new URL(embedded.url).port,
    CLICKHOUSE_PASSWORD_FILE: join(embedded.env.KPI_SERVICES_DIR!, 'clickhouse', 'password'),
    KPI_IDLE_CLOSE: '1s',
    KPI_FLUSH_INTERVAL: '300ms',
  });
  python = await installClickhouseConnect(ctx.config);
  // The processors make the topics and tables (a first run reads nothing), then read nine people's work.
  await (
    await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 1000 })
  ).done;
  const ids = await registerInputSchemas(createRegistry(ctx.config), ctx.config, ctx.log);
  const people = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'];
  const production = (employee: string): ProductionReported => ({
    event_id: `p-${employee}`,
    employee_id: employee,
    station_id: 'st-1',
    work_order_id: 'wo-1',
    product_code: 'P-1',
    event_time: day(0) + 9 * HOUR,
    units: 10,
    standard_seconds_per_unit: 60,
  });
  const assignment = (employee: string, team: string): AssignmentChanged => ({
    event_id: `a-${employee}`,
    employee_id: employee,
    plant_id: 'plant-1',
    team_id: team,
    supervisor_id: `lead-${team}`,
    valid_from: day(-1),
    valid_to: null,
    submitted_time: day(-1),
  });
  const producer = createProducer(createKafka(ctx.config, 'reader-roles-test', ctx.log), { allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({
    topic: inputTopic(ctx.config, 'production'),
    acks: -1,
    messages: people.map((e) => ({ key: e, value: encodeEvent('production', ids.production, production(e)) })),
  });
  await producer.send({
    topic: assignmentsTopic(ctx.config),
    acks: -1,
    messages: people.map((e, i) => ({ key: e, value: encodeEvent('assignment', ids.assignment, assignment(e, i < 5 ? 'team-a' : 'team-b')) })),
  });
  await producer.disconnect();
  await (
    await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 1000 })
  ).done;
  // The analyst's BI database: the pass of the analytics service that gives everyone a pseudonym.
  await withClickHouse(ctx.config, (client) => pseudonymise(client, pseudonymKey(ctx.config)));
}, 300_000);

afterAll(async () => {
  if (ctx) await dropTestResources(ctx);
  await embedded?.stop();
});

test('services status prints each reader user with its generated password', async () => {
  const status = await embedded.services('status');
  for (const reader of embeddedReaders(embedded.env.KPI_SERVICES_DIR!)) {
    expect(status).toContain(`user ${reader.user} (role ${reader.role}), password ${reader.password} (in ${reader.passwordFile})`);
  }
});

/** Each refusal, with who refused it; every answer a 497 ACCESS_DENIED naming the user, unless said otherwise. */
const refusedByAll: { sql: (db: string) => string; by: string; says: RegExp; code?: number }[] = [
  { sql: (db) => `INSERT INTO ${db}.employee_window_metrics (employee_id) VALUES ('x')`, by: READS_ONLY, says: /reads only/ },
  { sql: (db) => `DROP TABLE ${db}.employee_window_metrics`, by: READS_ONLY, says: /reads only/ },
  {
    sql: () => "SELECT * FROM file('/etc/passwd', LineAsString)",
    by: 'the embedded HTTP interface (file(), for every user: chDB does not check it)',
    says: /'file' reaches files/,
  },
  { sql: () => "SELECT * FROM url('http://127.0.0.1:9/x', LineAsString)", by: BY_ENGINE, says: /grant READ ON URL/ },
  { sql: () => 'SELECT query FROM system.processes', by: BY_INTERFACE, says: /reads system\.processes/ },
  { sql: () => 'SELECT command FROM system.mutations', by: BY_INTERFACE, says: /reads system\.mutations/ },
  // chDB keeps no query log: the analyzer finds no such table (a server's would be refused by its grants).
  {
    sql: () => 'SELECT query FROM system.query_log',
    by: 'the embedded engine (no query log exists)',
    says: /Unknown table expression identifier 'system\.query_log'/,
    code: 60,
  },
  { sql: () => 'SET ROLE kpi_stream_owner', by: 'the embedded HTTP interface (a reader keeps its role)', says: /SET ROLE changes the role/ },
];

function expectRefused(user: string, answer: Answer, refusal: { sql: string; by: string; says: RegExp; code?: number }): void {
  process.stdout.write(`${user}: refused by ${refusal.by}: ${refusal.sql}\n`);
  expect({ sql: refusal.sql, code: 'code' in answer ? answer.code : 'read' }).toEqual({ sql: refusal.sql, code: refusal.code ?? 497 });
  const error = (answer as { error: string }).error;
  expect(error).toMatch(refusal.says);
  if ((refusal.code ?? 497) === 497) expect(error).toContain(`${user}: `);
}

test.each([
  {
    user: 'kpi_hr',
    allowed: (db: string) => [`SELECT employee_id FROM ${db}.employee_window_metrics_current`, `SELECT * FROM ${db}.team_window_metrics`],
    refused: (db: string) => [
      { sql: `SELECT * FROM ${analystView}`, by: BY_ENGINE, says: new RegExp(`grant SELECT ON ${biDatabase(db)}\\.employee_window_metrics.*role kpi_hr`) },
    ],
  },
  {
    user: 'kpi_works_council',
    allowed: (db: string) => [`SELECT team_id, employees FROM ${db}.team_window_metrics`, `SELECT plant_id, employees FROM ${db}.plant_window_metrics`],
    refused: (db: string) => [
      {
        sql: `SELECT * FROM ${db}.employee_window_metrics_current`,
        by: BY_ENGINE,
        says: /grant SELECT ON .*employee_window_metrics_current.*role kpi_works_council/,
      },
      { sql: `SELECT * FROM ${db}.employee_window_metrics`, by: BY_ENGINE, says: /grant SELECT ON .*employee_window_metrics\b/ },
      {
        sql: `SELECT * FROM ${db}.team_window_metrics WHERE team_id IN (SELECT team_id FROM ${db}.assignments_current)`,
        by: BY_ENGINE,
        says: /grant SELECT ON .*assignments_current/,
      },
      { sql: `SELECT * FROM ${analystView}`, by: BY_ENGINE, says: /grant SELECT ON/ },
    ],
  },
  {
    user: 'kpi_analyst',
    allowed: () => [`SELECT employee, units FROM ${analystView}`],
    refused: (db: string) => [
      {
        sql: `SELECT * FROM ${db}.employee_window_metrics_current`,
        by: BY_ENGINE,
        says: /grant SELECT ON .*employee_window_metrics_current.*role kpi_analyst/,
      },
      { sql: `SELECT * FROM ${db}.team_window_metrics`, by: BY_ENGINE, says: /grant SELECT ON .*team_window_metrics/ },
      {
        sql: `SELECT v.employee, w.employee_id FROM ${analystView} AS v JOIN ${db}.employee_window_metrics_current AS w ON v.units = w.units`,
        by: BY_ENGINE,
        says: /grant SELECT ON .*employee_window_metrics_current/,
      },
    ],
  },
])(
  '$user: its reads return rows, every other read is refused',
  async ({ user, allowed, refused }) => {
    const allowedReads = allowed(database);
    const refusals = [...refused(database), ...refusedByAll.map((r) => ({ ...r, sql: r.sql(database) }))];
    const answers = await readAs(user, [...allowedReads, ...refusals.map((r) => r.sql)]);
    allowedReads.forEach((sql, i) => expect({ sql, answer: answers[i] }).toEqual({ sql, answer: { rows: expect.any(Number) } }));
    allowedReads.forEach((sql, i) => expect({ sql, rows: (answers[i] as { rows: number }).rows > 0 }).toEqual({ sql, rows: true }));
    refusals.forEach((refusal, i) => expectRefused(user, answers[allowedReads.length + i]!, refusal));
  },
  120_000,
);

test('the works council sees team-a (5 people) and not team-b (4 people): a group of 4 is withheld, not rounded', async () => {
  const answers = await readAs('kpi_works_council', [
    `SELECT team_id FROM ${database}.team_window_metrics WHERE team_id = 'team-b'`,
    `SELECT team_id FROM ${database}.team_window_metrics WHERE team_id = 'team-a'`,
  ]);
  expect(answers).toEqual([{ rows: 0 }, { rows: 1 }]);
}, 60_000);
