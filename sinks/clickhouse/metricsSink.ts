import { createHash } from 'node:crypto';
import { TupleParam } from '@clickhouse/client';
import { SinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { EmployeeWindowRow } from '../../processors/employeeWindow.js';
import { sinkFailure, type ClickHouseClient } from './client.js';
import { fromClickHouseTime, toClickHouseTime } from './time.js';

export const METRICS_TABLE = 'employee_window_metrics';

/** A place rows go to. `write` resolves once the rows are durable; the same token twice writes once. */
export interface Sink<Row> {
  write(rows: readonly Row[], token: string): Promise<void>;
  close(): Promise<void>;
}

export interface WindowKey {
  employeeId: string;
  windowStart: number;
}

/** A deterministic token for a batch: the same rows give the same token, so a retried insert is dropped by ClickHouse. */
export function batchToken(rows: readonly EmployeeWindowRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.employee_id}\u0000${row.window_start}\u0000${row.version}\u0000${row.source_offsets.production ?? ''}\u0000${row.source_offsets.telemetry ?? ''}\u0000${row.source_offsets.inspection ?? ''}\u0000${row.source_offsets.feedback ?? ''}\u0000${row.source_offsets.selfReport ?? ''}\n`);
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
    private readonly options: { signal?: AbortSignal; maxBackoffMs?: number } = {},
  ) {}

  get stats(): { inserts: number; rows: number } {
    return { inserts: this.inserts, rows: this.rowsWritten };
  }

  async write(rows: readonly EmployeeWindowRow[], token: string): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map(toClickHouseRow);
    await this.retrying(`inserting ${rows.length} rows into ${METRICS_TABLE}`, () =>
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
    if (keys.length === 0) return [];
    const result = await this.retrying(`reading ${keys.length} rows of ${METRICS_TABLE}`, async () => {
      const resultSet = await this.client.query({
        query: `SELECT * FROM ${METRICS_TABLE} FINAL WHERE (employee_id, window_start) IN {keys:Array(Tuple(String, DateTime64(3, 'UTC')))}`,
        query_params: { keys: keys.map((k) => new TupleParam([k.employeeId, toClickHouseTime(k.windowStart)])) },
        format: 'JSONEachRow',
      });
      return resultSet.json<Record<string, unknown>>();
    });
    return result.map(fromClickHouseRow);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async retrying<T>(what: string, work: () => Promise<T>): Promise<T> {
    const maxBackoff = this.options.maxBackoffMs ?? 10_000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        const failure = sinkFailure(error, what);
        if (!failure.retriable) throw failure;
        if (this.options.signal?.aborted) throw new SinkError(`${what}: aborted while retrying`, { cause: failure });
        const backoff = Math.min(maxBackoff, 200 * 2 ** (attempt - 1));
        this.log.warn({ attempt, backoffMs: backoff, err: failure }, `${what} failed, retrying`);
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
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
    source_partition: num(r.source_partition),
    source_offsets: mapOf(r.source_offsets),
  };
}
