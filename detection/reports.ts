import type { InflationFlagKind } from '../contract/flag.js';
/**
 * What detection judges: one self-report beside what the plant's systems
 * measured over the report's own period, and how completely they measured it.
 * Built from ClickHouse by the runner, or from a simulation's ground truth by
 * the harness; detection itself is a pure function of these records.
 */

/** One self-report and what was measured over its period. */
export interface SelfReportRecord {
  employeeId: string;
  stationId: string;
  /** The window whose row holds the report: flags are kept per window. */
  window: { start: number; end: number };
  /** The period the report covers, [start, end): what it is judged against (it may span windows: a night shift). */
  period: { start: number; end: number };
  reported: { units: number; runHours: number; defectiveUnits: number; selfScore: number | null };
  measured: {
    units: number;
    /** Σ units × standard time: what the units are worth in machine hours, whatever the product. */
    standardHours: number;
    runHours: number;
    defectiveUnits: number;
    /** The score computed from the measured figures, when it has any. */
    score: number | null;
  };
  coverage: {
    /** Hours of the period the IoT gateway reported on: run + idle + down. */
    telemetryHours: number;
    /** This employee's records from the period that were dead-lettered instead of counted, by source. */
    deadLetters: { production: number; telemetry: number };
  };
}

/** The plant systems a measured figure comes from, as far as their coverage can be judged. */
export type Source = 'production' | 'telemetry';

/**
 * One figure a report states, and how to compare it with the measured one.
 * `error` is signed in the employee's favour (more units or hours than
 * measured, fewer defects than found, a higher self-score), in the figure's
 * own unit: a share of the measured figure for units and run hours, defective
 * units, score points. Null when the report or the measurement has no such
 * figure to compare.
 */
export interface Figure {
  readonly kind: InflationFlagKind;
  /** How `error` reads: 'share', or the unit of a difference. */
  readonly unit: 'share' | 'defective units' | 'points';
  /** Plant systems the measured figure needs complete. */
  readonly sources: readonly Source[];
  reported(r: SelfReportRecord): number | null;
  measured(r: SelfReportRecord): number | null;
  error(r: SelfReportRecord): number | null;
  /** The error as a share of the measured figure (severity compares these). */
  relative(r: SelfReportRecord): number;
  /** The absolute difference in the figure's natural unit (units, hours, defective units, points). */
  difference(r: SelfReportRecord): number;
  /** Words for explanations. */
  readonly words: { more: string; name: string; source: string };
}

const share = (reported: number, measured: number): number | null => (measured > 0 ? (reported - measured) / measured : null);

export const FIGURES: readonly Figure[] = [
  {
    kind: 'units_overclaim',
    unit: 'share',
    sources: ['production', 'telemetry'],
    reported: (r) => r.reported.units,
    measured: (r) => r.measured.units,
    error: (r) => share(r.reported.units, r.measured.units),
    relative: (r) => share(r.reported.units, r.measured.units) ?? 0,
    difference: (r) => r.reported.units - r.measured.units,
    words: { more: 'more units than the MES counted', name: 'units', source: 'the MES counted' },
  },
  {
    kind: 'run_hours_overclaim',
    unit: 'share',
    sources: ['telemetry'],
    reported: (r) => r.reported.runHours,
    measured: (r) => r.measured.runHours,
    error: (r) => share(r.reported.runHours, r.measured.runHours),
    relative: (r) => share(r.reported.runHours, r.measured.runHours) ?? 0,
    difference: (r) => r.reported.runHours - r.measured.runHours,
    words: { more: 'more run hours than the machines measured', name: 'run hours', source: 'the machines measured' },
  },
  {
    kind: 'defects_underreport',
    unit: 'defective units',
    sources: [],
    reported: (r) => r.reported.defectiveUnits,
    measured: (r) => r.measured.defectiveUnits,
    error: (r) => r.measured.defectiveUnits - r.reported.defectiveUnits,
    relative: (r) => (r.measured.defectiveUnits - r.reported.defectiveUnits) / Math.max(r.measured.defectiveUnits, 1),
    difference: (r) => r.measured.defectiveUnits - r.reported.defectiveUnits,
    words: { more: 'fewer defective units than inspections found', name: 'defective units', source: 'inspections found' },
  },
  {
    kind: 'self_score_inflated',
    unit: 'points',
    sources: ['production', 'telemetry'],
    reported: (r) => r.reported.selfScore,
    measured: (r) => r.measured.score,
    // A measured score of 100 leaves no room to over-claim, and honest self-scores there can only err downwards.
    error: (r) => (r.reported.selfScore === null || r.measured.score === null || r.measured.score >= 100 ? null : r.reported.selfScore - r.measured.score),
    relative: (r) =>
      r.reported.selfScore === null || r.measured.score === null ? 0 : (r.reported.selfScore - r.measured.score) / Math.max(r.measured.score, 1),
    difference: (r) => (r.reported.selfScore ?? 0) - (r.measured.score ?? 0),
    words: { more: 'a higher self-score than the measured score', name: 'self-score', source: 'the measured score is' },
  },
];

/** The figure of a flag kind. */
export function figureOf(kind: InflationFlagKind): Figure {
  return FIGURES.find((f) => f.kind === kind)!;
}

/** The period's date (UTC) as explanations name it; a period that does not start at midnight also names its hour. */
export function periodLabel(period: { start: number }): string {
  const iso = new Date(period.start).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** Records grouped by a key, each group in period order. */
export function groupBy<T extends { period: { start: number } }>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    let group = groups.get(k);
    if (!group) groups.set(k, (group = []));
    group.push(item);
  }
  for (const group of groups.values()) group.sort((a, b) => a.period.start - b.period.start);
  return groups;
}
