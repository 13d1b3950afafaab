import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import { loadCatalog } from '../../kpis/extensions.js';
import { PlantClock } from '../../processors/windows.js';
import { readNames } from '../../reporting/names.js';
import { readReport, writeReport, type ReportFormat } from '../../reporting/run.js';
import type { GradePeriod } from '../../sinks/clickhouse/queries/report.js';
import { withClickHouse } from '../../sinks/clickhouse/client.js';
import type { Command } from '../command.js';
import { formatSummary } from '../reportSummary.js';
import { parseAccess, parsePlantDay } from '../args.js';

const PERIODS: readonly GradePeriod[] = ['week', 'month'];
const FORMATS: readonly ReportFormat[] = ['html', 'json'];

export const reportCommand: Command = {
  name: 'report',
  summary: 'Write the report for managers and HR: one self-contained HTML page (or its figures as JSON)',
  usage: `Usage: kpi-stream report --purpose TEXT [--actor NAME] [--plant NAME] [--period week|month]
                         [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out FILE] [--format html|json] [--names FILE]

Writes one HTML page that opens without a network (Apache ECharts inlined):
grades per station and plant against the target and against self-scores,
calibrated grades (ranked within station and period to the target) beside the
absolute bands, the score distribution, defect rate, efficiency and
satisfaction per station and day, reported against measured figures per
employee, every flag with its explanation and evidence, and one page per
flagged employee with their windows beside their station's. Then prints a
one-screen summary.

The report names people (by id, and by name with --names), so every report is
written to the access log (kpi.access_log) with who asked and why.

  --purpose TEXT  why this report is made (a review, a ticket): required
  --actor NAME    who asks (default: the operating-system user)
  --plant NAME    the plant's name on the report (default: the ClickHouse database)
  --period P      grade by the plant's weeks or months (default month)
  --from D        first plant day of the windows reported, graded by the periods
                  that overlap them (default: the start of the latest period with scores)
  --to D          the plant day after the last (default: the end of the data)

Days are plant days: the one named 2026-10-05 begins at KPI_DAY_START on that
date in KPI_TIME_ZONE (in Europe/Berlin from midnight, at 2026-10-04T22:00Z).
An ISO 8601 time with a zone is taken as that instant.
  --out FILE      where to write (default out/report.html, or .json)
  --format F      html (default) or json: the same figures the page shows
  --names FILE    employee names, CSV (id,name) or JSON ({"id": "name"}); without
                  it employees appear by id only

Scores and flags come from \`kpi-stream score\` and \`kpi-stream detect\`.`,
  needs: () => ['clickhouse'],
  async run(args, { config, log }) {
    const { values } = parseArgs({
      args,
      options: {
        plant: { type: 'string' },
        period: { type: 'string', default: 'month' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string', default: 'html' },
        names: { type: 'string' },
        purpose: { type: 'string' },
        actor: { type: 'string' },
      },
    });
    const access = parseAccess(values);
    const period = values.period as GradePeriod;
    if (!PERIODS.includes(period)) throw new ConfigError('--period', `expected week or month, got ${JSON.stringify(values.period)}`);
    const format = values.format as ReportFormat;
    if (!FORMATS.includes(format)) throw new ConfigError('--format', `expected html or json, got ${JSON.stringify(values.format)}`);
    const names = values.names === undefined ? undefined : readNames(values.names);
    const clock = new PlantClock(config.timeZone, config.dayStart);
    const catalog = await loadCatalog(config.extensions);
    const figures = await withClickHouse(config, (client) =>
      readReport(client, {
        plant: values.plant ?? config.clickhouseDatabase,
        period,
        from: parsePlantDay(values.from, '--from', clock),
        to: parsePlantDay(values.to, '--to', clock),
        names,
        plantTime: clock,
        catalog,
        access,
      }),
    );
    const path = writeReport(figures, format, values.out ?? `out/report.${format}`);
    log.info(`wrote the ${format} report to ${path}`);
    process.stdout.write(`\nreport: ${path}\n\n${formatSummary(figures)}\n`);
    return 0;
  },
};
