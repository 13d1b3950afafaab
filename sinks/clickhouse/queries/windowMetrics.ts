import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
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
import { ConfigError } from '../../../core/errors.js';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import type { KpiCatalog } from '../../../kpis/catalog.js';
import type { ClickHouseClient } from '../client.js';
import { deduplicationSettings, insertToken } from '../insert.js';
import { RowBinaryTypeError, RowBinaryWriter, codecOf, readRowsWithNamesAndTypes } from '../rowBinary.js';
import { toClickHouseTime } from '../time.js';
import { assignmentAtStart } from './assignments.js';

/** kpi.employee_window_metrics: one versioned row per employee-window (migration 0001 and the KPIs' migrations). */
export const WINDOW_METRICS_TABLE = 'employee_window_metrics';
/** The view BI tools read: the current version of every row, public columns only. */
export const WINDOW_METRICS_VIEW = 'employee_window_metrics_current';

/** ClickHouse inserts into at most 100 partitions (months) at once by default (max_partitions_per_insert_block). */
const MONTHS_PER_INSERT = 100;
/** Keys per lookup: parameters travel in the URL, so keys go in chunks well under its size limit. */
const LOOKUP_CHUNK = 2000;

/** A column of the table and its ClickHouse type. */
export interface TableColumn {
  readonly name: string;
  readonly type: string;
}

/** The columns of kpi.employee_window_metrics as the table has them now (migrations and KPIs included). */
export async function windowTableColumns(client: ClickHouseClient): Promise<TableColumn[]> {
  const result = await client.query({
    query: 'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String} ORDER BY position',
    query_params: { table: WINDOW_METRICS_TABLE },
    format: 'JSONEachRow',
  });
  return result.json<TableColumn>();
}

/** How each core column of a row is taken from a WindowRow (KPI columns come from `values`). */
const CORE_VALUES: Readonly<Record<string, (row: WindowRow) => unknown>> = {
  employee_id: (r) => r.employee_id,
  window_start: (r) => r.window_start,
  window_end: (r) => r.window_end,
  plant_day: (r) => r.plant_day,
  shift: (r) => r.shift,
  crew: (r) => r.crew,
  station_id: (r) => r.station_id,
  version: (r) => r.version,
  reported_units: (r) => r.reported_units,
  reported_run_hours: (r) => r.reported_run_hours,
  reported_defective_units: (r) => r.reported_defective_units,
  self_score: (r) => r.self_score,
  report_submitted_time: (r) => r.report_submitted_time,
  report_event_id: (r) => r.report_event_id,
  report_period_start: (r) => r.report_period_start,
  report_period_end: (r) => r.report_period_end,
  station_weights: (r) => r.station_weights,
  event_keys: (r) => r.event_keys,
  event_digests: (r) => r.event_digests,
  hourly: (r) => r.hourly, // Tuple(hour, measures): each hour by element name
};

/**
 * The columns rows fill, in the table's order, with their codecs. A KPI
 * column of a type RowBinary cannot be written in here (they are numbers:
 * UInt64 measures, Float64 columns) throws ConfigError naming KPI_EXTENSIONS.
 */
export function writtenColumns(table: readonly TableColumn[], catalog: KpiCatalog) {
  const kpiColumns = new Set(catalog.valueColumns);
  return table.flatMap(({ name, type }) => {
    const value = CORE_VALUES[name] ?? (kpiColumns.has(name) ? (r: WindowRow) => r.values[name] ?? null : undefined);
    if (!value) return [];
    try {
      return [{ name, codec: codecOf(type), value }];
    } catch (error) {
      if (!(error instanceof RowBinaryTypeError)) throw error;
      throw new ConfigError('KPI_EXTENSIONS', `column ${name} of ${WINDOW_METRICS_TABLE} is ${type}: a KPI's columns must be numbers (${error.message})`);
    }
  });
}

/** The writer every insert of window rows is encoded in (synchronously, then copied out): its buffer grows to the largest insert once. */
const rowWriter = new RowBinaryWriter();

/** Rows of one INSERT, encoded: the statement and its RowBinary data. */
export interface EncodedInsert {
  readonly query: string;
  readonly data: Buffer;
  readonly rows: number;
}

/**
 * Encodes rows for insertion in RowBinary, in the table's own column types:
 * the core columns and the catalog's KPI columns that the table has (a
 * column it lacks is not written; one rows do not fill, like the legacy
 * event_ids, keeps its default). One insert per hundred months (the table is
 * partitioned by month). Synchronous: the runner counts it as the encode stage.
 */
export function encodeWindowRows(table: readonly TableColumn[], catalog: KpiCatalog, rows: readonly WindowRow[]): EncodedInsert[] {
  const columns = writtenColumns(table, catalog);
  const byMonth = new Map<number, WindowRow[]>();
  for (const row of rows) {
    const start = new Date(row.window_start);
    const month = start.getUTCFullYear() * 12 + start.getUTCMonth();
    let list = byMonth.get(month);
    if (!list) byMonth.set(month, (list = []));
    list.push(row);
  }
  const months = [...byMonth.keys()].sort((a, b) => a - b);
  const query = `INSERT INTO ${WINDOW_METRICS_TABLE} (${columns.map((c) => c.name).join(', ')}) FORMAT RowBinary`;
  const inserts: EncodedInsert[] = [];
  for (let i = 0; i < months.length; i += MONTHS_PER_INSERT) {
    const chunk = months.slice(i, i + MONTHS_PER_INSERT).flatMap((month) => byMonth.get(month)!);
    const writer = rowWriter;
    writer.reset();
    for (const row of chunk) for (const column of columns) column.codec.write(writer, column.value(row));
    inserts.push({ query, data: writer.bytes(), rows: chunk.length });
  }
  return inserts;
}

/**
 * Runs encoded inserts, each with a deduplication token derived from the
 * batch's (the rows' keys and the events in them: processors/checkpoint.ts
 * batchToken), the columns written and its place in the batch: the same for
 * the same rows, so a retried write still writes once (sinks/clickhouse/insert.ts
 * has the argument).
 */
export async function insertEncoded(client: ClickHouseClient, inserts: readonly EncodedInsert[], token: string): Promise<void> {
  for (const [i, insert] of inserts.entries()) {
    const { stream } = await client.exec({
      query: insert.query,
      values: Readable.from([insert.data]),
      clickhouse_settings: deduplicationSettings(insertToken(WINDOW_METRICS_TABLE, [token, insert.query, i])),
    });
    stream.resume();
    await finished(stream);
  }
}

/**
 * The current rows of the keys that have one, times as epoch ms, measures and
 * KPI columns by name, read in RowBinaryWithNamesAndTypes. Rows written
 * before events were fingerprinted list event ids instead: each is given the
 * fingerprint of every kind, as ids were deduplicated across kinds then.
 */
export async function readWindowRows(client: ClickHouseClient, catalog: KpiCatalog, keys: readonly WindowKey[]): Promise<WindowRow[]> {
  const found: WindowRow[] = [];
  const valueColumns = catalog.valueColumns;
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK);
    const { stream } = await client.exec({
      query: `SELECT employee_id, toUnixTimestamp64Milli(window_start) AS window_start_ms, toUnixTimestamp64Milli(window_end) AS window_end_ms,
                     toString(plant_day) AS plant_date, shift, crew,
                     station_id, version, reported_units, reported_run_hours, reported_defective_units, self_score,
                     toUnixTimestamp64Milli(report_submitted_time) AS report_submitted_ms, report_event_id, station_weights,
                     toUnixTimestamp64Milli(report_period_start) AS report_period_start_ms, toUnixTimestamp64Milli(report_period_end) AS report_period_end_ms,
                     arrayMap(h -> toUnixTimestamp64Milli(h.hour), hourly) AS hour_starts, arrayMap(h -> h.measures, hourly) AS hour_measures,
                     event_ids, event_keys, event_digests, ${valueColumns.join(', ')}
              FROM ${WINDOW_METRICS_TABLE} FINAL
              WHERE (employee_id, window_start) IN {keys:Array(Tuple(String, DateTime64(3, 'UTC')))}
              FORMAT RowBinaryWithNamesAndTypes`,
      query_params: { keys: chunk.map((k) => new TupleParam([k.employeeId, toClickHouseTime(k.windowStart)])) },
    });
    const chunks: Buffer[] = [];
    for await (const data of stream) chunks.push(data as Buffer);
    for (const r of readRowsWithNamesAndTypes(Buffer.concat(chunks))) found.push(fromColumns(r, valueColumns));
  }
  return found;
}

const nullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function fromColumns(r: Record<string, unknown>, valueColumns: readonly string[]): WindowRow {
  const weights = (r.station_weights ?? {}) as Record<string, number>;
  const legacyIds = (r.event_ids as string[] | undefined) ?? [];
  const keys = (r.event_keys as number[] | undefined) ?? [];
  const digests = (r.event_digests as number[] | undefined) ?? [];
  for (const id of legacyIds) {
    for (const kind of EVENT_KINDS) {
      keys.push(eventKeyOf(kind, id));
      digests.push(0);
    }
  }
  const hourMeasures = (r.hour_measures as Record<string, number>[] | undefined) ?? [];
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
    station_weights: weights,
    event_keys: keys,
    event_digests: digests,
    values: Object.fromEntries(valueColumns.map((c) => [c, nullableNumber(r[c])])),
    hourly: ((r.hour_starts as number[] | undefined) ?? []).map((hour, i) => ({ hour, measures: hourMeasures[i] ?? {} })),
  };
}

/**
 * The view BI tools query: the current row of every key with the contract's
 * columns first, then the station, the version and every KPI column. Made
 * anew by `migrate` whenever the KPIs change. It reads its table as the user
 * who made it (SQL SECURITY DEFINER), so a BI user needs a grant on the view only.
 */
export function currentViewStatement(catalog: KpiCatalog): string {
  const columns = [...new Set<string>([...CONTRACT_COLUMNS, 'plant_day', 'shift', 'crew', 'station_id', 'version', ...catalog.publicColumns])];
  // The plant and team as of the window's start (empty where no assignment holds then, assignments.ts).
  // A late assignment changes the view, not the rows.
  const assignment = assignmentAtStart('w', 'window_start');
  return `CREATE OR REPLACE VIEW ${WINDOW_METRICS_VIEW} SQL SECURITY DEFINER AS
SELECT
    ${columns.map((c) => `w.${c} AS ${c}`).join(', ')},
    dateDiff('millisecond', w.window_start, w.window_end) / 3600000 AS window_hours,
    w.report_period_start AS report_period_start, w.report_period_end AS report_period_end,
    if(${assignment.holds}, a.plant_id, '') AS plant_id,
    if(${assignment.holds}, a.team_id, '') AS team_id
FROM ${WINDOW_METRICS_TABLE} AS w FINAL
${assignment.join}`;
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

/** The latest window_start of any row in the table (every version), or null when it is empty. */
export async function latestWindowStart(client: ClickHouseClient): Promise<number | null> {
  const result = await client.query({
    query: `SELECT toUnixTimestamp64Milli(max(window_start)) AS latest_ms, count() AS n FROM ${WINDOW_METRICS_TABLE}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ latest_ms: number; n: number }>();
  return !row || Number(row.n) === 0 ? null : Number(row.latest_ms);
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

/** One person's current window rows, oldest first, times in ISO 8601: what the app shows them of themselves. */
export async function readWindowsOf(client: ClickHouseClient, employeeId: string): Promise<Record<string, unknown>[]> {
  const result = await client.query({
    query: `SELECT * FROM ${WINDOW_METRICS_VIEW} WHERE employee_id = {employee:String} ORDER BY window_start`,
    query_params: { employee: employeeId },
    format: 'JSONEachRow',
    clickhouse_settings: { date_time_output_format: 'iso' },
  });
  return result.json<Record<string, unknown>>();
}
