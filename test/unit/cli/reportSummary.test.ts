import { formatSummary } from '../../../cli/reportSummary.js';
import { buildFigures, type ReportInputs } from '../../../reporting/figures.js';
import type { ReportFlag } from '../../../sinks/clickhouse/queries/report.js';

const DAY = 86_400_000;
const FROM = Date.UTC(2026, 9, 1);
const shares = { excellent: 0.25, qualified: 0.55, needsImprovement: 0.2 };

function flag(employeeId: string, day: number, status: ReportFlag['status'], kind: ReportFlag['kind'] = 'units_overclaim'): ReportFlag {
  return {
    flagId: `f_${employeeId}${day}`,
    status,
    plantId: 'P1',
    teamId: 'T1',
    employeeId,
    stationId: 'S1',
    windowStart: FROM + day * DAY,
    windowEnd: FROM + (day + 1) * DAY,
    kind,
    method: kind === 'measurement_gap' ? 'coverage' : 'sequential',
    severity: 'high',
    reported: 120,
    measured: 100,
    deviation: 0.2,
    z: 4,
    explanation: 'Reported 120 units, the MES counted 100.',
    evidence: {},
  };
}

const inputs: ReportInputs = {
  plant: 'Plant',
  period: 'month',
  from: FROM,
  to: FROM + 31 * DAY,
  days: { first: '2026-10-01', last: '2026-10-31' },
  generatedAt: FROM + 40 * DAY,
  model: { version: 'default-v1', bands: { excellent: 90, qualified: 70 }, target: shares },
  calibration: [
    { stationId: 'ALL', graded: 3, shares, target: shares, selfScored: 0, selfShares: shares, avgScore: 80, avgSelfScore: null },
    { stationId: 'S1', graded: 3, shares, target: shares, selfScored: 0, selfShares: shares, avgScore: 80, avgSelfScore: null },
  ],
  grades: [],
  stationDays: [],
  reported: [],
  anomalies: [
    flag('E1', 1, 'confirmed'),
    flag('E2', 1, 'proposed'),
    flag('E2', 2, 'proposed'),
    flag('E3', 1, 'dismissed'),
    flag('E3', 2, 'proposed', 'measurement_gap'),
  ],
  flaggedWindows: [],
  placements: new Map(),
  disputes: [],
};

test('the summary counts standing flags, those awaiting review and those dismissed on review apart', () => {
  const text = formatSummary(buildFigures(inputs));
  expect(text).toContain(
    'flags: 1 inflation flags standing (confirmed or disputed) on 1 employees (1 high); 2 awaiting review on 1 employees (2 high); 1 dismissed on review; 1 measurement gaps',
  );
  const station = text.split('\n').find((l) => l.startsWith('S1'))!;
  // flags, flagged, awaiting review: the last three columns.
  expect(station.trim().split(/\s+/).slice(-3)).toEqual(['1', '1', '2']);
});
