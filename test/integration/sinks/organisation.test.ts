import { DAY, HOUR } from '../../../core/time.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import type { AssignmentChanged, ProductionReported, QualityInspected } from '../../../schemas/events.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { encodeEvent } from '../../../topics/codec.js';
import { assignmentsTopic, inputTopic } from '../../../topics/definitions.js';
import { createKafka, createProducer } from '../../../topics/kafka.js';
import { createRegistry, registerInputSchemas } from '../../../topics/registry.js';
import { dropTestResources, testContext } from '../support/context.js';

/**
 * hr.assignments.v1 through the real broker, registry and ClickHouse: the
 * processors store every assignment, dead-letter the bad ones, and the
 * views place each window in the plant and team that held at its start
 * (a move mid-month, a resubmission, an assignment that arrives after the
 * rows it touches); team figures are shown for 5 people or more only.
 */
const ctx = testContext('organisation', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
const start = Date.UTC(2026, 10, 2); // Monday 2 November 2026, windows of one UTC day
const day = (n: number) => start + n * DAY;
const kafka = createKafka(ctx.config, 'organisation-test', ctx.log);
let ids: Awaited<ReturnType<typeof registerInputSchemas>>;

afterAll(async () => {
  await dropTestResources(ctx);
});

const production = (employee: string, n: number): ProductionReported => ({
  event_id: `p-${employee}-${n}`,
  employee_id: employee,
  station_id: 'st-1',
  work_order_id: 'wo-1',
  product_code: 'P-1',
  event_time: day(n) + 9 * HOUR,
  units: 10,
  standard_seconds_per_unit: 60,
});

const inspection = (employee: string, n: number): QualityInspected => ({
  event_id: `q-${employee}-${n}`,
  employee_id: employee,
  station_id: 'st-1',
  work_order_id: 'wo-1',
  production_time: day(n) + 9 * HOUR,
  inspected_time: day(n) + 10 * HOUR,
  units_inspected: 10,
  units_defective: 1,
  defect_codes: [],
});

const assignment = (employee: string, from: number, team: string, extra: Partial<AssignmentChanged> = {}): AssignmentChanged => ({
  event_id: `a-${employee}-${from}-${team}`,
  employee_id: employee,
  plant_id: 'plant-sz',
  team_id: team,
  supervisor_id: `lead-${team}`,
  valid_from: from,
  valid_to: null,
  submitted_time: day(-1),
  ...extra,
});

async function send(topic: string, messages: { key: string | null; value: Buffer | null }[]): Promise<void> {
  const producer = createProducer(kafka, { allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

/** Runs the processors until every record is read and every window written, then stops them. */
async function runProcessors(): Promise<void> {
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 1000 });
  await pipeline.done;
}

async function query<T>(sql: string): Promise<T[]> {
  return withClickHouse(ctx.config, async (client) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>());
}

const people = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];
const valueOf = (a: AssignmentChanged) => encodeEvent('assignment', ids.assignment, a);

test('windows take the plant and team of their start; bad assignments are dead-lettered; small teams are withheld', async () => {
  // Topics and tables are made by the processors at start-up: a first run with nothing to read.
  await runProcessors();
  ids = await registerInputSchemas(createRegistry(ctx.config), ctx.config, ctx.log);

  await send(
    inputTopic(ctx.config, 'production'),
    people.flatMap((e) => [0, 1, 2, 3].map((n) => ({ key: e, value: encodeEvent('production', ids.production, production(e, n)) }))),
  );
  // Inspections: all five of team A on day 0, four of them on day 1 (a figure of four people is withheld).
  await send(inputTopic(ctx.config, 'inspection'), [
    ...['e1', 'e2', 'e3', 'e4', 'e5'].map((e) => ({ key: e, value: encodeEvent('inspection', ids.inspection, inspection(e, 0)) })),
    ...['e2', 'e3', 'e4', 'e5'].map((e) => ({ key: e, value: encodeEvent('inspection', ids.inspection, inspection(e, 1)) })),
  ]);
  const good = [
    // Five people in team A from the first day; e1 moves to team B from day 2 (mid-month, at the window's start).
    ...['e1', 'e2', 'e3', 'e4', 'e5'].map((e) => assignment(e, day(0), 'team-a')),
    assignment('e1', day(2), 'team-b'),
    // e2 was first entered in team B by mistake; HR's later submission for the same valid_from stands.
    assignment('e2', day(0), 'team-b', { event_id: 'a-e2-wrong', submitted_time: day(-2) }),
    // e5's assignment ended after day 1: from day 2 on e5 is in no team.
    assignment('e5', day(0), 'team-a', { event_id: 'a-e5-ends', valid_to: day(2), submitted_time: day(0) }),
  ];
  const bad = [
    { key: 'e6', value: valueOf(assignment('e6', day(1), 'team-a', { valid_to: day(1) })), code: 'KPI_ERR_INVALID_PERIOD' },
    { key: 'someone-else', value: valueOf(assignment('e6', day(0), 'team-a')), code: 'KPI_ERR_KEY_MISMATCH' },
    { key: 'e6', value: valueOf(assignment('e6', day(0), ' ')), code: 'KPI_ERR_INVALID_VALUE' },
    { key: 'e6', value: Buffer.from('not avro'), code: 'KPI_ERR_DECODE_NOT_AVRO' },
  ];
  await send(assignmentsTopic(ctx.config), [...good.map((a) => ({ key: a.employee_id, value: valueOf(a) })), ...bad.map(({ key, value }) => ({ key, value }))]);
  await runProcessors();

  const placed = async () =>
    (
      await query<{ employee_id: string; start_ms: string; plant_id: string; team_id: string }>(
        `SELECT employee_id, toUnixTimestamp64Milli(window_start) AS start_ms, plant_id, team_id
         FROM employee_window_metrics_current ORDER BY employee_id, window_start`,
      )
    ).map((r) => `${r.employee_id} day ${(Number(r.start_ms) - start) / DAY}: ${r.plant_id}/${r.team_id}`);
  expect(await placed()).toEqual([
    ...['e1 day 0: plant-sz/team-a', 'e1 day 1: plant-sz/team-a', 'e1 day 2: plant-sz/team-b', 'e1 day 3: plant-sz/team-b'],
    ...['e2', 'e3', 'e4'].flatMap((e) => [0, 1, 2, 3].map((n) => `${e} day ${n}: plant-sz/team-a`)),
    ...['e5 day 0: plant-sz/team-a', 'e5 day 1: plant-sz/team-a', 'e5 day 2: /', 'e5 day 3: /'],
    ...[0, 1, 2, 3].map((n) => `e6 day ${n}: /`),
  ]);

  const letters = await query<{ employee_id: string; error_code: string }>(
    `SELECT employee_id, error_code FROM dead_letters WHERE source_topic = '${assignmentsTopic(ctx.config)}' ORDER BY error_code`,
  );
  expect(letters.map((l) => [l.error_code, l.employee_id])).toEqual(bad.map((b) => [b.code, b.key]).sort(([a], [b]) => a!.localeCompare(b!)));

  // Team A has 5 people on days 0 and 1, then 3: only the first two days are shown. Team B never reaches 5.
  // Quality figures need 5 people inspected: day 0 has them, day 1 four.
  const teams = await query<{
    team_id: string;
    start_ms: string;
    employees: string;
    units: string;
    units_inspected: string | null;
    defect_rate: number | null;
  }>(
    `SELECT team_id, toUnixTimestamp64Milli(window_start) AS start_ms, employees, units, units_inspected, defect_rate FROM team_window_metrics ORDER BY team_id, window_start`,
  );
  expect(
    teams.map((t) => [
      t.team_id,
      (Number(t.start_ms) - start) / DAY,
      Number(t.employees),
      Number(t.units),
      t.units_inspected === null ? null : Number(t.units_inspected),
      t.defect_rate,
    ]),
  ).toEqual([
    ['team-a', 0, 5, 50, 50, 0.1],
    ['team-a', 1, 5, 50, null, null],
  ]);
  const plants = async () =>
    (
      await query<{ start_ms: string; employees: string }>(
        `SELECT toUnixTimestamp64Milli(window_start) AS start_ms, employees FROM plant_window_metrics ORDER BY window_start`,
      )
    ).map((p) => [(Number(p.start_ms) - start) / DAY, Number(p.employees)]);
  // From day 2 the plant has 4 people assigned (e5 left, e6 in no team): withheld.
  expect(await plants()).toEqual([
    [0, 5],
    [1, 5],
  ]);

  // Assignments that arrive after the rows they touch: e6 joins team A from day 2, and e5 comes back to it. The rows
  // stay as written; the views place them anew, and team A has 5 people again on days 2 and 3.
  await send(assignmentsTopic(ctx.config), [
    { key: 'e6', value: valueOf(assignment('e6', day(2), 'team-a', { submitted_time: day(3) })) },
    { key: 'e5', value: valueOf(assignment('e5', day(2), 'team-a', { submitted_time: day(3) })) },
  ]);
  await runProcessors();
  expect((await placed()).filter((line) => line.startsWith('e5') || line.startsWith('e6'))).toEqual([
    ...[0, 1, 2, 3].map((n) => `e5 day ${n}: plant-sz/team-a`),
    ...['e6 day 0: /', 'e6 day 1: /', 'e6 day 2: plant-sz/team-a', 'e6 day 3: plant-sz/team-a'],
  ]);
  // The plant counts the people of the teams shown only: e1, alone in team B, is in no plant figure, else the plant
  // less team A would be e1's own figures.
  expect(await plants()).toEqual([
    [0, 5],
    [1, 5],
    [2, 5],
    [3, 5],
  ]);
  // A figure fewer than 5 of the group contribute to is withheld too: nobody here was inspected.
  expect(
    await query<{ units: number; units_inspected: number | null; defect_rate: number | null }>(
      "SELECT units, units_inspected, defect_rate FROM team_window_metrics WHERE team_id = 'team-a' AND window_start = '2026-11-04 00:00:00'",
    ),
  ).toEqual([{ units: 50, units_inspected: null, defect_rate: null }]);
  expect(await query<{ n: number }>("SELECT count() AS n FROM team_window_metrics WHERE team_id = 'team-b'")).toEqual([{ n: 0 }]);

  // Scores and flags are placed the same way, by the start of their period or window: e1 before and after the move.
  const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  await withClickHouse(ctx.config, async (client) => {
    await client.insert({
      table: 'employee_scores',
      format: 'JSONEachRow',
      // Day 1's window: five graded and five self-scored. The week from day 0: five graded, four self-scored.
      values: [
        ...(['qualified', 'excellent', 'excellent', 'needs_improvement', 'qualified'] as const).map((grade, i) => ({
          employee: `e${i + 1}`,
          period: 'window',
          n: 1,
          grade,
          self: true,
        })),
        { employee: 'e1', period: 'window', n: 3, grade: 'qualified', self: false },
        ...['e1', 'e2', 'e3', 'e4', 'e5'].map((employee) => ({ employee, period: 'week', n: 0, grade: 'qualified', self: employee !== 'e5' })),
      ].map(({ employee, period, n, grade, self }) => ({
        model_version: 'default-v1',
        period_type: period,
        period_start: at(day(n)),
        employee_id: employee,
        station_id: 'st-1',
        score: 80,
        grade,
        self_score_avg: self ? 90 : null,
        self_grade: self ? 'excellent' : '',
        computed_at: at(day(4)),
      })),
    });
    await client.insert({
      table: 'anomalies',
      format: 'JSONEachRow',
      values: [1, 3].map((n) => ({
        employee_id: 'e1',
        station_id: 'st-1',
        window_start: at(day(n)),
        window_end: at(day(n + 1)),
        kind: 'units_overclaim',
        method: 'single_window',
        severity: 'high',
        explanation: 'e1 reported more than was measured',
        evidence: '{}',
        detected_at: at(day(4)),
      })),
    });
  });
  const scores = await query<{ start_ms: string; team_id: string }>(
    `SELECT toUnixTimestamp64Milli(period_start) AS start_ms, team_id FROM employee_scores_current WHERE employee_id = 'e1' AND period_type = 'window' ORDER BY period_start`,
  );
  const flags = await query<{ start_ms: string; team_id: string }>(
    `SELECT toUnixTimestamp64Milli(window_start) AS start_ms, team_id FROM anomalies_current WHERE employee_id = 'e1' ORDER BY window_start`,
  );
  // Team A's five graded people against the target; e1 alone in team B on day 3 is withheld. The self-score figures
  // need 5 self-scores: the window has them, the week four.
  const calibration = await query<{
    period_type: string;
    start_ms: string;
    team_id: string;
    employees: number;
    share_excellent: number;
    share_needs_improvement: number;
    avg_self_score: number | null;
    self_share_excellent: number | null;
  }>(
    `SELECT period_type, toUnixTimestamp64Milli(period_start) AS start_ms, team_id, employees, share_excellent, share_needs_improvement, avg_self_score, self_share_excellent
     FROM team_calibration ORDER BY period_type, period_start`,
  );
  expect(
    calibration.map((c) => [
      c.period_type,
      (Number(c.start_ms) - start) / DAY,
      c.team_id,
      Number(c.employees),
      c.share_excellent,
      c.share_needs_improvement,
      c.avg_self_score,
      c.self_share_excellent,
    ]),
  ).toEqual([
    ['week', 0, 'team-a', 5, 0, 0, null, null],
    ['window', 1, 'team-a', 5, 0.4, 0.2, 90, 1],
  ]);
  for (const placedRows of [scores, flags]) {
    expect(placedRows.map((r) => [(Number(r.start_ms) - start) / DAY, r.team_id])).toEqual([
      [1, 'team-a'],
      [3, 'team-b'],
    ]);
  }
}, 180_000);
