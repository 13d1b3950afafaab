/**
 * The embedded ClickHouse process: owns the chDB data directory and serves
 * ClickHouse's HTTP interface on 127.0.0.1:<KPI_CLICKHOUSE_PORT>. Started by
 * `kpi-stream services up`; stops cleanly on SIGTERM/SIGINT.
 */
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { privateDirectory } from '../../core/privateFiles.js';
import { openEngine, type Engine } from './engine.js';
import { createClickHouseHttpServer } from './httpInterface.js';
import { serviceLayout } from '../../services/layout.js';
import { embeddedReaders } from '../../services/clickhouse/service.js';

// Everything the engine writes (window rows, dead letters: personal data) is the user's alone.
process.umask(0o077);
const config = loadConfig();
const log = createLogger(config.logLevel, config.logFormat, 'kpi-stream-clickhouse');
const layout = serviceLayout(config, 'clickhouse');
const dataDir = layout.dataDir;
privateDirectory(layout.home);
privateDirectory(dataDir);

let engine: Engine;
try {
  engine = await openEngine(
    dataDir,
    join(layout.home, 'engine-config'),
    join(layout.home, 'inserts'),
    {
      maxExecutionSeconds: Math.ceil(config.clickhouseMaxExecutionTime / 1000),
      maxMemoryBytes: config.clickhouseMaxMemory,
    },
    config.clickhouseDatabase,
  );
} catch (error) {
  log.fatal({ err: error, dataDir }, 'cannot open the chDB data directory (is another process using it?)');
  process.exit(1);
}
const server = createClickHouseHttpServer({
  engine,
  log,
  user: config.clickhouse.username,
  password: config.clickhouse.password,
  readers: embeddedReaders(config.servicesPath),
  maxBodyBytes: config.clickhouseMaxBody,
  maxQueuedQueries: config.clickhouseMaxQueue,
});

server.on('error', (error: NodeJS.ErrnoException) => {
  log.fatal(
    { err: error, port: config.clickhousePort },
    error.code === 'EADDRINUSE' ? `port ${config.clickhousePort} (KPI_CLICKHOUSE_PORT) is already in use` : 'HTTP server failed',
  );
  engine.close();
  process.exit(1);
});
server.listen(config.clickhousePort, '127.0.0.1', () => {
  log.info({ port: config.clickhousePort, dataDir, engine: engine.version }, 'embedded ClickHouse listening');
});

const stop = (signal: string) => {
  log.info({ signal }, 'stopping');
  server.close(() => {
    engine.close();
    log.info('stopped');
    process.exit(0);
  });
  server.closeAllConnections();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
