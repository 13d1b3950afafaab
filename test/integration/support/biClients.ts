import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';
import { mavenRepository } from '../../../services/layout.js';
import { findJava, resolveWithMaven } from '../../../services/tooling.js';

const run = promisify(execFile);

/** The BI clients the tests drive, pinned; installed from their registries into KPI_SERVICES_DIR/clients (git-ignored), once. */
export const CLICKHOUSE_CONNECT = 'clickhouse-connect==1.12.0';
const CLIENTS_SOURCE = join(projectRoot(), 'test', 'integration', 'services', 'clients');

/** A venv with clickhouse-connect (what Superset uses) from PyPI; returns its python. */
export async function installClickhouseConnect(config: Config): Promise<string> {
  const venv = join(config.servicesPath, 'clients', 'python');
  const python = join(venv, 'bin', 'python');
  const marker = join(venv, '.installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === CLICKHOUSE_CONNECT) return python;
  try {
    mkdirSync(join(config.servicesPath, 'clients'), { recursive: true });
    // Made afresh unless a whole install finished: an interrupted one may have left a venv without pip.
    await run('python3', ['-m', 'venv', '--clear', venv]);
    await run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', CLICKHOUSE_CONNECT], { maxBuffer: 1 << 24 });
  } catch (error) {
    const detail = error as { message: string; stderr?: string };
    throw new Error(`could not install ${CLICKHOUSE_CONNECT} from PyPI into ${venv}: ${detail.stderr?.trim() || detail.message}`, { cause: error });
  }
  writeFileSync(marker, CLICKHOUSE_CONNECT);
  return python;
}

/** The ClickHouse JDBC driver and its dependencies from Maven Central, and a Java to run them. */
export async function installJdbcDriver(config: Config): Promise<{ java: string; classpath: string; program: string }> {
  const lib = join(config.servicesPath, 'clients', 'jdbc');
  try {
    await resolveWithMaven('clickhouse-jdbc', { pom: join(CLIENTS_SOURCE, 'pom.xml'), outputDir: lib, repository: mavenRepository(config) });
  } catch (error) {
    throw new Error(`could not download the ClickHouse JDBC driver from Maven Central into ${lib}: ${(error as Error).message}`, { cause: error });
  }
  return { java: await findJava('clickhouse-jdbc', 17), classpath: join(lib, '*'), program: join(CLIENTS_SOURCE, 'JdbcClient.java') };
}

/** Reads as one user with clickhouse-connect: each statement's row count or error (runs with the venv's python). */
export const READER_READS_PROGRAM = join(CLIENTS_SOURCE, 'readerReads.py');

/** The clickhouse-connect driver program (runs with the venv's python). */
export const CLICKHOUSE_CONNECT_PROGRAM = join(CLIENTS_SOURCE, 'clickhouseConnect.py');
