import { reportedTotals, reportsBesidePeers, type MeasuredReport } from '../../../reporting/reports.js';

const HOUR = 3_600_000;
const MIDNIGHT = Date.UTC(2026, 9, 5);

/** A report held by the window of the day `day`, measured over its own period. */
function report(
  employeeId: string,
  stationId: string,
  day: number,
  reported: { units: number; runHours: number; defectiveUnits: number },
  measured: { units: number; runHours: number; defectiveUnits: number; standardHours?: number },
): MeasuredReport {
  const start = MIDNIGHT + day * 24 * HOUR;
  return {
    employeeId,
    stationId,
    window: { start, end: start + 24 * HOUR },
    // A night shift: 22:00 to 06:00, held by the window it begins in.
    period: { start: start + 22 * HOUR, end: start + 30 * HOUR },
    reported: { ...reported, selfScore: 90 },
    measured: { standardHours: measured.runHours, ...measured },
  };
}

const reports: MeasuredReport[] = [
  report('E2', 'S1', 0, { units: 100, runHours: 7, defectiveUnits: 1 }, { units: 100, runHours: 7, defectiveUnits: 1 }),
  report('E1', 'S1', 0, { units: 130, runHours: 8, defectiveUnits: 0 }, { units: 100, runHours: 7.5, defectiveUnits: 2 }),
  report('E1', 'S2', 1, { units: 50, runHours: 2, defectiveUnits: 0 }, { units: 40, runHours: 2, defectiveUnits: 0 }),
  report('E3', 'S1', 0, { units: 90, runHours: 6, defectiveUnits: 0 }, { units: 90, runHours: 6, defectiveUnits: 0 }),
  report('E4', 'S2', 0, { units: 10, runHours: 1, defectiveUnits: 0 }, { units: 10, runHours: 1, defectiveUnits: 0 }),
];

test("per employee, the reports summed beside what was measured over each report's own period, at the station with the most time", () => {
  expect(reportedTotals(reports)).toEqual([
    {
      employeeId: 'E1',
      stationId: 'S1',
      reports: 2,
      units: { reported: 180, measured: 140 },
      runHours: { reported: 10, measured: 9.5 },
      defectiveUnits: { reported: 0, measured: 2 },
    },
    {
      employeeId: 'E2',
      stationId: 'S1',
      reports: 1,
      units: { reported: 100, measured: 100 },
      runHours: { reported: 7, measured: 7 },
      defectiveUnits: { reported: 1, measured: 1 },
    },
    expect.objectContaining({ employeeId: 'E3', reports: 1 }),
    expect.objectContaining({ employeeId: 'E4', stationId: 'S2' }),
  ]);
  expect(reportedTotals([])).toEqual([]);
});

test("a flagged employee's reports beside the medians of the station's reports in the same window, all measured over their periods", () => {
  expect(reportsBesidePeers(reports, ['E1'])).toEqual([
    {
      employeeId: 'E1',
      stationId: 'S1',
      windowStart: MIDNIGHT,
      windowEnd: MIDNIGHT + 24 * HOUR,
      // E1, E2 and E3 at S1 that day; E4 is at S2.
      peerCount: 3,
      units: { reported: 130, measured: 100, peers: 100 },
      runHours: { reported: 8, measured: 7.5, peers: 7 },
      defectiveUnits: { reported: 0, measured: 2, peers: 1 },
      selfScore: 90,
    },
    {
      employeeId: 'E1',
      stationId: 'S2',
      windowStart: MIDNIGHT + 24 * HOUR,
      windowEnd: MIDNIGHT + 48 * HOUR,
      peerCount: 1,
      units: { reported: 50, measured: 40, peers: 40 },
      runHours: { reported: 2, measured: 2, peers: 2 },
      defectiveUnits: { reported: 0, measured: 0, peers: 0 },
      selfScore: 90,
    },
  ]);
  expect(reportsBesidePeers(reports, [])).toEqual([]);
});
