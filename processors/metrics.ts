import { createServer, type Server } from 'node:http';
import type { DeadLetterCode } from '../core/errors.js';

/**
 * Counters of a processor process, exposed in Prometheus' text format on
 * /metrics (KPI_METRICS_PORT) and summarised in the log.
 */
export class ProcessorMetrics {
  /** Input records by outcome: counted, repeated, dead-lettered as too late, dead-lettered for any other reason. */
  readonly records = { accepted: 0, duplicate: 0, tooLate: 0, invalid: 0 };
  /** Dead letters by code (KPI_ERR_TOO_LATE included). */
  readonly deadLetters = new Map<DeadLetterCode, number>();
  /** Repeated event ids whose bytes differ from the first copy's (counted once, like every duplicate). */
  conflictingDuplicates = 0;
  /** Rows the window store refused for their content; their windows' records went to the dead letters. */
  refusedRows = 0;
  /** Partitions read again from the last commit after a refused row. */
  rewinds = 0;
  rowsWritten = 0;
  inserts = 0;
  commits = 0;
  restoredWindows = 0;
  openWindows = 0;
  assignedPartitions = 0;
  readonly startedAt = Date.now();

  deadLetter(code: DeadLetterCode): void {
    this.deadLetters.set(code, (this.deadLetters.get(code) ?? 0) + 1);
    if (code === 'KPI_ERR_TOO_LATE') this.records.tooLate += 1;
    else this.records.invalid += 1;
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
      ...[...this.deadLetters].map(([code, n]) => `kpi_dead_letters_total{class="${code}"} ${n}`),
      '# TYPE kpi_conflicting_duplicates_total counter',
      `kpi_conflicting_duplicates_total ${this.conflictingDuplicates}`,
      '# TYPE kpi_refused_rows_total counter',
      `kpi_refused_rows_total ${this.refusedRows}`,
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
