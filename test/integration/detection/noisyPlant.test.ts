import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation } from '../../../evaluation/evaluate.js';
import { formatEvaluation } from '../../../evaluation/evaluationTable.js';
import { evaluateSimulation } from '../../../evaluation/groundTruth.js';
import { detectOnSimulation } from '../../../evaluation/harness.js';
import { readFlags, runDetection } from '../../../detection/runner.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { scorePeriods } from '../../../scoring/score.js';
import { simulateOptions, simulatePlant, type SimulateOptions } from '../../../simulator/run.js';
import { createClickHouseClient, withClickHouse } from '../../../sinks/clickhouse/client.js';
import { analystQueries, mayBeEmpty } from '../support/analystQueries.js';
import { dropTestResources, testContext } from '../support/context.js';

/**
 * A month of a plant whose honest operators report from memory (units and run
 * hours off by up to ±10%, defects by up to ±3), with planted inflators (some
 * starting part-way, some intermittent) and measurement gaps on honest shifts:
 * IoT gateway and MES outages, and records dead-lettered instead of counted.
 * Through the real services: issue 15's targets, and no accusation from
 * missing data. The seed is fixed so the targets are judged on the same plant
 * every run (KPI_TEST_SEED picks another). The month ends 25 days ago, so all
 * of its customer feedback (up to 21 days after production) lies in the past:
 * a record from the future is dead-lettered (KPI_ERR_INVALID_TIME), as it
 * would be at a plant, and the pure detection on the ground truth would see
 * feedback ClickHouse never got.
 */
const ctx = testContext('noisy_plant', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '500ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-noisy-'));
const DAY = 86_400_000;
const seed = Number(process.env.KPI_TEST_SEED ?? 2026);
const start = Math.floor(Date.now() / DAY) * DAY - 55 * DAY;
const catalog = KpiCatalog.of();
let options: SimulateOptions;
let result: Evaluation;

beforeAll(async () => {
  process.stdout.write(`noisy plant: KPI_TEST_SEED=${seed}, start ${new Date(start).toISOString().slice(0, 10)}\n`);
  options = simulateOptions({
    employees: 240,
    days: 30,
    seed,
    start,
    inflatorShare: 0.25,
    lateStartShare: 0.3,
    intermittentShare: 0.2,
    honestErrors: { shape: 'uniform', units: 0.1, runHours: 0.1, defects: 3, defectSlips: 0.86 },
    gapShare: 0.1,
    malformedRate: 0.001,
    out,
  });

  await simulatePlant(options, ctx.config, ctx.log);
  const pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 3000 });
  await pipeline.done;
  const client = createClickHouseClient(ctx.config);
  try {
    await runDetection(client, catalog, ctx.log, { from: options.start, to: options.start + options.days * DAY, timeZone: 'UTC' });
  } finally {
    await client.close();
  }
  result = await withClickHouse(ctx.config, (client) => evaluateSimulation(client, out));
  process.stdout.write(`${formatEvaluation(result)}\n`);
}, 600_000);

afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('honest errors up to ±10%: at most 1% of honest windows and 2% of honest employees flagged, precision 0.95, 95% of inflators found within 5 shifts', () => {
  expect(result.honestFlagRate).toBeLessThanOrEqual(0.01);
  expect(result.honestEmployeeFlagRate).toBeLessThanOrEqual(0.02);
  expect(result.precision).toBeGreaterThanOrEqual(0.95);
  // Figures whose honest error is a share (defects are counted: one or two hidden a shift are below ±3 of honest noise).
  const kinds = ['units', 'run_hours', 'self_score'].map((k) => result.persons.byKind[k]!);
  const inflators = kinds.reduce((n, k) => n + k.inflators, 0);
  expect(inflators).toBeGreaterThan(15);
  expect(kinds.reduce((n, k) => n + k.identified, 0) / inflators).toBeGreaterThanOrEqual(0.95);
});

test('measurement gaps planted on honest shifts (outages, dead letters) raise no inflation flag, and each is flagged as a gap', async () => {
  expect(result.gaps.windows).toBeGreaterThan(200);
  expect(result.gaps.inflationFlagged).toBe(0);
  expect(result.gaps.gapFlagged).toBe(result.gaps.windows);
  // The dead-lettered records were matched from kpi.dead_letters by employee and Kafka timestamp.
  const client = createClickHouseClient(ctx.config);
  try {
    const flags = await readFlags(client, { from: options.start, to: options.start + options.days * DAY });
    expect(flags.some((f) => f.kind === 'measurement_gap' && /dead-lettered/.test(f.explanation))).toBe(true);
  } finally {
    await client.close();
  }
});

test("the flags in ClickHouse are the flags the pure detection raises on the simulation's ground truth", async () => {
  const client = createClickHouseClient(ctx.config);
  try {
    const key = (f: { employeeId: string; windowStart: number; kind: string; method: string }) => `${f.employeeId}@${f.windowStart}:${f.kind}/${f.method}`;
    const stored = (await readFlags(client, { from: options.start, to: options.start + options.days * DAY })).map(key).sort();
    const pure = detectOnSimulation(options).flags.map(key).sort();
    expect(stored.length).toBeGreaterThan(100);
    expect(stored).toEqual(pure);
  } finally {
    await client.close();
  }
});

test('every example query of docs/analysts.md runs, and those not tied to today return rows', async () => {
  const queries = analystQueries(ctx.config.clickhouseDatabase);
  expect(queries.length).toBeGreaterThanOrEqual(8);
  const client = createClickHouseClient(ctx.config);
  try {
    for (const period of ['week', 'month'] as const) await scorePeriods(client, catalog, { period, timeZone: 'UTC' });
    for (const query of queries) {
      const rows = await (await client.query({ query, query_params: { employee: 'E000001' }, format: 'JSONEachRow' })).json();
      if (!mayBeEmpty(query)) expect({ query, empty: rows.length === 0 }).toEqual({ query, empty: false });
    }
  } finally {
    await client.close();
  }
}, 120_000);
