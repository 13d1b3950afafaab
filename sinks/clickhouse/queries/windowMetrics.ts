import { TupleParam } from '@clickhouse/client';
import {
  CONTRACT_COLUMNS,
  eventKeyOf,
  PLANT_TIME_COLUMNS,
  type EmployeeWindowMetrics,
  type PlantTimeColumns,
  type WindowKey,
  type WindowRow,
} from '../../../contract/windowRow.js';
import type { WindowSnapshot } from '../../../contract/windowSnapshot.js';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import type { KpiCatalog } from '../../../kpis/catalog.js';
import type { ClickHouseClient } from '../client.js';
import { toClickHouseTime } from '../time.js';

/** kpi.employee_window_metrics: one versioned row per employee-window (migration 0001 and the KPIs' migrations). */
export const WINDOW_METRICS_TABLE = 'employee_window_metrics';
/** The view BI tools read: the current version of every row, public columns only. */
export const WINDOW_METRICS_VIEW = 'employee_window_metrics_current';

/** ClickHouse inserts into at most 100 partitions (months) at once by default (max_partitions_per_insert_block). */
const MONTHS_PER_INSERT = 100;
/** Keys per lookup: parameters travel in the URL, so keys go in chunks well under its size limit. */
const LOOKUP_CHUNK = 2000;

const monthOf = (ms: number) => toClickHouseTime(ms).slice(0, 7);

/**
 * Inserts rows with a deduplication token, in as many inserts as their months
 * need (the table is partitioned by month): token `T` becomes `T`, `T:1` …,
 * the same for the same rows, so a retried write still writes once.
 */
export async function insertWindowRows(client: ClickHouseClient, rows: readonly WindowRow[], token: string): Promise<number> {
  const byMonth = new Map<string, WindowRow[]>();
  for (const row of rows) {
    const month = monthOf(row.window_start);
    let list = byMonth.get(month);
    if (!list) byMonth.set(month, (list = []));
    list.push(row);
  }
  const months = [...byMonth.keys()].sort();
  let inserts = 0;
  for (let i = 0; i < months.length; i += MONTHS_PER_INSERT) {
    const chunk = months.slice(i, i + MONTHS_PER_INSERT).flatMap((month) => byMonth.get(month)!);
    await client.insert({
      table: WINDOW_METRICS_TABLE,
      values: chunk.map(toColumns),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: i === 0 ? token : `${token}:${i / MONTHS_PER_INSERT}` },
    });
    inserts += 1;
  }
  return inserts;
}

function toColumns(row: WindowRow): Record<string, unknown> {
  return {
    ...row.values,
    employee_id: row.employee_id,
    window_start: toClickHouseTime(row.window_start),
    window_end: toClickHouseTime(row.window_end),
    plant_day: row.plant_day,
    shift: row.shift,
    crew: row.crew,
    station_id: row.station_id,
    version: row.version,
    reported_units: row.reported_units,
    reported_run_hours: row.reported_run_hours,
    reported_defective_units: row.reported_defective_units,
    self_score: row.self_score,
    report_submitted_time: row.report_submitted_time === null ? null : toClickHouseTime(row.report_submitted_time),
    report_event_id: row.report_event_id,
    report_period_start: row.report_period_start === null ? null : toClickHouseTime(row.report_period_start),
    report_period_end: row.report_period_end === null ? null : toClickHouseTime(row.report_period_end),
    hourly: row.hourly.map((h) => ({ hour: toClickHouseTime(h.hour), measures: h.measures })),
    station_weights: row.station_weights,
    event_keys: row.event_keys,
    event_digests: row.event_digests,
  };
}

/**
 * The current rows of the keys that have one, times as epoch ms, measures and
 * KPI columns by name. Rows written before events were fingerprinted list
 * event ids instead: each is given the fingerprint of every kind, as ids were
 * deduplicated across kinds then.
 */
export async function readWindowRows(client: ClickHouseClient, catalog: KpiCatalog, keys: readonly WindowKey[]): Promise<WindowRow[]> {
  const found: WindowRow[] = [];
  const valueColumns = catalog.valueColumns;
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK);
    const result = await client.query({
      query: `SELECT employee_id, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms,
                     toString(plant_day) AS plant_date, shift, crew,
                     station_id, version, reported_units, reported_run_hours, reported_defective_units, self_score,
                     toUnixTimestamp64Milli(report_submitted_time) AS report_submitted_ms, report_event_id, station_weights,
                     toUnixTimestamp64Milli(report_period_start) AS report_period_start_ms, toUnixTimestamp64Milli(report_period_end) AS report_period_end_ms,
                     arrayMap(h -> toUnixTimestamp64Milli(h.hour), hourly) AS hour_starts, arrayMap(h -> h.measures, hourly) AS hour_measures,
                     event_ids, event_keys, event_digests, ${valueColumns.join(', ')}
              FROM ${WINDOW_METRICS_TABLE} FINAL
              WHERE (employee_id, window_start) IN {keys:Array(Tuple(String, DateTime64(3, 'UTC')))}`,
      query_params: { keys: chunk.map((k) => new TupleParam([k.employeeId, toClickHouseTime(k.windowStart)])) },
      format: 'JSONEachRow',
    });
    for (const r of await result.json<Record<string, unknown>>()) found.push(fromColumns(r, valueColumns));
  }
  return found;
}

const nullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function fromColumns(r: Record<string, unknown>, valueColumns: readonly string[]): WindowRow {
  const weights = (r.station_weights ?? {}) as Record<string, unknown>;
  const legacyIds = (r.event_ids as string[] | undefined) ?? [];
  const keys = ((r.event_keys as unknown[] | undefined) ?? []).map(Number);
  const digests = ((r.event_digests as unknown[] | undefined) ?? []).map(Number);
  for (const id of legacyIds) {
    for (const kind of EVENT_KINDS) {
      keys.push(eventKeyOf(kind, id));
      digests.push(0);
    }
  }
  const hourMeasures = (r.hour_measures as Record<string, unknown>[] | undefined) ?? [];
  return {
    employee_id: String(r.employee_id),
    window_start: Number(r.window_start_ms),
    window_end: Number(r.window_end_ms),
    plant_day: String(r.plant_date),
    shift: String(r.shift ?? ''),
    crew: String(r.crew ?? ''),
    station_id: String(r.station_id),
    version: Number(r.version),
    reported_units: nullableNumber(r.reported_units),
    reported_run_hours: nullableNumber(r.reported_run_hours),
    reported_defective_units: nullableNumber(r.reported_defective_units),
    self_score: nullableNumber(r.self_score),
    report_submitted_time: nullableNumber(r.report_submitted_ms),
    report_event_id: String(r.report_event_id ?? ''),
    report_period_start: nullableNumber(r.report_period_start_ms),
    report_period_end: nullableNumber(r.report_period_end_ms),
    station_weights: Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Number(v)])),
    event_keys: keys,
    event_digests: digests,
    values: Object.fromEntries(valueColumns.map((c) => [c, nullableNumber(r[c])])),
    hourly: ((r.hour_starts as unknown[] | undefined) ?? []).map((hour, i) => ({
      hour: Number(hour),
      measures: Object.fromEntries(Object.entries(hourMeasures[i] ?? {}).map(([k, v]) => [k, Number(v)])),
    })),
  };
}

/**
 * The view BI tools query: the current row of every key with the contract's
 * columns first, then the station, the version and every KPI column. Made
 * anew by `migrate` whenever the KPIs change.
 */
export function currentViewStatement(catalog: KpiCatalog): string {
  const columns = [...new Set<string>([...CONTRACT_COLUMNS, 'plant_day', 'shift', 'crew', 'station_id', 'version', ...catalog.publicColumns])];
  return `CREATE OR REPLACE VIEW ${WINDOW_METRICS_VIEW} AS
SELECT
    ${columns.join(', ')},
    dateDiff('millisecond', window_start, window_end) / 3600000 AS window_hours,
    report_period_start, report_period_end
FROM ${WINDOW_METRICS_TABLE} FINAL`;
}

/** The view of measures per employee and local hour: one row per hour with events, every measure a column. */
export const HOUR_METRICS_VIEW = 'employee_hour_metrics';

/** The hourly view, over the current rows; made anew by `migrate` with the KPIs' measures. */
export function hourViewStatement(catalog: KpiCatalog): string {
  const measures = catalog.measures.map((m) => `h.measures['${m.name}'] AS ${m.name}`);
  return `CREATE OR REPLACE VIEW ${HOUR_METRICS_VIEW} AS
SELECT employee_id, window_start, plant_day, shift, station_id, h.hour AS hour_start, ${measures.join(', ')}
FROM ${WINDOW_METRICS_TABLE} FINAL
ARRAY JOIN hourly AS h`;
}

/** The contract and plant-time columns of the current rows whose window starts in [from, to], times as epoch ms. */
export async function readCurrentMetrics(client: ClickHouseClient, range: { from: number; to: number }): Promise<(EmployeeWindowMetrics & PlantTimeColumns)[]> {
  const times = new Set<string>(['window_start', 'window_end', 'report_period_start', 'report_period_end']);
  const texts = new Set<string>(['employee_id', 'plant_day', 'shift', 'crew']);
  const names = [...CONTRACT_COLUMNS, ...PLANT_TIME_COLUMNS];
  // Times are selected as epoch ms under other names: an alias named like a column would replace it in WHERE.
  const columns = names.map((c) => (times.has(c) ? `toUnixTimestamp64Milli(${c}) AS ${c}_ms` : c === 'plant_day' ? 'toString(plant_day) AS plant_date' : c));
  const result = await client.query({
    query: `SELECT ${columns.join(', ')} FROM ${WINDOW_METRICS_VIEW}
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start <= {to:DateTime64(3, 'UTC')}`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map(
    (r) =>
      Object.fromEntries(
        names.map((c) => {
          const value = times.has(c) ? r[`${c}_ms`] : c === 'plant_day' ? r.plant_date : r[c];
          return [c, texts.has(c) || value === null ? value : Number(value)];
        }),
      ) as unknown as EmployeeWindowMetrics & PlantTimeColumns,
  );
}

/** The first window start and the last window end in the table; undefined when it is empty. */
export async function windowSpan(client: ClickHouseClient): Promise<{ from: number; to: number } | undefined> {
  const result = await client.query({
    query: `SELECT toUnixTimestamp64Milli(min(window_start)) AS first_ms, toUnixTimestamp64Milli(max(window_end)) AS last_ms, count() AS n FROM ${WINDOW_METRICS_TABLE}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ first_ms: number; last_ms: number; n: number }>();
  return !row || Number(row.n) === 0 ? undefined : { from: Number(row.first_ms), to: Number(row.last_ms) };
}

/** The current rows of the windows that start in [from, to) as window snapshots (what live alerting judges), oldest window first. */
export async function readWindowSnapshots(client: ClickHouseClient, catalog: KpiCatalog, range: { from: number; to: number }): Promise<WindowSnapshot[]> {
  const measures = catalog.measures.map((m) => m.name);
  const result = await client.query({
    query: `SELECT employee_id, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms,
                   station_id, version, reported_units, reported_run_hours, reported_defective_units, self_score,
                   toUnixTimestamp64Milli(written_at) AS written_ms, ${measures.join(', ')}
            FROM ${WINDOW_METRICS_TABLE} FINAL
            WHERE window_start >= {from:DateTime64(3, 'UTC')} AND window_start < {to:DateTime64(3, 'UTC')}
            ORDER BY window_start, employee_id`,
    query_params: { from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    employee_id: String(r.employee_id),
    window_start: Number(r.window_start_ms),
    window_end: Number(r.window_end_ms),
    station_id: String(r.station_id),
    version: Number(r.version),
    measures: Object.fromEntries(measures.map((m) => [m, Number(r[m] ?? 0)])),
    report:
      r.reported_units === null
        ? null
        : {
            units: Number(r.reported_units),
            run_hours: Number(r.reported_run_hours),
            defective_units: Number(r.reported_defective_units),
            self_score: nullableNumber(r.self_score),
          },
    observed_at: Number(r.written_ms),
  }));
}
