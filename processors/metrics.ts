import { createServer, type Server } from 'node:http';

/**
 * Counters of a processor process, exposed in Prometheus' text format on
 * /metrics (KPI_METRICS_PORT) and summarised in the log.
 */
export class ProcessorMetrics {
  readonly records = { accepted: 0, duplicate: 0, tooLate: 0, invalid: 0 };
  readonly invalidByCode = new Map<string, number>();
  rowsWritten = 0;
  inserts = 0;
  commits = 0;
  restoredWindows = 0;
  openWindows = 0;
  assignedPartitions = 0;
  readonly startedAt = Date.now();

  invalid(code: string): void {
    this.records.invalid += 1;
    this.invalidByCode.set(code, (this.invalidByCode.get(code) ?? 0) + 1);
  }

  get processed(): number {
    const r = this.records;
    return r.accepted + r.duplicate + r.tooLate + r.invalid;
  }

  render(): string {
    const lines = [
      '# HELP kpi_records_total Input records processed, by outcome.',
      '# TYPE kpi_records_total counter',
      ...Object.entries(this.records).map(([outcome, n]) => `kpi_records_total{outcome="${outcome}"} ${n}`),
      '# HELP kpi_dead_letters_total Records sent to the dead-letter topic, by error class.',
      '# TYPE kpi_dead_letters_total counter',
      ...[...this.invalidByCode].map(([code, n]) => `kpi_dead_letters_total{class="${code}"} ${n}`),
      `kpi_dead_letters_total{class="KPI_ERR_TOO_LATE"} ${this.records.tooLate}`,
      '# TYPE kpi_rows_written_total counter',
      `kpi_rows_written_total ${this.rowsWritten}`,
      '# TYPE kpi_inserts_total counter',
      `kpi_inserts_total ${this.inserts}`,
      '# TYPE kpi_offset_commits_total counter',
      `kpi_offset_commits_total ${this.commits}`,
      '# TYPE kpi_windows_restored_total counter',
      `kpi_windows_restored_total ${this.restoredWindows}`,
      '# TYPE kpi_open_windows gauge',
      `kpi_open_windows ${this.openWindows}`,
      '# TYPE kpi_assigned_partitions gauge',
      `kpi_assigned_partitions ${this.assignedPartitions}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  /** Serves /metrics on 127.0.0.1:port (0 = a free port). */
  serve(port: number): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === '/metrics') res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(this.render());
      else res.writeHead(404).end();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  }
}
