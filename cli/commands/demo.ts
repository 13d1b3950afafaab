import { createWriteStream, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { once } from 'node:events';
import { secretValues } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { formatDate } from '../../core/time.js';
import { DEMO_PLANT, runDemo, type DemoResult } from '../../demo/run.js';
import { simulateOptions } from '../../simulator/run.js';
import { parseSimulateFlags, simulateFlagsHelp } from '../args.js';
import type { Command } from '../command.js';
import { formatGradeContrast } from '../reportSummary.js';
import { formatTable } from '../table.js';

const pct = (x: number) => `${Math.round(100 * x)}%`;
const ratio = (x: number | null) => (x === null ? '-' : pct(x));

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the main job end to end on the local services',
  usage: `Usage: kpi-stream demo [--verbose] [simulate options]

Starts the local services (downloading them on first use), simulates a plant
whose people rate themselves generously (200 employees for 14 days: most
self-scores 85 or more, a share of inflated reports, defects under-reported,
with late, duplicate, malformed and too-late records; any 'simulate' option
overrides), runs the processors until the stream is drained with live
alerting and a local webhook receiver beside them, checks
kpi.employee_window_metrics_current against the simulator's expected rows
(every column of every row), scores every window, week and month, flags
inflated self-reports, measures the flags against the simulator's ground
truth and writes the report (report.html beside the simulation's files).
Then it starts the local identity provider and \`kpi-stream app\` in the
background, with the demo users of tools/idp/users.yaml given this run's
employee ids (idp-users.yaml beside the report): a supervisor whose teams
have flags awaiting review, and one of their flagged people. They keep
running, like the services, until \`kpi-stream services down\`.

It prints a line per step and a summary: the grades by self-scores, by
measurement, calibrated and the target; detection against the ground truth;
each station; the most flagged employees; where to sign in, and as whom. The log goes to demo.log beside
the report; --verbose prints it instead. Exits 1 if a row differs.

${simulateFlagsHelp()}`,
  async run(args, { config, log: terminal }) {
    const verbose = args.includes('--verbose');
    const options = simulateOptions({
      ...DEMO_PLANT,
      ...parseSimulateFlags(
        args.filter((a) => a !== '--verbose'),
        DEMO_PLANT,
      ),
    });
    mkdirSync(options.out, { recursive: true });
    const logFile = join(options.out, 'demo.log');
    const file = verbose ? undefined : createWriteStream(logFile);
    const log = file ? createLogger(config.logLevel, config.logFormat, 'kpi-stream', secretValues(config), file) : terminal;
    const shown = relative(process.cwd(), options.out) || '.';
    say(
      `kpi-stream demo: a plant of ${options.employees} employees over ${options.days} days from ${formatDate(options.start)} (seed ${options.seed}) ` +
        `whose people rate themselves generously${file ? `; log in ${join(shown, 'demo.log')} (--verbose prints it)` : ''}`,
    );
    let step = 0;
    try {
      const result = await runDemo(options, config, log, { step: (line) => say(`[${++step}/8] ${line}`), note: say });
      say(`\n${summary(result)}`);
      return result.comparison.equal === result.comparison.expected && result.comparison.unexpected.length === 0 ? 0 : 1;
    } finally {
      if (file) {
        file.end();
        await once(file, 'close');
      }
    }
  },
};

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The story in a screen: what people said, what was measured, what calibration makes of it; then how detection did, each station, the most flagged. */
function summary(r: DemoResult): string {
  const f = r.report.figures;
  const e = r.evaluation;
  const lines = [
    `Grades of ${f.totals.employees} employees for ${f.period.from} to ${f.period.to} (monthly scores, model ${f.model.version}):`,
    formatGradeContrast(f),
    '',
    `Detection against the simulator's ground truth: precision ${pct(e.precision)} of ${e.flaggedWindows} flagged windows; ` +
      `${pct(e.recallAtLeast15.recall)} of windows inflated by 15%+ flagged; ${e.persons.steady.identified} of ${e.persons.steady.inflators} steady inflators identified ` +
      `within ${e.persons.within} shifts; honest employees flagged ${e.honestEmployeesFlagged} of ${e.honestEmployees}; planted measurement gaps flagged for inflation: ${e.gaps.inflationFlagged}.`,
    '',
    'Stations, measured (OEE after ISO 22400-2):',
    formatTable(
      ['station', 'employees', 'units', 'efficiency', 'defect rate', 'availability', 'performance', 'quality', 'OEE'],
      r.stations.map((s) => [
        s.stationId,
        s.employees,
        s.units,
        ratio(s.efficiency),
        s.defectRate === null ? '-' : `${(100 * s.defectRate).toFixed(1)}%`,
        ratio(s.oee.availability),
        ratio(s.oee.performance),
        ratio(s.oee.quality),
        ratio(s.oee.value),
      ]),
    ),
    '',
    `Most flagged employees (each flag a proposal for a person to review; in the report ${f.totals.inflationFlags} confirmed, ${f.totals.awaitingReview.flags} awaiting review, with the evidence):`,
    formatTable(
      ['employee', 'flags', 'high', 'kinds'],
      r.mostFlagged.map((m) => [m.employeeId, m.flags, m.high, m.kinds.join(', ')]),
    ),
  ];
  const people = r.people;
  lines.push(
    '',
    `Reviews and disputes: open ${people.url}/ and sign in at ${people.issuer}` +
      (people.users.length === 0
        ? " (the plant's identity provider, KPI_OIDC_ISSUER)."
        : ` as one of the demo users (${people.usersFile === undefined ? '' : `${relative(process.cwd(), people.usersFile)}, `}passwords for the demo only):`),
  );
  if (people.users.length > 0) {
    lines.push(
      formatTable(
        ['user', 'password', 'roles', 'employee_id'],
        people.users.map((u) => [u.sub, u.password, u.kpi_roles.join(', '), u.employee_id ?? '']),
      ),
    );
  }
  lines.push('The app and the identity provider keep running in the background: `npm run kpi -- services down` stops them with the services.');
  if (r.comparison.differences.length > 0) {
    lines.push('', 'Rows that differ from the expected ones (first 5):');
    for (const d of r.comparison.differences.slice(0, 5)) lines.push(`  ${d.key} ${d.column}: expected ${d.expected}, got ${d.actual}`);
  }
  return lines.join('\n');
}
