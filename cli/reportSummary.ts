import { GRADE_LABELS, GRADES } from '../reporting/charts.js';
import type { AnomalyFigure, ReportFigures } from '../reporting/figures.js';
import { formatTable } from './table.js';
import { isInflationFlag } from '../contract/flag.js';

const pct = (share: number) => `${Math.round(100 * share)}%`;

/**
 * The plant's grades four ways: as its people's self-scores would have them,
 * by the measured scores against the bands, calibrated to the target, and the
 * target; then the defective units the self-reports admit against those
 * inspection found.
 */
export function formatGradeContrast(f: ReportFigures): string {
  const plant = f.grades.plant;
  const defects = f.totals.defectiveUnits;
  return [
    formatTable(
      ['grade', 'by self-scores', 'measured', 'calibrated', 'target'],
      GRADES.map((g) => [GRADE_LABELS[g], pct(plant.selfScores[g]), pct(plant.bands[g]), pct(plant.calibrated[g]), pct(plant.target[g])]),
    ),
    `Self-reports admit ${defects.reported.toLocaleString('en-US')} defective units; inspection found ${defects.measured.toLocaleString('en-US')}` +
      (defects.measured > 0 ? ` (${pct(Math.max(0, 1 - defects.reported / defects.measured))} not admitted).` : '.'),
  ].join('\n');
}

/**
 * A report's figures as one screen of aligned text: the plant's grades
 * four ways (formatGradeContrast), each station, and the flags: those that
 * stand (confirmed or disputed) apart from those awaiting review, and how
 * many were dismissed on review.
 */
export function formatSummary(f: ReportFigures): string {
  const grades = formatGradeContrast(f);
  const flagsAt = (station: string, review: AnomalyFigure['review']) =>
    f.anomalies.filter((a) => a.stationId === station && isInflationFlag(a) && a.review === review);
  const stations = formatTable(
    ['station', 'scores', 'excellent', 'qualified', 'needs impr.', 'avg score', 'avg self-score', 'flags', 'flagged', 'awaiting review'],
    f.grades.stations.map((s) => [
      s.stationId,
      s.graded,
      pct(s.bands.excellent),
      pct(s.bands.qualified),
      pct(s.bands.needsImprovement),
      s.avgScore?.toFixed(1) ?? '-',
      s.avgSelfScore?.toFixed(1) ?? '-',
      flagsAt(s.stationId, 'standing').length,
      new Set(flagsAt(s.stationId, 'standing').map((a) => a.employeeId)).size,
      flagsAt(s.stationId, 'awaiting_review').length,
    ]),
  );
  const t = f.totals;
  return [
    `${f.plant}, ${f.period.from} to ${f.period.to}: ${t.graded} ${f.period.type}ly scores of ${t.employees} employees at ${t.stations} stations (model ${f.model.version})`,
    '',
    grades,
    '',
    stations,
    '',
    `flags: ${t.inflationFlags} inflation flags standing (confirmed or disputed) on ${t.flaggedEmployees} employees (${t.highFlags} high); ` +
      `${t.awaitingReview.flags} awaiting review on ${t.awaitingReview.employees} employees (${t.awaitingReview.highFlags} high); ` +
      `${t.dismissedOnReview} dismissed on review; ${t.measurementGaps} measurement gaps (reports not judged, no accusation)`,
  ].join('\n');
}
