import { createServer, type Server } from 'node:net';
import { freePort } from '../../../core/net.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { ServiceError } from '../../../core/errors.js';
import { createLogger } from '../../../core/logger.js';
import { kafkaService } from '../../../services/kafka/kafka.js';
import { startService } from '../../../services/service.js';
import { findJava, resolveWithMaven } from '../../../services/tooling.js';

const scratch = mkdtempSync(join(tmpdir(), 'kpi-startup-'));
const log = createLogger('warn', 'text');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function failure(work: () => Promise<unknown>): Promise<ServiceError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a ServiceError');
}

test('a taken port stops start-up naming the port and its variable', async () => {
  const blocker: Server = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const config = loadConfig({ KPI_SERVICES_DIR: scratch, KPI_KAFKA_PORT: String(port), KPI_KAFKA_CONTROLLER_PORT: String(await freePort()) });
    const error = await failure(() => startService(kafkaService(config), log));
    expect(error.service).toBe('kafka');
    expect(error.message).toContain(`port ${port} (KPI_KAFKA_PORT) is already in use`);
  } finally {
    blocker.close();
  }
});

test('no Java new enough names the versions it found and the variable to set', async () => {
  const error = await failure(() => findJava('registry', 99, { key: 'KPI_REGISTRY_JAVA', value: undefined }));
  expect(error.message).toMatch(/registry: needs Java 99 or newer: found only .*\(Java \d+\).*set KPI_REGISTRY_JAVA/);
});

test('a Java binary that does not exist is named', async () => {
  const error = await failure(() => findJava('registry', 21, { key: 'KPI_REGISTRY_JAVA', value: '/nonexistent/bin/java' }));
  expect(error.message).toContain('KPI_REGISTRY_JAVA=/nonexistent/bin/java does not run as java');
});

test('a failed download names Maven Central and shows what Maven said', async () => {
  const pom = join(scratch, 'pom.xml');
  writeFileSync(
    pom,
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>t</groupId><artifactId>t</artifactId><version>1</version><packaging>pom</packaging>
     <dependencies><dependency><groupId>io.kpistream.nonexistent</groupId><artifactId>nothing-here</artifactId><version>0.0.1</version></dependency></dependencies></project>`,
  );
  const error = await failure(() => resolveWithMaven('kafka', { pom, outputDir: join(scratch, 'libs'), repository: join(loadConfig().servicesPath, 'm2') }));
  expect(error.message).toContain('kafka: download from Maven Central failed (mvn exit 1)');
  expect(error.message).toContain('nothing-here');
}, 120_000);
