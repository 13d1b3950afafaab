/**
 * The embedded ClickHouse process: owns the chDB data directory and serves
 * ClickHouse's HTTP interface on 127.0.0.1:<KPI_CLICKHOUSE_PORT>. Started by
 * `kpi-stream services up`; stops cleanly on SIGTERM/SIGINT.
 */
import { mkdirSync } from 'node:fs';
import { Session } from 'chdb';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { createClickHouseHttpServer } from './httpInterface.js';
import { serviceLayout } from '../layout.js';

const config = loadConfig();
const log = createLogger(config.logLevel, config.logFormat, 'kpi-stream-clickhouse');
const dataDir = serviceLayout(config, 'clickhouse').dataDir;
mkdirSync(dataDir, { recursive: true });

let session: Session;
try {
  session = new Session(dataDir);
} catch (error) {
  log.fatal({ err: error, dataDir }, 'cannot open the chDB data directory (is another process using it?)');
  process.exit(1);
}
const engineVersion = (await session.queryAsync('SELECT version()', { format: 'TabSeparated' })).text().trim();
const server = createClickHouseHttpServer({ session, log, serverVersion: engineVersion });

server.on('error', (error: NodeJS.ErrnoException) => {
  log.fatal({ err: error, port: config.clickhousePort }, error.code === 'EADDRINUSE' ? `port ${config.clickhousePort} (KPI_CLICKHOUSE_PORT) is already in use` : 'HTTP server failed');
  session.close();
  process.exit(1);
});
server.listen(config.clickhousePort, '127.0.0.1', () => {
  log.info({ port: config.clickhousePort, dataDir, engine: engineVersion }, 'embedded ClickHouse listening');
});

const stop = (signal: string) => {
  log.info({ signal }, 'stopping');
  server.close(() => {
    session.close();
    log.info('stopped');
    process.exit(0);
  });
  server.closeAllConnections();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
