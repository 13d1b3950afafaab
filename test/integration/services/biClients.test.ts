import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { distFile } from '../../../core/paths.js';
import { analystQueries, mayBeEmpty } from '../support/analystQueries.js';
import { CLICKHOUSE_CONNECT_PROGRAM, installClickhouseConnect, installJdbcDriver } from '../support/biClients.js';
import { dropTestResources, testContext } from '../support/context.js';
import { processorEnv } from '../support/processor.js';
import { RecordingProxy, summarize, type RecordedRequest } from '../support/recordingProxy.js';

/**
 * The BI clients people point at kpi-stream, as installed from their
 * registries and with their default settings: clickhouse-connect (Superset),
 * the ClickHouse JDBC driver (Metabase, DBeaver) and @clickhouse/client. Each
 * runs every example query of docs/analysts.md against a database a simulated
 * plant filled, and inserts and reads back employee ids that look like query
 * parameters. A recording proxy shows what each sent and got back.
 */
const ctx = testContext('bi_clients', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-bi-'));
const execute = promisify(execFile);
let proxy: RecordingProxy;

const EMPLOYEE = 'E000001';
const TRICKY_IDS = ['{a:1}', '{employee:String}', "O'Brien {x:UInt8}", 'E\\{b:2}'];
const queries = analystQueries(ctx.config.clickhouseDatabase);

/** A `kpi-stream` command as a child process in the test's topics and database; resolves when it exits 0. */
function cli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distFile('cli/main.js'), ...args], {
      env: processorEnv(ctx, { LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kpi-stream ${args.join(' ')} exited ${code}`))));
  });
}

let python: string;
let jdbc: Awaited<ReturnType<typeof installJdbcDriver>>;

beforeAll(async () => {
  // One fixed plant (KPI_TEST_SEED picks another): every example query must find rows in it, so it has what each
  // query is about — inflators caught by the sequential test among honest noise, measurement gaps, dead letters.
  const seed = Number(process.env.KPI_TEST_SEED ?? 2026);
  process.stdout.write(`BI clients test seed ${seed} (KPI_TEST_SEED)\n`);
  // Installed first, within this hook's time: the clients come from PyPI and Maven Central on a cold machine.
  python = await installClickhouseConnect(ctx.config);
  jdbc = await installJdbcDriver(ctx.config);
  await cli([
    ...['simulate', '--employees', '40', '--days', '21', '--seed', String(seed), '--inflators', '0.25', '--malformed', '0.002'],
    ...['--honest-shape', 'uniform', '--honest-units', '0.1', '--honest-hours', '0.1', '--gaps', '0.1', '--out', out],
  ]);
  await cli(['run', '--exit-when-idle', '3s']);
  await cli(['score', '--period', 'all']);
  await cli(['detect']);
  proxy = await RecordingProxy.start(ctx.config.clickhouse.url);
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

function report(client: string, requests: readonly RecordedRequest[]): void {
  process.stdout.write(`${client} sent ${requests.length} requests:\n${summarize(requests)}\n`);
}

async function runClickhouseConnect(table: string, options: { compress?: string } = {}) {
  const mark = proxy.requests.length;
  const job = {
    host: '127.0.0.1',
    port: proxy.port,
    user: ctx.config.clickhouse.username,
    password: ctx.config.clickhouse.password,
    database: ctx.config.clickhouseDatabase,
    queries,
    parameters: { employee: EMPLOYEE },
    table,
    rows: TRICKY_IDS.map((id, i) => [id, i]),
    ...options,
  };
  const child = execute(python, [CLICKHOUSE_CONNECT_PROGRAM], { maxBuffer: 1 << 24 });
  child.child.stdin!.end(JSON.stringify(job));
  const result = JSON.parse((await child).stdout) as { queries: { rows: number }[]; read_back: [string, number][]; insert_written_rows: number };
  expect(result.insert_written_rows).toBe(TRICKY_IDS.length);
  expect(result.read_back).toEqual(TRICKY_IDS.map((id, i) => [id, i]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  expect(result.queries).toHaveLength(queries.length);
  queries.forEach((query, i) => {
    if (!mayBeEmpty(query)) expect({ query, rows: result.queries[i]!.rows > 0 }).toEqual({ query, rows: true });
  });
  return proxy.since(mark);
}

test('clickhouse-connect (Superset), default settings: every analyst query, and inserts', async () => {
  const requests = await runClickhouseConnect('ids_clickhouse_connect');
  report('clickhouse-connect', requests);
  // What it sent: Native results answered in zstd, an lz4-compressed Native insert, a session per client.
  expect(requests.every((r) => r.status === 200)).toBe(true);
  expect(requests.some((r) => r.responseFormat === 'Native' && r.responseEncoding === 'zstd')).toBe(true);
  expect(requests.some((r) => r.contentEncoding === 'lz4' && r.bodyBytes > 0)).toBe(true);
  expect(requests.some((r) => r.sessionId)).toBe(true);
}, 120_000);

test('clickhouse-connect compressing with zstd both ways', async () => {
  const requests = await runClickhouseConnect('ids_clickhouse_connect_zstd', { compress: 'zstd' });
  report('clickhouse-connect (compress=zstd)', requests);
  expect(requests.every((r) => r.status === 200)).toBe(true);
  expect(requests.some((r) => r.contentEncoding === 'zstd' && r.bodyBytes > 0)).toBe(true);
  expect(requests.some((r) => r.responseEncoding === 'zstd')).toBe(true);
}, 120_000);

async function runJdbc(table: string, properties: string[]): Promise<{ lines: string[]; requests: RecordedRequest[] }> {
  const { java, classpath, program } = jdbc;
  const queryFile = join(out, `${table}.sql`);
  const rowFile = join(out, `${table}.tsv`);
  writeFileSync(queryFile, queries.join('\n-- next\n'));
  writeFileSync(rowFile, TRICKY_IDS.map((id, i) => `${id}\t${i}`).join('\n'));
  const mark = proxy.requests.length;
  const url = `jdbc:clickhouse://127.0.0.1:${proxy.port}/${ctx.config.clickhouseDatabase}`;
  const { stdout } = await execute(
    java,
    ['-cp', classpath, program, url, ctx.config.clickhouse.username, ctx.config.clickhouse.password, table, queryFile, EMPLOYEE, rowFile, ...properties],
    { maxBuffer: 1 << 24 },
  );
  return { lines: stdout.trim().split('\n'), requests: proxy.since(mark) };
}

function expectJdbcResults(lines: string[]): void {
  expect(lines.filter((l) => l.startsWith('readback ')).map((l) => l.slice('readback '.length))).toEqual(TRICKY_IDS.map((id, i) => `${id}\t${i}`).sort());
  const results = lines.filter((l) => l.startsWith('query '));
  expect(results).toHaveLength(queries.length);
  queries.forEach((query, i) => {
    const rows = Number(/rows=(\d+)/.exec(results[i]!)![1]);
    if (!mayBeEmpty(query)) expect({ query, rows: rows > 0 }).toEqual({ query, rows: true });
  });
}

test('the JDBC driver (Metabase, DBeaver), default settings: every analyst query, and a batch insert', async () => {
  const { lines, requests } = await runJdbc('ids_jdbc', []);
  report('clickhouse-jdbc 0.10.0 (defaults)', requests);
  expectJdbcResults(lines);
  // RowBinaryWithNamesAndTypes results in ClickHouse's LZ4 blocks, which the driver checks with CityHash128.
  expect(requests.every((r) => r.status === 200 && r.compress === '1')).toBe(true);
  expect(requests.some((r) => r.responseFormat === 'RowBinaryWithNamesAndTypes')).toBe(true);
}, 120_000);

test('the JDBC driver compressing its requests: ClickHouse blocks (decompress=1), then HTTP lz4', async () => {
  const blocks = await runJdbc('ids_jdbc_blocks', ['decompress=true']);
  report('clickhouse-jdbc 0.10.0 (decompress=true)', blocks.requests);
  expectJdbcResults(blocks.lines);
  expect(blocks.requests.every((r) => r.status === 200 && r.decompress === '1' && r.compress === '1')).toBe(true);

  const http = await runJdbc('ids_jdbc_http', ['decompress=true', 'client.use_http_compression=true']);
  report('clickhouse-jdbc 0.10.0 (HTTP compression)', http.requests);
  expectJdbcResults(http.lines);
  expect(http.requests.every((r) => r.status === 200 && r.contentEncoding === 'lz4' && r.responseEncoding === 'lz4')).toBe(true);
}, 120_000);

test('@clickhouse/client: every analyst query, and inserts', async () => {
  const mark = proxy.requests.length;
  const client = createClient({
    url: proxy.url,
    username: ctx.config.clickhouse.username,
    password: ctx.config.clickhouse.password,
    database: ctx.config.clickhouseDatabase,
    compression: { request: true, response: true },
  });
  try {
    for (const query of queries) {
      const rows = await (await client.query({ query, query_params: { employee: EMPLOYEE }, format: 'JSONCompactEachRow' })).json();
      if (!mayBeEmpty(query)) expect({ query, rows: rows.length > 0 }).toEqual({ query, rows: true });
    }
    await client.command({ query: 'CREATE TABLE ids_clickhouse_js (employee_id String, units UInt64) ENGINE = MergeTree ORDER BY employee_id' });
    await client.insert({ table: 'ids_clickhouse_js', values: TRICKY_IDS.map((employee_id, units) => ({ employee_id, units })), format: 'JSONEachRow' });
    const back = await (
      await client.query({ query: 'SELECT employee_id, units FROM ids_clickhouse_js ORDER BY employee_id', format: 'JSONCompact' })
    ).json<[string, number]>();
    expect(back.data).toEqual(TRICKY_IDS.map((id, i) => [id, i]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  } finally {
    await client.close();
  }
  const requests = proxy.since(mark);
  report('@clickhouse/client', requests);
  expect(requests.every((r) => r.status === 200)).toBe(true);
  expect(requests.some((r) => r.contentEncoding === 'gzip')).toBe(true);
  expect(requests.some((r) => r.responseEncoding === 'gzip')).toBe(true);
});
