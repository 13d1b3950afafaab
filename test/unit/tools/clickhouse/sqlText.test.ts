import { parseSqlRequest, SqlRefusal } from '../../../../tools/clickhouse/sqlText.js';

const parse = (text: string | Buffer) => parseSqlRequest(Buffer.isBuffer(text) ? text : Buffer.from(text));

function refusal(text: string): SqlRefusal {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof SqlRefusal) return error;
    throw error;
  }
  throw new Error(`not refused: ${text}`);
}

test("an INSERT's data is never SQL: placeholders, quotes and bytes in it pass untouched", () => {
  const data = Buffer.concat([Buffer.from('{"employee_id":"{a:1}","note":"it\'s; SELECT 2"}\n'), Buffer.from([0, 0xff, 0xfe])]);
  const request = parse(Buffer.concat([Buffer.from('INSERT INTO t (employee_id) SETTINGS async_insert=0 FORMAT JSONEachRow\n'), data]));
  expect(request).toMatchObject({ query: 'INSERT INTO t (employee_id) SETTINGS async_insert=0 FORMAT JSONEachRow', kind: 'insert', format: 'JSONEachRow' });
  expect(request.insert?.data).toEqual(data);
  expect(request.insert?.statementFor("/tmp/it's")).toBe("INSERT INTO t (employee_id)  FROM INFILE '/tmp/it\\'s' SETTINGS async_insert=0 FORMAT JSONEachRow");
  const values = parse("INSERT INTO t VALUES ('{a:1}', 1), ('{b:2}', 2)");
  expect(values.query).toBe('INSERT INTO t VALUES');
  expect(values.insert?.data.toString()).toBe(" ('{a:1}', 1), ('{b:2}', 2)");
  expect(values.insert?.statementFor('/f')).toBe("INSERT INTO t  FROM INFILE '/f'  FORMAT Values");
  expect(parse('INSERT INTO TABLE db.settings SETTINGS x = 1 VALUES (1)').insert?.statementFor('/f')).toBe(
    "INSERT INTO TABLE db.settings  FROM INFILE '/f' SETTINGS x = 1  FORMAT Values",
  );
});

test("strings, quoted names, heredocs and comments are skipped as ClickHouse's lexer skips them", () => {
  const request = parse('SELECT {employee:String}, \'{x:String};\' /* ; /* nested ; */ ; */ -- ;\n, $tag$ ; $tag$ // ;\n FROM "t;" # ;\n FORMAT JSONCompact');
  expect(request).toMatchObject({ kind: 'select', format: 'JSONCompact', insert: undefined });
  expect(parse('INSERT INTO t SELECT {v:UInt8}').insert).toBeUndefined();
  // '#x' is no comment to ClickHouse, and \G ends a statement as ';' does.
  expect(refusal('SELECT 1 #x; DROP TABLE t').code).toBe(62);
  expect(refusal('SELECT 1\\G DROP TABLE t').code).toBe(62);
  expect(parse('SELECT 1\\G').query).toBe('SELECT 1');
});

test('one statement per request, a trailing semicolon allowed', () => {
  expect(parse('SELECT 1;\n').query).toBe('SELECT 1');
  expect(parse("SELECT ';' -- ;\n").query).toBe("SELECT ';' -- ;");
  expect(refusal('SELECT 1; SELECT 2')).toMatchObject({ code: 62, message: expect.stringContaining('Multi-statements are not allowed') });
  expect(refusal('SELECT 1; DROP TABLE t').code).toBe(62);
  // Values data ends at a ';' and the engine would run what follows: refused too.
  expect(refusal("INSERT INTO t VALUES ('{a:1}', 1); DROP TABLE t")).toMatchObject({ code: 62, message: expect.stringContaining('follows the VALUES data') });
  expect(refusal("INSERT INTO t FORMAT Values ('x', 1);\nDROP TABLE t").code).toBe(62);
  expect(parse("INSERT INTO t VALUES ('a;b', 1), (';', 2);\n").insert?.data.toString()).toBe(" ('a;b', 1), (';', 2);\n");
  expect(parse('INSERT INTO t FORMAT JSONEachRow\n{"k":"x"}\n;DROP TABLE t').insert?.data.toString()).toBe('{"k":"x"}\n;DROP TABLE t');
});

test('SET and USE are told apart from other statements', () => {
  expect(parse('SET max_threads = 1').kind).toBe('set');
  expect(parse('use kpi').kind).toBe('use');
  expect(parse('WITH 1 AS x SELECT x').kind).toBe('select');
  expect(parse('CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a').kind).toBe('other');
});

test.each([
  ["SELECT * FROM file('/etc/passwd', 'LineAsString')", 'file'],
  ["SELECT file('/etc/passwd')", 'file'],
  ['SELECT * FROM "file" (\'/etc/passwd\')', 'file'],
  ["SELECT * FROM url('http://example.com/x', CSV)", 'url'],
  ["SELECT * FROM s3('http://127.0.0.1/b/x.csv')", 's3'],
  ["SELECT * FROM remote('127.0.0.1', system.one)", 'remote'],
  ["SELECT * FROM remoteSecure('127.0.0.1', system.one)", 'remotesecure'],
  ["SELECT * FROM cluster('default', system.one)", 'cluster'],
  ["SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'p')", 'mysql'],
  ["SELECT * FROM postgresql('h:5432', 'db', 't', 'u', 'p')", 'postgresql'],
  ["SELECT * FROM executable('x.sh', TSV, 'a String')", 'executable'],
  ["SELECT * FROM jdbc('ds', 't')", 'jdbc'],
  ["SELECT * FROM odbc('dsn', 't')", 'odbc'],
  ["SELECT * FROM hdfs('hdfs://h/x', TSV)", 'hdfs'],
  ["SELECT * FROM mongodb('h:27017', 'db', 'c', 'u', 'p', 'a String')", 'mongodb'],
  ["SELECT * FROM redis('h:6379', 'k', 'k String')", 'redis'],
  ["SELECT * FROM azureBlobStorage('conn', 'c', 'x.csv')", 'azureblobstorage'],
  ["SELECT * FROM icebergS3('http://h/x')", 'icebergs3'],
  ["INSERT INTO FUNCTION file('/tmp/x.tsv', TSV, 'a String') SELECT 'x'", 'file'],
  ['CREATE TABLE t (a String) ENGINE = File(TSV)', 'file'],
  ["CREATE TABLE t (a String) ENGINE = URL('http://h/', TSV)", 'url'],
  ["CREATE TABLE t (a String) ENGINE = Kafka SETTINGS kafka_broker_list = 'h:9092'", 'kafka'],
  ["CREATE TABLE t (a String) ENGINE = Distributed('c', 'db', 't')", 'distributed'],
  ["CREATE DATABASE m ENGINE = MySQL('h:3306', 'db', 'u', 'p')", 'mysql'],
  ["CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(FILE(path '/etc/passwd' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)", 'file'],
  ["CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(HTTP(url 'http://h/' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)", 'http'],
  ["CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(CLICKHOUSE(HOST 'other' TABLE 't')) LAYOUT(FLAT()) LIFETIME(0)", 'HOST'],
  ["SELECT 1 INTO OUTFILE '/tmp/x'", 'INTO OUTFILE'],
  ["INSERT INTO t FROM INFILE '/etc/passwd' FORMAT LineAsString", 'FROM INFILE'],
  ["ATTACH TABLE t FROM '/var/lib/x' (a String) ENGINE = MergeTree ORDER BY a", 'ATTACH'],
  ['SYSTEM SHUTDOWN', 'SYSTEM'],
  ["BACKUP TABLE t TO Disk('backups', 'x.zip')", 'BACKUP'],
  ["CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = 'local', path = '/etc/')", 'disk'],
  ["SELECT * FROM t FORMAT Protobuf SETTINGS format_schema = '/etc/passwd:X'", 'format_schema'],
  ["CREATE DICTIONARY d (k String) PRIMARY KEY k SOURCE(YAMLRegExpTree(PATH '/etc/x.yaml')) LAYOUT(regexp_tree) LIFETIME(0)", 'yamlregexptree'],
])('refused, reaching outside: %s', (sql, name) => {
  const error = refusal(sql);
  expect(error.code).toBe(497);
  expect(error.codeName).toBe('ACCESS_DENIED');
  expect(error.message).toContain(name);
});

test('names that only look like those are allowed', () => {
  for (const sql of [
    "SELECT URLHash('x'), domain('http://h/'), filesystemAvailable()",
    "SELECT 'file(1)', `url` FROM t",
    "CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(CLICKHOUSE(TABLE 'local')) LAYOUT(FLAT()) LIFETIME(0)",
    'SELECT * FROM numbers(10)',
    'CREATE TABLE t (file String, url String) ENGINE = MergeTree ORDER BY file',
  ]) {
    expect(() => parse(sql)).not.toThrow();
  }
});
