import { Counter, Registry } from 'prom-client';
import { ConfigError } from '../../../core/errors.js';
import { startHealthServer, type HealthCheck, type HealthServer } from '../../../core/health.js';
import { createLogger } from '../../../core/logger.js';
import { createProcessRegistry } from '../../../core/metrics.js';

const log = createLogger('silent');
const servers: HealthServer[] = [];
const start = async (registry: Registry, checks: HealthCheck[] = [], checkTimeoutMs?: number) => {
  const server = await startHealthServer({ registry, checks, host: '127.0.0.1', port: 0, log, ...(checkTimeoutMs ? { checkTimeoutMs } : {}) });
  servers.push(server);
  return server;
};
const get = (server: HealthServer, path: string, method = 'GET') =>
  fetch(`${server.url}${path}`, { method }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }));

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

test('/metrics serves the registry: what components register, and the process and Node metrics of a process registry', async () => {
  const registry = createProcessRegistry();
  new Counter({ name: 'kpi_test_things_total', help: 'Things a test component counted.', registers: [registry] }).inc(3);
  const server = await start(registry);
  const metrics = await get(server, '/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.type).toBe(registry.contentType);
  expect(metrics.body).toContain('kpi_test_things_total 3');
  expect(metrics.body).toContain('# TYPE process_cpu_seconds_total counter');
  expect(metrics.body).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
  expect(metrics.body).toMatch(/^kpi_build_info\{version="\d+\.\d+\.\d+[^"]*",nodejs="\d+\.\d+\.\d+"\} 1$/m);
});

test('/healthz answers while the process serves; /readyz is 200 only when every check passes, one line per check', async () => {
  let clickhouseUp = true;
  const server = await start(new Registry(), [
    { name: 'consumer-group', check: () => ({ ok: true, detail: 'member with 3 partitions' }) },
    { name: 'clickhouse', check: async () => (clickhouseUp ? { ok: true, detail: 'answered' } : { ok: false, detail: 'does not answer' }) },
  ]);
  expect(await get(server, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  expect(await get(server, '/readyz')).toEqual({
    status: 200,
    type: 'text/plain; charset=utf-8',
    body: '[+] consumer-group: member with 3 partitions\n[+] clickhouse: answered\nready\n',
  });
  clickhouseUp = false;
  expect(await get(server, '/readyz')).toMatchObject({
    status: 503,
    body: '[+] consumer-group: member with 3 partitions\n[-] clickhouse: does not answer\nnot ready\n',
  });
  expect((await get(server, '/healthz')).status).toBe(200);
  // Probes may add a query string.
  expect((await get(server, '/readyz?verbose')).status).toBe(503);
});

test('a check that throws or does not answer in time fails, without holding up the others', async () => {
  const server = await start(
    new Registry(),
    [
      { name: 'thrower', check: () => Promise.reject(new Error('broker metadata unavailable')) },
      { name: 'sleeper', check: () => new Promise(() => undefined) },
      { name: 'fine', check: () => ({ ok: true, detail: 'fine' }) },
    ],
    200,
  );
  const started = Date.now();
  const ready = await get(server, '/readyz');
  expect(Date.now() - started).toBeLessThan(2000);
  expect(ready.status).toBe(503);
  expect(ready.body).toBe('[-] thrower: broker metadata unavailable\n[-] sleeper: no answer within 0.2s\n[+] fine: fine\nnot ready\n');
});

test('checks added later are asked too; with no check at all the process is ready', async () => {
  const server = await start(new Registry());
  expect(await get(server, '/readyz')).toMatchObject({ status: 200, body: 'ready\n' });
  server.addCheck({ name: 'alert-outbox', check: () => ({ ok: false, detail: 'webhook receiver refuses deliveries' }) });
  expect(await get(server, '/readyz')).toMatchObject({ status: 503, body: '[-] alert-outbox: webhook receiver refuses deliveries\nnot ready\n' });
});

test('other paths are not found, other methods not allowed, HEAD works', async () => {
  const server = await start(new Registry());
  expect((await get(server, '/')).status).toBe(404);
  expect((await get(server, '/metrics/extra')).status).toBe(404);
  const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
  expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  expect(await get(server, '/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
});

test('a failing collect answers 500 and the server goes on', async () => {
  const registry = new Registry();
  new Counter({
    name: 'kpi_broken_total',
    help: 'A metric whose collect fails.',
    registers: [registry],
    collect() {
      throw new Error('cannot read');
    },
  });
  const server = await start(registry);
  expect((await get(server, '/metrics')).status).toBe(500);
  expect((await get(server, '/healthz')).status).toBe(200);
});

test('a port in use names KPI_METRICS_PORT; an address not of this machine names KPI_METRICS_HOST', async () => {
  const first = await start(new Registry());
  const taken = await startHealthServer({ registry: new Registry(), host: '127.0.0.1', port: first.port, log }).catch((error: unknown) => error);
  expect(taken).toBeInstanceOf(ConfigError);
  expect((taken as ConfigError).key).toBe('KPI_METRICS_PORT');
  expect((taken as ConfigError).message).toContain(`127.0.0.1:${first.port} (EADDRINUSE)`);
  // TEST-NET-1 (RFC 5737): never an address of this machine.
  const foreign = await startHealthServer({ registry: new Registry(), host: '192.0.2.1', port: 0, log }).catch((error: unknown) => error);
  expect((foreign as ConfigError).key).toBe('KPI_METRICS_HOST');
});

test('close ends kept-alive connections (Prometheus keeps one open between scrapes)', async () => {
  const server = await start(new Registry());
  expect((await get(server, '/metrics')).status).toBe(200);
  const started = Date.now();
  await server.close();
  expect(Date.now() - started).toBeLessThan(1000);
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
});
