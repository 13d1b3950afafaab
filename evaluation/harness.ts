import { employeeDay, type WindowTruth } from '../simulator/day.js';
import { buildPlant, type Inflator, type Plant } from '../simulator/plant.js';
import { Organisation } from '../simulator/organisation.js';
import type { SimulationOptions } from '../simulator/simulation.js';
import { evaluate, type Evaluation, type EvaluationOptions } from './evaluate.js';
import type { SelfReportRecord } from '../detection/reports.js';
import { DEFAULT_RULES, detect, type DetectionRules } from '../detection/rules.js';
import type { Flag } from '../contract/flag.js';

/**
 * Detection on a simulated plant without any service: the simulator's ground
 * truth holds, per employee-window, what ClickHouse would hold (the measured
 * and reported figures, the telemetry hours, the dead-lettered records), so
 * the same pure detection runs on it in seconds. For tuning and for comparing
 * honest error spreads; the integration tests confirm it on the real services.
 */

/** The record the runner would read from ClickHouse for a simulated report: its window, and what was measured over its own period. */
export function recordFromTruth(t: WindowTruth): SelfReportRecord {
  return {
    employeeId: t.employee_id,
    stationId: t.station_id,
    window: { start: t.window_start, end: t.window_end },
    period: { start: t.period_start, end: t.period_end },
    reported: { units: t.reported.units, runHours: t.reported.run_hours, defectiveUnits: t.reported.defective_units, selfScore: t.reported.self_score },
    measured: {
      units: t.measured.units,
      standardHours: t.measured.standard_hours,
      runHours: t.measured.run_hours,
      defectiveUnits: t.measured.defective_units,
      score: t.measured.score,
    },
    coverage: {
      telemetryHours: t.measured.telemetry_hours,
      deadLetters: t.gap?.kind === 'dead_letters' ? t.gap.records : { production: 0, telemetry: 0 },
    },
  };
}

/** Every self-report's ground truth of a simulation, generated in memory, and the span of its windows. */
export function simulateTruth(options: SimulationOptions): { plant: Plant; truth: WindowTruth[]; span: { from: number; to: number } } {
  const plant = buildPlant(options);
  // Each employee by the clock of the plant they work in that day, as the simulation sends them.
  const organisation = new Organisation(plant, options);
  const truth: WindowTruth[] = [];
  for (let day = 0; day < options.days; day += 1) {
    for (const employee of plant.employees) {
      const posting = organisation.postingOn(employee, day);
      const generated = posting && employeeDay(options.seed, posting.employee, day, posting.time, options);
      if (generated) truth.push(generated.truth);
    }
  }
  const times = [...organisation.times.values()];
  return {
    plant,
    truth,
    span: { from: Math.min(...times.map((t) => t.dayStartAt(0))), to: Math.max(...times.map((t) => t.dayStartAt(options.days))) },
  };
}

/** The inflators of a plant, by employee id. */
export function inflatorsOf(plant: Pick<Plant, 'employees'>): Map<string, Inflator> {
  return new Map(plant.employees.flatMap((e) => (e.inflator ? [[e.id, e.inflator] as const] : [])));
}

export interface HarnessRun {
  plant: Plant;
  truth: WindowTruth[];
  flags: Flag[];
  evaluation: Evaluation;
}

/** Simulates a plant, runs detection over its whole period, and scores the flags against its truth. */
export function detectOnSimulation(options: SimulationOptions, rules: DetectionRules = DEFAULT_RULES, evaluation?: EvaluationOptions): HarnessRun {
  const { plant, truth, span } = simulateTruth(options);
  const flags = detect(truth.map(recordFromTruth), span, rules);
  return { plant, truth, flags, evaluation: evaluate(truth, flags, inflatorsOf(plant), evaluation) };
}

/**
 * Several seeds of one plant, scored together: each seed's employees count
 * apart (their ids are prefixed with the seed), so the figures are over all of
 * them.
 */
export function detectOnSimulations(
  options: SimulationOptions,
  seeds: readonly number[],
  rules: DetectionRules = DEFAULT_RULES,
  evaluation?: EvaluationOptions,
): Evaluation {
  const truth: WindowTruth[] = [];
  const flags: Flag[] = [];
  const inflators = new Map<string, Inflator>();
  for (const seed of seeds) {
    const run = detectOnSimulation({ ...options, seed }, rules, evaluation);
    const id = (employeeId: string) => (seeds.length > 1 ? `${seed}:${employeeId}` : employeeId);
    truth.push(...run.truth.map((t) => ({ ...t, employee_id: id(t.employee_id) })));
    flags.push(...run.flags.map((f) => ({ ...f, employeeId: id(f.employeeId) })));
    for (const [employeeId, inflator] of inflatorsOf(run.plant)) inflators.set(id(employeeId), inflator);
  }
  return evaluate(truth, flags, inflators, evaluation);
}

/** The same plant (over the given seeds) at several honest error spreads: units and run hours off by up to ± each spread. */
export function sweepHonestSpread(
  options: SimulationOptions,
  spreads: readonly number[],
  rules: DetectionRules = DEFAULT_RULES,
  evaluation?: EvaluationOptions,
  seeds: readonly number[] = [options.seed],
): { spread: number; evaluation: Evaluation }[] {
  return spreads.map((spread) => ({
    spread,
    evaluation: detectOnSimulations({ ...options, honestErrors: { ...options.honestErrors, units: spread, runHours: spread } }, seeds, rules, evaluation),
  }));
}
