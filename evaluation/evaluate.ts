import type { WindowTruth } from '../simulator/day.js';
import type { Inflator } from '../simulator/plant.js';
import { median } from '../detection/spread.js';
import { INFLATION_FLAG_KINDS, type InflationFlagKind, isInflationFlag, type Flag } from '../contract/flag.js';

/** Kinds flagged per employee-window: the accusations (measurement gaps are not). */
export const WINDOW_KINDS: readonly InflationFlagKind[] = INFLATION_FLAG_KINDS;

const KIND_OF_INFLATION: Record<string, InflationFlagKind> = {
  units: 'units_overclaim',
  run_hours: 'run_hours_overclaim',
  defects: 'defects_underreport',
  self_score: 'self_score_inflated',
};

export const DEGREE_BUCKETS = [
  { label: '5-10%', from: 0.05, to: 0.1 },
  { label: '10-15%', from: 0.1, to: 0.15 },
  { label: '15-25%', from: 0.15, to: 0.25 },
  { label: '25-50%+', from: 0.25, to: Number.POSITIVE_INFINITY },
] as const;

export interface Recall {
  inflated: number;
  flagged: number;
  recall: number;
}

/** Inflators of one group, and how many were identified within the allowed number of their shifts. */
export interface PersonRecall {
  inflators: number;
  identified: number;
  recall: number;
}

/** The per-window figures of one shift: precision, recall at 15%+ and honest windows flagged, over the windows of that shift. */
export interface ShiftFigures {
  windows: number;
  flaggedWindows: number;
  precision: number;
  recallAtLeast15: Recall;
  honestWindows: number;
  honestFlagged: number;
  honestFlagRate: number;
}

export interface EvaluationOptions {
  /** An inflator counts as identified when flagged within this many of their shifts from the first inflated one. */
  within: number;
}

export const DEFAULT_EVALUATION: EvaluationOptions = { within: 5 };

export interface Evaluation {
  windows: number;
  flaggedWindows: number;
  /** Flagged windows whose report was inflated, over all flagged windows. */
  precision: number;
  /** Over windows inflated by 15% or more. */
  recallAtLeast15: Recall;
  /** Per kind of inflation, per degree bucket. */
  recall: Record<string, Record<string, Recall>>;
  /** Flagged windows of employees who never inflate, over all their windows. */
  honestFlagRate: number;
  honestWindows: number;
  /** Employees who never inflate with at least one inflation flag, over all of them. */
  honestEmployeesFlagged: number;
  honestEmployees: number;
  honestEmployeeFlagRate: number;
  /** Window flags with the matching kind, over flagged inflated windows. */
  kindAgreement: number;
  /** The per-window figures of each shift worked (day, swing, night …): fair only when every shift meets the targets. */
  byShift: Record<string, ShiftFigures>;
  persons: {
    within: number;
    /**
     * Inflators on most (half or more) of their shifts, by 15% or more (the
     * median of their inflated reports), with at least `within` shifts left in
     * the period after they started: identified within `within` shifts.
     */
    steady: PersonRecall;
    /** The same, per kind of inflation. */
    byKind: Record<string, PersonRecall>;
    /** Inflators on fewer than half their shifts: identified at all, over the period. */
    intermittent: PersonRecall;
    /** Shifts from the first inflated one to the one that decided, for the steady inflators identified at all. */
    shiftsToDetection: { median: number | null; p90: number | null; identified: number };
  };
  gaps: {
    /** Windows with a planted measurement gap. */
    windows: number;
    /** Of those, flagged for inflation (must be none) and flagged as a measurement gap. */
    inflationFlagged: number;
    gapFlagged: number;
    /** Windows without a planted gap that got a measurement_gap flag (reports left unjudged). */
    otherGapFlagged: number;
  };
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
const key = (employeeId: string, windowStart: number) => `${employeeId}@${windowStart}`;
const personRecall = (inflators: number, identified: number): PersonRecall => ({ inflators, identified, recall: ratio(identified, inflators) });

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** When a flag's evidence sufficed: the decision it records, else its own window. */
export function decidedAt(flag: Flag): number {
  const at = typeof flag.evidence.decided_at === 'string' ? Date.parse(flag.evidence.decided_at) : Number.NaN;
  return Number.isNaN(at) ? flag.windowStart : at;
}

/**
 * Scores flags against the simulator's ground truth: per employee-window
 * (precision, recall by kind and degree, honest windows flagged), per person
 * (inflators identified within `within` of their shifts, shifts to detection,
 * honest employees flagged at all) and on planted measurement gaps. A window
 * counts as inflated when its report was inflated on purpose and really
 * differs (the effective inflation is above zero).
 */
export function evaluate(
  truth: readonly WindowTruth[],
  flags: readonly Flag[],
  inflators: ReadonlyMap<string, Inflator>,
  options: EvaluationOptions = DEFAULT_EVALUATION,
): Evaluation {
  const flagged = new Map<string, Set<string>>();
  const gapFlagged = new Set<string>();
  for (const f of flags) {
    if (!isInflationFlag(f)) {
      gapFlagged.add(key(f.employeeId, f.windowStart));
      continue;
    }
    const k = key(f.employeeId, f.windowStart);
    let kinds = flagged.get(k);
    if (!kinds) flagged.set(k, (kinds = new Set()));
    kinds.add(f.kind);
  }
  let flaggedInflated = 0;
  let flaggedTotal = 0;
  let matchingKind = 0;
  let honestWindows = 0;
  let honestFlagged = 0;
  const gaps = { windows: 0, inflationFlagged: 0, gapFlagged: 0, otherGapFlagged: 0 };
  const atLeast15 = { inflated: 0, flagged: 0 };
  const recall: Record<string, Record<string, { inflated: number; flagged: number }>> = {};
  const byShift = new Map<
    string,
    { windows: number; flagged: number; flaggedInflated: number; honest: number; honestFlagged: number; inflated15: number; flagged15: number }
  >();
  for (const t of truth) {
    const k = key(t.employee_id, t.window_start);
    const kinds = flagged.get(k);
    const isFlagged = kinds !== undefined;
    const effective = t.inflation?.effective ?? 0;
    const inflated = t.inflation !== null && effective > 0;
    const honest = !inflators.has(t.employee_id);
    // Ground truth written before shifts were planted names none.
    const shiftName = t.shift ?? '';
    let shift = byShift.get(shiftName);
    if (!shift) byShift.set(shiftName, (shift = { windows: 0, flagged: 0, flaggedInflated: 0, honest: 0, honestFlagged: 0, inflated15: 0, flagged15: 0 }));
    shift.windows += 1;
    if (isFlagged) shift.flagged += 1;
    if (isFlagged && inflated) shift.flaggedInflated += 1;
    if (honest) shift.honest += 1;
    if (honest && isFlagged) shift.honestFlagged += 1;
    if (inflated && effective >= 0.15) {
      shift.inflated15 += 1;
      if (isFlagged) shift.flagged15 += 1;
    }
    if (isFlagged) {
      flaggedTotal += 1;
      if (inflated) {
        flaggedInflated += 1;
        if (kinds.has(KIND_OF_INFLATION[t.inflation!.kind]!)) matchingKind += 1;
      }
    }
    if (honest) {
      honestWindows += 1;
      if (isFlagged) honestFlagged += 1;
    }
    if (t.gap) {
      gaps.windows += 1;
      if (isFlagged) gaps.inflationFlagged += 1;
      if (gapFlagged.has(k)) gaps.gapFlagged += 1;
    } else if (gapFlagged.has(k)) {
      gaps.otherGapFlagged += 1;
    }
    if (!inflated) continue;
    const kind = t.inflation!.kind;
    const bucket = DEGREE_BUCKETS.find((b) => effective >= b.from && effective < b.to);
    if (bucket) {
      const cell = ((recall[kind] ??= {})[bucket.label] ??= { inflated: 0, flagged: 0 });
      cell.inflated += 1;
      if (isFlagged) cell.flagged += 1;
    }
    if (effective >= 0.15) {
      atLeast15.inflated += 1;
      if (isFlagged) atLeast15.flagged += 1;
    }
  }

  // Per person: the employees, their windows in order, and when each was first identified.
  const windowsOf = new Map<string, number[]>();
  for (const t of truth) {
    let list = windowsOf.get(t.employee_id);
    if (!list) windowsOf.set(t.employee_id, (list = []));
    list.push(t.window_start);
  }
  for (const list of windowsOf.values()) list.sort((a, b) => a - b);
  const firstInflated = new Map<string, number>();
  const effective = new Map<string, number[]>();
  for (const t of truth) {
    if (t.inflation === null || t.inflation.effective <= 0) continue;
    const seen = firstInflated.get(t.employee_id);
    if (seen === undefined || t.window_start < seen) firstInflated.set(t.employee_id, t.window_start);
    let list = effective.get(t.employee_id);
    if (!list) effective.set(t.employee_id, (list = []));
    list.push(t.inflation.effective);
  }
  const inflationFlagsOf = new Map<string, Flag[]>();
  for (const f of flags) {
    if (!isInflationFlag(f)) continue;
    let list = inflationFlagsOf.get(f.employeeId);
    if (!list) inflationFlagsOf.set(f.employeeId, (list = []));
    list.push(f);
  }
  const honestEmployees = [...windowsOf.keys()].filter((e) => !inflators.has(e));
  const honestEmployeesFlagged = honestEmployees.filter((e) => inflationFlagsOf.has(e)).length;

  /** Shifts from the first inflated one to the first decision on or after it, inclusive; null if never. */
  const shiftsToDetection = (employeeId: string): number | null => {
    const start = firstInflated.get(employeeId);
    if (start === undefined) return null;
    const decisions = (inflationFlagsOf.get(employeeId) ?? []).map(decidedAt).filter((d) => d >= start);
    if (decisions.length === 0) return null;
    const decided = Math.min(...decisions);
    return windowsOf.get(employeeId)!.filter((w) => w >= start && w <= decided).length;
  };
  const steady = { inflators: 0, identified: 0 };
  const intermittent = { inflators: 0, identified: 0 };
  const byKind: Record<string, { inflators: number; identified: number }> = {};
  const detectionShifts: number[] = [];
  for (const [employeeId, inflator] of inflators) {
    if (!firstInflated.has(employeeId)) continue; // never inflated within the period
    const shifts = shiftsToDetection(employeeId);
    if (inflator.days < 0.5) {
      intermittent.inflators += 1;
      if (shifts !== null) intermittent.identified += 1;
      continue;
    }
    // By how much their reports really were inflated (a self-score cannot pass 100; a defect count is whole).
    if (median(effective.get(employeeId)!) < 0.15) continue;
    // Who started too close to the end of the period to have `within` shifts left cannot be judged on it.
    if (windowsOf.get(employeeId)!.filter((w) => w >= firstInflated.get(employeeId)!).length < options.within) continue;
    const cell = (byKind[inflator.kind] ??= { inflators: 0, identified: 0 });
    steady.inflators += 1;
    cell.inflators += 1;
    if (shifts !== null) detectionShifts.push(shifts);
    if (shifts !== null && shifts <= options.within) {
      steady.identified += 1;
      cell.identified += 1;
    }
  }
  detectionShifts.sort((a, b) => a - b);

  const withRecall = (c: { inflated: number; flagged: number }): Recall => ({ ...c, recall: ratio(c.flagged, c.inflated) });
  return {
    windows: truth.length,
    flaggedWindows: flaggedTotal,
    precision: ratio(flaggedInflated, flaggedTotal),
    recallAtLeast15: withRecall(atLeast15),
    recall: Object.fromEntries(
      Object.entries(recall).map(([kind, buckets]) => [kind, Object.fromEntries(Object.entries(buckets).map(([b, c]) => [b, withRecall(c)]))]),
    ),
    honestFlagRate: honestWindows === 0 ? 0 : honestFlagged / honestWindows,
    honestWindows,
    honestEmployeesFlagged,
    honestEmployees: honestEmployees.length,
    honestEmployeeFlagRate: honestEmployees.length === 0 ? 0 : honestEmployeesFlagged / honestEmployees.length,
    kindAgreement: ratio(matchingKind, flaggedInflated),
    byShift: Object.fromEntries(
      [...byShift].map(([name, c]) => [
        name,
        {
          windows: c.windows,
          flaggedWindows: c.flagged,
          precision: ratio(c.flaggedInflated, c.flagged),
          recallAtLeast15: withRecall({ inflated: c.inflated15, flagged: c.flagged15 }),
          honestWindows: c.honest,
          honestFlagged: c.honestFlagged,
          honestFlagRate: c.honest === 0 ? 0 : c.honestFlagged / c.honest,
        },
      ]),
    ),
    persons: {
      within: options.within,
      steady: personRecall(steady.inflators, steady.identified),
      byKind: Object.fromEntries(Object.entries(byKind).map(([kind, c]) => [kind, personRecall(c.inflators, c.identified)])),
      intermittent: personRecall(intermittent.inflators, intermittent.identified),
      shiftsToDetection: { median: quantile(detectionShifts, 0.5), p90: quantile(detectionShifts, 0.9), identified: detectionShifts.length },
    },
    gaps,
  };
}
