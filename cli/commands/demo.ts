import { join } from 'node:path';
import { formatEvaluation } from '../../evaluation/evaluationTable.js';
import { evaluateSimulation } from '../../evaluation/groundTruth.js';
import { detectionRules } from '../../detection/config.js';
import { runDetection } from '../../detection/runner.js';
import { startPipeline } from '../../processors/kafka/bootstrap.js';
import { PlantClock } from '../../processors/windows.js';
import { loadCatalog } from '../../kpis/extensions.js';
import { scorePeriods } from '../../scoring/score.js';
import { servicesUp } from '../../services/index.js';
import { withClickHouse } from '../../sinks/clickhouse/client.js';
import { readMostFlagged } from '../../sinks/clickhouse/queries/anomalies.js';
import { readReport, writeReport } from '../../reporting/run.js';
import { PERIOD_TYPES } from '../../sinks/clickhouse/queries/scores.js';
import { readStationFigures } from '../../sinks/clickhouse/queries/stations.js';
import { compareWithExpected, readExpectedRows } from '../../simulator/compare.js';
import { OUTPUT_FILES } from '../../simulator/output.js';
import { simulatePlant, simulateOptions } from '../../simulator/run.js';
import type { Command } from '../command.js';
import { formatSummary } from '../reportSummary.js';
import { formatTable } from '../table.js';
import { startDemoAlerts } from './demoAlerts.js';
import { plantTimeOf } from './report.js';
import { parseSimulateFlags, simulateFlagsHelp } from './simulate.js';

/** The demo's plant unless flags say otherwise: a fortnight of a mid-sized plant, with bad and too-late records. */
const DEMO_PLANT = { employees: 200, days: 14, malformedRate: 0.001, tooLateRate: 0.01, out: 'out/demo' };

const pct = (x: number) => `${Math.round(100 * x)}%`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the main job end to end on the local services',
  usage: `Usage: kpi-stream demo [simulate options]

Starts the local services (downloading them on first use), simulates a plant
(200 employees for 14 days, with late, duplicate and malformed records; any
'simulate' option overrides), runs the processors until the stream is
drained, checks kpi.employee_window_metrics_current against the simulator's
expected rows (every column of every row), scores every window, week and
month, flags inflated self-reports, measures the flags against the
simulator's ground truth, prints each station's measured figures with OEE and
the most flagged employees, and writes the report (report.html beside the
simulation's files) with a one-screen summary: grades against the target, by
the bands, calibrated and by self-scores. Live alerting runs beside the
processors with a few rules and a local receiver; the alerts it delivered are
printed with their latency. Exits 1 if a row differs.

${simulateFlagsHelp()}`,
  async run(args, { config, log }) {
    const options = simulateOptions({ ...DEMO_PLANT, ...parseSimulateFlags(args, DEMO_PLANT) });
    const catalog = await loadCatalog(config.extensions);
    await servicesUp(config, log);
    const report = await simulatePlant(options, config, log);
    log.info(`simulated ${report.sent} records (${report.recordsPerSecond}/s); processing`);

    // Live alerting beside the processors: a local receiver, a few rules (printed at the end).
    const alerts = await startDemoAlerts(log, join(report.out, 'alerts'));
    const started = Date.now();
    const pipeline = await startPipeline(alerts.config, log.child({ component: 'processor' }), { exitWhenIdleMs: 3000 });
    await pipeline.done;
    const m = pipeline.metrics;
    log.info(
      `processed ${m.processed} records in ${((Date.now() - started) / 1000).toFixed(1)}s: ${m.records.accepted} accepted, ${m.records.duplicate} duplicates, ` +
        `${m.records.tooLate} too late and ${m.records.invalid} invalid to ${config.topicPrefix}kpi.dlq.v1; ${m.rowsWritten} rows in ${m.inserts} inserts`,
    );
    if (m.records.accepted === 0 && m.records.duplicate > 0) {
      log.info(
        'an earlier demo sent these events already: they count once, and records for windows past the correction horizon of the clocks it advanced are dead-lettered',
      );
    }

    return withClickHouse(config, async (client) => {
      const comparison = await compareWithExpected(client, await readExpectedRows(join(report.out, OUTPUT_FILES.expected)));
      process.stdout.write(
        `\nkpi.employee_window_metrics_current: ${comparison.equal} of ${comparison.expected} expected rows equal in every column` +
          ` (${comparison.missing.length} missing, ${comparison.unexpected.length} unexpected)\n`,
      );
      for (const d of comparison.differences.slice(0, 5)) process.stdout.write(`  ${d.key} ${d.column}: expected ${d.expected}, got ${d.actual}\n`);

      for (const period of PERIOD_TYPES) await scorePeriods(client, catalog, { period, timeZone: config.timeZone });
      await runDetection(client, catalog, log, {
        from: options.start,
        to: options.start + options.days * 86_400_000,
        timeZone: config.timeZone,
        rules: detectionRules(config),
        publish: alerts.publish,
      });
      process.stdout.write(`\nlive alerts during the simulated fortnight:\n${await alerts.finish()}\n`);
      process.stdout.write(`\ndetection against the simulator's ground truth:\n${formatEvaluation(await evaluateSimulation(client, report.out))}\n`);

      const stations = await readStationFigures(client, { from: options.start, to: options.start + options.days * 86_400_000 });
      const ratio = (x: number | null) => (x === null ? '-' : pct(x));
      process.stdout.write('\nstations over the simulated period, measured (OEE after ISO 22400-2, docs/analysts.md#oee):\n');
      process.stdout.write(
        `${formatTable(
          ['station', 'employees', 'units', 'efficiency', 'defect rate', 'availability', 'performance', 'quality', 'OEE'],
          stations.map((f) => [
            f.stationId,
            f.employees,
            f.units,
            ratio(f.efficiency),
            f.defectRate === null ? '-' : `${(100 * f.defectRate).toFixed(1)}%`,
            ratio(f.oee.availability),
            ratio(f.oee.performance),
            ratio(f.oee.quality),
            ratio(f.oee.value),
          ]),
        )}\n`,
      );
      process.stdout.write('\nmost suspicious employees:\n');
      const flagged = await readMostFlagged(client, 5);
      process.stdout.write(
        `${formatTable(
          ['employee', 'flags', 'high', 'kinds', 'example'],
          flagged.map((f) => [f.employeeId, f.flags, f.high, f.kinds.join(','), f.example]),
        )}\n`,
      );

      // The report for managers and HR, over the simulated days.
      const figures = await readReport(client, {
        plant: 'Demo plant',
        period: 'month',
        from: options.start,
        to: options.start + options.days * 86_400_000,
        plantTime: plantTimeOf(new PlantClock(config.timeZone, config.dayStart)),
        catalog,
      });
      process.stdout.write(`\nreport: ${writeReport(figures, 'html', join(report.out, 'report.html'))}\n\n${formatSummary(figures)}\n`);
      return comparison.equal === comparison.expected && comparison.unexpected.length === 0 ? 0 : 1;
    });
  },
};
