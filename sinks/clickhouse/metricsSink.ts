import { createHash } from 'node:crypto';
import { TupleParam } from '@clickhouse/client';
import type { Logger } from '../../core/logger.js';
import type { EmployeeWindowRow } from '../../processors/employeeWindow.js';
import type { WindowKey } from '../../processors/partitionTask.js';
import type { ClickHouseClient } from './client.js';
import { retrying } from './retry.js';
import { fromClickHouseTime, toClickHouseTime } from './time.js';

export const METRICS_TABLE = 'employee_window_metrics';
const LOOKUP_CHUNK = 2000;

/** A place rows go to. `write` resolves once the rows are durable; the same token twice writes once. */
export interface Sink<Row> {
  write(rows: readonly Row[], token: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A deterministic token for a batch: a row is identified by its key and the
 * events it holds, so the same rows give the same token and ClickHouse drops a
 * retried insert.
 */
export function batchToken(rows: readonly EmployeeWindowRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.employee_id}\u0000${row.window_start}\u0000${row.event_ids.join('\u0001')}\n`);
  return hash.digest('hex');
}

/**
 * Writes employee-window rows to kpi.employee_window_metrics and reads the
 * current version of rows back (a processor restores closed windows from them).
 * Retriable failures are retried with capped exponential backoff until they
 * succeed or `signal` aborts; others throw a non-retriable SinkError.
 */
export class ClickHouseMetricsSink implements Sink<EmployeeWindowRow> {
  private inserts = 0;
  private rowsWritten = 0;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly log: Logger,
    private readonly signal?: AbortSignal,
  ) {}

  get stats(): { inserts: number; rows: number } {
    return { inserts: this.inserts, rows: this.rowsWritten };
  }

  async write(rows: readonly EmployeeWindowRow[], token: string): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map(toClickHouseRow);
    await retrying(this.log, `inserting ${rows.length} rows into ${METRICS_TABLE}`, this.signal, () =>
      this.client.insert({
        table: METRICS_TABLE,
        values,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: token },
      }),
    );
    this.inserts += 1;
    this.rowsWritten += rows.length;
  }

  /** The current rows of the given keys (those that exist). */
  async current(keys: readonly WindowKey[]): Promise<EmployeeWindowRow[]> {
    const rows: EmployeeWindowRow[] = [];
    // Parameters travel in the URL, so keys go in chunks well under its size limit.
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const chunk = keys.slice(i, i + LOOKUP_CHUNK);
      const result = await retrying(this.log, `reading ${chunk.length} rows of ${METRICS_TABLE}`, this.signal, async () => {
        const resultSet = await this.client.query({
          query: `SELECT * FROM ${METRICS_TABLE} FINAL WHERE (employee_id, window_start) IN {keys:Array(Tuple(String, DateTime64(3, 'UTC')))}`,
          query_params: { keys: chunk.map((k) => new TupleParam([k.employeeId, toClickHouseTime(k.windowStart)])) },
          format: 'JSONEachRow',
        });
        return resultSet.json<Record<string, unknown>>();
      });
      rows.push(...result.map(fromClickHouseRow));
    }
    return rows;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export function toClickHouseRow(row: EmployeeWindowRow): Record<string, unknown> {
  return {
    ...row,
    window_start: toClickHouseTime(row.window_start),
    window_end: toClickHouseTime(row.window_end),
    report_submitted_time: row.report_submitted_time === null ? null : toClickHouseTime(row.report_submitted_time),
  };
}

const num = (value: unknown): number => Number(value);
const nullableNum = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function fromClickHouseRow(r: Record<string, unknown>): EmployeeWindowRow {
  const mapOf = (value: unknown) => Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Number(v)]));
  return {
    employee_id: String(r.employee_id),
    window_start: fromClickHouseTime(String(r.window_start)),
    window_end: fromClickHouseTime(String(r.window_end)),
    units: num(r.units),
    standard_hours: num(r.standard_hours),
    run_hours: num(r.run_hours),
    efficiency: nullableNum(r.efficiency),
    units_inspected: num(r.units_inspected),
    units_defective: num(r.units_defective),
    defect_rate: nullableNum(r.defect_rate),
    feedback_count: num(r.feedback_count),
    complaints: num(r.complaints),
    satisfaction_avg: nullableNum(r.satisfaction_avg),
    reported_units: nullableNum(r.reported_units),
    reported_run_hours: nullableNum(r.reported_run_hours),
    reported_defective_units: nullableNum(r.reported_defective_units),
    self_score: nullableNum(r.self_score),
    station_id: String(r.station_id),
    idle_hours: num(r.idle_hours),
    down_hours: num(r.down_hours),
    version: num(r.version),
    standard_ms: num(r.standard_ms),
    run_ms: num(r.run_ms),
    idle_ms: num(r.idle_ms),
    down_ms: num(r.down_ms),
    satisfaction_milli: num(r.satisfaction_milli),
    station_weights: mapOf(r.station_weights),
    report_submitted_time: r.report_submitted_time === null || r.report_submitted_time === undefined ? null : fromClickHouseTime(String(r.report_submitted_time)),
    report_event_id: String(r.report_event_id ?? ''),
    event_ids: (r.event_ids as string[] | undefined) ?? [],
  };
}
