import type { KpiCatalog } from '../../../kpis/catalog.js';
import type { Measures } from '../../../kpis/definition.js';
import type { ClickHouseClient } from '../client.js';
import { toClickHouseTime } from '../time.js';
import { WINDOW_METRICS_TABLE } from './windowMetrics.js';

/** A self-report beside what was measured over its own period, from the hourly measures of every window the period spans. */
export interface ReportedPeriod {
  readonly employeeId: string;
  readonly stationId: string;
  /** The window whose row holds the report (the one containing its period start). */
  readonly window: { readonly start: number; readonly end: number };
  /** The period the report covers. */
  readonly period: { readonly start: number; readonly end: number };
  readonly reported: { readonly units: number; readonly runHours: number; readonly defectiveUnits: number; readonly selfScore: number | null };
  /** Every measure of the catalog, summed over the local hours that begin within the period. */
  readonly measures: Measures;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The self-reports of the windows that start in [from, to), each with the
 * measures of the hours of its period. Hours are local hours of `timeZone`
 * (the processors keep measures per local hour): a period summed is the hours
 * that begin in it, so a period that starts at 05:45 counts from 05:00.
 */
export async function readReportedPeriods(
  client: ClickHouseClient,
  catalog: KpiCatalog,
  range: { from: number; to: number; timeZone: string },
): Promise<ReportedPeriod[]> {
  const result = await client.query({
    query: `
      WITH reports AS (
          SELECT employee_id, station_id,
                 toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms,
                 toUnixTimestamp64Milli(report_period_start) AS period_start_ms, toUnixTimestamp64Milli(report_period_end) AS period_end_ms,
                 reported_units, reported_run_hours, reported_defective_units, self_score,
                 toInt64(toUnixTimestamp(toStartOfHour(report_period_start, {tz:String}))) * 1000 AS first_hour_ms,
                 arrayJoin(arrayMap(i -> first_hour_ms + toInt64(i) * ${HOUR}, range(toUInt32(greatest(1, ceil((period_end_ms - first_hour_ms) / ${HOUR})))))) AS hour_ms
          FROM ${WINDOW_METRICS_TABLE} FINAL
          WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')} AND report_period_start IS NOT NULL
      ),
      hours AS (
          SELECT employee_id, toUnixTimestamp64Milli(h.hour) AS hour_ms, h.measures AS measures
          FROM ${WINDOW_METRICS_TABLE} FINAL
          ARRAY JOIN hourly AS h
          WHERE window_start >= {hoursFrom:DateTime64(3, 'UTC')} AND window_start < {hoursTo:DateTime64(3, 'UTC')}
      )
      SELECT r.employee_id AS employee_id, any(r.station_id) AS station, r.window_start_ms AS window_start_ms, any(r.window_end_ms) AS window_end_ms,
             any(r.period_start_ms) AS period_start_ms, any(r.period_end_ms) AS period_end_ms,
             any(r.reported_units) AS reported_units, any(r.reported_run_hours) AS reported_run_hours,
             any(r.reported_defective_units) AS reported_defective_units, any(r.self_score) AS reported_self_score,
             sumMap(h.measures) AS period_measures
      FROM reports AS r
      LEFT JOIN hours AS h ON h.employee_id = r.employee_id AND h.hour_ms = r.hour_ms
      GROUP BY r.employee_id, r.window_start_ms`,
    query_params: {
      tz: range.timeZone,
      from: toClickHouseTime(range.from),
      to: toClickHouseTime(range.to),
      // A report's period may begin in its window and end up to a day and a half later.
      hoursFrom: toClickHouseTime(range.from - 2 * DAY),
      hoursTo: toClickHouseTime(range.to + 2 * DAY),
    },
    format: 'JSONEachRow',
  });
  const names = catalog.measures.map((m) => m.name);
  return (await result.json<Record<string, unknown>>()).map((r) => {
    const summed = (r.period_measures ?? {}) as Record<string, unknown>;
    return {
      employeeId: String(r.employee_id),
      stationId: String(r.station),
      window: { start: Number(r.window_start_ms), end: Number(r.window_end_ms) },
      period: { start: Number(r.period_start_ms), end: Number(r.period_end_ms) },
      reported: {
        units: Number(r.reported_units),
        runHours: Number(r.reported_run_hours),
        defectiveUnits: Number(r.reported_defective_units),
        selfScore: r.reported_self_score === null ? null : Number(r.reported_self_score),
      },
      measures: Object.fromEntries(names.map((n) => [n, Number(summed[n] ?? 0)])),
    };
  });
}
