import { CLICKHOUSE_UNICODE_SPACES, judgeStatement, splitRequest, SqlRefusal } from '../../../../tools/clickhouse/sqlText.js';

const split = (text: string | Buffer) => splitRequest(Buffer.isBuffer(text) ? text : Buffer.from(text));
/** Judges `canonical`, the engine's form of a statement (as formatQuerySingleLine writes it). */
const judge = (canonical: string, data?: string | Buffer) => judgeStatement(Buffer.from(canonical), typeof data === 'string' ? Buffer.from(data) : data);

function refusal(work: () => unknown): SqlRefusal {
  try {
    work();
  } catch (error) {
    if (error instanceof SqlRefusal) return error;
    throw error;
  }
  throw new Error('not refused');
}

test("an INSERT's data is never SQL: placeholders, quotes and bytes in it pass untouched, and it is read from a file", () => {
  const data = Buffer.concat([Buffer.from('{"employee_id":"{a:1}","note":"it\'s; SELECT 2"}\n'), Buffer.from([0, 0xff, 0xfe])]);
  const request = split(Buffer.concat([Buffer.from('INSERT INTO t (employee_id) SETTINGS async_insert=0 FORMAT JSONEachRow\n'), data]));
  expect(request.sql).toBe('INSERT INTO t (employee_id) SETTINGS async_insert=0 FORMAT JSONEachRow');
  expect(request.data).toEqual(data);
  const statement = judge('INSERT INTO t (employee_id) SETTINGS async_insert = 0 FORMAT JSONEachRow', request.data);
  expect(statement).toMatchObject({ kind: 'insert', format: 'JSONEachRow' });
  expect(statement.insert?.data).toEqual(data);
  expect(statement.insert?.statementFor("/tmp/it's")).toBe(
    "INSERT INTO t (employee_id) FROM INFILE '/tmp/it\\'s' SETTINGS async_insert = 0 FORMAT JSONEachRow",
  );
  const values = split("INSERT INTO t VALUES ('{a:1}', 1), ('{b:2}', 2)");
  expect(values).toEqual({ sql: 'INSERT INTO t VALUES', data: Buffer.from(" ('{a:1}', 1), ('{b:2}', 2)") });
  expect(judge('INSERT INTO t FORMAT Values', values.data).insert?.statementFor('/f')).toBe("INSERT INTO t FROM INFILE '/f' FORMAT Values");
  expect(split('INSERT INTO TABLE db.settings SETTINGS x = 1 VALUES (1)').sql).toBe('INSERT INTO TABLE db.settings SETTINGS x = 1 VALUES');
  expect(judge('INSERT INTO db.settings SETTINGS x = 1 FORMAT Values', ' (1)').insert?.statementFor('/f')).toBe(
    "INSERT INTO db.settings FROM INFILE '/f' SETTINGS x = 1 FORMAT Values",
  );
  expect(judge('INSERT INTO `ü` FORMAT TSV', 'x').insert?.statementFor('/f')).toBe("INSERT INTO `ü` FROM INFILE '/f' FORMAT TSV");
});

test("strings, quoted names, heredocs and comments are skipped as ClickHouse's lexer skips them", () => {
  const text = 'SELECT {employee:String}, \'{x:String};é\' /* ; /* nested é */ ; */ -- é;\n, $tag$ é; $tag$ // ;\n FROM "t;é" # é\n FORMAT JSONCompact';
  expect(split(text)).toEqual({ sql: text, data: undefined });
  expect(split('INSERT INTO t SELECT {v:UInt8} FORMAT TSV').data).toBeUndefined();
  expect(split('INSERT INTO t (format, values) SELECT 1').data).toBeUndefined();
  expect(split('INSERT INTO format FORMAT TSV\nx').data?.toString()).toBe('x');
});

test.each(CLICKHOUSE_UNICODE_SPACES.map((c) => [`U+${c.toString(16).toUpperCase().padStart(4, '0')}`, String.fromCodePoint(c)] as const))(
  'a byte ≥ 0x80 outside a string, quoted name or comment is refused: %s, which ClickHouse reads as a space',
  (name, space) => {
    for (const text of [`SELECT 'x' INTO OUTFILE${space}'/tmp/x.txt'`, `SELECT${space}$a$'$a$; CREATE TABLE smuggled (a UInt8) ENGINE = Memory; -- '`]) {
      const error = refusal(() => split(text));
      expect({ code: error.code, message: error.message }).toEqual({
        code: 62,
        message: expect.stringContaining(`${name}, which ClickHouse reads as a space`),
      });
    }
  },
);

test('any other byte ≥ 0x80 outside a string, quoted name or comment is refused too; inside them it is data', () => {
  for (const text of ['SELECT 1 AS é', 'SELECT 1 \u00ad', Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x31, 0xff])]) {
    expect(refusal(() => split(text)).code).toBe(62);
  }
  expect(split('SELECT \'é\u00a0\' AS `\u3000`, "\u2028" -- \ufeff\n').data).toBeUndefined();
  // An INSERT's data is not SQL: any bytes.
  expect(split('INSERT INTO t FORMAT TSV\n\u00a0é\n').data?.toString()).toBe('\u00a0é\n');
});

test('one statement per request: the engine refuses several; VALUES data that ends in a second statement is refused', () => {
  expect(refusal(() => judge('INSERT INTO t FORMAT Values', " ('{a:1}', 1); DROP TABLE t"))).toMatchObject({
    code: 62,
    message: expect.stringContaining('follows the VALUES data'),
  });
  expect(judge('INSERT INTO t FORMAT Values', " ('a;b', 1), (';', 2);\n").insert?.data.toString()).toBe(" ('a;b', 1), (';', 2);\n");
  // Values rows are expressions the engine evaluates: a call its grants do not check is refused there too.
  for (const call of ["file('/etc/passwd')", "toString(disk(type = 'local', path = '/'))", "`t`.x, FILE ('/etc/passwd')"]) {
    expect(refusal(() => judge('INSERT INTO t FORMAT Values', ` (1, ${call})`))).toMatchObject({ code: 497, message: expect.stringContaining('VALUES data') });
  }
  expect(judge('INSERT INTO t FORMAT Values', " ('file(x)', `file`)").insert).toBeDefined();
  // Other formats read data to its end: a ';' in it is data.
  expect(judge('INSERT INTO t FORMAT JSONEachRow', '{"k":"x"}\n;DROP TABLE t').insert?.data.toString()).toBe('{"k":"x"}\n;DROP TABLE t');
});

test('statement kinds and formats are read from the canonical form', () => {
  expect(judge('SET max_threads = 1').kind).toBe('set');
  expect(judge('USE kpi').kind).toBe('use');
  expect(judge('WITH 1 AS x SELECT x').kind).toBe('select');
  expect(judge('CREATE TABLE t (`a` UInt8) ENGINE = MergeTree ORDER BY a').kind).toBe('other');
  expect(judge('SELECT format FROM t').format).toBeUndefined();
  expect(judge('SELECT format FROM t FORMAT JSONCompact').format).toBe('JSONCompact');
  expect(judge('SELECT 1 FORMAT JSON SETTINGS max_threads = 1').format).toBe('JSON');
  // A literal the engine wrote back as bytes that are not UTF-8 cannot run as it was sent.
  const notUtf8 = Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0xff]), Buffer.from("'")]);
  expect(refusal(() => judgeStatement(notUtf8, undefined)).message).toContain('not UTF-8');
});

test.each([
  ["SELECT 1 INTO OUTFILE '/tmp/x'", 'INTO OUTFILE'],
  ["SELECT 1 INTO OUTFILE '/tmp/x' APPEND FORMAT TSVRaw", 'INTO OUTFILE'],
  ["EXPLAIN SELECT 1 INTO OUTFILE '/tmp/x'", 'INTO OUTFILE'],
  ["INSERT INTO t FROM INFILE '/etc/passwd' FORMAT LineAsString", 'FROM INFILE'],
  ["SELECT file('/etc/passwd')", "'file'"],
  ["SELECT * FROM format(LineAsString, file('/etc/passwd'))", "'file'"],
  ["CREATE TABLE t (`a` String) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = 's3', endpoint = 'http://h/b/')", "'disk'"],
  ["CREATE DATABASE b ENGINE = Backup('db', S3('http://h/b/x'))", "'backup'"],
  ['SYSTEM SHUTDOWN', 'SYSTEM'],
  ["BACKUP TABLE t TO Disk('backups', 'x.zip')", 'BACKUP'],
  ["RESTORE TABLE t FROM S3('http://h/b/x')", 'RESTORE'],
  ["ATTACH TABLE t FROM '/home/someone/.config' (`s` String) ENGINE = MergeTree ORDER BY s", 'ATTACH'],
])('refused where the engine has no rule in local mode: %s', (canonical, what) => {
  const error = refusal(() => judge(canonical));
  expect(error).toMatchObject({ code: 497, codeName: 'ACCESS_DENIED', message: expect.stringContaining(what) });
});

test('names that only look like those are allowed', () => {
  for (const canonical of [
    "SELECT URLHash('x'), domain('http://h/'), filesystemAvailable()",
    "SELECT 'file(1)', `outfile`, `file`",
    'CREATE TABLE t (`file` String, `disk` String) ENGINE = MergeTree ORDER BY file',
  ]) {
    expect(() => judge(canonical)).not.toThrow();
  }
});
