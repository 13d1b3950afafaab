import { parseArgs } from 'node:util';
import { loadCatalog } from '../../kpis/extensions.js';
import { migrate } from '../../sinks/clickhouse/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Create or upgrade the ClickHouse database, tables and views',
  usage: `Usage: kpi-stream migrate [--shorten-retention]

Applies the versioned migrations that are not yet applied to CLICKHOUSE_DATABASE
(default kpi): kpi-stream's own (sinks/clickhouse/migrations) and those of every
KPI (OEE's, and the KPI_EXTENSIONS'), each in its own namespace, recording them
in applied_migrations; then makes employee_window_metrics_current show every
KPI column, and sets each table's TTL to the retention of KPI_RETENTION_FILE
where it differs (docs/privacy.md). Safe to run any number of times; 'run'
does it at start-up too.

  --shorten-retention   also set a TTL shorter than the table has: the rows
                        between the two periods are deleted at once, for good.
                        Without it a shorter period is logged and not applied,
                        so a process started without the deployment's
                        KPI_RETENTION_FILE deletes nothing.`,
  needs: () => ['clickhouse'],
  async run(args, { config, log }) {
    const { values } = parseArgs({ args, options: { 'shorten-retention': { type: 'boolean', default: false } }, strict: true });
    const { applied } = await migrate(config, log, await loadCatalog(config.extensions), { shortenRetention: values['shorten-retention'] });
    log.info(
      { database: config.clickhouseDatabase, applied: applied.length },
      applied.length > 0 ? `database ${config.clickhouseDatabase}: applied ${applied.join(', ')}` : `database ${config.clickhouseDatabase} is up to date`,
    );
    return 0;
  },
};
