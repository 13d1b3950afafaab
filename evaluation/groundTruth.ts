import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAY } from '../core/time.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import type { WindowTruth } from '../simulator/day.js';
import { OUTPUT_FILES } from '../simulator/output.js';
import type { Plant } from '../simulator/plant.js';
import { DEFAULT_EVALUATION, evaluate, type Evaluation, type EvaluationOptions } from './evaluate.js';
import { inflatorsOf } from './harness.js';
import { readFlags } from '../detection/runner.js';

/** Reads a simulation's ground truth and plant from its output folder, and the flags over its windows, and scores them. */
export async function evaluateSimulation(client: ClickHouseClient, dir: string, options: EvaluationOptions = DEFAULT_EVALUATION): Promise<Evaluation> {
  const truth = readFileSync(join(dir, OUTPUT_FILES.truth), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as WindowTruth);
  const plant = JSON.parse(readFileSync(join(dir, OUTPUT_FILES.plant), 'utf8')) as Plant;
  const from = Math.min(...truth.map((t) => t.window_start));
  const to = Math.max(...truth.map((t) => t.window_start)) + DAY;
  return evaluate(truth, await readFlags(client, { from, to }), inflatorsOf(plant), options);
}

/** The targets `evaluate --check` holds a run to: overall, and the per-window ones in every shift. */
export function meetsTargets(e: Evaluation): boolean {
  const fair = (f: { precision: number; recallAtLeast15: { recall: number }; honestFlagRate: number }) =>
    f.precision >= 0.95 && f.recallAtLeast15.recall >= 0.9 && f.honestFlagRate <= 0.01;
  return fair(e) && Object.values(e.byShift).every(fair) && e.honestEmployeeFlagRate <= 0.02 && e.gaps.inflationFlagged === 0;
}
