/**
 * Robust location and spread of honest errors, learned from the plant's own
 * reports: the median, and the median absolute deviation scaled to a standard
 * deviation (1.4826 × MAD), so a minority of inflators or a few wild values
 * barely move them.
 */

/** MAD × this estimates the standard deviation of normally spread values. */
export const MAD_TO_SD = 1.4826;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median, and 1.4826 × the median absolute deviation from it. */
export function robustSpread(values: readonly number[]): { median: number; sigma: number } {
  const m = median(values);
  return { median: m, sigma: MAD_TO_SD * median(values.map((v) => Math.abs(v - m))) };
}

/** Where a spread was learned: the station's honest reports, the plant's (too few at the station), or the person's own. */
export type SpreadScope = 'station' | 'plant' | 'person';

/** The honest error spread a report is judged against. */
export interface Spread {
  /** The honest reports' typical error (their median, never below 0): where a person's errors are measured from. */
  readonly location: number;
  /** Robust standard deviation, within the configured floor and ceiling. */
  readonly sigma: number;
  /** The robust standard deviation as learned (below the ceiling, but not raised to the floor unless it is 0). */
  readonly shapeSigma: number;
  readonly scope: SpreadScope;
  /** Reports and people it was learned from. */
  readonly reports: number;
  readonly people: number;
  /**
   * The largest deviation reviewers dismissed at the station (detection/feedback.ts),
   * where it lies above `location`: errors up to it count as honest, and a report's z
   * is measured from it.
   */
  readonly tolerance?: number;
}

/** Where a report's error is measured from: the honest location, or a dismissal's tolerance above it. */
export const baselineOf = (spread: Spread): number => Math.max(spread.location, spread.tolerance ?? Number.NEGATIVE_INFINITY);

export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
