import type { WindowTruth } from '../simulator/day.js';
import type { Flag, FlagKind } from './rules.js';

/** Kinds flagged per employee-window (round numbers are a pattern across windows, not about one). */
export const WINDOW_KINDS: readonly FlagKind[] = ['units_overclaim', 'run_hours_overclaim', 'defects_underreport', 'self_score_inflated'];

const KIND_OF_INFLATION: Record<string, FlagKind> = {
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
  /** Window flags with the matching kind, over flagged inflated windows. */
  kindAgreement: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

/**
 * Scores flags against the simulator's ground truth, per employee-window. A
 * window counts as inflated when its report was inflated on purpose and the
 * report really differs (the effective inflation is above zero).
 */
export function evaluate(truth: readonly WindowTruth[], flags: readonly Flag[], inflatorIds: ReadonlySet<string>): Evaluation {
  const flagged = new Map<string, Set<FlagKind>>();
  for (const f of flags) {
    if (!WINDOW_KINDS.includes(f.kind)) continue;
    const key = `${f.employeeId}@${f.windowStart}`;
    let kinds = flagged.get(key);
    if (!kinds) flagged.set(key, (kinds = new Set()));
    kinds.add(f.kind);
  }
  let flaggedInflated = 0;
  let flaggedTotal = 0;
  let matchingKind = 0;
  let honestWindows = 0;
  let honestFlagged = 0;
  const atLeast15 = { inflated: 0, flagged: 0 };
  const recall: Record<string, Record<string, { inflated: number; flagged: number }>> = {};
  for (const t of truth) {
    const key = `${t.employee_id}@${t.window_start}`;
    const kinds = flagged.get(key);
    const isFlagged = kinds !== undefined;
    const effective = t.inflation?.effective ?? 0;
    const inflated = t.inflation !== null && effective > 0;
    if (isFlagged) {
      flaggedTotal += 1;
      if (inflated) {
        flaggedInflated += 1;
        if (kinds.has(KIND_OF_INFLATION[t.inflation!.kind]!)) matchingKind += 1;
      }
    }
    if (!inflatorIds.has(t.employee_id)) {
      honestWindows += 1;
      if (isFlagged) honestFlagged += 1;
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
  const withRecall = (c: { inflated: number; flagged: number }): Recall => ({ ...c, recall: ratio(c.flagged, c.inflated) });
  return {
    windows: truth.length,
    flaggedWindows: flaggedTotal,
    precision: ratio(flaggedInflated, flaggedTotal),
    recallAtLeast15: withRecall(atLeast15),
    recall: Object.fromEntries(Object.entries(recall).map(([kind, buckets]) => [kind, Object.fromEntries(Object.entries(buckets).map(([b, c]) => [b, withRecall(c)]))])),
    honestFlagRate: honestWindows === 0 ? 0 : honestFlagged / honestWindows,
    honestWindows,
    kindAgreement: ratio(matchingKind, flaggedInflated),
  };
}
