import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gzipSync, zstdCompressSync } from 'node:zlib';
import { encodeBlocks } from '../../../tools/clickhouse/compression.js';
import { sendTo, startEmbeddedClickHouse, type Answer, type EmbeddedClickHouse, type Send } from '../support/embeddedClickHouse.js';

/**
 * The embedded ClickHouse is safe to leave running on a shared machine. Each
 * test checks one rule against an instance of its own, started through the CLI
 * with a password and small limits, and would fail without that rule.
 */
const PASSWORD = 'pa55:word';
let clickhouse: EmbeddedClickHouse;
const scratch = mkdtempSync(join(tmpdir(), 'kpi-ch-safety-'));

beforeAll(async () => {
  clickhouse = await startEmbeddedClickHouse({
    CLICKHOUSE_USER: 'analyst',
    CLICKHOUSE_PASSWORD: PASSWORD,
    KPI_CLICKHOUSE_MAX_BODY: '64KiB',
    KPI_CLICKHOUSE_MAX_QUEUE: '1',
    KPI_CLICKHOUSE_MAX_EXECUTION_TIME: '3s',
    KPI_CLICKHOUSE_MAX_MEMORY: '256MiB',
  });
  await sql('CREATE TABLE rows (k String) ENGINE = MergeTree ORDER BY k');
}, 60_000);

afterAll(async () => {
  await clickhouse?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A request as a client sends it; with the configured credentials (as basic auth) unless `auth` is false. */
function send({ auth = true, ...options }: Send & { auth?: boolean } = {}): Promise<Answer> {
  return sendTo(clickhouse.url, { ...options, ...(auth ? { credentials: { user: 'analyst', password: PASSWORD } } : {}) });
}

/** Runs SQL (POST body) and returns the body; any error fails the test. */
async function sql(query: string, params: Record<string, string> = {}): Promise<string> {
  const answer = await send({ body: query, params });
  if (answer.status !== 200) throw new Error(`${query}: ${answer.status} ${answer.body}`);
  return answer.body;
}

function expectError(answer: Answer, status: number, code: number, text?: string | RegExp): void {
  expect({ status: answer.status, code: answer.headers['x-clickhouse-exception-code'] }).toEqual({ status, code: String(code) });
  expect(answer.body).toMatch(new RegExp(`^Code: ${code}\\. DB::Exception: `));
  if (text) expect(answer.body).toMatch(text);
}

test('only the configured user and password get in, however a client sends them', async () => {
  const query = { body: 'SELECT 1' };
  expect((await send({ ...query })).body).toBe('1\n');
  expect((await send({ ...query, auth: false, headers: { 'X-ClickHouse-User': 'analyst', 'X-ClickHouse-Key': PASSWORD } })).body).toBe('1\n');
  expect((await send({ ...query, auth: false, params: { user: 'analyst', password: PASSWORD } })).body).toBe('1\n');

  expectError(await send({ ...query, auth: false }), 403, 516, 'default: Authentication failed');
  expectError(await send({ ...query, auth: false, params: { user: 'analyst', password: 'wrong' } }), 403, 516);
  expectError(await send({ ...query, auth: false, headers: { 'X-ClickHouse-User': 'analyst', 'X-ClickHouse-Key': 'wrong' } }), 403, 516);
  expectError(await send({ ...query, auth: false, headers: { Authorization: `Basic ${Buffer.from('default:').toString('base64')}` } }), 403, 516);
  expectError(
    await send({ ...query, params: { user: 'analyst', password: PASSWORD } }),
    403,
    516,
    'not allowed to use Authorization HTTP header and authentication via parameters simultaneously',
  );
  expectError(await send({ ...query, auth: false, headers: { Authorization: 'Bearer x' } }), 403, 516, "'Bearer' HTTP Authorization scheme is not supported");
});

test('requests addressed to a non-loopback name (DNS rebinding) or sent by a web page (Origin) are refused', async () => {
  expectError(await send({ body: 'SELECT 1', headers: { Host: 'attacker.example:8123' } }), 403, 497, 'not a loopback name');
  expectError(await send({ body: 'SELECT 1', headers: { Origin: 'http://127.0.0.1:3000' } }), 403, 497, 'Origin');
  expectError(await send({ method: 'GET', params: { query: 'SELECT 1' }, headers: { Origin: 'null' } }), 403, 497);
  expect((await send({ body: 'SELECT 1', headers: { Host: `localhost:${new URL(clickhouse.url).port}` } })).body).toBe('1\n');
});

test('one statement per request: a second one is refused and nothing runs', async () => {
  expectError(await send({ body: 'CREATE TABLE never (a UInt8) ENGINE = Memory; DROP TABLE rows' }), 400, 62, 'Multi-statements are not allowed');
  // VALUES data ends at a ';': the engine would run what follows it.
  expectError(await send({ body: "INSERT INTO rows VALUES ('smuggled'); CREATE TABLE never (a UInt8) ENGINE = Memory" }), 400, 62, 'follows the VALUES data');
  expect(await sql("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name IN ('never', 'rows')")).toBe('1\n');
  expect(await sql('SELECT count() FROM rows')).toBe('0\n');
});

test("an INSERT's data is never run as SQL, whatever lines it holds", async () => {
  await sql('CREATE TABLE lines (t String) ENGINE = MergeTree ORDER BY t');
  for (const format of ['TSV', 'CSV', 'LineAsString']) {
    const answer = await send({ body: `INSERT INTO lines FORMAT ${format}\nfirst\n;CREATE TABLE smuggled (a UInt8) ENGINE = Memory\n` });
    expect({ format, status: answer.status, body: answer.body }).toEqual({ format, status: 200, body: '' });
  }
  expect(await sql("SELECT count() FROM system.tables WHERE name = 'smuggled'")).toBe('0\n');
  expect(await sql('SELECT t, count() FROM lines GROUP BY t ORDER BY t')).toBe(';CREATE TABLE smuggled (a UInt8) ENGINE = Memory\t3\nfirst\t3\n');
});

test('GET runs reads only', async () => {
  expect((await send({ method: 'GET', params: { query: 'SELECT 2' } })).body).toBe('2\n');
  const answer = await send({ method: 'GET', params: { query: 'CREATE TABLE by_get (a UInt8) ENGINE = Memory' } });
  expectError(answer, 500, 164, 'method GET implies readonly');
  expectError(await send({ method: 'GET', params: { query: 'SELECT 1', readonly: '0' } }), 500, 164);
  expect(await sql("SELECT count() FROM system.tables WHERE name = 'by_get'")).toBe('0\n');
});

test('nothing reaches files, URLs, other servers or programs', async () => {
  const outfile = join(scratch, 'out.tsv');
  for (const query of [
    "SELECT * FROM file('/etc/passwd', 'LineAsString')",
    "SELECT file('/etc/passwd')",
    "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')",
    "SELECT * FROM remote('127.0.0.1', system.one)",
    `SELECT 1 INTO OUTFILE '${outfile}'`,
    'CREATE TABLE on_disk (a String) ENGINE = File(TSV)',
    "CREATE DICTIONARY passwd (k UInt64, v String) PRIMARY KEY k SOURCE(FILE(path '/etc/passwd' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
    'SYSTEM SHUTDOWN',
  ]) {
    // Refused by the engine's grants, or by the front where the engine has no rule in local mode (sqlText.ts).
    expectError(await send({ body: query }), 403, 497, /Not enough privileges/);
  }
  // Programs run only from the data directory's user_scripts, which nothing can write to.
  expectError(await send({ body: "SELECT * FROM executable('/usr/bin/id', 'TSV', 'a String')" }), 500, 1, 'inside user scripts folder');
  // Settings that name files are fixed in the engine's settings profile.
  expectError(await send({ body: 'SELECT 1', params: { format_schema: '/etc/passwd:X' } }), 500, 452, 'format_schema should not be changed');
  expect(existsSync(outfile)).toBe(false);
  expect(await sql("SELECT count() FROM system.tables WHERE name = 'on_disk'")).toBe('0\n');
  expect(await sql('SELECT 1')).toBe('1\n'); // still serving
});

test('SET and USE need a session, as on a server; a session keeps them and nothing else sees them', async () => {
  expectError(await send({ body: 'SET max_threads = 3' }), 500, 113, 'There is no session');
  expectError(await send({ body: 'USE system' }), 500, 113);
  const session = { session_id: `s-${Date.now()}` };
  await sql('SET max_threads = 3', session);
  await sql('USE system', session);
  expect(await sql("SELECT getSetting('max_threads'), currentDatabase()", session)).toBe('3\tsystem\n');
  expect(await sql("SELECT getSetting('max_threads') = 3, currentDatabase()")).toBe('0\tdefault\n');
  expect(await sql("SELECT getSetting('max_threads') = 3", { session_id: 'another' })).toBe('0\n');
  // A URL setting in a session request is for that request only, as on a server.
  expect(await sql("SELECT getSetting('max_threads')", { ...session, max_threads: '5' })).toBe('5\n');
  expect(await sql("SELECT getSetting('max_threads')", session)).toBe('3\n');
  expectError(await send({ body: 'SELECT 1', params: { session_id: 'never-made', session_check: '1' } }), 500, 372, 'Session never-made not found');
  expectError(await send({ body: 'SELECT 1', params: { ...session, session_timeout: '100000' } }), 500, 374);
});

test('limits apply to every query and a request can lower but not raise them', async () => {
  expect(await sql("SELECT getSetting('max_execution_time'), getSetting('max_memory_usage')")).toBe(`3\t${256 * 1024 * 1024}\n`);
  expectError(await send({ body: 'SELECT 1 SETTINGS max_execution_time = 100' }), 500, 452, "max_execution_time shouldn't be greater than 3");
  expectError(await send({ body: 'SELECT 1', params: { max_memory_usage: '0' } }), 500, 452);
  expectError(await send({ body: 'SELECT count() FROM system.numbers' }), 408, 159, 'Timeout exceeded');
  expectError(await send({ body: 'SELECT groupArray(number) FROM numbers(100000000)' }), 500, 241);
  expect(await sql("SELECT getSetting('max_execution_time')", { max_execution_time: '2' })).toBe('2\n');
});

test('bodies are capped as sent and after decompression', async () => {
  const big = `SELECT '${'x'.repeat(70 * 1024)}'`;
  expectError(await send({ body: big }), 413, 229, 'KPI_CLICKHOUSE_MAX_BODY');
  // 2 KiB of gzip that inflates to 1 MiB.
  const bomb = gzipSync(Buffer.concat([Buffer.from("SELECT length('"), Buffer.alloc(1 << 20, 0x61), Buffer.from("')")]));
  expect(bomb.length).toBeLessThan(64 * 1024);
  expectError(await send({ body: bomb, headers: { 'Content-Encoding': 'gzip' } }), 413, 229);
  // 3 KB of zstd that would be 100 MiB: refused once the cap is reached, not after.
  const zstdBomb = zstdCompressSync(Buffer.alloc(100 << 20, 0x61), { params: { [constants.ZSTD_c_compressionLevel]: 19 } });
  expect(zstdBomb.length).toBeLessThan(4096);
  expectError(await send({ body: zstdBomb, headers: { 'Content-Encoding': 'zstd' } }), 413, 229);
  const blocks = encodeBlocks(Buffer.concat([Buffer.from("SELECT length('"), Buffer.alloc(1 << 20, 0x61), Buffer.from("')")]));
  expect(blocks.length).toBeLessThan(64 * 1024);
  expectError(await send({ body: blocks, params: { decompress: '1' } }), 413, 229);
});

test('a compressed block with a wrong checksum is refused', async () => {
  const blocks = encodeBlocks(Buffer.from('SELECT 42'));
  const good = await send({ body: blocks, params: { decompress: '1' } });
  expect(good.body).toBe('42\n');
  blocks[3] = blocks[3]! ^ 0x01;
  expectError(await send({ body: blocks, params: { decompress: '1' } }), 500, 40, "Checksum doesn't match");
});

/** Resolves once a request of `session` has been taken in (the session is locked until it ends). */
async function untilSessionBusy(session: string): Promise<void> {
  // The probe never runs: its two statements are refused, after the session lock is checked.
  for (let i = 0; i < 500; i++) {
    const probe = await send({ body: 'SELECT 1; SELECT 2', params: { session_id: session } });
    if (probe.headers['x-clickhouse-exception-code'] === '373') return;
  }
  throw new Error(`session ${session} never became busy`);
}

test('the queue is bounded (503 when full) and a client that leaves drops its waiting query', async () => {
  // One query runs until max_execution_time (3 s) stops it; the next waits; a third finds the queue (1) full.
  const running = send({ body: 'SELECT count() FROM system.numbers', params: { session_id: 'running' } });
  await untilSessionBusy('running');
  const leaving = new AbortController();
  const waiting = send({ body: "INSERT INTO rows VALUES ('written by a client that left')", params: { session_id: 'waiting' }, signal: leaving.signal }).catch(
    (error: Error) => error,
  );
  await untilSessionBusy('waiting');
  expectError(await send({ body: 'SELECT 1' }), 503, 202, 'KPI_CLICKHOUSE_MAX_QUEUE');
  leaving.abort();
  expect(await waiting).toMatchObject({ name: 'AbortError' });
  expectError(await running, 408, 159);
  expect(await sql('SELECT count() FROM rows')).toBe('0\n');
  expect(await sql('SELECT 1')).toBe('1\n');
}, 30_000);
