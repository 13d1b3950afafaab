import { join } from 'node:path';
import { Pipeline } from '../../processors/pipeline.js';
import { detectionRules } from '../../detection/config.js';
import { runDetection } from '../../detection/runner.js';
import { servicesUp } from '../../services/index.js';
import { PERIOD_TYPES, computeScores } from '../../sinks/clickhouse/scoring.js';
import { createClickHouseClient } from '../../sinks/clickhouse/client.js';
import { compareWithExpected, readExpectedRows } from '../../simulator/compare.js';
import { OUTPUT_FILES } from '../../simulator/output.js';
import type { Command } from '../command.js';
import { alert, evaluateSimulation, formatEvaluation } from './analytics.js';
import { parseSimulateArgs, runSimulation } from './simulate.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the main job end to end on the local services',
  usage: `Usage: kpi-stream demo [simulate options]

Starts the local services (downloading them on first use), simulates a plant
(by default 200 employees for 14 days, with late, duplicate and malformed
records; any 'simulate' option overrides), runs the processors until the
stream is drained, checks kpi.employee_window_metrics_current against the
simulator's expected rows (every column of every row), scores every window,
week and month, flags inflated self-reports (alerting on new ones), and
measures the flags against the simulator's ground truth. Exits 1 if a row
differs.`,
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
    if (m.records.accepted === 0 && m.records.duplicate > 0) {
      log.info('an earlier demo sent these events already: they count once, and records for windows past the correction horizon of the clocks it advanced are dead-lettered');
    }

    const client = createClickHouseClient(config);
    try {
      const comparison = await compareWithExpected(client, await readExpectedRows(join(report.out, OUTPUT_FILES.expected)));
      process.stdout.write(
        `\nkpi.employee_window_metrics_current: ${comparison.equal} of ${comparison.expected} expected rows equal in every column` +
          ` (${comparison.missing.length} missing, ${comparison.unexpected.length} unexpected)\n`,
      );
      for (const d of comparison.differences.slice(0, 5)) process.stdout.write(`  ${d.key} ${d.column}: expected ${d.expected}, got ${d.actual}\n`);

      for (const period of PERIOD_TYPES) await computeScores(client, { period, timeZone: config.timeZone });
      const { start, days } = simulation.options;
      const flags = await runDetection(client, log, { from: start, to: start + days * 86_400_000, timeZone: config.timeZone, rules: detectionRules(config) });
      await alert(config, client, flags, log);
      process.stdout.write(`\ndetection against the simulator's ground truth:\n${formatEvaluation(await evaluateSimulation(config, report.out))}\n`);

      const print = async (title: string, query: string) => {
        const result = await client.query({ query, format: 'JSONEachRow' });
        process.stdout.write(`\n${title}\n`);
        for (const row of await result.json<Record<string, unknown>>()) process.stdout.write(`  ${JSON.stringify(row)}\n`);
      };
      await print(
        'grades per month, plant-wide, against the 25/55/20 target (and what self-scores would give):',
        `SELECT period_start, employees, round(share_excellent, 2) AS excellent, round(share_qualified, 2) AS qualified,
                round(share_needs_improvement, 2) AS needs_improvement, round(avg_score, 1) AS avg_score, round(avg_self_score, 1) AS avg_self_score,
                round(self_share_excellent, 2) AS self_excellent
         FROM calibration WHERE period_type = 'month' AND station_id = 'ALL' ORDER BY period_start`,
      );
      await print(
        'most suspicious employees:',
        `SELECT employee_id, count() AS flags, countIf(severity = 'high') AS high, groupUniqArray(kind) AS kinds, any(explanation) AS example
         FROM anomalies_current GROUP BY employee_id ORDER BY high DESC, flags DESC LIMIT 5`,
      );
      return comparison.equal === comparison.expected && comparison.unexpected.length === 0 ? 0 : 1;
    } finally {
      await client.close();
    }
  },
};
