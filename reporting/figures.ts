import type { DisputeFigures } from '../sinks/clickhouse/queries/reviews.js';
import { formatDate, formatTime } from '../core/time.js';
import type { EmployeeGrade, GradePeriod, Placement, ReportFlag, Shares, StationCalibration, StationDay } from '../sinks/clickhouse/queries/report.js';
import { NO_NAMES, type Names } from './names.js';
import type { ReportedTotals, WindowBesidePeers } from './reports.js';
import { isInflationFlag, type FlagStatus } from '../contract/flag.js';

/**
 * The figures of a report: everything the HTML shows, as plain data (what
 * `--format json` writes). Built purely from the rows ClickHouse returned;
 * employees appear by id, and by name only where `names` maps them, always
 * with the plant and team they belonged to (hr.assignments.v1; empty where
 * none held).
 *
 * A flag is a proposal until a person reviews it (shared/CONTRACT.md,
 * "People"). The report lists flags that stand — confirmed, or disputed and
 * not yet overturned — as they are, and proposed flags marked as awaiting
 * review; flags withdrawn on review (dismissed, measurement problem,
 * overturned) are left out of every list about people and only counted
 * (totals.dismissedOnReview). The totals of flags and flagged employees
 * count standing flags alone; totals.awaitingReview counts the rest.
 */
export interface ReportFigures {
  readonly plant: string;
  /** Windows and grading periods starting from plant day `from` to plant day `to`, both included (YYYY-MM-DD). */
  readonly period: { readonly type: GradePeriod; readonly from: string; readonly to: string };
  readonly model: { readonly version: string; readonly bands: { readonly excellent: number; readonly qualified: number }; readonly target: Shares };
  readonly generatedAt: string;
  /** Whether a mapping of ids to names was given. */
  readonly named: boolean;
  /** The plants of the people the report names (non-empty ids, sorted): the page shows a plant column when there are several. */
  readonly plants: readonly string[];
  readonly totals: Totals;
  readonly grades: { readonly plant: StationGrades; readonly stations: readonly StationGrades[] };
  readonly scoreDistribution: ScoreDistribution;
  readonly trends: Trends;
  readonly reportedVsMeasured: readonly EmployeeReports[];
  readonly anomalies: readonly AnomalyFigure[];
  readonly flagsByStation: readonly { readonly stationId: string; readonly byKind: Readonly<Record<string, number>> }[];
  readonly employees: readonly EmployeeFigure[];
  readonly flagged: readonly FlaggedEmployee[];
  /** The dispute figures of the months the report covers, per plant (months of fewer than 5 people left out). */
  readonly disputes: readonly DisputeFigures[];
}

/**
 * How an employee is shown: always the id; the name only from a mapping; the
 * plant and team as of the start of the window or period the entry is about
 * (for entries over the whole range, the employee's first window in it).
 */
export interface Person extends Placement {
  readonly employeeId: string;
  readonly name: string | null;
}

/** Where a flag's review leaves it in the report: standing (shown as it is) or awaiting review (shown, marked); withdrawn flags are left out. */
export type FlagStanding = 'standing' | 'awaiting_review' | 'withdrawn';

/** A review status as the report treats it: confirmed and disputed flags stand; proposed ones await review; the rest were withdrawn. */
export function flagStanding(status: FlagStatus): FlagStanding {
  switch (status) {
    case 'confirmed':
    case 'disputed':
      return 'standing';
    case 'proposed':
      return 'awaiting_review';
    case 'dismissed':
    case 'measurement_problem':
    case 'overturned':
      return 'withdrawn';
  }
}

export interface Totals {
  readonly stations: number;
  readonly employees: number;
  /** Scores graded (one per employee and period). */
  readonly graded: number;
  readonly reports: number;
  /** Standing inflation flags (confirmed, or disputed and not yet overturned). */
  readonly inflationFlags: number;
  /** Employees with a standing inflation flag. */
  readonly flaggedEmployees: number;
  /** Standing inflation flags of high severity. */
  readonly highFlags: number;
  /** Inflation flags nobody has reviewed yet (status proposed): listed, marked, counted here alone; and the employees they are about. */
  readonly awaitingReview: { readonly flags: number; readonly employees: number; readonly highFlags: number };
  /** Flags of any kind withdrawn on review (dismissed, measurement problem, overturned by a dispute): in no list, counted here. */
  readonly dismissedOnReview: number;
  /** Measurement gaps not withdrawn on review. */
  readonly measurementGaps: number;
  /** Defective units over the self-reports' periods: as the reports admit them, and as inspection found them. */
  readonly defectiveUnits: { readonly reported: number; readonly measured: number };
}

export interface StationGrades {
  readonly stationId: string;
  readonly graded: number;
  /** By the model's absolute bands. */
  readonly bands: Shares;
  /** Ranked within station and period to the target distribution. */
  readonly calibrated: Shares;
  readonly target: Shares;
  /** The grades the employees' own self-scores would earn, over those with one. */
  readonly selfScores: Shares;
  readonly selfScored: number;
  readonly avgScore: number | null;
  readonly avgSelfScore: number | null;
}

export interface ScoreDistribution {
  readonly binWidth: number;
  /** Bins [from, from + binWidth); the last includes 100. */
  readonly bins: readonly { readonly from: number; readonly scores: number; readonly selfScores: number }[];
}

export interface Trends {
  /** Plant days, YYYY-MM-DD, ascending. */
  readonly days: readonly string[];
  /** Per station, one value per day (null where it has none). */
  readonly stations: readonly {
    readonly stationId: string;
    readonly defectRate: readonly (number | null)[];
    readonly efficiency: readonly (number | null)[];
    readonly satisfaction: readonly (number | null)[];
  }[];
}

/** An employee's self-reports over the period beside what was measured. */
export interface EmployeeReports extends Person, Omit<ReportedTotals, 'employeeId'> {
  /** Has a standing inflation flag in the period. */
  readonly flagged: boolean;
  /** Has an inflation flag awaiting review in the period. */
  readonly awaitingReview: boolean;
  /** Mean self-score and measured score over the period's grades; null without a self-score. */
  readonly selfScore: { readonly reported: number; readonly measured: number } | null;
}

/** A flag as the report lists it: the window's times in ISO 8601, its id, its review status, and the plant and team at the window's start. */
export interface AnomalyFigure extends Person, Omit<ReportFlag, 'employeeId' | 'windowStart' | 'windowEnd' | 'plantId' | 'teamId'> {
  readonly windowStart: string;
  readonly windowEnd: string;
  /** Standing, or awaiting review (withdrawn flags are not listed). */
  readonly review: Exclude<FlagStanding, 'withdrawn'>;
}

/** A graded score with its period start as a date (plant and team as of it), and the employee's inflation flags in the report's range. */
export interface EmployeeFigure extends Person, Omit<EmployeeGrade, 'employeeId' | 'periodStart'> {
  readonly periodStart: string;
  /** Standing inflation flags. */
  readonly inflationFlags: number;
  readonly awaitingReview: number;
}

/** An employee with a standing inflation flag or one awaiting review: a page of the report. */
export interface FlaggedEmployee extends Person {
  readonly stationId: string;
  /** The kinds of their listed inflation flags (standing or awaiting review). */
  readonly kinds: readonly string[];
  /** Standing inflation flags, and those of high severity. */
  readonly flags: number;
  readonly highFlags: number;
  /** Inflation flags awaiting review. */
  readonly awaitingReview: number;
  readonly windows: readonly {
    readonly windowStart: string;
    /** The kinds of the listed inflation flags (standing or awaiting review) raised on this window. */
    readonly flaggedKinds: readonly string[];
    readonly peerCount: number;
    readonly units: { readonly reported: number | null; readonly measured: number; readonly peers: number };
    readonly runHours: { readonly reported: number | null; readonly measured: number; readonly peers: number };
    readonly defectiveUnits: { readonly reported: number | null; readonly measured: number; readonly peers: number };
    readonly selfScore: number | null;
  }[];
}

/** What the report reads from ClickHouse, for one plant and range. */
export interface ReportInputs {
  readonly plant: string;
  readonly period: GradePeriod;
  readonly from: number;
  readonly to: number;
  /** The plant days of [from, to): the first and the last, YYYY-MM-DD. */
  readonly days: { readonly first: string; readonly last: string };
  readonly generatedAt: number;
  readonly model: ReportFigures['model'];
  readonly calibration: readonly StationCalibration[];
  readonly grades: readonly EmployeeGrade[];
  readonly stationDays: readonly StationDay[];
  readonly reported: readonly ReportedTotals[];
  /** Every current flag of the range with its review status, withdrawn ones included (they are counted). */
  readonly anomalies: readonly ReportFlag[];
  readonly flaggedWindows: readonly WindowBesidePeers[];
  /** Each employee's plant and team as of their first window in the range (readFirstPlacements). */
  readonly placements: ReadonlyMap<string, Placement>;
  readonly disputes: readonly DisputeFigures[];
}

/** The plant's row of kpi.calibration. */
export const PLANT = 'ALL';
const BIN_WIDTH = 5;
const SEVERITY_ORDER: Record<string, number> = { high: 0, medium: 1, low: 2 };

/** The flags a report lists: those not withdrawn on review. */
export const listedFlags = <F extends Pick<ReportFlag, 'status'>>(flags: readonly F[]): F[] => flags.filter((f) => flagStanding(f.status) !== 'withdrawn');

/**
 * The employees with a listed inflation flag (measurement gaps accuse nobody;
 * withdrawn flags are not listed): most standing high flags first, then most
 * standing flags, then most awaiting review.
 */
export function flaggedEmployeeIds(anomalies: readonly ReportFlag[]): string[] {
  const counts = new Map<string, { flags: number; high: number; awaiting: number }>();
  for (const a of listedFlags(anomalies).filter(isInflationFlag)) {
    const c = counts.get(a.employeeId) ?? { flags: 0, high: 0, awaiting: 0 };
    if (flagStanding(a.status) === 'standing') {
      c.flags += 1;
      if (a.severity === 'high') c.high += 1;
    } else c.awaiting += 1;
    counts.set(a.employeeId, c);
  }
  return [...counts.entries()]
    .sort(([a, x], [b, y]) => y.high - x.high || y.flags - x.flags || y.awaiting - x.awaiting || a.localeCompare(b))
    .map(([id]) => id);
}

/** Shares of each grade among graded items; zeros when there are none. */
export function sharesOf(grades: readonly string[]): Shares {
  const n = grades.length;
  const share = (g: string) => (n === 0 ? 0 : grades.filter((x) => x === g).length / n);
  return { excellent: share('excellent'), qualified: share('qualified'), needsImprovement: share('needs_improvement') };
}

export function buildFigures(inputs: ReportInputs, names: Names = NO_NAMES): ReportFigures {
  const noPlacement: Placement = { plantId: '', teamId: '' };
  const person = (employeeId: string, placement: Placement = inputs.placements.get(employeeId) ?? noPlacement): Person => ({
    employeeId,
    name: names.get(employeeId) ?? null,
    plantId: placement.plantId,
    teamId: placement.teamId,
  });
  const listed = listedFlags(inputs.anomalies);
  const inflation = listed.filter(isInflationFlag);
  const standing = inflation.filter((a) => flagStanding(a.status) === 'standing');
  const awaiting = inflation.filter((a) => flagStanding(a.status) === 'awaiting_review');
  const flaggedIds = flaggedEmployeeIds(inputs.anomalies);
  const byEmployee = (flags: readonly ReportFlag[]) => {
    const of = new Map<string, ReportFlag[]>();
    for (const a of flags) of.set(a.employeeId, [...(of.get(a.employeeId) ?? []), a]);
    return of;
  };
  const flagsOf = byEmployee(inflation);
  const standingOf = byEmployee(standing);
  const awaitingOf = byEmployee(awaiting);

  const stationGrades = (c: StationCalibration): StationGrades => {
    const graded = inputs.grades.filter((g) => c.stationId === PLANT || g.stationId === c.stationId);
    return {
      stationId: c.stationId,
      graded: c.graded,
      bands: c.shares,
      calibrated: sharesOf(graded.map((g) => g.calibratedGrade)),
      target: c.target,
      selfScores: c.selfShares,
      selfScored: c.selfScored,
      avgScore: c.avgScore,
      avgSelfScore: c.avgSelfScore,
    };
  };
  const plantRow = inputs.calibration.find((c) => c.stationId === PLANT);
  const emptyShares = sharesOf([]);
  const plant = plantRow
    ? stationGrades(plantRow)
    : {
        stationId: PLANT,
        graded: 0,
        bands: emptyShares,
        calibrated: emptyShares,
        target: inputs.model.target,
        selfScores: emptyShares,
        selfScored: 0,
        avgScore: null,
        avgSelfScore: null,
      };

  const bins = Array.from({ length: 100 / BIN_WIDTH }, (_, i) => ({ from: i * BIN_WIDTH, scores: 0, selfScores: 0 }));
  const binOf = (score: number) => bins[Math.min(bins.length - 1, Math.max(0, Math.floor(score / BIN_WIDTH)))]!;
  for (const g of inputs.grades) {
    binOf(g.score).scores += 1;
    if (g.selfScore !== null) binOf(g.selfScore).selfScores += 1;
  }

  const days = [...new Set(inputs.stationDays.map((d) => d.day))].sort();
  const stationIds = [...new Set(inputs.stationDays.map((d) => d.stationId))].sort();
  const trends: Trends = {
    days,
    stations: stationIds.map((stationId) => {
      const byDay = new Map(inputs.stationDays.filter((d) => d.stationId === stationId).map((d) => [d.day, d]));
      const series = (pick: (d: StationDay) => number | null) => days.map((day) => (byDay.has(day) ? pick(byDay.get(day)!) : null));
      return { stationId, defectRate: series((d) => d.defectRate), efficiency: series((d) => d.efficiency), satisfaction: series((d) => d.satisfaction) };
    }),
  };

  // The self-score beside the measured score: the means of the employee's graded periods.
  const gradesOf = new Map<string, EmployeeGrade[]>();
  for (const g of inputs.grades) gradesOf.set(g.employeeId, [...(gradesOf.get(g.employeeId) ?? []), g]);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const reportedVsMeasured: EmployeeReports[] = inputs.reported.map((r) => {
    const selfScored = (gradesOf.get(r.employeeId) ?? []).filter((g) => g.selfScore !== null);
    return {
      ...person(r.employeeId),
      stationId: r.stationId,
      reports: r.reports,
      flagged: standingOf.has(r.employeeId),
      awaitingReview: awaitingOf.has(r.employeeId),
      units: r.units,
      runHours: r.runHours,
      defectiveUnits: r.defectiveUnits,
      selfScore: selfScored.length === 0 ? null : { reported: mean(selfScored.map((g) => g.selfScore!)), measured: mean(selfScored.map((g) => g.score)) },
    };
  });

  const review = (a: ReportFlag) => (flagStanding(a.status) === 'standing' ? 'standing' : 'awaiting_review');
  const anomalies: AnomalyFigure[] = [...listed]
    .sort(
      (a, b) =>
        Number(isInflationFlag(b)) - Number(isInflationFlag(a)) ||
        Number(review(a) === 'awaiting_review') - Number(review(b) === 'awaiting_review') ||
        (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) ||
        a.employeeId.localeCompare(b.employeeId) ||
        a.windowStart - b.windowStart ||
        a.kind.localeCompare(b.kind),
    )
    .map((a) => ({
      ...person(a.employeeId, a),
      flagId: a.flagId,
      status: a.status,
      review: review(a),
      stationId: a.stationId,
      windowStart: formatTime(a.windowStart),
      windowEnd: formatTime(a.windowEnd),
      kind: a.kind,
      method: a.method,
      severity: a.severity,
      reported: a.reported,
      measured: a.measured,
      deviation: a.deviation,
      z: a.z,
      explanation: a.explanation,
      evidence: a.evidence,
    }));

  const flagStations = [...new Set(listed.map((a) => a.stationId))].sort();
  const flagsByStation = flagStations.map((stationId) => {
    const byKind: Record<string, number> = {};
    for (const a of listed.filter((x) => x.stationId === stationId)) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    return { stationId, byKind };
  });

  const employees: EmployeeFigure[] = inputs.grades.map((g) => ({
    ...person(g.employeeId, g),
    stationId: g.stationId,
    periodStart: formatDate(g.periodStart),
    score: g.score,
    grade: g.grade,
    calibratedGrade: g.calibratedGrade,
    stationRank: g.stationRank,
    stationEmployees: g.stationEmployees,
    selfScore: g.selfScore,
    selfGrade: g.selfGrade,
    inflationFlags: standingOf.get(g.employeeId)?.length ?? 0,
    awaitingReview: awaitingOf.get(g.employeeId)?.length ?? 0,
  }));

  const flagged: FlaggedEmployee[] = flaggedIds.map((employeeId) => {
    const flags = flagsOf.get(employeeId)!;
    const windows = inputs.flaggedWindows.filter((w) => w.employeeId === employeeId);
    // Where they belonged at their first window in the range; without window rows, at their first flag's.
    const first = [...flags].sort((x, y) => x.windowStart - y.windowStart)[0]!;
    return {
      ...person(employeeId, inputs.placements.get(employeeId) ?? first),
      stationId: windows.at(-1)?.stationId ?? flags[0]!.stationId,
      kinds: [...new Set(flags.map((f) => f.kind))].sort(),
      flags: standingOf.get(employeeId)?.length ?? 0,
      highFlags: (standingOf.get(employeeId) ?? []).filter((f) => f.severity === 'high').length,
      awaitingReview: awaitingOf.get(employeeId)?.length ?? 0,
      windows: windows.map((w) => ({
        windowStart: formatTime(w.windowStart),
        flaggedKinds: [...new Set(flags.filter((f) => f.windowStart === w.windowStart).map((f) => f.kind))].sort(),
        peerCount: w.peerCount,
        units: w.units,
        runHours: w.runHours,
        defectiveUnits: w.defectiveUnits,
        selfScore: w.selfScore,
      })),
    };
  });

  const plants = [...new Set([...employees, ...reportedVsMeasured, ...anomalies, ...flagged].map((p) => p.plantId).filter((id) => id !== ''))].sort();
  return {
    plant: inputs.plant,
    period: { type: inputs.period, from: inputs.days.first, to: inputs.days.last },
    model: inputs.model,
    generatedAt: formatTime(inputs.generatedAt),
    named: names.size > 0,
    plants,
    totals: {
      stations: inputs.calibration.filter((c) => c.stationId !== PLANT).length,
      employees: new Set(inputs.grades.map((g) => g.employeeId)).size,
      graded: plant.graded,
      reports: inputs.reported.reduce((n, r) => n + r.reports, 0),
      inflationFlags: standing.length,
      flaggedEmployees: standingOf.size,
      highFlags: standing.filter((f) => f.severity === 'high').length,
      awaitingReview: { flags: awaiting.length, employees: awaitingOf.size, highFlags: awaiting.filter((f) => f.severity === 'high').length },
      dismissedOnReview: inputs.anomalies.length - listed.length,
      measurementGaps: listed.length - inflation.length,
      defectiveUnits: {
        reported: inputs.reported.reduce((n, r) => n + r.defectiveUnits.reported, 0),
        measured: inputs.reported.reduce((n, r) => n + r.defectiveUnits.measured, 0),
      },
    },
    grades: { plant, stations: inputs.calibration.filter((c) => c.stationId !== PLANT).map(stationGrades) },
    scoreDistribution: { binWidth: BIN_WIDTH, bins },
    trends,
    reportedVsMeasured,
    anomalies,
    flagsByStation,
    employees,
    flagged,
    disputes: inputs.disputes,
  };
}
