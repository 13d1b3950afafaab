import { OUTPUT_FILES } from '../../simulator/output.js';
import { simulatePlant } from '../../simulator/run.js';
import { parseSimulateFlags, simulateFlagsHelp } from '../args.js';
import type { Command } from '../command.js';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Simulate a plant: send its events to Kafka, write ground truth and expected rows',
  usage: `Usage: kpi-stream simulate [options]

Simulates a plant and sends its events to the five input topics through the
schema registry, deterministically for a seed, and writes the ground truth and
the expected kpi.employee_window_metrics rows to --out.

${simulateFlagsHelp()}

Files in --out: ${Object.values(OUTPUT_FILES).join(', ')}.`,
  needs: (args) => (args.includes('--dry-run') ? [] : ['kafka', 'registry']),
  async run(args, { config, log }) {
    const report = await simulatePlant(parseSimulateFlags(args), config, log);
    const { counts } = report.simulation;
    log.info(
      `${report.sent} records in ${(report.elapsedMs / 1000).toFixed(1)}s (${report.recordsPerSecond}/s): ` +
        `${Object.values(counts.events).reduce((a, b) => a + b, 0)} events, ${counts.duplicates} duplicates, ` +
        `${Object.values(counts.malformed).reduce((a, b) => a + b, 0)} malformed (${counts.deadLettered} of them lost measurements), ${counts.tooLate} too late; ground truth in ${report.out}`,
    );
    return 0;
  },
};
