import { loadConfig } from '../../../core/config.js';
import { DecisionError } from '../../../core/errors.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { reviewsGroup } from '../../../people/applier.js';
import { flagId } from '../../../contract/flagId.js';
import { eventOfRow } from '../../../people/reviewRecords.js';
import type { Actor, DecisionResult, ReviewDesk } from '../../../people/reviewDesk.js';
import { startReviewApplier } from '../../../people/run.js';
import { batchToken } from '../../../processors/checkpoint.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { migrate } from '../../../sinks/clickhouse/migrate.js';
import { readReview } from '../../../sinks/clickhouse/queries/reviews.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { reviewsTopic } from '../../../topics/definitions.js';
import { createKafka, ensureDeploymentTopics } from '../../../topics/kafka.js';
import { dropTestResources, testContext } from '../support/context.js';
import { insertAssignments, insertUnitsFlags } from '../support/people.js';
import { until } from '../support/processor.js';
import { startReviewLoop, type ReviewLoop } from '../support/reviews.js';
import { windowRowWith } from '../support/rows.js';

/**
 * Decisions about flags and disputes on the real services: the use-case puts
 * each on kpi.reviews.v1, the applier records it in kpi.reviews, and the
 * views show where each flag and dispute stands. Three people of plant P1
 * with one flag each, in the current month (the dispute figures count
 * disputes by the month they were opened in).
 */
const ctx = testContext('reviews');
const client = createClickHouseClient(ctx.config);
const catalog = KpiCatalog.of();
const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const PEOPLE = ['E1', 'E2', 'E3'];
const flagOf = (employee: string) => flagId({ employeeId: employee, windowStart: TODAY, kind: 'units_overclaim', method: 'single_window' });
const [A, B, C] = PEOPLE.map(flagOf) as [string, string, string];
const S1: Actor = { id: 'S1', role: 'supervisor' };
const S2: Actor = { id: 'S2', role: 'supervisor' };
const H1: Actor = { id: 'H1', role: 'hr' };

let reviews: ReviewLoop | undefined;
let desk: ReviewDesk;

async function query<T>(sql: string): Promise<T[]> {
  return (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

/** Every row of kpi.reviews as written, without the time of writing. */
async function reviewRows(): Promise<Record<string, unknown>[]> {
  return query(`SELECT * EXCEPT recorded_at FROM reviews ORDER BY topic_offset`);
}

/** Raw records on the topic, as a producer that is not the use-case might send them. */
async function sendRaw(values: string[]): Promise<void> {
  await reviews!.producer.send(
    reviewsTopic(ctx.config),
    values.map((value) => ({ key: 'raw', value })),
  );
}

/** Whether consumer group `group` has committed past every record of the topic. */
async function caughtUp(group: string): Promise<boolean> {
  const admin = createKafka(ctx.config, 'reviews-test-admin', ctx.log).admin();
  await admin.connect();
  try {
    const [high] = await admin.fetchTopicOffsets(reviewsTopic(ctx.config));
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [reviewsTopic(ctx.config)] });
    return Number(committed!.partitions[0]!.offset) === Number(high!.high);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await ensureDeploymentTopics(createKafka(ctx.config, 'reviews-test-topics', ctx.log), ctx.config, ctx.log);
  await migrate(ctx.config, ctx.log, catalog);
  const windows = PEOPLE.map((employee) =>
    windowRowWith(catalog, {
      employee,
      start: TODAY,
      end: TODAY + DAY,
      station: 'S1',
      measures: { units: 100, standard_ms: 3_600_000, run_ms: 3_600_000 },
      report: { units: 150, runHours: 1, defectiveUnits: 0, selfScore: 90, submittedTime: TODAY + DAY, eventId: `${employee}-r` },
    }),
  );
  await new ClickHouseWindowStore(client, catalog, ctx.log).write(windows, batchToken(windows));
  await insertAssignments(
    client,
    PEOPLE.map((employee) => ({ employee, plant: 'P1', team: 'line-1', supervisor: 'S1' })),
    TODAY - 30 * DAY,
  );
  await insertUnitsFlags(client, PEOPLE, { day: TODAY, station: 'S1', reported: 150, measured: 100, evidence: {} });
  reviews = await startReviewLoop(ctx.config, ctx.log, client);
  desk = reviews.desk;
}, 180_000);

afterAll(async () => {
  await reviews?.stop();
  await client.close();
  await dropTestResources(ctx);
});

test('flags_current names each flag by the id people/flagId.ts computes, proposed until reviewed', async () => {
  const flags = await query<{ flag_id: string; employee_id: string; status: string; reviewed_at: string | null; plant_id: string }>(
    `SELECT flag_id, employee_id, status, reviewed_at, plant_id FROM flags_current ORDER BY employee_id`,
  );
  expect(flags).toEqual(
    PEOPLE.map((employee) => ({ flag_id: flagOf(employee), employee_id: employee, status: 'proposed', reviewed_at: null, plant_id: 'P1' })),
  );
});

test('bad input is refused with a stable code before anything is sent', async () => {
  await expect(desk.review(A, 'confirmed', '   ', S1)).rejects.toMatchObject({ code: 'KPI_ERR_INVALID_DECISION', field: 'reason' });
  await expect(desk.review(A, 'confirmed', 'x'.repeat(2001), S1)).rejects.toMatchObject({ code: 'KPI_ERR_INVALID_DECISION', field: 'reason' });
  await expect(desk.review(A, 'confirmed', 'checked', { id: 'E2', role: 'employee' })).rejects.toMatchObject({
    code: 'KPI_ERR_INVALID_DECISION',
    field: 'actor_role',
  });
  await expect(desk.review('f_000000000000000000000000', 'confirmed', 'checked', S1)).rejects.toBeInstanceOf(DecisionError);
  await expect(desk.review('f_000000000000000000000000', 'confirmed', 'checked', S1)).rejects.toMatchObject({ code: 'KPI_ERR_UNKNOWN_SUBJECT' });
  expect(await reviewRows()).toEqual([]);
});

test('a flag confirmed and another dismissed, each with its reason; two reviewers at once on a third: one wins, the other is told who', async () => {
  expect(await desk.review(A, 'confirmed', 'the MES shows 100 units', S1)).toMatchObject({ outcome: 'applied', status: 'confirmed', flagStatus: 'confirmed' });
  expect(await desk.review(B, 'dismissed', 'units were booked on the wrong station', S1)).toMatchObject({ outcome: 'applied', status: 'dismissed' });

  const results: DecisionResult[] = await Promise.all([
    desk.review(C, 'confirmed', 'checked the counts', S1),
    desk.review(C, 'dismissed', 'the counter was broken', S2),
  ]);
  const applied = results.filter((r) => r.outcome === 'applied');
  const conflicts = results.filter((r) => r.outcome === 'conflict');
  expect([applied.length, conflicts.length]).toEqual([1, 1]);
  const winner = applied[0]!.status === 'confirmed' ? 'S1' : 'S2';
  expect(conflicts[0]).toMatchObject({ reason: expect.stringMatching(new RegExp(`^already ${applied[0]!.status} by ${winner} \\(supervisor\\) at 20`)) });

  const flags = await query<Record<string, unknown>>(`SELECT employee_id, status, reviewed_by, reviewer_role, reason FROM flags_current ORDER BY employee_id`);
  expect(flags.slice(0, 2)).toEqual([
    { employee_id: 'E1', status: 'confirmed', reviewed_by: 'S1', reviewer_role: 'supervisor', reason: 'the MES shows 100 units' },
    { employee_id: 'E2', status: 'dismissed', reviewed_by: 'S1', reviewer_role: 'supervisor', reason: 'units were booked on the wrong station' },
  ]);
  expect(flags[2]).toMatchObject({ employee_id: 'E3', status: applied[0]!.status, reviewed_by: winner });
});

test('a dispute opened on the confirmed flag and upheld by HR overturns it; the views and the figures show it', async () => {
  const opened = await desk.openDispute('flag', A, 'the machine was down; I counted by hand', { id: 'E1', role: 'employee' });
  expect(opened).toMatchObject({ outcome: 'applied', status: 'open', flagStatus: 'disputed' });
  const dispute = opened.subjectId;
  expect((await query<{ status: string }>(`SELECT status FROM flags_current WHERE flag_id = '${A}'`))[0]?.status).toBe('disputed');
  // Nobody else disputes a flag about E1; and E2 disputes a score.
  await expect(desk.openDispute('flag', A, 'not mine', { id: 'E2', role: 'employee' })).rejects.toMatchObject({ code: 'KPI_ERR_UNKNOWN_SUBJECT' });
  expect(await desk.openDispute('score', 'month/2026-11', 'my score misses a week', { id: 'E2', role: 'employee' })).toMatchObject({ outcome: 'applied' });

  expect(await desk.decideDispute(dispute, 'upheld', 'the hand count matches the shipping notes', H1)).toMatchObject({
    outcome: 'applied',
    status: 'upheld',
    flagStatus: 'overturned',
  });
  expect(await desk.decideDispute(dispute, 'rejected', 'second thoughts', { id: 'H2', role: 'hr' })).toMatchObject({
    outcome: 'conflict',
    reason: expect.stringContaining('the dispute is already upheld by H1 (hr)'),
  });

  expect((await query<{ status: string }>(`SELECT status FROM flags_current WHERE flag_id = '${A}'`))[0]?.status).toBe('overturned');
  const disputes = await query<Record<string, unknown>>(
    `SELECT dispute_id, employee_id, subject, subject_id, status, statement, decided_by, resolution, plant_id, decided_at IS NOT NULL AS decided
     FROM disputes_current ORDER BY employee_id`,
  );
  expect(disputes).toEqual([
    {
      dispute_id: dispute,
      employee_id: 'E1',
      subject: 'flag',
      subject_id: A,
      status: 'upheld',
      statement: 'the machine was down; I counted by hand',
      decided_by: 'H1',
      resolution: 'the hand count matches the shipping notes',
      plant_id: 'P1',
      decided: 1,
    },
    expect.objectContaining({ employee_id: 'E2', subject: 'score', subject_id: 'month/2026-11', status: 'open', decided_by: '', decided: 0 }),
  ]);
  const [figures] = await query<Record<string, number | string | null>>(`SELECT * FROM dispute_figures WHERE plant_id = 'P1'`);
  expect(figures).toMatchObject({ employees: 3, disputes: 2, decided: 1, upheld: 1, share_upheld: 1 });
  expect(figures!.disputes_per_100_employees).toBeCloseTo(200 / 3, 6);
  expect(figures!.median_days_to_decide).toBeGreaterThanOrEqual(0);
  expect(figures!.median_days_to_decide).toBeLessThan(1);
});

test('bad records are dead-lettered and the decisions after them applied; an event sent twice is recorded once', async () => {
  const [first] = await query<{ event_id: string }>(`SELECT event_id FROM reviews ORDER BY topic_offset LIMIT 1`);
  const again = eventOfRow((await readReview(client, first!.event_id))!);
  await sendRaw(['{not json', JSON.stringify({ event_id: '6f1c1a34-1b2c-4d5e-8f90-123456789abc', type: 'flag_deleted' }), JSON.stringify(again)]);
  const after = await desk.openDispute('score', 'week/2026-45', 'one more', { id: 'E3', role: 'employee' });
  expect(after).toMatchObject({ outcome: 'applied' });
  const letters = await query<{ error_code: string }>(`SELECT error_code FROM dead_letters ORDER BY source_offset`);
  expect(letters).toEqual([{ error_code: 'KPI_ERR_INVALID_REVIEW_EVENT' }, { error_code: 'KPI_ERR_INVALID_REVIEW_EVENT' }]);
  const copies = await query<{ n: string }>(`SELECT count() AS n FROM reviews WHERE event_id = '${first!.event_id}'`);
  expect(Number(copies[0]!.n)).toBe(1);
});

test('its /readyz line: a member of its group that tells how many decisions wait, caught up once it committed past them all', async () => {
  await until('the applier committed past every decision', () => caughtUp(reviewsGroup(ctx.config)));
  expect(await reviews!.applier.check.check()).toEqual({
    ok: true,
    detail: `member of group ${reviewsGroup(ctx.config)}, caught up with ${reviewsTopic(ctx.config)}`,
  });
});

test('a replay of the topic from its beginning (a new consumer group) writes no row twice; into an empty table it writes the same rows', async () => {
  await until('the applier committed past every decision', () => caughtUp(reviewsGroup(ctx.config)));
  const before = await reviewRows();
  expect(before.map((r) => r.outcome)).toEqual([
    'applied',
    'applied',
    expect.any(String),
    expect.any(String),
    'applied',
    'applied',
    'applied',
    'conflict',
    'applied',
  ]);
  await reviews!.stop();
  reviews = undefined;

  const replay = async (group: string) => {
    const config = loadConfig({ ...ctx.env, KPI_GROUP_ID: group });
    const applier = await startReviewApplier(config, ctx.log);
    await until(`group ${group} committed past every decision`, () => caughtUp(reviewsGroup(config)));
    await applier.stop();
  };
  await replay(`${ctx.config.groupId}.replay-1`);
  expect(await reviewRows()).toEqual(before);

  await client.command({ query: 'TRUNCATE TABLE reviews' });
  await replay(`${ctx.config.groupId}.replay-2`);
  expect(await reviewRows()).toEqual(before);
  expect((await query<{ status: string }>(`SELECT status FROM flags_current WHERE flag_id = '${A}'`))[0]?.status).toBe('overturned');
}, 120_000);
