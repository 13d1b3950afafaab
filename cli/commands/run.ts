import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import { createProcessRegistry } from '../../core/metrics.js';
import { parseDuration } from '../../core/time.js';
import { WorkerFailure, failureExitCode, startProcessors, type Processors } from '../../processors/kafka/workers.js';
import type { Command } from '../command.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the stream processors (KPI_WORKERS members of the consumer group)',
  usage: `Usage: kpi-stream run [--exit-when-idle DURATION]

Creates missing topics and tables, joins consumer group KPI_GROUP_ID and turns
the five input topics into kpi.employee_window_metrics rows, and the
organisation's hr.assignments.v1 into kpi.assignments. KPI_WORKERS worker
threads (auto: one per core) each join the group; start several processes
to share the partitions further. With KPI_METRICS_PORT set, serves Prometheus
/metrics, /healthz and /readyz on KPI_METRICS_HOST:KPI_METRICS_PORT. SIGTERM or SIGINT finishes the batch in
hand, writes the rows due, commits and exits 0; a fatal error exits 1.

  --exit-when-idle DURATION   write every window and exit once no record has
                              arrived for this long and the group has read
                              every partition to its end (batch runs, demos)`,
  needs: () => ['kafka', 'registry', 'clickhouse'],
  async run(args, { config, log }) {
    const { values } = parseArgs({ args, options: { 'exit-when-idle': { type: 'string' } }, strict: true });
    let exitWhenIdleMs: number | undefined;
    if (values['exit-when-idle'] !== undefined) {
      exitWhenIdleMs = parseDuration(values['exit-when-idle']);
      if (exitWhenIdleMs === undefined)
        throw new ConfigError('--exit-when-idle', `expected a duration such as 30s, got ${JSON.stringify(values['exit-when-idle'])}`);
    }
    let pipeline: Processors;
    try {
      pipeline = await startProcessors(config, log, {
        ...(exitWhenIdleMs === undefined ? {} : { exitWhenIdleMs }),
        registry: createProcessRegistry(),
        ...(config.metricsPort > 0 ? { health: { host: config.metricsHost, port: config.metricsPort } } : {}),
      });
    } catch (error) {
      if (error instanceof WorkerFailure) return error.exitCode; // the worker logged why
      throw error;
    }
    const onSignal = (signal: string) => {
      log.info({ signal }, 'stopping: writing the rows due and committing');
      process.once(signal, () => process.exit(130));
      void pipeline.stop().catch(() => undefined);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    const report = setInterval(() => {
      const m = pipeline.metrics;
      log.info(
        `${m.processed} records (${m.records.accepted} accepted, ${m.records.duplicate} duplicate, ${m.records.tooLate} too late, ${m.records.invalid} invalid), ${m.rowsWritten} rows written, ${m.openWindows} windows open`,
      );
    }, 10_000);
    try {
      await pipeline.done;
    } catch (error) {
      return failureExitCode(error); // the processors logged why they stopped
    } finally {
      clearInterval(report);
    }
    const m = pipeline.metrics;
    log.info(
      `stopped after ${m.processed} records: ${m.records.accepted} accepted, ${m.records.duplicate} duplicate, ${m.records.tooLate} too late, ${m.records.invalid} invalid; ${m.rowsWritten} rows in ${m.inserts} inserts`,
    );
    return 0;
  },
};
