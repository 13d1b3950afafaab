import type { WindowRow } from '../../../contract/windowRow.js';
import type { KpiCatalog } from '../../../kpis/catalog.js';
import { fromRow, toRow, type SelfReportFigures } from '../../../processors/employeeWindow.js';

/**
 * A window row with the given measures (by name), station and self-report, as
 * if its events had been applied, all within the window's first hour.
 */
export function windowRowWith(
  catalog: KpiCatalog,
  row: {
    employee: string;
    start: number;
    end: number;
    station: string;
    measures: Record<string, number>;
    report?: Omit<SelfReportFigures, 'periodStart' | 'periodEnd'>;
    events?: number;
  },
): WindowRow {
  const measures: Record<string, number> = Object.fromEntries(catalog.measures.map((m) => [m.name, 0]));
  for (const [name, value] of Object.entries(row.measures)) {
    if (!(name in measures)) throw new Error(`no measure ${name}`);
    measures[name] = value;
  }
  const events = row.events ?? 1;
  const report = row.report;
  // Through the aggregate and back, so the row is exactly what a processor would write for that state.
  return toRow(
    catalog,
    fromRow(catalog, {
      employee_id: row.employee,
      window_start: row.start,
      window_end: row.end,
      plant_day: new Date(row.start).toISOString().slice(0, 10),
      shift: '',
      crew: '',
      station_id: row.station,
      version: events,
      reported_units: report ? report.units : null,
      reported_run_hours: report ? report.runHours : null,
      reported_defective_units: report ? report.defectiveUnits : null,
      self_score: report ? report.selfScore : null,
      report_submitted_time: report ? report.submittedTime : null,
      report_event_id: report ? report.eventId : '',
      report_period_start: report ? row.start : null,
      report_period_end: report ? row.end : null,
      station_weights: { [row.station]: 1 },
      event_keys: Array.from({ length: events }, (_, i) => i + 1),
      event_digests: new Array<number>(events).fill(0),
      values: catalog.valuesOf(measures),
      hourly: [{ hour: row.start, measures: Object.fromEntries(Object.entries(measures).filter(([, v]) => v !== 0)) }],
    }),
  );
}
