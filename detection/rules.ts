/**
 * Detection of inflated self-reports: pure functions from employee-windows
 * (what was reported beside what was measured) to flags a manager can check.
 * Four methods, each with its own evidence:
 *
 * - tolerance: a report beyond a band around the measured figure;
 * - peer_z: a reported/measured ratio far from the station's peers in the same
 *   week, by robust z-score (median and MAD);
 * - history: defects admitted below those found, again and again, in the
 *   person's own reports (one defect more or less is an honest slip; the
 *   pattern is not);
 * - round_numbers: reported unit counts that end in 0 far more often than
 *   counted ones would.
 */

export const FLAG_KINDS = ['units_overclaim', 'run_hours_overclaim', 'defects_underreport', 'self_score_inflated', 'round_numbers'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];
export type FlagMethod = 'tolerance' | 'peer_z' | 'history' | 'round_numbers';
export type Severity = 'low' | 'medium' | 'high';

/** One employee-window with a self-report, beside what was measured. */
export interface ReportedWindow {
  employeeId: string;
  stationId: string;
  windowStart: number;
  windowEnd: number;
  units: number;
  runHours: number;
  unitsDefective: number;
  reportedUnits: number;
  reportedRunHours: number;
  reportedDefective: number;
  selfScore: number | null;
  /** The score computed from the window's measured figures, when it has any. */
  score: number | null;
}

export interface Flag {
  employeeId: string;
  stationId: string;
  windowStart: number;
  windowEnd: number;
  kind: FlagKind;
  method: FlagMethod;
  severity: Severity;
  reported: number;
  measured: number;
  /** Relative excess (units, hours), relative shortfall (defects) or points (self-score). */
  deviation: number;
  z: number | null;
  explanation: string;
  evidence: Record<string, unknown>;
}

export interface DetectionRules {
  readonly version: string;
  /** Over-claimed units: more than `relative` above measured and at least `absolute` units. */
  readonly units: { relative: number; absolute: number };
  readonly runHours: { relative: number; absolute: number };
  /**
   * Under-reported defects: at least max(absolute, relative × found) fewer than
   * inspections found; or, by history, short in more reports than honest slips
   * (at most `slipRate` of reports) explain, at significance `alpha`.
   */
  readonly defects: { relative: number; absolute: number; slipRate: number; alpha: number; historyMinReports: number };
  /** Self-score above the measured score by more than max(points, relative × score). */
  readonly selfScore: { points: number; relative: number };
  /** Peer robust z above `z`, a ratio at least `minExcess` above 1, among at least `minPeers` reports. */
  readonly peer: { z: number; minExcess: number; minPeers: number; madFloor: number };
  /** Reported counts ending in 0 in at least `share` of `minReports`+ reports, and `excess` more often than the measured counts do. */
  readonly roundNumbers: { share: number; excess: number; minReports: number; minUnits: number };
  /** Deviation from which a flag is medium, and high. */
  readonly severity: { medium: number; high: number };
}

export const DEFAULT_RULES: DetectionRules = {
  version: 'rules-v1',
  units: { relative: 0.07, absolute: 3 },
  runHours: { relative: 0.07, absolute: 0.25 },
  defects: { relative: 0.1, absolute: 2, slipRate: 0.1, alpha: 0.001, historyMinReports: 8 },
  selfScore: { points: 6, relative: 0.08 },
  peer: { z: 4, minExcess: 0.05, minPeers: 5, madFloor: 0.005 },
  roundNumbers: { share: 0.4, excess: 0.3, minReports: 10, minUnits: 20 },
  severity: { medium: 0.15, high: 0.3 },
};

const WEEK = 7 * 86_400_000;
const MONDAY_OFFSET = 4 * 86_400_000; // 1970-01-01 was a Thursday
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

function severityOf(relative: number, rules: DetectionRules): Severity {
  if (relative >= rules.severity.high) return 'high';
  return relative >= rules.severity.medium ? 'medium' : 'low';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Flags the windows of [from, to) (and employees' patterns over all the
 * windows given, which may start earlier to give history and peers).
 */
export function detect(windows: readonly ReportedWindow[], range: { from: number; to: number }, rules: DetectionRules = DEFAULT_RULES): Flag[] {
  const inRange = (w: ReportedWindow) => w.windowStart >= range.from && w.windowStart < range.to;
  const flags: Flag[] = [];
  const flag = (w: ReportedWindow, f: Omit<Flag, 'employeeId' | 'stationId' | 'windowStart' | 'windowEnd'>) =>
    flags.push({ employeeId: w.employeeId, stationId: w.stationId, windowStart: w.windowStart, windowEnd: w.windowEnd, ...f });

  for (const w of windows.filter(inRange)) {
    const day = date(w.windowStart);
    const unitsExcess = (w.reportedUnits - w.units) / Math.max(w.units, 1);
    if (unitsExcess > rules.units.relative && w.reportedUnits - w.units >= rules.units.absolute) {
      flag(w, {
        kind: 'units_overclaim', method: 'tolerance', severity: severityOf(unitsExcess, rules), reported: w.reportedUnits, measured: w.units,
        deviation: unitsExcess, z: null,
        explanation: `Reported ${w.reportedUnits} units for ${day}, the MES counted ${w.units} (${pct(unitsExcess)}; tolerance ${pct(rules.units.relative)}).`,
        evidence: { window: day, reported_units: w.reportedUnits, measured_units: w.units },
      });
    }
    const hoursExcess = (w.reportedRunHours - w.runHours) / Math.max(w.runHours, 0.01);
    if (hoursExcess > rules.runHours.relative && w.reportedRunHours - w.runHours >= rules.runHours.absolute) {
      flag(w, {
        kind: 'run_hours_overclaim', method: 'tolerance', severity: severityOf(hoursExcess, rules), reported: w.reportedRunHours, measured: w.runHours,
        deviation: hoursExcess, z: null,
        explanation: `Reported ${w.reportedRunHours.toFixed(2)} run hours for ${day}, the machines measured ${w.runHours.toFixed(2)} (${pct(hoursExcess)}; tolerance ${pct(rules.runHours.relative)}).`,
        evidence: { window: day, reported_run_hours: w.reportedRunHours, measured_run_hours: w.runHours },
      });
    }
    const missing = w.unitsDefective - w.reportedDefective;
    if (missing >= Math.max(rules.defects.absolute, rules.defects.relative * w.unitsDefective)) {
      const shortfall = missing / Math.max(w.unitsDefective, 1);
      flag(w, {
        kind: 'defects_underreport', method: 'tolerance', severity: severityOf(shortfall, rules), reported: w.reportedDefective, measured: w.unitsDefective,
        deviation: shortfall, z: null,
        explanation: `Admitted ${w.reportedDefective} defective units for ${day}, inspections found ${w.unitsDefective} (${missing} fewer; tolerance ${rules.defects.absolute}).`,
        evidence: { window: day, reported_defective_units: w.reportedDefective, units_defective: w.unitsDefective },
      });
    }
    if (w.selfScore !== null && w.score !== null) {
      const excess = w.selfScore - w.score;
      if (excess > Math.max(rules.selfScore.points, rules.selfScore.relative * w.score)) {
        flag(w, {
          kind: 'self_score_inflated', method: 'tolerance', severity: severityOf(excess / Math.max(w.score, 1), rules), reported: w.selfScore, measured: w.score,
          deviation: excess, z: null,
          explanation: `Self-score ${w.selfScore.toFixed(1)} for ${day}, the measured score is ${w.score.toFixed(1)} (+${excess.toFixed(1)} points; tolerance +${Math.max(rules.selfScore.points, rules.selfScore.relative * w.score).toFixed(1)}).`,
          evidence: { window: day, self_score: w.selfScore, measured_score: w.score },
        });
      }
    }
  }

  flags.push(...peerFlags(windows, inRange, rules));
  flags.push(...historyFlags(windows, inRange, flags, rules));
  flags.push(...roundNumberFlags(windows, inRange, rules));
  return flags;
}

/** Ratios far above the station's other reports of the same week. */
function peerFlags(windows: readonly ReportedWindow[], inRange: (w: ReportedWindow) => boolean, rules: DetectionRules): Flag[] {
  const flags: Flag[] = [];
  const measures = [
    { kind: 'units_overclaim' as const, ratio: (w: ReportedWindow) => (w.units > 0 ? w.reportedUnits / w.units : null), excess: (w: ReportedWindow) => w.reportedUnits - w.units, absolute: rules.units.absolute, what: 'units' },
    { kind: 'run_hours_overclaim' as const, ratio: (w: ReportedWindow) => (w.runHours > 0 ? w.reportedRunHours / w.runHours : null), excess: (w: ReportedWindow) => w.reportedRunHours - w.runHours, absolute: rules.runHours.absolute, what: 'run hours' },
  ];
  const groups = new Map<string, ReportedWindow[]>();
  for (const w of windows) {
    const week = Math.floor((w.windowStart - MONDAY_OFFSET) / WEEK);
    const key = `${w.stationId}\u0000${week}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(w);
  }
  for (const group of groups.values()) {
    for (const measure of measures) {
      const rated = group.flatMap((w) => {
        const r = measure.ratio(w);
        return r === null ? [] : [{ w, r }];
      });
      if (rated.length < rules.peer.minPeers) continue;
      const med = median(rated.map((x) => x.r));
      const mad = Math.max(rules.peer.madFloor, median(rated.map((x) => Math.abs(x.r - med))));
      for (const { w, r } of rated) {
        if (!inRange(w)) continue;
        const z = (0.6745 * (r - med)) / mad;
        // Small counts give noisy ratios: the excess must also clear the tolerance band's absolute part.
        if (z > rules.peer.z && r - 1 >= rules.peer.minExcess && measure.excess(w) >= measure.absolute) {
          const reported = measure.kind === 'units_overclaim' ? w.reportedUnits : w.reportedRunHours;
          const measured = measure.kind === 'units_overclaim' ? w.units : w.runHours;
          flags.push({
            employeeId: w.employeeId, stationId: w.stationId, windowStart: w.windowStart, windowEnd: w.windowEnd,
            kind: measure.kind, method: 'peer_z', severity: severityOf(r - 1, rules), reported, measured, deviation: r - 1, z,
            explanation: `Reported ${measure.what} ${r.toFixed(2)}× what was measured for ${date(w.windowStart)}, while ${rated.length} reports at ${w.stationId} that week had a median of ${med.toFixed(2)}× (robust z ${z.toFixed(1)}).`,
            evidence: { window: date(w.windowStart), ratio: r, station: w.stationId, peers: rated.length, peer_median: med, peer_mad: mad },
          });
        }
      }
    }
  }
  return flags;
}

/** Defects admitted below those found in many of a person's reports: each such window is flagged. */
function historyFlags(windows: readonly ReportedWindow[], inRange: (w: ReportedWindow) => boolean, already: readonly Flag[], rules: DetectionRules): Flag[] {
  const flagged = new Set(already.filter((f) => f.kind === 'defects_underreport').map((f) => `${f.employeeId}@${f.windowStart}`));
  const byEmployee = new Map<string, ReportedWindow[]>();
  for (const w of windows) {
    let list = byEmployee.get(w.employeeId);
    if (!list) byEmployee.set(w.employeeId, (list = []));
    list.push(w);
  }
  const flags: Flag[] = [];
  for (const list of byEmployee.values()) {
    if (list.length < rules.defects.historyMinReports) continue;
    const short = list.filter((w) => w.unitsDefective - w.reportedDefective >= 1);
    const share = short.length / list.length;
    const pValue = binomialTail(list.length, short.length, rules.defects.slipRate);
    if (pValue >= rules.defects.alpha) continue;
    for (const w of short) {
      if (!inRange(w) || flagged.has(`${w.employeeId}@${w.windowStart}`)) continue;
      const missing = w.unitsDefective - w.reportedDefective;
      const shortfall = missing / Math.max(w.unitsDefective, 1);
      flags.push({
        employeeId: w.employeeId, stationId: w.stationId, windowStart: w.windowStart, windowEnd: w.windowEnd,
        kind: 'defects_underreport', method: 'history', severity: severityOf(shortfall, rules), reported: w.reportedDefective, measured: w.unitsDefective,
        deviation: shortfall, z: null,
        explanation: `Admitted ${w.reportedDefective} defective units for ${date(w.windowStart)}, inspections found ${w.unitsDefective}; fewer than found in ${short.length} of ${list.length} reports (${Math.round(100 * share)}%), where honest slips would explain at most ${Math.round(100 * rules.defects.slipRate)}%.`,
        evidence: { window: date(w.windowStart), reports: list.length, reports_short: short.length, share, p_value: pValue },
      });
    }
  }
  return flags;
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialTail(n: number, k: number, p: number): number {
  let term = (1 - p) ** n; // P(X = 0)
  let below = 0;
  for (let i = 0; i < k; i += 1) {
    below += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - below);
}

/** Reported unit counts ending in 0 far more often than counted ones would (about one in ten). */
function roundNumberFlags(windows: readonly ReportedWindow[], inRange: (w: ReportedWindow) => boolean, rules: DetectionRules): Flag[] {
  const byEmployee = new Map<string, ReportedWindow[]>();
  for (const w of windows) {
    if (w.reportedUnits < rules.roundNumbers.minUnits) continue;
    let list = byEmployee.get(w.employeeId);
    if (!list) byEmployee.set(w.employeeId, (list = []));
    list.push(w);
  }
  const flags: Flag[] = [];
  for (const list of byEmployee.values()) {
    const mine = list.filter(inRange);
    if (list.length < rules.roundNumbers.minReports || mine.length === 0) continue;
    const round = list.filter((w) => w.reportedUnits % 10 === 0);
    const share = round.length / list.length;
    const measuredRound = list.filter((w) => w.units % 10 === 0).length / list.length;
    if (share < rules.roundNumbers.share || share - measuredRound < rules.roundNumbers.excess) continue;
    const first = mine.reduce((a, b) => (a.windowStart <= b.windowStart ? a : b));
    const last = mine.reduce((a, b) => (a.windowEnd >= b.windowEnd ? a : b));
    flags.push({
      employeeId: first.employeeId, stationId: first.stationId, windowStart: first.windowStart, windowEnd: last.windowEnd,
      kind: 'round_numbers', method: 'round_numbers', severity: severityOf(share - 0.1, rules), reported: share, measured: measuredRound,
      deviation: share - 0.1, z: null,
      explanation: `${round.length} of ${list.length} reported unit counts end in 0 (${Math.round(100 * share)}%), the measured counts ${Math.round(100 * measuredRound)}%, about 10% expected.`,
      evidence: { reports: list.length, round: round.length, windows: round.map((w) => date(w.windowStart)) },
    });
  }
  return flags;
}
