import { migrate } from '../../sinks/clickhouse/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Create or upgrade the ClickHouse database, tables and views',
  usage: `Usage: kpi-stream migrate

Applies the versioned migrations of sinks/clickhouse/migrations that are not yet
applied to CLICKHOUSE_DATABASE (default kpi), recording them in schema_migrations.
Safe to run any number of times; 'run' does it at start-up too.`,
  needs: () => ['clickhouse'],
  async run(_args, { config, log }) {
    const { applied, current } = await migrate(config, log);
    log.info({ database: config.clickhouseDatabase, applied: applied.length, current }, applied.length > 0 ? `database ${config.clickhouseDatabase} migrated to version ${current}` : `database ${config.clickhouseDatabase} is up to date (version ${current})`);
    return 0;
  },
};
