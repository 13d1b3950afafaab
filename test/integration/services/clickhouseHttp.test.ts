import { ClickHouseError, createClient } from '@clickhouse/client';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { dropTestResources, testContext } from '../support/context.js';

/**
 * The HTTP interface @clickhouse/client and BI tools use. Against the embedded
 * engine this checks kpi-stream's server; with CLICKHOUSE_URL set, the same
 * expectations hold for a ClickHouse server, which keeps the two at parity.
 */
const ctx = testContext('clickhouse_http');
const admin = createClickHouseClient(ctx.config, { withDatabase: false });
const client = createClickHouseClient(ctx.config);

beforeAll(async () => {
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${ctx.config.clickhouseDatabase}` });
});

afterAll(async () => {
  await client.close();
  await admin.close();
  await dropTestResources(ctx);
});

async function one<T>(query: string, query_params: Record<string, unknown> = {}, settings = {}): Promise<T> {
  const result = await client.query({ query, query_params, format: 'JSONEachRow', clickhouse_settings: settings });
  const rows = await result.json<T>();
  return rows[0]!;
}

async function error(work: () => Promise<unknown>): Promise<ClickHouseError> {
  try {
    await work();
  } catch (e) {
    if (e instanceof ClickHouseError) return e;
    throw e;
  }
  throw new Error('expected a ClickHouseError');
}

test('ping', async () => {
  expect((await client.ping()).success).toBe(true);
});

test('string parameters arrive exactly, whatever they contain', async () => {
  const tricky = "it's a \\ back\tslash\nand 'quotes' \"too\" — ünïcödé {x:String}";
  expect(await one<{ s: string }>('SELECT {s:String} AS s', { s: tricky })).toEqual({ s: tricky });
});

test('array, tuple-array, nullable and date parameters', async () => {
  const row = await one<Record<string, unknown>>(
    "SELECT {ids:Array(String)} AS ids, {n:Nullable(Int64)} AS n, {t:DateTime64(3, 'UTC')} AS t, {k:UInt64} + 1 AS k",
    { ids: ["a'b", 'c\\d'], n: null, t: '2026-11-02 09:30:00.250', k: 41 },
  );
  expect(row).toEqual({ ids: ["a'b", 'c\\d'], n: null, t: '2026-11-02 09:30:00.250', k: 42 });
});

test('an unbound placeholder is an error, not a stale value from an earlier query', async () => {
  await one('SELECT {p:String} AS p', { p: 'first' });
  const e = await error(() => one('SELECT {p:String} AS p'));
  expect(e.code).toBe('456');
});

test('errors carry the ClickHouse code and type', async () => {
  const syntax = await error(() => client.query({ query: 'SELEC 1' }));
  expect(syntax.code).toBe('62');
  expect(syntax.type).toBe('SYNTAX_ERROR');
  const table = await error(() => client.query({ query: 'SELECT * FROM no_such_table' }));
  expect(table.code).toBe('60');
  expect(table.type).toBe('UNKNOWN_TABLE');
});

test('settings apply to their query only', async () => {
  expect(await one<{ m: number }>("SELECT getSetting('max_threads') AS m", {}, { max_threads: 3 })).toEqual({ m: 3 });
  expect(Number((await one<{ m: number }>("SELECT getSetting('max_threads') AS m")).m)).not.toBe(3);
});

test('the database parameter scopes unqualified names; inserts take JSONEachRow bodies', async () => {
  await client.command({ query: 'CREATE TABLE t (k String, v UInt64) ENGINE = MergeTree ORDER BY k' });
  await client.insert({
    table: 't',
    values: [
      { k: 'a', v: 1 },
      { k: 'b\n"x"', v: 2 },
    ],
    format: 'JSONEachRow',
  });
  const result = await client.query({ query: 'SELECT k, v FROM t ORDER BY k', format: 'JSONEachRow' });
  expect(await result.json()).toEqual([
    { k: 'a', v: 1 },
    { k: 'b\n"x"', v: 2 },
  ]);
  expect(await one<{ d: string }>('SELECT currentDatabase() AS d')).toEqual({ d: ctx.config.clickhouseDatabase });
});

test('compressed requests and responses', async () => {
  const { url, username, password } = ctx.config.clickhouse;
  const gzip = createClient({ url, username, password, compression: { request: true, response: true } });
  try {
    const result = await gzip.query({ query: 'SELECT toUInt8(number) AS n FROM system.numbers LIMIT 3', format: 'JSONEachRow' });
    expect(await result.json()).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  } finally {
    await gzip.close();
  }
  const raw = await fetch(`${ctx.config.clickhouse.url}/?enable_http_compression=1&query=${encodeURIComponent('SELECT 1 FORMAT TabSeparated')}`, {
    headers: { 'Accept-Encoding': 'gzip', Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  });
  expect(raw.headers.get('content-encoding')).toBe('gzip');
  expect(await raw.text()).toBe('1\n');
});

test("an insert's data is data: an employee id like {a:1} round-trips, whatever the format", async () => {
  await client.command({ query: 'CREATE TABLE ids (employee_id String, units UInt64) ENGINE = MergeTree ORDER BY employee_id' });
  const ids = ['{a:1}', '{employee:String}', "it's {x:UInt8}; SELECT 1", 'E\\{b:2}\t'];
  await client.insert({ table: 'ids', values: ids.map((employee_id, units) => ({ employee_id, units })), format: 'JSONEachRow' });
  await client.insert({ table: 'ids', values: ids.map((employee_id, units) => [employee_id, units + 10]), format: 'JSONCompactEachRow' });
  const result = await client.query({ query: 'SELECT employee_id, units FROM ids ORDER BY employee_id, units', format: 'JSONEachRow' });
  const expected = ids.flatMap((employee_id, units) => [
    { employee_id, units },
    { employee_id, units: units + 10 },
  ]);
  expected.sort((a, b) => (a.employee_id < b.employee_id ? -1 : a.employee_id > b.employee_id ? 1 : a.units - b.units));
  expect(await result.json()).toEqual(expected);
});

test('the output formats BI clients ask for, with their headers', async () => {
  const ask = async (format: string) => {
    const response = await fetch(`${ctx.config.clickhouse.url}/?default_format=${format}`, {
      method: 'POST',
      body: 'SELECT toUInt32(number) AS n, toString(number) AS s FROM system.numbers LIMIT 2',
      headers: { Authorization: `Basic ${Buffer.from(`${ctx.config.clickhouse.username}:${ctx.config.clickhouse.password}`).toString('base64')}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-clickhouse-format')).toBe(format);
    expect(response.headers.get('x-clickhouse-query-id')).toBeTruthy();
    const summary = JSON.parse(response.headers.get('x-clickhouse-summary') ?? '{}') as Record<string, string>;
    expect(Number(summary.read_rows)).toBeGreaterThanOrEqual(2);
    return { type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
  };
  const compact = await ask('JSONCompact');
  expect(compact.type).toMatch(/^application\/json/);
  expect(JSON.parse(compact.body.toString())).toMatchObject({
    meta: [
      { name: 'n', type: 'UInt32' },
      { name: 's', type: 'String' },
    ],
    data: [
      [0, '0'],
      [1, '1'],
    ],
    rows: 2,
  });
  const tsv = await ask('TabSeparatedWithNamesAndTypes');
  expect(tsv.type).toMatch(/^text\/tab-separated-values/);
  expect(tsv.body.toString()).toBe('n\ts\nUInt32\tString\n0\t0\n1\t1\n');
  const rowBinary = await ask('RowBinaryWithNamesAndTypes');
  expect(rowBinary.type).toBe('application/octet-stream');
  // 2 columns; names "n", "s"; types "UInt32", "String"; then rows: UInt32 LE and length-prefixed strings.
  expect(rowBinary.body.toString('hex')).toBe(
    Buffer.concat([
      Buffer.from([2, 1, 0x6e, 1, 0x73, 6]),
      Buffer.from('UInt32'),
      Buffer.from([6]),
      Buffer.from('String'),
      Buffer.from([0, 0, 0, 0, 1, 0x30, 1, 0, 0, 0, 1, 0x31]),
    ]).toString('hex'),
  );
  const native = await ask('Native');
  expect(native.type).toBe('application/octet-stream');
  expect(native.body.subarray(0, 2)).toEqual(Buffer.from([2, 2])); // 2 columns, 2 rows
  const arrow = await ask('Arrow');
  expect(arrow.type).toBe('application/octet-stream');
  expect(arrow.body.subarray(0, 6).toString()).toBe('ARROW1');
});
