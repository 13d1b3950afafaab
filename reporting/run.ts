import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { writePrivateFile } from '../core/privateFiles.js';
import { measuredFigures } from '../detection/runner.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { modelsOf } from '../scoring/model.js';
import { sinkFailure, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { recordAccess, type AccessRequest } from '../sinks/clickhouse/queries/accessLog.js';
import {
  latestScoredPeriod,
  readEmployeeGrades,
  readFirstPlacements,
  readReportFlags,
  readStationCalibration,
  readStationDays,
  type GradePeriod,
} from '../sinks/clickhouse/queries/report.js';
import { MIN_GROUP_SIZE } from '../sinks/clickhouse/queries/groupMetrics.js';
import { readReportedPeriods } from '../sinks/clickhouse/queries/reports.js';
import { readDisputeFigures } from '../sinks/clickhouse/queries/reviews.js';
import { activeModelVersion, readModelRows } from '../sinks/clickhouse/queries/scoringModels.js';
import { windowSpan } from '../sinks/clickhouse/queries/windowMetrics.js';
import { buildFigures, flaggedEmployeeIds, type ReportFigures } from './figures.js';
import { renderHtml } from './html.js';
import { NO_NAMES, type Names } from './names.js';
import { reportedTotals, reportsBesidePeers, type MeasuredReport } from './reports.js';

export interface ReportOptions {
  /** The plant's name on the report (kpi-stream keeps one plant per ClickHouse database). */
  readonly plant: string;
  /** The grading period: scores and calibration by the plant's weeks or months. */
  readonly period: GradePeriod;
  /**
   * Windows that start in [from, to), graded by the periods that overlap it;
   * default: the latest period with scores, to the end of the data.
   */
  readonly from?: number;
  readonly to?: number;
  readonly names?: Names;
  /** The plant's time: its plant days name the range, and measured figures are kept per local hour of its zone. */
  readonly plantTime: PlantTime;
  /** The measures reports are judged by. */
  readonly catalog: KpiCatalog;
  /** Who reads the report and why: the report names people, so each one is written to the access log. */
  readonly access: AccessRequest;
}

/** The plant's clock as the report needs it (processors/windows.ts PlantClock is one). */
export interface PlantTime {
  /** KPI_TIME_ZONE. */
  readonly timeZone: string;
  /** The plant day an instant falls in, named by the local date it begins on (YYYY-MM-DD). */
  plantDateOf(ts: number): string;
}

export type ReportFormat = 'html' | 'json';

/**
 * Reads what a report shows from ClickHouse — the calibration and graded
 * scores of the periods, the stations' days, the self-reports beside what was
 * measured over their periods, the flags with their review status
 * (kpi.flags_current), each flagged employee's reports beside their peers',
 * and where each person belonged — and builds its figures, then writes the read to the
 * access log (kpi.access_log, action report_with_names).
 */
export async function readReport(client: ClickHouseClient, options: ReportOptions): Promise<ReportFigures> {
  try {
    const span = await windowSpan(client);
    if (!span)
      throw new ConfigError('CLICKHOUSE_DATABASE', 'its employee_window_metrics holds no windows yet: run the processors (and `kpi-stream score`) first');
    const to = options.to ?? span.to;
    const from = options.from ?? (await latestScoredPeriod(client, options.period, to));
    if (from === undefined)
      throw new ConfigError('--period', `no ${options.period}ly scores before ${new Date(to).toISOString()}: run \`kpi-stream score\` first`);
    if (from >= to) throw new ConfigError('--from', `must be before --to (${new Date(to).toISOString().slice(0, 10)})`);
    const range = { from, to };
    // Grades are by whole periods: those that overlap the range, the first one possibly starting before it.
    const grading = { period: options.period, from: (await latestScoredPeriod(client, options.period, from + 1)) ?? from, to };
    const version = await activeModelVersion(client);
    const model = modelsOf(await readModelRows(client, version), version).plant;
    // Every flag with its review status: withdrawn ones are counted, not listed (figures.ts).
    const anomalies = await readReportFlags(client, range);
    // Each report beside what was measured over its own period, as detection judges it (a night shift spans two midnight windows).
    const reports: MeasuredReport[] = (await readReportedPeriods(client, options.catalog, { ...range, timeZone: options.plantTime.timeZone })).map((r) => ({
      employeeId: r.employeeId,
      stationId: r.stationId,
      window: r.window,
      period: r.period,
      reported: r.reported,
      measured: measuredFigures(options.catalog, r.measures),
    }));
    const figures = buildFigures(
      {
        plant: options.plant,
        period: options.period,
        from,
        to,
        days: { first: options.plantTime.plantDateOf(from), last: options.plantTime.plantDateOf(to - 1) },
        generatedAt: Date.now(),
        model: { version, bands: model.bands, target: model.targetDistribution },
        calibration: await readStationCalibration(client, grading),
        grades: await readEmployeeGrades(client, grading),
        stationDays: await readStationDays(client, range),
        reported: reportedTotals(reports),
        anomalies,
        flaggedWindows: reportsBesidePeers(reports, flaggedEmployeeIds(anomalies)),
        placements: await readFirstPlacements(client, range),
        disputes: await readDisputeFigures(client, MIN_GROUP_SIZE, undefined, range),
      },
      options.names ?? NO_NAMES,
    );
    // Before the figures leave: a row for each person the report names (by id, and by name with a names file).
    const named = namedEmployees(figures);
    const details = {
      plant: options.plant,
      period: options.period,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      employees: named.length,
      names: figures.named,
    };
    await recordAccess(client, ...named.map((employeeId) => ({ ...options.access, action: 'report_with_names' as const, employeeId, details })));
    return figures;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw sinkFailure(error, 'reading the report');
  }
}

/** The people a report names, in order: those graded, those whose reports it sets beside what was measured, those flagged. */
function namedEmployees(figures: ReportFigures): string[] {
  return [...new Set([...figures.employees, ...figures.reportedVsMeasured, ...figures.anomalies].map((e) => e.employeeId))].sort();
}

/** The report in a format: the HTML page, or its figures as JSON. */
export function renderReport(figures: ReportFigures, format: ReportFormat): string {
  return format === 'html' ? renderHtml(figures) : `${JSON.stringify(figures, null, 2)}\n`;
}

/** Writes the report to `out` (making its folder), readable by its owner alone: it names people; returns the absolute path. */
export function writeReport(figures: ReportFigures, format: ReportFormat, out: string): string {
  const path = resolve(out);
  writePrivateFile(path, renderReport(figures, format));
  return path;
}
