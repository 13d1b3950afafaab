import { INFLATION_FLAG_KINDS, type Flag, type FlagKind, type InflationFlagKind } from '../contract/flag.js';

/**
 * What detection learns from the reviews of its flags (DESIGN "People": a
 * dismissed flag teaches the tolerance; a measurement problem becomes a
 * measurement gap). Pure: the runner reads the reviewed flags of the history
 * it judges (kpi.flags_current) and hands them here, so a re-run over the
 * same reports and decisions gives the same flags.
 *
 * - A window a reviewer marked `measurement_problem` is a measurement gap:
 *   its report is judged on no figure, teaches no spread nor usual, adds no
 *   evidence, and carries a measurement_gap flag instead.
 * - A `dismissed` flag raises its station's tolerance for its kind: errors up
 *   to the largest deviation dismissed there count as honest (their z is
 *   measured from it, not from the honest median), never more than the
 *   figure's spread ceiling (KPI_DETECT_SPREAD_CEILING), so one dismissal
 *   cannot blind a station to every claim.
 * - A reviewed window and kind is settled: detection proposes no other flag
 *   of that kind on it, and the reviewed flag itself is kept as the reviewer
 *   decided it (the runner does not replace it).
 */

/** A flag a reviewer dismissed or marked a measurement problem. */
export interface ReviewedFlag extends Pick<Flag, 'employeeId' | 'stationId' | 'windowStart' | 'kind' | 'method' | 'deviation'> {
  readonly status: 'dismissed' | 'measurement_problem';
}

/** The review statuses detection learns from. */
export const FEEDBACK_STATUSES = ['dismissed', 'measurement_problem'] as const;

export interface DetectionFeedback {
  /** Whether a reviewer found a measurement problem in the employee's window. */
  faulty(employeeId: string, windowStart: number): boolean;
  /** The flags of the window that were marked a measurement problem (their ids' keys, for the gap flag's evidence). */
  problemsOf(employeeId: string, windowStart: number): readonly ReviewedFlag[];
  /** The error up to which a report of the kind at the station counts as honest (0: no dismissal there). */
  tolerance(stationId: string, kind: InflationFlagKind): number;
  /** Whether a flag of this employee, window and kind was reviewed: no new one is proposed. */
  settled(flag: Pick<Flag, 'employeeId' | 'windowStart' | 'kind'>): boolean;
}

const SEP = '\u0000';
const isInflation = (kind: FlagKind): kind is InflationFlagKind => (INFLATION_FLAG_KINDS as readonly string[]).includes(kind);

/** No reviews: detection as it runs on a plant where nobody decided a flag yet. */
export const NO_FEEDBACK: DetectionFeedback = feedbackOf([], {
  ceiling: Object.fromEntries(INFLATION_FLAG_KINDS.map((k) => [k, 0])) as Record<InflationFlagKind, number>,
});

/**
 * The feedback of the reviewed flags. `ceiling`: the most a dismissal may
 * raise a station's tolerance to, per kind (the spread ceiling).
 */
export function feedbackOf(reviewed: readonly ReviewedFlag[], limits: { readonly ceiling: Readonly<Record<InflationFlagKind, number>> }): DetectionFeedback {
  const problems = new Map<string, ReviewedFlag[]>();
  const tolerances = new Map<string, number>();
  const settled = new Set<string>();
  for (const flag of reviewed) {
    settled.add([flag.employeeId, flag.windowStart, flag.kind].join(SEP));
    if (flag.status === 'measurement_problem') {
      const key = `${flag.employeeId}${SEP}${flag.windowStart}`;
      problems.set(key, [...(problems.get(key) ?? []), flag]);
    } else if (isInflation(flag.kind) && flag.deviation > 0) {
      const key = `${flag.stationId}${SEP}${flag.kind}`;
      tolerances.set(key, Math.min(limits.ceiling[flag.kind], Math.max(tolerances.get(key) ?? 0, flag.deviation)));
    }
  }
  return {
    faulty: (employeeId, windowStart) => problems.has(`${employeeId}${SEP}${windowStart}`),
    problemsOf: (employeeId, windowStart) => problems.get(`${employeeId}${SEP}${windowStart}`) ?? [],
    tolerance: (stationId, kind) => tolerances.get(`${stationId}${SEP}${kind}`) ?? 0,
    settled: (f) => settled.has([f.employeeId, f.windowStart, f.kind].join(SEP)),
  };
}
