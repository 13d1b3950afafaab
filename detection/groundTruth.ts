import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAY } from '../core/time.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import type { WindowTruth } from '../simulator/day.js';
import { OUTPUT_FILES } from '../simulator/output.js';
import type { Plant } from '../simulator/plant.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { readFlags } from './runner.js';

/** Reads a simulation's ground truth and plant from its output folder, and the flags over its windows, and scores them. */
export async function evaluateSimulation(client: ClickHouseClient, dir: string): Promise<Evaluation> {
  const truth = readFileSync(join(dir, OUTPUT_FILES.truth), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as WindowTruth);
  const plant = JSON.parse(readFileSync(join(dir, OUTPUT_FILES.plant), 'utf8')) as Plant;
  const inflators = new Set(plant.employees.filter((e) => e.inflator).map((e) => e.id));
  const from = Math.min(...truth.map((t) => t.window_start));
  const to = Math.max(...truth.map((t) => t.window_start)) + DAY;
  return evaluate(truth, await readFlags(client, { from, to }), inflators);
}

/** An evaluation as a person reads it: precision, recall, honest flags, recall by kind and degree. */
export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `employee-windows: ${e.windows}, flagged: ${e.flaggedWindows}`,
    `precision: ${pct(e.precision)} (flagged windows whose report was inflated)`,
    `recall for inflation of 15% or more: ${pct(e.recallAtLeast15.recall)} (${e.recallAtLeast15.flagged} of ${e.recallAtLeast15.inflated})`,
    `flags on honest employees: ${pct(e.honestFlagRate)} of their ${e.honestWindows} windows`,
    `flags naming the right kind: ${pct(e.kindAgreement)}`,
    'recall by kind and degree (effective inflation):',
  ];
  const buckets = ['5-10%', '10-15%', '15-25%', '25-50%+'];
  lines.push(`  ${'kind'.padEnd(12)}${buckets.map((b) => b.padStart(19)).join('')}`);
  for (const [kind, cells] of Object.entries(e.recall).sort()) {
    lines.push(`  ${kind.padEnd(12)}${buckets.map((b) => (cells[b] ? `${pct(cells[b]!.recall)} (${cells[b]!.flagged}/${cells[b]!.inflated})` : '-').padStart(19)).join('')}`);
  }
  return lines.join('\n');
}

/** The targets detection is held to: precision >= 0.95, recall >= 0.90 for 15 %+ inflation, <= 1 % of honest windows flagged. */
export function meetsTargets(e: Evaluation): boolean {
  return e.precision >= 0.95 && e.recallAtLeast15.recall >= 0.9 && e.honestFlagRate <= 0.01;
}
