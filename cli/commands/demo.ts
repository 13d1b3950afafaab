import { join } from 'node:path';
import { Pipeline } from '../../processors/pipeline.js';
import { servicesUp } from '../../services/index.js';
import { createClickHouseClient } from '../../sinks/clickhouse/client.js';
import { compareWithExpected, readExpectedRows } from '../../simulator/compare.js';
import { OUTPUT_FILES } from '../../simulator/output.js';
import type { Command } from '../command.js';
import { parseSimulateArgs, runSimulation } from './simulate.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the main job end to end on the local services',
  usage: `Usage: kpi-stream demo [simulate options]

Starts the local services (downloading them on first use), simulates a plant
(by default 200 employees for 14 days, with late, duplicate and malformed
records; any 'simulate' option overrides), runs the processors until the
stream is drained, and checks kpi.employee_window_metrics_current against the
simulator's expected rows, every column of every row.`,
  async run(args, { config, log }) {
    await servicesUp(config, log);
    const simulation = parseSimulateArgs(['--employees', '200', '--days', '14', '--malformed', '0.001', '--too-late', '0.01', '--out', 'out/demo', ...args]);
    const report = await runSimulation(simulation, config, log);
    log.info(`simulated ${report.sent} records (${report.recordsPerSecond}/s); processing`);

    const started = Date.now();
    const pipeline = await Pipeline.start(config, log.child({ component: 'processor' }), { exitWhenIdleMs: 3000 });
    await pipeline.done;
    const m = pipeline.metrics;
    const seconds = (Date.now() - started) / 1000;
    log.info(
      `processed ${m.processed} records in ${seconds.toFixed(1)}s: ${m.records.accepted} accepted, ${m.records.duplicate} duplicates, ` +
        `${m.records.tooLate} too late and ${m.records.invalid} invalid to ${config.topicPrefix}kpi.dlq.v1; ${m.rowsWritten} rows in ${m.inserts} inserts`,
    );

    const client = createClickHouseClient(config);
    try {
      const comparison = await compareWithExpected(client, await readExpectedRows(join(report.out, OUTPUT_FILES.expected)));
      process.stdout.write(
        `kpi.employee_window_metrics_current: ${comparison.equal} of ${comparison.expected} expected rows equal in every column` +
          ` (${comparison.missing.length} missing, ${comparison.unexpected.length} unexpected)\n`,
      );
      for (const d of comparison.differences.slice(0, 5)) process.stdout.write(`  ${d.key} ${d.column}: expected ${d.expected}, got ${d.actual}\n`);
      const result = await client.query({
        query: `SELECT employee_id, round(avg(efficiency), 3) AS efficiency, round(sum(units_defective) / sum(units_inspected), 4) AS defect_rate,
                       round(avg(satisfaction_avg), 1) AS satisfaction, sum(reported_units) AS reported_units, sum(units) AS measured_units
                FROM employee_window_metrics_current GROUP BY employee_id
                ORDER BY reported_units / greatest(measured_units, 1) DESC LIMIT 5`,
        format: 'JSONEachRow',
      });
      process.stdout.write('employees whose self-reported units exceed the measured ones most:\n');
      for (const row of await result.json<Record<string, unknown>>()) process.stdout.write(`  ${JSON.stringify(row)}\n`);
      return comparison.equal === comparison.expected && comparison.unexpected.length === 0 ? 0 : 1;
    } finally {
      await client.close();
    }
  },
};
