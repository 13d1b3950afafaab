import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../core/config.js';
import { createLogger } from '../../../core/logger.js';
import { serviceLayout } from '../../../services/layout.js';
import { registryService } from '../../../services/registry/registry.js';
import { startService, stopService, type ServiceDefinition } from '../../../services/service.js';
import { schemaOf } from '../../../schemas/avro.js';
import { createRegistry, registerSchema } from '../../../topics/registry.js';
import { freePort } from '../../../core/net.js';

// A registry of its own (own port and data), so restarting it disturbs no other test.
const servicesDir = mkdtempSync(join(tmpdir(), 'kpi-registry-'));
const shared = loadConfig();
const log = createLogger('warn', 'text');
let config: Config;
let service: ServiceDefinition;

beforeAll(async () => {
  config = loadConfig({ ...process.env, KPI_SERVICES_DIR: servicesDir, KPI_REGISTRY_PORT: String(await freePort()), SCHEMA_REGISTRY_URL: '' });
  service = registryService(config);
  // Reuse the shared download when there is one; otherwise this test downloads its own.
  const sharedInstall = serviceLayout(shared, 'registry').installDir;
  if (existsSync(sharedInstall)) {
    mkdirSync(service.layout.home, { recursive: true });
    symlinkSync(sharedInstall, service.layout.installDir);
  }
});

afterAll(async () => {
  await stopService(service);
  rmSync(servicesDir, { recursive: true, force: true });
});

test('the local registry keeps subjects and schema ids across a restart', async () => {
  expect((await startService(service, log)).outcome).toBe('started');
  const registry = createRegistry(config);
  const id = await registerSchema(registry, 'restart-test-value', schemaOf('feedback'));

  expect(await stopService(service)).toBe('stopped');
  expect((await startService(service, log)).outcome).toBe('started');

  const afterRestart = createRegistry(config);
  expect(await afterRestart.getLatestSchemaId('restart-test-value')).toBe(id);
  expect(JSON.stringify(await afterRestart.getSchema(id))).toContain('CustomerFeedback');
}, 180_000);

test('a second start while it runs changes nothing', async () => {
  const report = await startService(service, log);
  expect(report.outcome).toBe('already-running');
}, 60_000);
