import { join } from 'node:path';
import { readShiftCalendar } from '../../../contract/shiftCalendar.js';
import { projectRoot } from '../../../core/paths.js';
import { HOUR } from '../../../core/time.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { ShiftCalendar } from '../../../processors/shiftCalendar.js';
import type { AssignmentChanged, ProductionReported } from '../../../schemas/events.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { encodeEvent } from '../../../topics/codec.js';
import { assignmentsTopic, inputTopic } from '../../../topics/definitions.js';
import { createKafka, createProducer } from '../../../topics/kafka.js';
import { createRegistry, registerInputSchemas } from '../../../topics/registry.js';
import { dropTestResources, testContext } from '../support/context.js';

/**
 * Two plants in one deployment (KPI_PLANTS_FILE, examples/shifts/two-plants.yaml), through the real broker,
 * registry and ClickHouse: Berlin works the rotating crews' shifts from a 06:00 day start, Suzhou day windows
 * from 06:00 China time. Each employee's events fall in the windows of their plant's clock; someone who moves
 * from Berlin to Suzhou mid-month changes clocks at the move; a team change and a new supervisor mid-month
 * place the rows anew; someone with no assignment keeps the deployment's own UTC days.
 */
const PLANTS_FILE = join(projectRoot(), 'examples', 'shifts', 'two-plants.yaml');
const ctx = testContext('plants', { KPI_PLANTS_FILE: PLANTS_FILE, KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
const kafka = createKafka(ctx.config, 'plants-test', ctx.log);
const berlinShifts = ShiftCalendar.of(readShiftCalendar(join(projectRoot(), 'examples', 'shifts', 'rotating-crews.yaml')), 'Europe/Berlin', 6 * HOUR);

const utc = (day: number, hour = 0, minute = 0) => Date.UTC(2026, 10, day, hour, minute); // November 2026
const iso = (ms: number) => new Date(ms).toISOString();

afterAll(async () => {
  await dropTestResources(ctx);
});

const production = (employee: string, at: number, units: number): ProductionReported => ({
  event_id: `p-${employee}-${at}`,
  employee_id: employee,
  station_id: 'st-1',
  work_order_id: 'wo-1',
  product_code: 'P-1',
  event_time: at,
  units,
  standard_seconds_per_unit: 60,
});

const assignment = (employee: string, plant: string, team: string, from: number, supervisor = `lead-${team}`): AssignmentChanged => ({
  event_id: `a-${employee}-${from}`,
  employee_id: employee,
  plant_id: plant,
  team_id: team,
  supervisor_id: supervisor,
  valid_from: from,
  valid_to: null,
  submitted_time: utc(1),
});

async function send(topic: string, messages: { key: string; value: Buffer }[]): Promise<void> {
  const producer = createProducer(kafka, { allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

async function runProcessors(): Promise<void> {
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 1000 });
  await pipeline.done;
}

async function query<T>(sql: string): Promise<T[]> {
  return withClickHouse(ctx.config, async (client) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>());
}

test("each plant's clock cuts its people's windows; a move changes clocks; the rows add up per plant", async () => {
  await runProcessors(); // topics and tables
  const ids = await registerInputSchemas(createRegistry(ctx.config), ctx.config, ctx.log);
  const berlin = ['b1', 'b2', 'b3', 'b4', 'b5'];
  const suzhou = ['s1', 's2', 's3', 's4', 's5'];
  const assignments = [
    ...berlin.map((e) => assignment(e, 'plant-berlin', 'line-1', utc(1))),
    assignment('mover', 'plant-berlin', 'line-1', utc(1)),
    ...suzhou.map((e) => assignment(e, 'plant-suzhou', 'cell-a', utc(1))),
    // Mid-month: the mover goes to Suzhou, s1 to another cell, and cell A gets a new supervisor.
    assignment('mover', 'plant-suzhou', 'cell-a', utc(16)),
    assignment('s1', 'plant-suzhou', 'cell-b', utc(15, 22)),
    ...['s2', 's3', 's4', 's5'].map((e) => assignment(e, 'plant-suzhou', 'cell-a', utc(10), 'lead-cell-a-new')),
  ];
  // The assignments first, as HR keeps them: the processors read them back when they start.
  await send(
    assignmentsTopic(ctx.config),
    assignments.map((a) => ({ key: a.employee_id, value: encodeEvent('assignment', ids.assignment, a) })),
  );
  await runProcessors();

  const events = [
    // Berlin, 10:00 CET on 3 November: the day shift, 06:00–14:00 local.
    ...berlin.map((e) => production(e, utc(3, 9), 10)),
    // b1 again at 23:30 CET: the night shift that began at 22:00, on plant day 3 November.
    production('b1', utc(3, 22, 30), 4),
    // Suzhou, 07:00 CST on 3 November (23:00 UTC the day before): plant day 3 November, from 06:00 local.
    ...suzhou.map((e) => production(e, utc(2, 23), 20)),
    // s1 after its team change, 17:00 CST on 20 November.
    production('s1', utc(20, 9), 5),
    // The mover in Berlin before the move, and in Suzhou after it, both at 09:00 UTC.
    production('mover', utc(10, 9), 7),
    production('mover', utc(20, 9), 8),
    // Nobody assigned: the deployment's own clock (KPI_TIME_ZONE: UTC days).
    production('visitor', utc(3, 9), 3),
  ];
  await send(
    inputTopic(ctx.config, 'production'),
    events.map((e) => ({ key: e.employee_id, value: encodeEvent('production', ids.production, e) })),
  );
  await runProcessors();

  const rows = await query<{
    employee_id: string;
    start: string;
    end: string;
    plant_day: string;
    shift: string;
    crew: string;
    plant_id: string;
    team_id: string;
    units: string;
  }>(
    `SELECT employee_id, toUnixTimestamp64Milli(window_start) AS start, toUnixTimestamp64Milli(window_end) AS end, plant_day, shift, crew,
            plant_id, team_id, units
     FROM employee_window_metrics_current ORDER BY employee_id, window_start`,
  );
  const seen = rows.map((r) => ({ ...r, start: iso(Number(r.start)), end: iso(Number(r.end)), units: Number(r.units) }));
  const berlinDay = berlinShifts.windowFor(utc(3, 9));
  const berlinNight = berlinShifts.windowFor(utc(3, 22, 30));
  const moverBerlin = berlinShifts.windowFor(utc(10, 9));
  const row = (
    employee_id: string,
    start: number,
    end: number,
    plant_day: string,
    shift: string,
    crew: string,
    plant_id: string,
    team_id: string,
    units: number,
  ) => ({
    employee_id,
    start: iso(start),
    end: iso(end),
    plant_day,
    shift,
    crew,
    plant_id,
    team_id,
    units,
  });
  expect(seen).toEqual([
    row('b1', utc(3, 5), utc(3, 13), '2026-11-03', 'day', berlinDay.crew, 'plant-berlin', 'line-1', 10),
    row('b1', utc(3, 21), utc(4, 5), '2026-11-03', 'night', berlinNight.crew, 'plant-berlin', 'line-1', 4),
    ...['b2', 'b3', 'b4', 'b5'].map((e) => row(e, utc(3, 5), utc(3, 13), '2026-11-03', 'day', berlinDay.crew, 'plant-berlin', 'line-1', 10)),
    row('mover', utc(10, 5), utc(10, 13), '2026-11-10', 'day', moverBerlin.crew, 'plant-berlin', 'line-1', 7),
    row('mover', utc(19, 22), utc(20, 22), '2026-11-20', '', '', 'plant-suzhou', 'cell-a', 8),
    row('s1', utc(2, 22), utc(3, 22), '2026-11-03', '', '', 'plant-suzhou', 'cell-a', 20),
    row('s1', utc(19, 22), utc(20, 22), '2026-11-20', '', '', 'plant-suzhou', 'cell-b', 5),
    ...['s2', 's3', 's4', 's5'].map((e) => row(e, utc(2, 22), utc(3, 22), '2026-11-03', '', '', 'plant-suzhou', 'cell-a', 20)),
    row('visitor', utc(3), utc(4), '2026-11-03', '', '', '', '', 3),
  ]);
  expect([berlinDay.crew, berlinNight.crew, moverBerlin.crew].every((crew) => crew !== '')).toBe(true);

  // Per plant, every unit counted once, in the plant the person belonged to.
  const perPlant = await query<{ plant_id: string; units: string }>(
    'SELECT plant_id, sum(units) AS units FROM employee_window_metrics_current GROUP BY plant_id ORDER BY plant_id',
  );
  expect(perPlant.map((p) => [p.plant_id, Number(p.units)])).toEqual([
    ['', 3],
    ['plant-berlin', 5 * 10 + 4 + 7],
    ['plant-suzhou', 5 * 20 + 5 + 8],
  ]);
  // Suzhou's plant day 3 November holds its five people: shown to the works council, in its own clock.
  const teams = await query<{ team_id: string; start: string; employees: string }>(
    "SELECT team_id, toUnixTimestamp64Milli(window_start) AS start, employees FROM team_window_metrics WHERE plant_id = 'plant-suzhou'",
  );
  expect(teams.map((t) => [t.team_id, iso(Number(t.start)), Number(t.employees)])).toEqual([['cell-a', iso(utc(2, 22)), 5]]);
  // The new supervisor holds from 10 November.
  expect(await query<{ supervisor_id: string }>("SELECT supervisor_id FROM assignments_current WHERE employee_id = 's2' ORDER BY valid_from")).toEqual([
    { supervisor_id: 'lead-cell-a' },
    { supervisor_id: 'lead-cell-a-new' },
  ]);
}, 180_000);
