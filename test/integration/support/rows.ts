import type { WindowRow } from '../../../contract/windowRow.js';
import type { KpiCatalog } from '../../../kpis/catalog.js';
import { newEmployeeWindow, toRow, type SelfReportFigures } from '../../../processors/employeeWindow.js';

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
  const state = newEmployeeWindow(catalog, row.employee, {
    start: row.start,
    end: row.end,
    plantDay: new Date(row.start).toISOString().slice(0, 10),
    shift: '',
    crew: '',
  });
  for (const [name, value] of Object.entries(row.measures)) {
    const slot = catalog.measures.findIndex((m) => m.name === name);
    if (slot < 0) throw new Error(`no measure ${name}`);
    state.measures[slot] = value;
  }
  state.hours.set(row.start, Float64Array.from(state.measures));
  state.stations.push(row.station);
  state.stationWeights.push(1);
  state.report = row.report ? { ...row.report, periodStart: row.start, periodEnd: row.end } : null;
  const events = row.events ?? 1;
  for (let i = 0; i < events; i += 1) state.events.add(i + 1, 0);
  state.version = events;
  return toRow(catalog, state);
}
