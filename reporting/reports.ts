import type { SelfReportRecord } from '../detection/reports.js';
import { median } from '../detection/spread.js';

/**
 * Self-reports beside what was measured over each report's own period — the
 * figures detection judges them by (readReportedPeriods, then
 * detection/runner.ts measuredFigures), so the report and the flags show the
 * same measured values. A night shift's
 * report is set beside its whole shift, not beside the window that holds it.
 */
export type MeasuredReport = Pick<SelfReportRecord, 'employeeId' | 'stationId' | 'window' | 'period' | 'reported'> & {
  readonly measured: Omit<SelfReportRecord['measured'], 'score'>;
};

/** An employee's self-reports over the report's range beside what was measured over their periods. */
export interface ReportedTotals {
  readonly employeeId: string;
  /** Where the employee earned the most standard and run time over those periods. */
  readonly stationId: string;
  readonly reports: number;
  readonly units: { readonly reported: number; readonly measured: number };
  readonly runHours: { readonly reported: number; readonly measured: number };
  readonly defectiveUnits: { readonly reported: number; readonly measured: number };
}

/** A reported figure beside what was measured over its period and the median of the station's reports in the same window. */
export interface FigureBesidePeers {
  readonly reported: number | null;
  readonly measured: number;
  readonly peers: number;
}

/** One self-report of an employee (kept on its window), beside the other reports at its station in that window. */
export interface WindowBesidePeers {
  readonly employeeId: string;
  readonly stationId: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Operators who reported at the station in that window (the employee included). */
  readonly peerCount: number;
  readonly units: FigureBesidePeers;
  readonly runHours: FigureBesidePeers;
  readonly defectiveUnits: FigureBesidePeers;
  readonly selfScore: number | null;
}

/** Per employee, the sums of reported and measured figures over their reports, by employee id. */
export function reportedTotals(reports: readonly MeasuredReport[]): ReportedTotals[] {
  const byEmployee = new Map<string, MeasuredReport[]>();
  for (const r of reports) byEmployee.set(r.employeeId, [...(byEmployee.get(r.employeeId) ?? []), r]);
  return [...byEmployee.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([employeeId, own]) => {
      const time = new Map<string, number>();
      for (const r of own) time.set(r.stationId, (time.get(r.stationId) ?? 0) + r.measured.standardHours + r.measured.runHours);
      const sum = (pick: (r: MeasuredReport) => number) => own.reduce((s, r) => s + pick(r), 0);
      return {
        employeeId,
        stationId: [...time.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0],
        reports: own.length,
        units: { reported: sum((r) => r.reported.units), measured: sum((r) => r.measured.units) },
        runHours: { reported: sum((r) => r.reported.runHours), measured: sum((r) => r.measured.runHours) },
        defectiveUnits: { reported: sum((r) => r.reported.defectiveUnits), measured: sum((r) => r.measured.defectiveUnits) },
      };
    });
}

/**
 * The reports of the given employees, each beside the medians of every
 * report at its station in the same window (the employee's included), all
 * measured over their own periods; by employee, then window.
 */
export function reportsBesidePeers(reports: readonly MeasuredReport[], employeeIds: readonly string[]): WindowBesidePeers[] {
  const wanted = new Set(employeeIds);
  const peersOf = new Map<string, MeasuredReport[]>();
  const key = (r: MeasuredReport) => `${r.stationId}@${r.window.start}`;
  for (const r of reports) peersOf.set(key(r), [...(peersOf.get(key(r)) ?? []), r]);
  return reports
    .filter((r) => wanted.has(r.employeeId))
    .sort((a, b) => (a.employeeId < b.employeeId ? -1 : a.employeeId > b.employeeId ? 1 : a.window.start - b.window.start))
    .map((r) => {
      const peers = peersOf.get(key(r))!;
      const beside = (reported: number, pick: (m: MeasuredReport['measured']) => number): FigureBesidePeers => ({
        reported,
        measured: pick(r.measured),
        peers: median(peers.map((p) => pick(p.measured))),
      });
      return {
        employeeId: r.employeeId,
        stationId: r.stationId,
        windowStart: r.window.start,
        windowEnd: r.window.end,
        peerCount: peers.length,
        units: beside(r.reported.units, (m) => m.units),
        runHours: beside(r.reported.runHours, (m) => m.runHours),
        defectiveUnits: beside(r.reported.defectiveUnits, (m) => m.defectiveUnits),
        selfScore: r.reported.selfScore,
      };
    });
}
