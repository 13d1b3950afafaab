import { judgeCoverage, type Coverage, type CoverageGap, type CoverageRules } from './coverage.js';
import type { Flag, InflationFlagKind, Severity } from '../contract/flag.js';
import { FIGURES, groupBy, periodLabel, type Figure, type SelfReportRecord } from './reports.js';
import { calibrate, evidenceStretches, type CusumParameters } from './sequential.js';
import { MAD_TO_SD, baselineOf, clamp, median, type Spread } from './spread.js';
import { NO_FEEDBACK, type DetectionFeedback } from './feedback.js';
import { flagId } from '../contract/flagId.js';

/**
 * Detection of inflated self-reports: a pure function from self-reports (each
 * beside what was measured over its period, and how completely) to flags a
 * manager can check. People type reports from memory, so honest reports are
 * off by a few percent either way; an inflator is off in one direction, again
 * and again. So:
 *
 * - each figure's honest error spread is learned from the plant: per station
 *   (median and MAD of the signed error, leaving out people flagged for that
 *   figure), and per person once they have enough history;
 * - sequential: a person is flagged when their errors, over the honest spread,
 *   add up to more than honest noise explains (a one-sided CUSUM whose
 *   threshold follows from the false-alarm rate and the shape of the honest
 *   errors); the reports that carry the evidence are flagged;
 * - single_window: one report far outside any plausible honest error is
 *   flagged on its own, where the person's usual vouches for its measurement;
 * - coverage: a report whose measured side is incomplete (an outage, dead
 *   letters) is not judged on the figures the gap touches; it gets a
 *   measurement_gap flag, which is never an accusation;
 * - feedback (feedback.ts): a window a reviewer marked a measurement problem
 *   is a gap on every figure; a dismissed flag raises its station's
 *   tolerance for its kind; a reviewed window and kind gets no new proposal.
 */

type PerFigure = Readonly<Record<InflationFlagKind, number>>;

export interface DetectionRules {
  readonly version: string;
  /** Chance per report and figure that an honest person's evidence reaches the sequential threshold. */
  readonly falseAlarmRate: number;
  /**
   * CUSUM reference k (in robust sds); the most one report can add, as a share
   * of the threshold; bounds on the honest errors' exponent θ* and the honest
   * reports needed to learn it plant-wide (see sequential.ts); and the least z with which
   * a report in the evidence is flagged (its relative excess must also be at
   * least half the person's typical one there).
   */
  readonly sequential: {
    readonly reference: number;
    readonly reportShare: number;
    readonly minExponent: number;
    readonly maxExponent: number;
    readonly minReports: number;
    /** Honest reports a station needs before its own errors' shape may make its threshold more careful than the plant's. */
    readonly minStationReports: number;
    readonly windowZ: number;
  };
  /** A report this many robust sds beyond the honest median is flagged on its own. */
  readonly single: { readonly z: number };
  /**
   * Honest spread (robust sd) never below `floor` nor above `ceiling` (shares
   * for units and run hours, defective units, score points); learned per
   * station from `minReports` reports of `minPeople` people or more (else
   * plant-wide), and per person from `personMinReports` of their own that lie
   * below the honest median, used where at least `personFactor` times the
   * station's.
   */
  readonly spread: {
    readonly floor: PerFigure;
    readonly ceiling: PerFigure;
    readonly minReports: number;
    readonly minPeople: number;
    readonly personMinReports: number;
    readonly personFactor: number;
  };
  /** Smallest difference a flag names (units, hours, defective units, points): small counts make large shares. */
  readonly material: PerFigure;
  readonly coverage: CoverageRules;
  /** Severity: medium from `medium` average excess or evidence `strength` times the threshold; high needs both `high` excess and that strength. */
  readonly severity: { readonly medium: number; readonly high: number; readonly strength: number };
}

export const DEFAULT_RULES: DetectionRules = {
  version: 'rules-v2',
  falseAlarmRate: 1e-4,
  sequential: { reference: 0.75, reportShare: 0.75, minExponent: 0.5, maxExponent: 4, minReports: 100, minStationReports: 60, windowZ: 1.5 },
  single: { z: 6 },
  spread: {
    floor: { units_overclaim: 0.01, run_hours_overclaim: 0.01, defects_underreport: 0.5, self_score_inflated: 1 },
    ceiling: { units_overclaim: 0.25, run_hours_overclaim: 0.25, defects_underreport: 10, self_score_inflated: 15 },
    minReports: 30,
    minPeople: 3,
    personMinReports: 8,
    personFactor: 1.5,
  },
  material: { units_overclaim: 3, run_hours_overclaim: 0.25, defects_underreport: 1, self_score_inflated: 2 },
  coverage: { shortfall: 0.05, z: 3, minHistory: 5, deadLetterSlackMs: 30 * 60_000 },
  severity: { medium: 0.15, high: 0.3, strength: 2 },
};

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

/** An error in the figure's own unit, for explanations. */
function amount(figure: Figure, x: number): string {
  if (figure.unit === 'share') return `${(100 * Math.abs(x)).toFixed(1)}%`;
  if (figure.unit === 'points') return `${Math.abs(x).toFixed(1)} points`;
  return `${Math.abs(x).toFixed(1)}`;
}

/** "honest reports at S003 differ by ±3.1%": about 95% of honest errors fall within two robust sds. */
function spreadText(figure: Figure, spread: Spread, stationId: string): string {
  const where = spread.scope === 'station' ? `at ${stationId}` : spread.scope === 'plant' ? 'across the plant' : 'of this person';
  const tolerated = spread.tolerance === undefined ? '' : `; reviewers dismissed flags at ${stationId} up to ${amount(figure, spread.tolerance)}`;
  return `honest reports ${where} differ by ±${amount(figure, 2 * spread.sigma)}${tolerated}`;
}

function severityOf(deviation: number, strength: number, rules: DetectionRules): Severity {
  const strong = strength >= rules.severity.strength;
  if (strong && deviation >= rules.severity.high) return 'high';
  return strong || deviation >= rules.severity.medium ? 'medium' : 'low';
}

/**
 * Flags the reports whose period starts in [from, to). Reports before `from`
 * are history: they teach the honest spread and carry evidence forward.
 * `feedback`: what reviewers decided about earlier flags (feedback.ts).
 */
export function detect(
  records: readonly SelfReportRecord[],
  range: { from: number; to: number },
  rules: DetectionRules = DEFAULT_RULES,
  feedback: DetectionFeedback = NO_FEEDBACK,
): Flag[] {
  // A window whose measurement a reviewer found faulty is left out of everything the others are judged on.
  const faulty = records.filter((r) => feedback.faulty(r.employeeId, r.window.start));
  const measured = faulty.length === 0 ? records : records.filter((r) => !feedback.faulty(r.employeeId, r.window.start));
  const coverage = judgeCoverage(measured, rules.coverage);
  const flags: Flag[] = [];
  for (const figure of FIGURES) {
    const judged = measured.filter((r) => figure.error(r) !== null && !coverage.get(r)!.gaps.some((g) => figure.sources.includes(g.source)));
    const tolerance = (stationId: string) => feedback.tolerance(stationId, figure.kind);
    // Learn the honest spread from everyone, flag, then learn it again without the people flagged, and flag again.
    const suspects = new Set(judgeFigure(figure, judged, new Set(), coverage, rules, tolerance).map((f) => f.employeeId));
    flags.push(...judgeFigure(figure, judged, suspects, coverage, rules, tolerance));
  }
  flags.push(...gapFlags(measured, coverage), ...reviewedGapFlags(faulty, feedback));
  return flags.filter((f) => f.windowStart >= range.from && f.windowStart < range.to && !feedback.settled(f));
}

/** The honest spread of a figure's errors per station, without the excluded people; plant-wide where a station has too few. */
function stationSpreads(
  figure: Figure,
  records: readonly SelfReportRecord[],
  excluded: ReadonlySet<string>,
  rules: DetectionRules,
): (stationId: string) => Spread {
  const honest = records.filter((r) => !excluded.has(r.employeeId));
  const learn = (group: readonly SelfReportRecord[], scope: Spread['scope']): Spread => {
    const errors = group.map((r) => figure.error(r)!);
    // Honest reports that run above what was measured (a count the operator cannot see) move the baseline up; reports
    // that run below it (nobody admits fewer than 0 defects or scores above 100) never lower it below 0.
    const location = Math.max(0, median(errors));
    const sigma = MAD_TO_SD * median(errors.map((e) => Math.abs(e - location)));
    const bounded = clamp(Number.isNaN(sigma) ? rules.spread.ceiling[figure.kind] : sigma, rules.spread.floor[figure.kind], rules.spread.ceiling[figure.kind]);
    return {
      location: group.length > 0 ? location : 0,
      sigma: bounded,
      // The shape of honest errors is learned over their own spread: a floor must widen the band, not sharpen the threshold.
      shapeSigma: sigma > 0 ? Math.min(sigma, bounded) : bounded,
      scope,
      reports: group.length,
      people: new Set(group.map((r) => r.employeeId)).size,
    };
  };
  const plant = learn(honest, 'plant');
  const spreads = new Map<string, Spread>();
  for (const [station, group] of groupBy(honest, (r) => r.stationId)) {
    const enough = group.length >= rules.spread.minReports && new Set(group.map((r) => r.employeeId)).size >= rules.spread.minPeople;
    spreads.set(station, enough ? learn(group, 'station') : plant);
  }
  return (stationId) => spreads.get(stationId) ?? plant;
}

function judgeFigure(
  figure: Figure,
  records: readonly SelfReportRecord[],
  excluded: ReadonlySet<string>,
  coverage: ReadonlyMap<SelfReportRecord, Coverage>,
  rules: DetectionRules,
  tolerance: (stationId: string) => number,
): Flag[] {
  const spreadAt = stationSpreads(figure, records, excluded, rules);
  // The sequential threshold, from the false-alarm rate and the shape of the honest errors over their station's spread:
  // learned plant-wide, and per station where that is more careful (a station whose honest errors stray further).
  const honest = records.filter((r) => !excluded.has(r.employeeId));
  const honestZ = (group: readonly SelfReportRecord[]) =>
    group.map((r) => (figure.error(r)! - spreadAt(r.stationId).location) / spreadAt(r.stationId).shapeSigma);
  const calibration = { ...rules.sequential, falseAlarmRate: rules.falseAlarmRate };
  const plantWide = calibrate(honestZ(honest), calibration);
  const stationWide = new Map(
    [...groupBy(honest, (r) => r.stationId)].map(([station, group]) => {
      const own = calibrate(honestZ(group), { ...calibration, minReports: rules.sequential.minStationReports });
      return [station, own.h > plantWide.h ? own : plantWide] as const;
    }),
  );
  /** A person's test: the most careful of the stations they reported from. */
  const parametersFor = (reports: readonly SelfReportRecord[]) =>
    reports.map((r) => stationWide.get(r.stationId) ?? plantWide).reduce((a, b) => (b.h > a.h ? b : a));
  const { floor, ceiling, personMinReports } = rules.spread;
  const flags: Flag[] = [];
  for (const [employeeId, reports] of groupBy(records, (r) => r.employeeId)) {
    const p = parametersFor(reports);
    const errors = reports.map((r) => figure.error(r)!);
    const spreadOf = (r: SelfReportRecord): Spread => {
      const station = spreadAt(r.stationId);
      // A person whose honest reports vary more than their station's is judged against their own spread, learned
      // from their reports below the honest location only: inflated reports cannot widen it.
      const below = excluded.has(employeeId) ? [] : errors.filter((e) => e < station.location).map((e) => station.location - e);
      if (below.length < personMinReports) return station;
      const own = MAD_TO_SD * median(below);
      // Estimated from few reports, a person's spread is noisy: only a clearly wider one counts.
      if (own < rules.spread.personFactor * station.sigma) return station;
      return { ...station, sigma: clamp(own, floor[figure.kind], ceiling[figure.kind]), scope: 'person', reports: below.length, people: 1 };
    };
    const judged = reports.map((r, i) => {
      const learned = spreadOf(r);
      const dismissed = tolerance(r.stationId);
      const spread = dismissed > learned.location ? { ...learned, tolerance: dismissed } : learned;
      return { r, error: errors[i]!, spread, z: (errors[i]! - baselineOf(spread)) / spread.sigma };
    });
    const material = (i: number) => figure.difference(judged[i]!.r) >= rules.material[figure.kind];

    const single = new Set<number>();
    for (const [i, j] of judged.entries()) {
      // Alone, a report is judged only where the person's own usual machine time and output vouch for the measurement:
      // elsewhere a gap could hide in it, and only evidence over time counts.
      const vouched = figure.sources.every((source) => coverage.get(j.r)!.vouched.has(source));
      if (j.z >= rules.single.z && material(i) && vouched) {
        single.add(i);
        flags.push(singleWindowFlag(figure, j.r, j.error, j.z, j.spread, rules));
      }
    }

    const stretches = evidenceStretches(
      judged.map((j) => j.z),
      p,
    );
    // A window carries the evidence when it looks more like the person's inflated reports than like an honest one:
    // its z is at least windowZ, and its relative excess at least half their typical one in the stretch.
    const carries = (j: Judged) => j.z >= rules.sequential.windowZ;
    for (const [m, stretch] of stretches.entries()) {
      const j = judged[m]!;
      if (!stretch || single.has(m) || !carries(j) || !material(m)) continue;
      const span = judged.slice(stretch.from, stretch.to + 1);
      const typical = median(span.filter(carries).map((s) => figure.relative(s.r)));
      if (figure.relative(j.r) < typical / 2) continue;
      flags.push(sequentialFlag(figure, j, span, stretch.sum / p.h, judged[stretch.decided]!.r, p, rules));
    }
  }
  return flags;
}

interface Judged {
  r: SelfReportRecord;
  error: number;
  spread: Spread;
  z: number;
}

function spreadEvidence(spread: Spread, stationId: string) {
  return {
    scope: spread.scope,
    station: stationId,
    location: spread.location,
    sigma: spread.sigma,
    learned_sigma: spread.shapeSigma,
    reports: spread.reports,
    people: spread.people,
    ...(spread.tolerance === undefined ? {} : { dismissed_tolerance: spread.tolerance }),
  };
}

function singleWindowFlag(figure: Figure, r: SelfReportRecord, error: number, z: number, spread: Spread, rules: DetectionRules): Flag {
  const reported = figure.reported(r)!;
  const measured = figure.measured(r)!;
  const relative = figure.relative(r);
  const show = (x: number) =>
    figure.unit === 'share' && figure.kind === 'run_hours_overclaim' ? x.toFixed(2) : figure.unit === 'points' ? x.toFixed(1) : String(x);
  const diff = figure.unit === 'share' ? pct(error) : `${error > 0 ? '+' : ''}${amount(figure, error)}`;
  return {
    employeeId: r.employeeId,
    stationId: r.stationId,
    windowStart: r.window.start,
    windowEnd: r.window.end,
    kind: figure.kind,
    method: 'single_window',
    severity: severityOf(relative, z / rules.single.z, rules),
    reported,
    measured,
    deviation: error,
    z,
    explanation: `Reported ${show(reported)} ${figure.words.name} for ${periodLabel(r.period)}, ${figure.words.source} ${show(measured)} (${diff}); ${spreadText(figure, spread, r.stationId)}.`,
    evidence: {
      window: periodLabel(r.period),
      reported,
      measured,
      error,
      z,
      single_window_z: rules.single.z,
      decided_at: new Date(r.period.start).toISOString(),
      honest_spread: spreadEvidence(spread, r.stationId),
    },
  };
}

function sequentialFlag(
  figure: Figure,
  window: Judged,
  span: readonly Judged[],
  strength: number,
  decidedOn: SelfReportRecord,
  p: CusumParameters & { exponent: number },
  rules: DetectionRules,
): Flag {
  const r = window.r;
  const above = span.filter((j) => j.error > 0).length;
  const mean = span.reduce((total, j) => total + j.error, 0) / span.length;
  const meanRelative = span.reduce((total, j) => total + figure.relative(j.r), 0) / span.length;
  const first = periodLabel(span[0]!.r.period);
  const last = periodLabel(span.at(-1)!.r.period);
  const averaged =
    figure.unit === 'share'
      ? `${amount(figure, mean)} ${mean >= 0 ? 'more' : 'less'}`
      : figure.unit === 'points'
        ? `${amount(figure, mean)} higher`
        : `${amount(figure, mean)} fewer`;
  return {
    employeeId: r.employeeId,
    stationId: r.stationId,
    windowStart: r.window.start,
    windowEnd: r.window.end,
    kind: figure.kind,
    method: 'sequential',
    severity: severityOf(meanRelative, strength, rules),
    reported: figure.reported(r)!,
    measured: figure.measured(r)!,
    deviation: window.error,
    z: window.z,
    explanation: `Reported ${figure.words.more} on ${above} of ${span.length} shifts from ${first} to ${last}, ${averaged} on average; ${spreadText(figure, window.spread, r.stationId)}.`,
    evidence: {
      window: periodLabel(r.period),
      shifts: span.map((j) => ({ period: periodLabel(j.r.period), reported: figure.reported(j.r), measured: figure.measured(j.r), error: j.error, z: j.z })),
      above,
      mean_error: mean,
      evidence_sum: strength * p.h,
      threshold: p.h,
      reference: p.k,
      exponent: p.exponent,
      false_alarm_rate: rules.falseAlarmRate,
      decided_at: new Date(decidedOn.period.start).toISOString(),
      honest_spread: spreadEvidence(window.spread, r.stationId),
    },
  };
}

const NOT_JUDGED: Record<CoverageGap['source'], readonly string[]> = {
  telemetry: ['units', 'run hours', 'self-score'],
  production: ['units', 'self-score'],
};

/** One measurement_gap flag per report with a gap: what is missing, and which figures were left unjudged. */
function gapFlags(records: readonly SelfReportRecord[], coverage: ReadonlyMap<SelfReportRecord, Coverage>): Flag[] {
  return records.flatMap((r) => {
    const found = coverage.get(r)!.gaps;
    if (found.length === 0) return [];
    const notJudged = [...new Set(found.flatMap((g) => NOT_JUDGED[g.source]))];
    return [
      measurementGapFlag(r, {
        figure: found.some((g) => g.source === 'telemetry') ? 'runHours' : 'units',
        finding: `${found.map((g) => g.text).join('; ')}; ${notJudged.join(', ')} not judged`,
        gaps: found.map(({ text: _text, ...g }) => g),
        notJudged,
      }),
    ];
  });
}

/** One measurement_gap flag per window a reviewer found a measurement problem in: none of its figures is judged. */
function reviewedGapFlags(records: readonly SelfReportRecord[], feedback: DetectionFeedback): Flag[] {
  return records.map((r) =>
    measurementGapFlag(r, {
      figure: 'units',
      finding: 'a reviewer found a problem with what was measured; no figure judged',
      gaps: [{ source: 'review', reason: 'measurement_problem', flags: feedback.problemsOf(r.employeeId, r.window.start).map(flagId) }],
      notJudged: ['units', 'run hours', 'defective units', 'self-score'],
    }),
  );
}

/** What a measurement_gap flag tells: the figure it sets beside what was measured, what is missing (and in words), what is left unjudged. */
interface MeasurementGap {
  readonly figure: 'units' | 'runHours';
  readonly finding: string;
  readonly gaps: readonly object[];
  readonly notJudged: readonly string[];
}

/** A measurement_gap flag on a report: low severity, no z, the report's figures and telemetry hours as evidence. */
function measurementGapFlag(r: SelfReportRecord, gap: MeasurementGap): Flag {
  const reported = r.reported[gap.figure];
  const measured = r.measured[gap.figure];
  return {
    employeeId: r.employeeId,
    stationId: r.stationId,
    windowStart: r.window.start,
    windowEnd: r.window.end,
    kind: 'measurement_gap',
    method: 'coverage',
    severity: 'low',
    reported,
    measured,
    deviation: measured > 0 ? reported / measured - 1 : 0,
    z: null,
    explanation: `Measurement gap for ${periodLabel(r.period)}: ${gap.finding}.`,
    evidence: {
      window: periodLabel(r.period),
      gaps: gap.gaps,
      not_judged: gap.notJudged,
      reported: r.reported,
      measured: r.measured,
      telemetry_hours: r.coverage.telemetryHours,
    },
  };
}
