import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, type Engine, type EngineConnection } from '../../../../tools/clickhouse/engine.js';
import { CLICKHOUSE_UNICODE_SPACES, judgeStatement } from '../../../../tools/clickhouse/sqlText.js';

/**
 * The embedded engine's own rules, asked directly (no HTTP interface in front):
 * its grants and settings profile decide what reaches outside its data
 * directory, whatever text a request came in.
 */
const dir = mkdtempSync(join(tmpdir(), 'kpi-chdb-'));
const outside = join(dir, 'outside.txt');
let engine: Engine;
let connection: EngineConnection;

beforeAll(async () => {
  engine = await openEngine(join(dir, 'data'), join(dir, 'config'), join(dir, 'inserts'), { maxExecutionSeconds: 30, maxMemoryBytes: 1 << 30 }, 'kpi');
  connection = engine.connect();
}, 60_000);

afterAll(() => {
  connection?.close();
  engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (sql: string) => Buffer.from((await connection.query(sql, 'TSV')).bytes).toString('utf8');
const refusal = async (sql: string): Promise<string> => {
  try {
    await connection.query(sql, 'TSV');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`the engine ran: ${sql}`);
};

// The embedded ClickHouse is a native module (npm chdb, its engine in @chdb/lib-<platform>): it must load on every
// supported Node line, and this suite runs on each of them in CI (.ci/run).
test(`the embedded ClickHouse engine loads on Node ${process.version} and answers a query`, async () => {
  expect(engine.version).toMatch(/^26\./);
  expect(await run('SELECT sum(number) FROM numbers(1000)')).toBe('499500\n');
});

test.each([
  ['File', "File(LineAsString, '/etc/passwd')"],
  ['URL', "URL('http://127.0.0.1:9/', LineAsString)"],
  ['S3', "S3('http://127.0.0.1:9/bucket/x', LineAsString)"],
  ['HDFS', "HDFS('hdfs://127.0.0.1:9/x', LineAsString)"],
  ['AzureBlobStorage', "AzureBlobStorage('http://127.0.0.1:9', 'c', 'x', 'LineAsString')"],
  ['MySQL', "MySQL('127.0.0.1:9', 'd', 't', 'u', 'p')"],
  ['PostgreSQL', "PostgreSQL('127.0.0.1:9', 'd', 't', 'u', 'p')"],
  ['SQLite', "SQLite('/etc/passwd', 't')"],
  ['Kafka', "Kafka('127.0.0.1:9', 't', 'g', 'LineAsString')"],
  ['Distributed', "Distributed('c', 'd', 't')"],
  ['IcebergLocal', "IcebergLocal('/etc/')"],
])('the engine refuses a table on the %s engine (TABLE ENGINE is granted for the engines that reach nothing)', async (name, engineClause) => {
  expect(await refusal(`CREATE TABLE t_${name.toLowerCase()} (s String) ENGINE = ${engineClause}`)).toMatch(
    new RegExp(`ACCESS_DENIED|grant TABLE ENGINE ON ${name}`),
  );
});

test('the engine refuses a database on an engine that reaches files or servers', async () => {
  expect(await refusal("CREATE DATABASE etc ENGINE = Filesystem('/etc')")).toMatch(/TABLE ENGINE ON Filesystem/);
  expect(await refusal("CREATE DATABASE remote_db ENGINE = MySQL('127.0.0.1:9', 'd', 'u', 'p')")).toMatch(/TABLE ENGINE ON MySQL/);
});

test.each([
  "SELECT * FROM file('/etc/passwd', LineAsString)",
  "SELECT * FROM url('http://127.0.0.1:9/', LineAsString)",
  "SELECT * FROM hdfs('hdfs://127.0.0.1:9/x', LineAsString)",
  "SELECT * FROM remote('127.0.0.1:9', system.one)",
  "SELECT * FROM mysql('127.0.0.1:9', 'd', 't', 'u', 'p')",
  "SELECT * FROM sqlite('/etc/passwd', 't')",
  "SELECT * FROM icebergLocal('/etc/')",
  `INSERT INTO TABLE FUNCTION file('${outside}', 'TSV', 's String') VALUES ('x')`,
])('the engine refuses a table function that reaches outside: %s', async (sql) => {
  expect(await refusal(sql)).toMatch(/ACCESS_DENIED/);
  expect(existsSync(outside)).toBe(false);
});

test('the engine refuses dictionaries: their sources run programs and read files and servers unchecked', async () => {
  for (const source of ["EXECUTABLE(command 'id' format 'TSV')", "FILE(path '/etc/passwd' format 'TSV')", "HTTP(url 'http://127.0.0.1:9/' format 'TSV')"]) {
    expect(await refusal(`CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(${source}) LAYOUT(FLAT()) LIFETIME(0)`)).toMatch(
      /grant CREATE DICTIONARY/,
    );
  }
});

test('the engine refuses every setting that names a file', async () => {
  for (const setting of ['format_schema', 'format_template_resultset', 'format_template_row', 'output_format_schema', 'input_format_record_errors_file_path']) {
    expect(await refusal(`SELECT 1 SETTINGS ${setting} = '/etc/passwd'`)).toMatch(/SETTING_CONSTRAINT_VIOLATION/);
  }
  expect(await refusal("CREATE TABLE on_disk (s String) ENGINE = MergeTree ORDER BY s SETTINGS disk = 'default'")).toMatch(/SETTING_CONSTRAINT_VIOLATION/);
});

test('the engine refuses another dialect: a statement runs as its SQL parser judged it', async () => {
  expect(await refusal("SET dialect = 'prql'")).toMatch(/SETTING_CONSTRAINT_VIOLATION/);
  expect(await refusal("SELECT 1 SETTINGS dialect = 'kusto'")).toMatch(/SETTING_CONSTRAINT_VIOLATION/);
});

test('the engine refuses SYSTEM and BACKUP, and creates tables on the engines kpi-stream uses', async () => {
  expect(await refusal('SYSTEM FLUSH LOGS')).toMatch(/ACCESS_DENIED/);
  expect(await refusal(`BACKUP TABLE system.one TO File('${outside}')`)).toMatch(/ACCESS_DENIED/);
  await run('CREATE TABLE rows (k String, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY k');
  await run('CREATE TABLE scratch (k String) ENGINE = Memory');
  await run('CREATE VIEW latest AS SELECT k, max(v) AS v FROM rows GROUP BY k');
  expect(await run("SELECT count() FROM system.tables WHERE name IN ('rows', 'scratch', 'latest')")).toBe('3\n');
});

/** The engine's canonical form of `sql`, judged as the HTTP interface judges it, and run; the error if any step refused. */
async function judgedAndRun(sql: string): Promise<string> {
  try {
    const statement = judgeStatement(await connection.canonical(sql), undefined);
    await connection.query(statement.sql, 'TSV');
  } catch (error) {
    return (error as Error).message;
  }
  return 'ran';
}

describe.each(CLICKHOUSE_UNICODE_SPACES.map((c) => [`U+${c.toString(16).toUpperCase().padStart(4, '0')}`, String.fromCodePoint(c)] as const))(
  "with %s, which ClickHouse's parser reads as a space, the engine's own reading decides",
  (_name, space) => {
    test('INTO OUTFILE, even APPEND, is refused and no file is written', async () => {
      expect(await judgedAndRun(`SELECT 'x' INTO OUTFILE${space}'${outside}'`)).toMatch(/INTO OUTFILE reaches files/);
      expect(await judgedAndRun(`SELECT 'echo pwned' INTO${space}OUTFILE '${outside}' APPEND FORMAT${space}TSVRaw`)).toMatch(/INTO OUTFILE/);
      expect(existsSync(outside)).toBe(false);
    });

    test('a File engine on /etc/passwd and the file() function are refused', async () => {
      // Called like the file() function, which local mode does not check: refused before the engine's grant would be asked (above).
      expect(await judgedAndRun(`CREATE TABLE passwd (s String) ENGINE = File${space}(LineAsString, '/etc/passwd')`)).toMatch(/'file' reaches files/);
      expect(await judgedAndRun(`CREATE TABLE passwd (s String) ENGINE = URL${space}('http://127.0.0.1:9/', LineAsString)`)).toMatch(/TABLE ENGINE ON URL/);
      expect(await judgedAndRun(`SELECT${space}file('/etc/passwd')`)).toMatch(/'file' reaches files/);
    });

    test('a second statement smuggled after a dollar-quoted string is refused by the parser, and nothing runs', async () => {
      expect(await judgedAndRun(`SELECT${space}$a$'$a$; CREATE TABLE smuggled (a UInt8) ENGINE = Memory; -- '`)).toMatch(/Multi-statements are not allowed/);
      expect(await run("SELECT count() FROM system.tables WHERE name = 'smuggled'")).toBe('0\n');
    });
  },
);

test("the canonical form is one statement, as the engine's parser read it", async () => {
  expect((await connection.canonical('select  1 ; ')).toString()).toBe('SELECT 1');
  expect((await connection.canonical('SELECT\u00a01\u3000FORMAT\ufeffJSON')).toString()).toBe('SELECT 1 FORMAT JSON');
  expect((await connection.canonical("select $a$it's$a$ -- comment")).toString()).toBe("SELECT 'it\\'s'");
  await expect(connection.canonical('SELECT 1; SELECT 2')).rejects.toThrow(
    /^Code: 62\. DB::Exception: Syntax error \(Multi-statements are not allowed\)[^]*\(SYNTAX_ERROR\)$/,
  );
});
