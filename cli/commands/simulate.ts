import { setTimeout as sleep } from 'node:timers/promises';
import { OUTPUT_FILES } from '../../simulator/output.js';
import { simulatePlant, type SimulationHooks } from '../../simulator/run.js';
import { parseSimulateFlags, simulateFlagsHelp } from '../args.js';
import type { Command } from '../command.js';

/** The pause between the assignments and the events with several plants: the processors read the stored assignments every 10 s. */
const ASSIGNMENTS_LEAD_MS = 15_000;

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Simulate a plant: send its events to Kafka, write ground truth and expected rows',
  usage: `Usage: kpi-stream simulate [options]

Simulates a plant and sends its events to the five input topics through the
schema registry, deterministically for a seed, and writes the ground truth and
the expected kpi.employee_window_metrics rows to --out. Everyone's assignments
(plant, team, supervisor; some move mid-period) go to hr.assignments.v1 first.
With KPI_PLANTS_FILE the people are split between its plants, each worked by
its own clock, and the events follow the assignments after a pause of
${ASSIGNMENTS_LEAD_MS / 1000} s, so running processors have stored them: start
the processors first (docs/shifts.md "Simulating shifts").

${simulateFlagsHelp()}

Files in --out: ${Object.values(OUTPUT_FILES).join(', ')}.`,
  needs: (args) => (args.includes('--dry-run') ? [] : ['kafka', 'registry']),
  async run(args, { config, log }) {
    // Several plants: the processors place each event by the assignments they have stored (every process learns them within 10 s).
    const hooks: SimulationHooks =
      config.plantsFile === undefined
        ? {}
        : {
            assignmentsSent: async () => {
              log.info(`KPI_PLANTS_FILE is set: waiting ${ASSIGNMENTS_LEAD_MS / 1000} s for running processors to store the assignments before the events`);
              await sleep(ASSIGNMENTS_LEAD_MS);
            },
          };
    const report = await simulatePlant(parseSimulateFlags(args), config, log, hooks);
    const { counts } = report.simulation;
    log.info(
      `${report.assignments} assignments, then ${report.sent} records in ${(report.elapsedMs / 1000).toFixed(1)}s (${report.recordsPerSecond}/s): ` +
        `${Object.values(counts.events).reduce((a, b) => a + b, 0)} events, ${counts.duplicates} duplicates, ` +
        `${Object.values(counts.malformed).reduce((a, b) => a + b, 0)} malformed (${counts.deadLettered} of them lost measurements), ${counts.tooLate} too late; ground truth in ${report.out}`,
    );
    return 0;
  },
};
