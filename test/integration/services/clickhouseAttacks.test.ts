import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLICKHOUSE_UNICODE_SPACES } from '../../../tools/clickhouse/sqlText.js';
import { sendTo, startEmbeddedClickHouse, type Answer, type EmbeddedClickHouse } from '../support/embeddedClickHouse.js';

/**
 * The security review's attacks (issue 21), against `kpi-stream services up`
 * with default settings, as a user on the same machine would try them: no
 * request without the generated password gets data, and no request with it
 * reads or writes a file outside the data directory, whatever the Unicode in it.
 */
let clickhouse: EmbeddedClickHouse;
let password: string;
const scratch = mkdtempSync(join(tmpdir(), 'kpi-ch-attacks-'));
/** A file an attacker wants written (a shell rc file), and one that exists already. */
const written = join(scratch, 'x.txt');
const rcFile = join(scratch, 'bashrc');
const RC = '# an rc file\n';

beforeAll(async () => {
  clickhouse = await startEmbeddedClickHouse({});
  // The user learns the password from `services status`, as the README says.
  const status = await clickhouse.services('status');
  password = /password (\S+)/.exec(status)![1]!;
  writeFileSync(rcFile, RC);
}, 60_000);

afterAll(async () => {
  await clickhouse?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** The query in the URL (GET) or the body (POST), with the generated password unless `auth` gives another or false (none). */
function send(query: string, options: { method?: 'GET' | 'POST'; auth?: string | false } = {}): Promise<Answer> {
  const method = options.method ?? 'GET';
  const secret = options.auth === undefined ? password : options.auth;
  return sendTo(clickhouse.url, {
    method,
    ...(method === 'GET' ? { params: { query } } : { body: query }),
    ...(secret === false ? {} : { credentials: { user: 'default', password: secret } }),
  });
}

/**
 * ACCESS_DENIED (grants, front), SYNTAX_ERROR (the front's lexer, the engine's parser), READONLY (a write sent by
 * GET), AUTHENTICATION_FAILED (no password).
 */
const REFUSALS = new Set(['497', '62', '164', '516']);

function expectNothingReached(answer: Answer): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  // Refused, not merely failed: a refused connection to 127.0.0.1:9 would fail as well, with another code.
  expect([answer.body.slice(0, 200), REFUSALS.has(/^Code: (\d+)\./.exec(answer.body)?.[1] ?? '')]).toEqual([answer.body.slice(0, 200), true]);
  expect(answer.body).not.toContain('root:x:0:0');
  expect(existsSync(written)).toBe(false);
  expect(readFileSync(rcFile, 'utf8')).toBe(RC);
}

test('the generated password is 0600 in the services folder, and the engine does not run with an empty one', () => {
  expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(readFileSync(join(clickhouse.env.KPI_SERVICES_DIR!, 'clickhouse', 'password'), 'utf8').trim()).toBe(password);
});

test("the engine's folder is the user's alone: its data (window rows, dead letters) and logs, 0700 folders and 0600 files", async () => {
  // Something written first, so the engine has made its parts.
  expect((await send('CREATE TABLE written (s String) ENGINE = MergeTree ORDER BY s', { method: 'POST' })).status).toBe(200);
  expect((await send("INSERT INTO written VALUES ('E1')", { method: 'POST' })).status).toBe(200);
  const home = join(clickhouse.env.KPI_SERVICES_DIR!, 'clickhouse');
  const open: string[] = [];
  const walk = (path: string): void => {
    const stat = statSync(path);
    if ((stat.mode & 0o077) !== 0) open.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(home);
  expect(readdirSync(join(home, 'data')).length).toBeGreaterThan(0);
  expect(open).toEqual([]);
});

test('no request without the generated password gets data, whatever it asks', async () => {
  for (const auth of [false, '', 'wrong'] as const) {
    for (const query of ['SELECT 1', `SELECT 'x' INTO OUTFILE '${written}'`, 'SELECT * FROM system.tables']) {
      for (const method of ['GET', 'POST'] as const) {
        const answer = await send(query, { method, auth });
        expect({ auth, query, method, status: answer.status }).toEqual({ auth, query, method, status: 403 });
        expect(answer.body).toMatch(/^Code: 516\. DB::Exception: default: Authentication failed/);
      }
    }
  }
  expect(existsSync(written)).toBe(false);
  expect((await send('SELECT 1')).body).toBe('1\n');
});

/** The review's attacks, each with `sp` where it put U+00A0. */
const attacks = (sp: string): string[] => [
  `SELECT 'x' INTO OUTFILE${sp}'${written}'`,
  `SELECT 'echo pwned' INTO OUTFILE${sp}'${rcFile}' APPEND FORMAT TSVRaw`,
  `CREATE TABLE passwd (s String) ENGINE = File${sp}(LineAsString, '/etc/passwd')`,
  `SELECT${sp}file('/etc/passwd')`,
  `CREATE TABLE infile (s String) ENGINE = Memory;${sp}INSERT INTO infile FROM INFILE '/etc/passwd' FORMAT LineAsString`,
  `INSERT INTO FUNCTION${sp}file('${written}', 'TSV', 's String') VALUES ('x')`,
  `SELECT${sp}$a$'$a$; CREATE TABLE smuggled (a UInt8) ENGINE = Memory; -- '`,
  `CREATE TABLE u (s String) ENGINE = URL${sp}('http://127.0.0.1:9/', LineAsString)`,
  `CREATE TABLE s3t (s String) ENGINE = S3${sp}('http://127.0.0.1:9/bucket/x', LineAsString)`,
  `CREATE TABLE h (s String) ENGINE = HDFS${sp}('hdfs://127.0.0.1:9/x', LineAsString)`,
  `SELECT * FROM url${sp}('http://127.0.0.1:9/', LineAsString)`,
  `SELECT * FROM s3${sp}('http://127.0.0.1:9/bucket/x', LineAsString)`,
  `SELECT * FROM hdfs${sp}('hdfs://127.0.0.1:9/x', LineAsString)`,
  `SELECT * FROM file${sp}('/etc/passwd', LineAsString)`,
];

test.each<[string, string]>([
  ['an ASCII space', ' '],
  ...CLICKHOUSE_UNICODE_SPACES.map((c): [string, string] => [`U+${c.toString(16).toUpperCase().padStart(4, '0')}`, String.fromCodePoint(c)]),
])('with the password and %s in them, the attacks are refused and reach no file', async (_name, sp) => {
  for (const query of attacks(sp)) {
    for (const method of ['GET', 'POST'] as const) expectNothingReached(await send(query, { method }));
  }
  // The GET form of the first finding, exactly: no credentials, no Origin header.
  expectNothingReached(await send(`SELECT 'x' INTO OUTFILE${sp}'${written}'`, { auth: false }));
  expect((await send("SELECT count() FROM system.tables WHERE name IN ('passwd', 'infile', 'smuggled', 'u', 's3t', 'h')")).body).toBe('0\n');
});

test("expressions in an INSERT's VALUES rows, which the engine evaluates, reach no file either", async () => {
  expect((await send('CREATE TABLE valued (s String) ENGINE = MergeTree ORDER BY s', { method: 'POST' })).status).toBe(200);
  for (const rows of ["(file('/etc/passwd'))", "(toString(file('/etc/passwd', 'RawBLOB')))", "('x'), (FILE ('/etc/passwd'))"]) {
    const answer = await send(`INSERT INTO valued VALUES ${rows}`, { method: 'POST' });
    expectNothingReached(answer);
    expect(answer.body).toMatch(/^Code: 497\..*VALUES data/);
  }
  expect((await send('SELECT count() FROM valued')).body).toBe('0\n');
});

test('ATTACH … FROM a path makes no table of a folder outside the data directory', async () => {
  const answer = await send(`ATTACH TABLE attached FROM '${scratch}' (s String) ENGINE = MergeTree ORDER BY s`, { method: 'POST' });
  expectNothingReached(answer);
  expect((await send("SELECT count() FROM system.tables WHERE name = 'attached'")).body).toBe('0\n');
});
