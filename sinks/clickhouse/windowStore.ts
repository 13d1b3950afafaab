import type { WindowStore } from '../../contract/ports.js';
import type { WindowKey, WindowRow } from '../../contract/windowRow.js';
import type { Logger } from '../../core/logger.js';
import type { KpiCatalog } from '../../kpis/catalog.js';
import { withRetries, type ClickHouseClient } from './client.js';
import {
  WINDOW_METRICS_TABLE,
  encodeWindowRows,
  insertEncoded,
  latestWindowStart,
  readWindowRows,
  windowTableColumns,
  writtenColumns,
  type TableColumn,
} from './queries/windowMetrics.js';

/**
 * The window store port over kpi.employee_window_metrics. Retriable failures
 * (ClickHouse away or busy) are retried until they pass or `signal` aborts;
 * content ClickHouse refuses throws KPI_ERR_SINK_REJECTED, anything else a
 * fatal SinkError.
 */
export class ClickHouseWindowStore implements WindowStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly catalog: KpiCatalog,
    private readonly log: Logger,
    private readonly signal?: AbortSignal,
  ) {}

  /** The table's columns, read once: rows are encoded in their types. */
  private columns: TableColumn[] | undefined;

  private async tableColumns(): Promise<TableColumn[]> {
    if (!this.columns) {
      const columns = await withRetries(`reading the columns of ${WINDOW_METRICS_TABLE}`, this.log, this.signal, () => windowTableColumns(this.client));
      writtenColumns(columns, this.catalog); // a column rows cannot be encoded in stops here, before any row
      this.columns = columns;
    }
    return this.columns;
  }

  current(keys: readonly WindowKey[]): Promise<WindowRow[]> {
    return withRetries(`reading ${keys.length} rows of ${WINDOW_METRICS_TABLE}`, this.log, this.signal, () => readWindowRows(this.client, this.catalog, keys));
  }

  async latestWindowStart(): Promise<number | null> {
    await this.tableColumns(); // so that writes encode at once
    return withRetries(`reading the latest window of ${WINDOW_METRICS_TABLE}`, this.log, this.signal, () => latestWindowStart(this.client));
  }

  /** Encodes the rows before its first wait once the columns are known (the runner times that as the encode stage), then inserts them. */
  async write(rows: readonly WindowRow[], token: string): Promise<void> {
    if (rows.length === 0) return;
    const inserts = encodeWindowRows(this.columns ?? (await this.tableColumns()), this.catalog, rows);
    await withRetries(`inserting ${rows.length} rows into ${WINDOW_METRICS_TABLE}`, this.log, this.signal, () => insertEncoded(this.client, inserts, token));
  }
}
