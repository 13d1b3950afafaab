import type { ClickHouseClient } from '../client.js';
import { toClickHouseTime } from '../time.js';
import { WINDOW_METRICS_VIEW } from './windowMetrics.js';

/** One station's measured figures over a range of windows, each ratio from the sums (never a mean of ratios). */
export interface StationFigures {
  readonly stationId: string;
  readonly employees: number;
  readonly units: number;
  readonly efficiency: number | null;
  readonly defectRate: number | null;
  readonly oee: { readonly availability: number | null; readonly performance: number | null; readonly quality: number | null; readonly value: number | null };
}

/** Every station's figures over the current rows of the windows that start in [from, to), by station id. */
export async function readStationFigures(client: ClickHouseClient, range: { from: number; to: number }): Promise<StationFigures[]> {
  const result = await client.query({
    query: `SELECT station_id, uniqExact(employee_id) AS employees, sum(units) AS units,
                   sum(run_hours) / nullIf(sum(run_hours + idle_hours + down_hours), 0) AS availability,
                   sum(standard_hours) / nullIf(sum(run_hours), 0) AS performance,
                   (sum(units_inspected) - sum(units_defective)) / nullIf(sum(units_inspected), 0) AS quality,
                   sum(units_defective) / nullIf(sum(units_inspected), 0) AS defect_rate
            FROM ${WINDOW_METRICS_VIEW}
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')} AND station_id != ''
            GROUP BY station_id ORDER BY station_id`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  const num = (v: unknown) => (v === null ? null : Number(v));
  return (await result.json<Record<string, unknown>>()).map((r) => {
    const [availability, performance, quality] = [num(r.availability), num(r.performance), num(r.quality)];
    return {
      stationId: String(r.station_id),
      employees: Number(r.employees),
      units: Number(r.units),
      efficiency: performance,
      defectRate: num(r.defect_rate),
      oee: {
        availability,
        performance,
        quality,
        value: availability === null || performance === null || quality === null ? null : availability * performance * quality,
      },
    };
  });
}
