import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { readExpectedRows } from '../../../simulator/compare.js';
import { OUTPUT_FILES } from '../../../simulator/output.js';
import { simulatePlant, type SimulationReport } from '../../../simulator/run.js';
import { dropTestResources, testContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';

/**
 * The simulator's two plants (KPI_PLANTS_FILE, examples/shifts/two-plants.yaml) through the real broker, registry
 * and ClickHouse: Berlin's rotating crews from 06:00 across the night its clocks go back, Suzhou's days from 06:00
 * China time; mid-period team changes, a new supervisor, and one person moving from Berlin to Suzhou. The
 * processors store the assignments before the events are sent, as a plant's HR system sends them ahead, and then
 * must make exactly the simulator's expected rows, each in the plant and team the simulator placed it in.
 */
const ctx = testContext('plants_sim', {
  KPI_PLANTS_FILE: join(projectRoot(), 'examples', 'shifts', 'two-plants.yaml'),
  KPI_IDLE_CLOSE: '2s',
  KPI_FLUSH_INTERVAL: '500ms',
});
const out = mkdtempSync(join(tmpdir(), 'kpi-plants-'));
let report: SimulationReport;

async function runProcessorsUntilIdle(): Promise<void> {
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 2000 });
  await pipeline.done;
}

beforeAll(async () => {
  report = await simulatePlant(
    { employees: 76, days: 8, start: Date.UTC(2026, 9, 22), seed: 2610, duplicateRate: 0.02, disorderMs: 20 * 60_000, out },
    ctx.config,
    ctx.log,
    { assignmentsSent: runProcessorsUntilIdle },
  );
  await runProcessorsUntilIdle();
}, 300_000);

afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test("each plant's rows are exactly the simulator's, by that plant's clock", async () => {
  await expectExactlyTheSimulatedRows(ctx, out);
});

test('every row is in the plant and team the simulator placed it in, the mover in both plants', async () => {
  const expected = await readExpectedRows(join(out, OUTPUT_FILES.expected));
  const rows = await withClickHouse(ctx.config, async (client) =>
    (
      await client.query({
        query: 'SELECT employee_id, toUnixTimestamp64Milli(window_start) AS start, plant_id, team_id FROM employee_window_metrics_current',
        format: 'JSONEachRow',
      })
    ).json<{ employee_id: string; start: string; plant_id: string; team_id: string }>(),
  );
  const key = (employee: string, start: number) => `${employee}@${start}`;
  const placed = new Map(rows.map((r) => [key(r.employee_id, Number(r.start)), `${r.plant_id}/${r.team_id}`]));
  expect(new Map(expected.map((r) => [key(r.employee_id, r.window_start), placed.get(key(r.employee_id, r.window_start))]))).toEqual(
    new Map(expected.map((r) => [key(r.employee_id, r.window_start), `${r.plant_id}/${r.team_id}`])),
  );
  const { transfer, teamMoves, supervisorChange } = report.simulation.organisation;
  const plantsOf = (employee: string) => new Set(expected.filter((r) => r.employee_id === employee).map((r) => r.plant_id));
  expect(plantsOf(transfer!.employeeId)).toEqual(new Set(['plant-berlin', 'plant-suzhou']));
  const teamsOf = (employee: string) => new Set(expected.filter((r) => r.employee_id === employee).map((r) => r.team_id));
  expect(teamMoves.length).toBeGreaterThan(0);
  for (const move of teamMoves) expect(teamsOf(move.employeeId)).toEqual(new Set([move.from, move.to]));
  // The new supervisor stands from the change on, as HR sent it ahead.
  const supervisors = await withClickHouse(ctx.config, async (client) =>
    (
      await client.query({
        query: `SELECT DISTINCT supervisor_id FROM assignments_current WHERE team_id = {team:String} ORDER BY supervisor_id`,
        query_params: { team: supervisorChange!.teamId },
        format: 'JSONEachRow',
      })
    ).json<{ supervisor_id: string }>(),
  );
  expect(supervisors.map((s) => s.supervisor_id)).toEqual([supervisorChange!.from, supervisorChange!.to].sort());
});
