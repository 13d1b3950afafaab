import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../../core/logger.js';
import { openEngine, type Engine } from '../../../../tools/clickhouse/engine.js';
import { createClickHouseHttpServer } from '../../../../tools/clickhouse/httpInterface.js';
import { objectsRead, readerAnalysis, refusedRead, type ReaderAccount } from '../../../../tools/clickhouse/readers.js';
import { judgeStatement } from '../../../../tools/clickhouse/sqlText.js';

/**
 * The reader users of the embedded HTTP interface (kpi_hr, kpi_analyst,
 * kpi_works_council), over a real engine in this process: what the engine's
 * role grants refuse, what the interface refuses by the analyzer's account of
 * what a statement reads, and that allowed reads return rows.
 */
const dir = mkdtempSync(join(tmpdir(), 'kpi-readers-'));
const MAIN = { user: 'default', password: 'main-secret' };
const readers: ReaderAccount[] = [
  { user: 'kpi_hr', password: 'hr-secret', role: 'kpi_hr' },
  { user: 'kpi_analyst', password: 'analyst-secret', role: 'kpi_analyst' },
  { user: 'kpi_works_council', password: 'council-secret', role: 'kpi_works_council' },
];
const [hr, analyst, council] = readers as [ReaderAccount, ReaderAccount, ReaderAccount];
let engine: Engine;
let server: Server;
let url: string;

beforeAll(async () => {
  engine = await openEngine(join(dir, 'data'), join(dir, 'config'), join(dir, 'inserts'), { maxExecutionSeconds: 30, maxMemoryBytes: 1 << 30 }, 'kpi');
  server = createClickHouseHttpServer({ engine, log: createLogger('silent', 'json', 'test'), ...MAIN, readers, maxBodyBytes: 1 << 20, maxQueuedQueries: 10 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  for (const statement of [
    'CREATE DATABASE kpi',
    'CREATE DATABASE kpi_bi',
    'CREATE TABLE kpi.employee_window_metrics_current (employee_id String, team_id String, units UInt64) ENGINE = MergeTree ORDER BY employee_id',
    "INSERT INTO kpi.employee_window_metrics_current VALUES ('E1', 'T1', 10), ('E2', 'T1', 20), ('E3', 'T1', 30), ('E4', 'T1', 40), ('E5', 'T1', 50), ('E6', 'T2', 60)",
    'CREATE VIEW kpi.team_window_metrics SQL SECURITY DEFINER AS SELECT team_id, count() AS employees, sum(units) AS units FROM kpi.employee_window_metrics_current GROUP BY team_id HAVING employees >= 5',
    "CREATE VIEW kpi_bi.employee_windows SQL SECURITY DEFINER AS SELECT concat('p-', employee_id) AS pseudonym, units FROM kpi.employee_window_metrics_current",
  ]) {
    await ask(MAIN, statement);
  }
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ask(as: { user: string; password: string }, sql: string, method = 'POST'): Promise<{ status: number; code: string | null; body: string }> {
  const response = await fetch(method === 'GET' ? `${url}?query=${encodeURIComponent(sql)}` : url, {
    method,
    headers: { 'X-ClickHouse-User': as.user, 'X-ClickHouse-Key': as.password },
    ...(method === 'POST' ? { body: sql } : {}),
  });
  return { status: response.status, code: response.headers.get('X-ClickHouse-Exception-Code'), body: await response.text() };
}

async function refused(as: ReaderAccount, sql: string): Promise<string> {
  const answer = await ask(as, sql);
  expect({ sql, status: answer.status, code: answer.code }).toEqual({ sql, status: 403, code: '497' });
  expect(answer.body).toMatch(new RegExp(`^Code: 497\\. DB::Exception: ${as.user}: .*\\(ACCESS_DENIED\\)`));
  return answer.body;
}

test('each reader reads what its role reads, and the main user everything', async () => {
  expect((await ask(hr, 'SELECT count() FROM kpi.employee_window_metrics_current')).body).toBe('6\n');
  expect((await ask(council, 'SELECT team_id, employees FROM kpi.team_window_metrics')).body).toBe('T1\t5\n');
  expect((await ask(analyst, 'SELECT pseudonym FROM kpi_bi.employee_windows ORDER BY pseudonym LIMIT 1')).body).toBe('p-E1\n');
  expect((await ask(analyst, 'DESCRIBE TABLE kpi_bi.employee_windows')).body).toMatch(/^pseudonym\tString/);
  // What BI tools read when they connect: listed only as far as the role reads.
  expect((await ask(analyst, "SELECT database, name FROM system.tables WHERE database LIKE 'kpi%' ORDER BY name")).body).toBe('kpi_bi\temployee_windows\n');
  expect((await ask(council, 'SELECT name FROM system.databases ORDER BY name')).body).toContain('kpi\n');
  expect((await ask(analyst, "SELECT count() > 0 FROM system.settings WHERE name = 'readonly'")).body).toBe('1\n');
  expect((await ask(analyst, 'SELECT number FROM numbers(2) FORMAT CSV')).body).toBe('0\n1\n');
  expect((await ask(MAIN, 'SELECT count() FROM kpi.employee_window_metrics_current')).body).toBe('6\n');
});

test('the engine’s grants refuse tables and views outside the role, in subqueries, JOINs and IN too', async () => {
  const body = await refused(council, 'SELECT * FROM kpi.employee_window_metrics_current');
  expect(body).toContain('SELECT ON kpi.employee_window_metrics_current');
  expect(body).toContain('the role kpi_works_council has no such grant');
  await refused(analyst, 'SELECT * FROM kpi.team_window_metrics');
  await refused(analyst, 'SELECT * FROM kpi_bi.employee_windows WHERE pseudonym IN (SELECT employee_id FROM kpi.employee_window_metrics_current)');
  await refused(analyst, 'SELECT * FROM kpi_bi.employee_windows AS b JOIN kpi.employee_window_metrics_current AS w ON b.units = w.units');
  await refused(analyst, 'SELECT (SELECT any(employee_id) FROM kpi.employee_window_metrics_current) AS x');
  await refused(council, 'SELECT * FROM kpi_bi.employee_windows');
  await refused(council, 'DESCRIBE TABLE kpi.employee_window_metrics_current');
});

test('no reader writes, reaches outside, changes its role or reads system tables beyond a BI client’s', async () => {
  for (const reader of readers) {
    for (const write of [
      "INSERT INTO kpi.employee_window_metrics_current VALUES ('E9', 'T9', 1)",
      'CREATE TABLE kpi.stolen (a UInt8) ENGINE = Memory',
      'DROP TABLE kpi.employee_window_metrics_current',
      'CREATE TEMPORARY TABLE t (a UInt8)',
    ]) {
      expect(await refused(reader, write)).toContain('reads only');
    }
    await refused(reader, "SELECT * FROM file('/etc/passwd', LineAsString)");
    await refused(reader, "SELECT * FROM url('http://127.0.0.1:9/', LineAsString)");
    expect(await refused(reader, 'SELECT query FROM system.processes')).toContain('reads system.processes');
    await refused(reader, 'SELECT * FROM system.mutations');
    await refused(reader, 'WITH p AS (SELECT * FROM system.processes) SELECT count() FROM p');
    await refused(reader, 'SELECT 1 UNION ALL SELECT count() FROM system.parts');
    await refused(reader, 'SELECT * FROM view(SELECT * FROM system.processes)');
    expect(await refused(reader, 'SET ROLE kpi_stream_owner')).toContain('SET ROLE');
    await refused(reader, 'SHOW PROCESSLIST');
    await refused(reader, 'EXPLAIN QUERY TREE SELECT 1');
  }
  // merge() reads whatever tables its pattern names: only the table functions that read their arguments alone pass.
  expect(await refused(hr, "SELECT * FROM merge('kpi', '^employee_window')")).toContain('table function merge()');
});

test('a session is its user’s: a reader naming the main user’s session id gets a session of its own', async () => {
  const inSession = (as: { user: string; password: string }, sql: string) =>
    fetch(`${url}?session_id=shared&query=${encodeURIComponent(sql)}`, {
      method: 'POST',
      headers: { 'X-ClickHouse-User': as.user, 'X-ClickHouse-Key': as.password },
    }).then((r) => r.text());
  await inSession(MAIN, 'USE kpi');
  expect(await inSession(MAIN, 'SELECT currentDatabase()')).toBe('kpi\n');
  expect(await inSession(analyst, 'SELECT currentDatabase()')).toBe('default\n');
});

test('an error inside the analysis of a reader’s statement keeps its message only when the message quotes no rows', async () => {
  // The analyzer runs scalar subqueries: a failing one over a system table could quote what the reader may not read.
  const answer = await ask(analyst, 'SELECT (SELECT toUInt8(any(name)) FROM system.build_options)');
  expect(answer.body).toContain('message is withheld');
  expect(answer.body).not.toContain('Cannot parse');
  expect((await ask(analyst, 'SELECT no_such_column FROM kpi_bi.employee_windows')).body).toContain('no_such_column');
});

test('what a statement reads, as the analyzer prints it', () => {
  const tree = [
    'QUERY id: 0',
    '  JOIN TREE',
    '    JOIN id: 56, strictness: ALL, kind: INNER',
    '      LEFT TABLE EXPRESSION',
    '        TABLE id: 53, alias: __table1, table_name: kpi_bi.v',
    '      RIGHT TABLE EXPRESSION',
    '        TABLE_FUNCTION id: 55, alias: __table2, table_function_name: numbers',
    '                  TABLE id: 9, table_name: system.processes',
  ].join('\n');
  const read = objectsRead(tree);
  expect(read).toEqual({ tables: ['kpi_bi.v', 'system.processes'], tableFunctions: ['numbers'] });
  expect(refusedRead(analyst, read)?.message).toMatch(
    /^kpi_analyst: Not enough privileges\. The statement reads system\.processes, which the role kpi_analyst/,
  );
  expect(refusedRead(analyst, { tables: ['kpi_bi.v', 'system.tables', 'INFORMATION_SCHEMA.TABLES'], tableFunctions: ['numbers'] })).toBeUndefined();
  expect(refusedRead(hr, { tables: [], tableFunctions: ['merge'] })?.message).toContain('merge()');
  const statement = (sql: string) => judgeStatement(Buffer.from(sql), undefined);
  expect(readerAnalysis(hr, statement('SELECT 1 FORMAT JSON'))).toBe('SELECT 1');
  expect(readerAnalysis(hr, statement('DESCRIBE TABLE kpi.t'))).toBe('SELECT * FROM kpi.t');
  expect(readerAnalysis(hr, statement('SET max_threads = 1'))).toBeUndefined();
  expect(() => readerAnalysis(hr, statement('SET DEFAULT ROLE NONE TO default'))).toThrow(/SET ROLE/);
  expect(() => readerAnalysis(hr, statement('SHOW TABLES'))).toThrow(/reads only/);
});
