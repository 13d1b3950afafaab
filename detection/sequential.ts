/**
 * The sequential test: a one-sided CUSUM over one person's standardised errors
 * (error minus the honest median, over the honest spread), report after report.
 * Each report adds its z minus a reference k (so honest reports, z about 0, pull
 * the sum down) and the sum never goes below 0; the person is flagged when it
 * reaches a threshold h.
 *
 * h follows from the false-alarm rate and from the honest errors themselves:
 * if θ* > 0 solves mean(exp(θ (z − k))) = 1 over honest z's, an honest
 * person's sum ever reaches h with probability at most exp(−θ* h) (Lundberg's
 * inequality), so h = ln(1 / rate) / θ* keeps the chance per report at most the
 * rate. Normal errors give θ* = 2k; errors that never stray far (typed from a
 * tally, rounded) give a larger θ* and a lower h; heavy tails a higher one.
 * One report adds at most a share of h, so no report is evidence on its own.
 */

export interface CusumParameters {
  /** Reference: a z must exceed it to add evidence. */
  readonly k: number;
  /** Threshold the sum must reach. */
  readonly h: number;
  /** Largest z one report can add (below k + h, so one report never suffices). */
  readonly clip: number;
}

export interface CusumCalibration {
  readonly reference: number;
  readonly falseAlarmRate: number;
  /** Share of h one report can add at most. */
  readonly reportShare: number;
  /** θ* never above this (a sharper threshold would rest on too few honest extremes) nor below `minExponent`. */
  readonly maxExponent: number;
  readonly minExponent: number;
  /** Honest reports needed to learn θ*; with fewer, normal errors are assumed (θ* = 2k). */
  readonly minReports: number;
}

/** z beyond this is counted as this in the exponent's estimate: only to keep exp() finite. */
const Z_CEILING = 8;

/**
 * θ* > 0 with mean(exp(θ (z − k))) = 1 over the honest z's, within
 * [minExponent, maxExponent]; null when the z's cannot say (too few, or no
 * downward drift).
 */
export function lundbergExponent(z: readonly number[], c: Pick<CusumCalibration, 'reference' | 'maxExponent' | 'minExponent' | 'minReports'>): number | null {
  if (z.length < c.minReports) return null;
  const steps = z.map((v) => Math.min(v, Z_CEILING) - c.reference);
  if (steps.reduce((a, b) => a + b, 0) >= 0) return null;
  // mean(exp(θ x)) − 1 is negative just above 0 (downward drift) and grows without bound once any x > 0.
  const excess = (theta: number) => steps.reduce((total, x) => total + Math.exp(theta * x), 0) / steps.length - 1;
  if (excess(c.maxExponent) <= 0) return c.maxExponent;
  let lo = 1e-6;
  let hi = c.maxExponent;
  for (let i = 0; i < 60; i += 1) {
    const mid = (lo + hi) / 2;
    if (excess(mid) < 0) lo = mid;
    else hi = mid;
  }
  return Math.max(c.minExponent, hi);
}

/**
 * The CUSUM's parameters for the honest z's (normal errors when they cannot
 * say). Honest errors fall either way alike, while inflators fill the upper
 * tail: so the tail is learned from the z's below the median, mirrored (those
 * at the median count once).
 */
export function calibrate(honestZ: readonly number[], c: CusumCalibration): CusumParameters & { exponent: number } {
  const below = honestZ.filter((z) => z < 0);
  const mirrored = [...below, ...honestZ.filter((z) => z === 0), ...below.map((z) => -z)];
  const exponent = lundbergExponent(mirrored, c) ?? Math.min(c.maxExponent, 2 * c.reference);
  const h = Math.log(1 / c.falseAlarmRate) / exponent;
  return { k: c.reference, h, clip: c.reference + c.reportShare * h, exponent };
}

/** The strongest stretch of reports around one report whose excess adds up to the threshold or more. */
export interface EvidenceStretch {
  /** Indexes of its first and last report. */
  readonly from: number;
  readonly to: number;
  /** Σ (clipped z − k) over the stretch: at least h. */
  readonly sum: number;
  /**
   * Index of the first report by which a stretch holding this report had
   * reached the threshold: when, reading report after report, the evidence
   * about it sufficed.
   */
  readonly decided: number;
}

/**
 * For each report, the stretch of reports around it whose clipped excess
 * (z − k) adds up most, when that reaches h; else null. Reading forward, the
 * first report at which any stretch reaches h is where a CUSUM (reset at 0)
 * first alarms; a stretch may also reach back before the CUSUM's last reset
 * when the reports in between cancel out, so every report inside the evidence
 * is found.
 */
export function evidenceStretches(z: readonly number[], p: CusumParameters): (EvidenceStretch | null)[] {
  const n = z.length;
  // prefix[i + 1] = Σ over reports 0..i; a stretch a..b sums to prefix[b + 1] − prefix[a].
  const prefix = [0];
  for (const value of z) prefix.push(prefix.at(-1)! + Math.min(value, p.clip) - p.k);
  // The lowest prefix at or before each report (the latest, for the tightest stretch), and the highest at or after it (the earliest).
  const lowest: number[] = [];
  for (let i = 0, best = 0; i < n; i += 1) {
    if (prefix[i]! <= prefix[best]!) best = i;
    lowest.push(best);
  }
  const highest: number[] = new Array<number>(n);
  for (let i = n - 1, best = n; i >= 0; i -= 1) {
    if (prefix[i + 1]! >= prefix[best]!) best = i + 1;
    highest[i] = best;
  }
  return z.map((_, m) => {
    const from = lowest[m]!;
    const to = highest[m]! - 1;
    const sum = prefix[to + 1]! - prefix[from]!;
    if (sum < p.h) return null;
    let decided = m;
    while (prefix[decided + 1]! - prefix[from]! < p.h) decided += 1;
    return { from, to, sum, decided };
  });
}
