import type { WindowStore } from '../../contract/ports.js';
import type { WindowKey, WindowRow } from '../../contract/windowRow.js';
import type { Logger } from '../../core/logger.js';
import type { KpiCatalog } from '../../kpis/catalog.js';
import { withRetries, type ClickHouseClient } from './client.js';
import { WINDOW_METRICS_TABLE, insertWindowRows, latestWindowStart, readWindowRows } from './queries/windowMetrics.js';

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

  current(keys: readonly WindowKey[]): Promise<WindowRow[]> {
    return withRetries(`reading ${keys.length} rows of ${WINDOW_METRICS_TABLE}`, this.log, this.signal, () => readWindowRows(this.client, this.catalog, keys));
  }

  latestWindowStart(): Promise<number | null> {
    return withRetries(`reading the latest window of ${WINDOW_METRICS_TABLE}`, this.log, this.signal, () => latestWindowStart(this.client));
  }

  async write(rows: readonly WindowRow[], token: string): Promise<void> {
    if (rows.length === 0) return;
    await withRetries(`inserting ${rows.length} rows into ${WINDOW_METRICS_TABLE}`, this.log, this.signal, () => insertWindowRows(this.client, rows, token));
  }
}
