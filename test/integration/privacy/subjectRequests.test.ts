import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pseudonymKey } from '../../../core/config.js';
import { distFile } from '../../../core/paths.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { pseudonymOf } from '../../../privacy/pseudonym.js';
import { pseudonymise } from '../../../privacy/pseudonymise.js';
import type { SubjectExport } from '../../../privacy/subjectRequests.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { recordAccess } from '../../../sinks/clickhouse/queries/accessLog.js';
import { PERSONAL_TABLES, unlistedPersonalTables } from '../../../sinks/clickhouse/queries/personalData.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { dropTestResources, testContext } from '../support/context.js';
import { processorEnv } from '../support/processor.js';
import { windowRowWith } from '../support/rows.js';

/**
 * A data subject's requests on the real ClickHouse: two people with rows in
 * every personal table (inserted directly, as the pipeline, scoring,
 * detection, alerting and the report would have written them), then
 * `kpi-stream subject export` and `subject erase` of one of them, run as a
 * user runs them.
 */
const ctx = testContext('subject_requests');
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'kpi-subject-'));
const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 9, 5);
const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Rows of each person per table, as inserted below. */
/** Rows of someone else that name E1 (E3's assignment, E1 leading the team; a review of E3's flag that lost to E1's): exported with E1's, emptied of E1 by erase. */
const NAMING: Record<string, number> = {
  employee_window_metrics: 0,
  employee_scores: 0,
  anomalies: 0,
  alert_deliveries: 0,
  assignments: 1,
  dead_letters: 0,
  pseudonyms: 0,
  access_log: 0,
  reviews: 1,
};

const INSERTED: Record<string, number> = {
  employee_window_metrics: 3,
  employee_scores: 2,
  anomalies: 2,
  alert_deliveries: 2,
  assignments: 2,
  dead_letters: 2,
  pseudonyms: 1,
  access_log: 1,
  reviews: 2,
};

async function insertPerson(employee: string): Promise<void> {
  const windows = [0, 1, 2].map((day) =>
    windowRowWith(catalog, {
      employee,
      start: MONDAY + day * DAY,
      end: MONDAY + (day + 1) * DAY,
      station: 'S1',
      measures: { units: 100 + day, standard_ms: 3_600_000, run_ms: 3_600_000 },
      report: { units: 100, runHours: 1, defectiveUnits: 0, selfScore: 90, submittedTime: MONDAY + (day + 1) * DAY, eventId: `${employee}-r${day}` },
    }),
  );
  await new ClickHouseWindowStore(client, catalog, ctx.log).write(windows, batchToken(windows));
  const insert = (table: string, values: Record<string, unknown>[]) => client.insert({ table, values, format: 'JSONEachRow' });
  await insert(
    'employee_scores',
    ['window', 'week'].map((period) => ({
      model_version: 'default-v1',
      period_type: period,
      period_start: at(MONDAY),
      employee_id: employee,
      station_id: 'S1',
      score: 80,
      grade: 'qualified',
      computed_at: at(MONDAY + DAY),
    })),
  );
  await insert(
    'anomalies',
    ['units_overclaim', 'measurement_gap'].map((kind) => ({
      employee_id: employee,
      station_id: 'S1',
      window_start: at(MONDAY),
      window_end: at(MONDAY + DAY),
      kind,
      method: 'single_window',
      severity: 'high',
      explanation: `${employee} reported more than was measured`,
      evidence: '{}',
      detected_at: at(MONDAY + DAY),
    })),
  );
  // As sent: by pseudonym (a default rule), and by id (a rule with disclose: true).
  await insert(
    'alert_deliveries',
    [
      { target: 'webhook', sentAs: pseudonymOf(pseudonymKey(ctx.config), employee) },
      { target: 'alertmanager', sentAs: employee },
    ].map(({ target, sentAs }) => ({
      event_id: `alert-${employee}`,
      scope: 'employee',
      employee_id: sentAs,
      window_start: at(MONDAY),
      target,
      outcome: 'delivered',
      attempted_at: at(MONDAY + DAY),
    })),
  );
  await insert(
    'assignments',
    ['line-1', 'line-2'].map((team, i) => ({
      employee_id: employee,
      valid_from: at(MONDAY + i * DAY),
      plant_id: 'P1',
      team_id: team,
      supervisor_id: `lead-${team}`,
      submitted_time: at(MONDAY),
      event_id: `assignment-${employee}-${i}`,
      source_partition: 0,
      source_offset: i,
    })),
  );
  await insert(
    'dead_letters',
    [1, 2].map((offset) => ({
      source_topic: 'factory.production.v1',
      source_partition: employee === 'E1' ? 0 : 1,
      source_offset: offset,
      source_timestamp: at(MONDAY),
      employee_id: employee,
      error_code: 'KPI_ERR_DECODE_NOT_AVRO',
      value_base64: Buffer.from(`{"employee_id":"${employee}"}`).toString('base64'),
      dead_lettered_at: at(MONDAY),
    })),
  );
  await insert(
    'reviews',
    ['flag_reviewed', 'dispute_opened'].map((type, i) => ({
      event_id: `review-${employee}-${i}`,
      type,
      subject_id: `subject-${employee}-${i}`,
      employee_id: employee,
      text: `what ${employee} or their supervisor wrote`,
      actor_id: i === 0 ? 'S9' : employee,
      at: at(MONDAY + DAY),
      outcome: 'applied',
    })),
  );
  await recordAccess(client, { actor: 'a supervisor', purpose: 'an earlier read', action: 'subject_export', employeeId: employee, details: {}, at: MONDAY });
  // The person's pseudonym, as the analytics service writes it for the people of the window rows.
  await pseudonymise(client, pseudonymKey(ctx.config));
}

/** The rows a table holds of a person, as stored, in a stable order. */
async function rowsOf(table: string, employee: string): Promise<Record<string, unknown>[]> {
  const result = await client.query({ query: `SELECT * FROM ${table} WHERE employee_id = {e:String}`, query_params: { e: employee }, format: 'JSONEachRow' });
  return (await result.json<Record<string, unknown>>()).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** `kpi-stream subject …` as a child process in the test's database; stdin is not a terminal. */
async function subject(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [distFile('cli/main.js'), 'subject', ...args], { env: processorEnv(ctx), maxBuffer: 1 << 24 });
}

const E2_BEFORE: Record<string, Record<string, unknown>[]> = {};

beforeAll(async () => {
  await migrate(ctx.config, ctx.log, catalog);
  await insertPerson('E1');
  await insertPerson('E2');
  // An alert about a station names nobody: no one's erasure touches it.
  await client.insert({
    table: 'alert_deliveries',
    values: [{ event_id: 'alert-S1', scope: 'station', station_id: 'S1', window_start: at(MONDAY), target: 'webhook', attempted_at: at(MONDAY) }],
    format: 'JSONEachRow',
  });
  // E3 is in a team E1 leads: the row is E3's, and names E1.
  await client.insert({
    table: 'assignments',
    values: [
      {
        employee_id: 'E3',
        valid_from: at(MONDAY),
        plant_id: 'P1',
        team_id: 'line-1',
        supervisor_id: 'E1',
        submitted_time: at(MONDAY),
        event_id: 'assignment-E3',
      },
    ],
    format: 'JSONEachRow',
  });
  // A review of E3's flag lost to E1's: its reason names E1 (and E10, who is someone else).
  await client.insert({
    table: 'reviews',
    values: [
      {
        event_id: 'review-E3-late',
        type: 'flag_reviewed',
        subject_id: 'subject-E3',
        employee_id: 'E3',
        text: 'a second look',
        actor_id: 'S9',
        at: at(MONDAY + DAY),
        outcome: 'conflict',
        conflict_reason: `already confirmed by E1 (supervisor) at ${new Date(MONDAY).toISOString()}, not proposed; E10 agreed`,
      },
    ],
    format: 'JSONEachRow',
  });
  for (const table of Object.keys(INSERTED)) E2_BEFORE[table] = await rowsOf(table, 'E2');
}, 120_000);

afterAll(async () => {
  await client.close();
  rmSync(work, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('every table of the database with an employee_id column is in the list of personal tables, and the list names no other', async () => {
  const tables = await (
    await client.query({
      query: `SELECT DISTINCT table FROM system.columns
              WHERE database = currentDatabase() AND name = 'employee_id'
                AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT IN ('View', 'MaterializedView'))
              ORDER BY table`,
      format: 'JSONEachRow',
    })
  ).json<{ table: string }>();
  expect(tables.map((t) => t.table)).toEqual(PERSONAL_TABLES.map((t) => t.table).sort());
  expect(Object.keys(INSERTED).sort()).toEqual(PERSONAL_TABLES.map((t) => t.table).sort());
  await expect(unlistedPersonalTables(client)).resolves.toEqual([]);
});

test('export holds every row of the person, by table with its columns, and nothing of anyone else; it is logged first', async () => {
  const out = join(work, 'E1.json');
  const { stderr } = await subject(['export', 'E1', '--purpose', 'access request 2026-17', '--actor', 'dpo', '--out', out]);
  expect(stderr).toContain('subject export E1: employee_window_metrics: 3 rows');
  expect(statSync(out).mode & 0o777).toBe(0o600);
  const exported = JSON.parse(readFileSync(out, 'utf8')) as SubjectExport;
  expect(exported.employee_id).toBe('E1');
  expect(Object.keys(exported.tables).sort()).toEqual(Object.keys(INSERTED).sort());
  for (const [table, rows] of Object.entries(INSERTED)) {
    const { columns, rows: exportedRows } = exported.tables[table]!;
    expect([table, exportedRows.length]).toEqual([table, rows + NAMING[table]!]);
    // About E1 by id, by the pseudonym an alert was sent with, or naming E1 as someone's supervisor.
    const e1 = ['E1', pseudonymOf(pseudonymKey(ctx.config), 'E1')];
    expect(exportedRows.every((r) => e1.includes(r.employee_id as string) || r.supervisor_id === 'E1' || String(r.conflict_reason).includes('by E1 '))).toBe(
      true,
    );
    // Every column of the table, with its type; each row has exactly those.
    expect(columns.map((c) => c.name)).toEqual(Object.keys((await rowsOf(table, 'E1'))[0]!));
    for (const row of exportedRows) expect(Object.keys(row)).toEqual(columns.map((c) => c.name));
  }
  expect(exported.tables.employee_window_metrics!.rows.map((r) => r.units).sort()).toEqual([100, 101, 102]);
  expect(readFileSync(out, 'utf8')).not.toContain('E2');
  // The input topics keep the records too, until their retention.
  expect(exported.kafka_topics.map((t) => t.topic)).toContain(`${ctx.config.topicPrefix}factory.production.v1`);
  // The export was logged before it was handed out; the export holds the earlier read, not itself.
  expect(exported.tables.access_log!.rows.map((r) => r.purpose)).toEqual(['an earlier read']);
  const log = await rowsOf('access_log', 'E1');
  expect(log.map((r) => [r.actor, r.action, r.purpose])).toContainEqual(['dpo', 'subject_export', 'access request 2026-17']);
});

test("erase removes every row of the person from every table but the access log, leaves everyone else's, and says what Kafka keeps", async () => {
  const { stdout } = await subject(['erase', 'E1', '--purpose', 'erasure request 2026-18', '--actor', 'dpo', '--yes']);
  for (const [table, rows] of Object.entries(INSERTED)) {
    if (table === 'access_log') continue;
    expect(stdout).toMatch(new RegExp(`^${table} +${rows + NAMING[table]!}$`, 'm'));
    expect([table, await rowsOf(table, 'E1')]).toEqual([table, []]);
  }
  // E3's assignment stays, without the name of its erased supervisor; the lost review's reason without E1's, E10's kept.
  expect((await rowsOf('assignments', 'E3')).map((r) => [r.team_id, r.supervisor_id])).toEqual([['line-1', null]]);
  expect((await rowsOf('reviews', 'E3')).map((r) => r.conflict_reason)).toEqual([
    `already confirmed by [erased] (supervisor) at ${new Date(MONDAY).toISOString()}, not proposed; E10 agreed`,
  ]);
  for (const table of Object.keys(INSERTED)) expect([table, await rowsOf(table, 'E2')]).toEqual([table, E2_BEFORE[table]]);
  const stationAlert = await (
    await client.query({ query: "SELECT count() AS n FROM alert_deliveries WHERE event_id = 'alert-S1'", format: 'JSONEachRow' })
  ).json();
  expect(stationAlert).toEqual([{ n: 1 }]);
  expect(stdout).toMatch(new RegExp(`^${ctx.config.topicPrefix.replaceAll('.', '\\.')}factory\\.production\\.v1 +45d +delete `, 'm'));
  expect(stdout).toContain('kafka-configs.sh');
  expect(stdout).toContain("writes E1's rows again");
  // The audit trail stays: the earlier read, the export and this erasure, with who and why.
  const log = await rowsOf('access_log', 'E1');
  expect(log.map((r) => [r.actor, r.action, r.purpose]).sort()).toEqual([
    ['a supervisor', 'subject_export', 'an earlier read'],
    ['dpo', 'subject_erase', 'erasure request 2026-18'],
    ['dpo', 'subject_export', 'access request 2026-17'],
  ]);
  const erasure = log.find((r) => r.action === 'subject_erase')!;
  expect(JSON.parse(String(erasure.details))).toEqual({
    rows: Object.fromEntries(
      Object.entries(INSERTED)
        .filter(([t]) => t !== 'access_log')
        .map(([t, rows]) => [t, rows + NAMING[t]!]),
    ),
  });
  expect(stdout).toContain('Kept: access_log (3 rows of E1)');
});

test('export of the erased person holds their audit trail alone', async () => {
  const { stdout } = await subject(['export', 'E1', '--purpose', 'check after erasure']);
  const exported = JSON.parse(stdout) as SubjectExport;
  expect(Object.fromEntries(Object.entries(exported.tables).map(([table, t]) => [table, t.rows.length]))).toEqual({
    ...Object.fromEntries(Object.keys(INSERTED).map((t) => [t, 0])),
    access_log: 3,
  });
});
