import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { createLogger } from '../../../core/logger.js';
import { servicesDown, type ServiceName } from '../../../services/index.js';
import { stopContainers } from './containers.js';

export default async function globalTeardown(): Promise<void> {
  const config = loadConfig();
  await stopContainers();
  const stateFile = join(config.servicesPath, 'test-run.json');
  if (!existsSync(stateFile)) return;
  const { started } = JSON.parse(readFileSync(stateFile, 'utf8')) as { started: ServiceName[] };
  rmSync(stateFile);
  if (started.length > 0 && process.env.KPI_KEEP_SERVICES !== '1') {
    await servicesDown(config, createLogger(process.env.LOG_LEVEL ?? 'info', 'text').child({ component: 'test-services' }), started);
  }
}
