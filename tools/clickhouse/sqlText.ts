/**
 * What the embedded HTTP interface needs to know about a request's SQL before
 * it runs it, read the way ClickHouse's lexer (src/Parsers/Lexer.cpp) reads it:
 * strings, quoted identifiers, heredocs and comments are skipped, never looked
 * into, so a `;` or a name inside them counts for nothing — and one outside
 * them is never missed.
 *
 * - where the query ends and an INSERT's data begins — only the query is
 *   SQL; the data (JSON, TSV, RowBinary, Native …) is passed on untouched,
 *   whatever bytes or `{name:Type}`-like text it holds;
 * - the statement's kind (SET and USE need a session) and its output format;
 * - what a shared, embedded engine must refuse: a second statement, and
 *   anything that reaches files, URLs, other servers or programs.
 *
 * Works on bytes: an INSERT's data need not be UTF-8.
 */

export type StatementKind = 'select' | 'insert' | 'set' | 'use' | 'other';

export interface SqlRequest {
  /** The SQL of the statement, without an INSERT's data and without a trailing `;`. */
  readonly query: string;
  /** An INSERT's data (after `FORMAT <name>` or `VALUES`) and how to run it, or undefined. */
  readonly insert: InsertWithData | undefined;
  readonly kind: StatementKind;
  /** The `FORMAT` clause's format, if the statement has one. */
  readonly format: string | undefined;
}

export interface InsertWithData {
  /** The data, untouched: whatever bytes, placeholders or semicolons it holds. */
  readonly data: Buffer;
  /**
   * The statement reading its data from `file` (`… FROM INFILE 'file' …
   * FORMAT …`). The engine splits inline data from SQL by its own rules, under
   * which a line starting with ';' ends the data and the rest runs as SQL;
   * from a file, data is only ever data.
   */
  readonly statementFor: (file: string) => string;
}

/** A request the HTTP interface refuses before running anything; `code` is ClickHouse's. */
export class SqlRefusal extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

interface Token {
  /** word: identifier or keyword (quoted identifiers included); other kinds are not looked into. */
  readonly kind: 'word' | 'string' | 'number' | 'punct';
  /** Lower-case text of a word (unquoted), the character of a punctuation mark. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly quoted?: boolean;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b;
const isWordStart = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isWordPart = (c: number) => isWordStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x24;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Lexes tokens one at a time from `pos`, so a caller can stop where an INSERT's data begins. */
class Lexer {
  pos = 0;
  constructor(private readonly text: Buffer) {}

  next(): Token | undefined {
    const t = this.text;
    for (;;) {
      while (this.pos < t.length && isSpace(t[this.pos]!)) this.pos++;
      if (this.pos >= t.length) return undefined;
      const c = t[this.pos]!;
      const d = t[this.pos + 1];
      // --, // and '# ' or '#!' comments run to the end of the line; '#x' is no comment to ClickHouse.
      if ((c === 0x2d && d === 0x2d) || (c === 0x2f && d === 0x2f) || (c === 0x23 && (d === 0x20 || d === 0x21))) {
        while (this.pos < t.length && t[this.pos] !== 0x0a) this.pos++;
        continue;
      }
      if (c === 0x2f && d === 0x2a) {
        // /* comment */, nested as ClickHouse allows
        let depth = 0;
        while (this.pos < t.length) {
          if (t[this.pos] === 0x2f && t[this.pos + 1] === 0x2a) {
            depth++;
            this.pos += 2;
          } else if (t[this.pos] === 0x2a && t[this.pos + 1] === 0x2f) {
            depth--;
            this.pos += 2;
            if (depth === 0) break;
          } else this.pos++;
        }
        if (depth !== 0) throw syntaxError(this.text, this.pos, 'unterminated multiline comment');
        continue;
      }
      break;
    }
    const start = this.pos;
    const c = t[start]!;
    if (c === 0x27 || c === 0x22 || c === 0x60) {
      const end = this.quotedEnd(start, c);
      const inner = t.subarray(start + 1, end - 1).toString('utf8');
      this.pos = end;
      return c === 0x27 ? { kind: 'string', text: inner, start, end } : { kind: 'word', text: inner.toLowerCase(), start, end, quoted: true };
    }
    if (c === 0x24) {
      // A heredoc, as ClickHouse's lexer reads one: from '$' to the next '$' is the tag, up to the tag's next occurrence.
      const close = t.indexOf(0x24, start + 1);
      if (close > 0) {
        const tag = t.subarray(start, close + 1);
        const end = t.indexOf(tag, close + 1);
        if (end >= 0) {
          this.pos = end + tag.length;
          return { kind: 'string', text: '', start, end: this.pos };
        }
      }
    }
    if (isWordStart(c)) {
      while (this.pos < t.length && isWordPart(t[this.pos]!)) this.pos++;
      return { kind: 'word', text: t.subarray(start, this.pos).toString('utf8').toLowerCase(), start, end: this.pos };
    }
    if (isDigit(c) || (c === 0x2e && isDigit(t[start + 1] ?? 0))) {
      while (
        this.pos < t.length &&
        (isWordPart(t[this.pos]!) ||
          t[this.pos] === 0x2e ||
          ((t[this.pos] === 0x2b || t[this.pos] === 0x2d) && (t[this.pos - 1] === 0x65 || t[this.pos - 1] === 0x45)))
      )
        this.pos++;
      return { kind: 'number', text: '', start, end: this.pos };
    }
    if (c === 0x5c && t[start + 1] === 0x47) {
      // \G ends a statement (vertical output), like ';'.
      this.pos += 2;
      return { kind: 'punct', text: ';', start, end: this.pos };
    }
    this.pos++;
    return { kind: 'punct', text: String.fromCharCode(c), start, end: this.pos };
  }

  private quotedEnd(start: number, quote: number): number {
    const t = this.text;
    let i = start + 1;
    while (i < t.length) {
      const c = t[i]!;
      if (c === 0x5c) i += 2;
      else if (c === quote) {
        if (t[i + 1] === quote) i += 2;
        else return i + 1;
      } else i++;
    }
    throw syntaxError(this.text, start, 'unterminated quoted string or identifier');
  }
}

function syntaxError(text: Buffer, pos: number, what: string): SqlRefusal {
  const near = text.subarray(pos, pos + 40).toString('utf8');
  return new SqlRefusal(62, 'SYNTAX_ERROR', `Syntax error: failed at position ${pos + 1} (${what}): ${near}`);
}

/**
 * Table functions, table and database engines, and dictionary sources that
 * reach files, URLs, other servers or programs (lower-case). Names are
 * matched case-insensitively, quoted or not, wherever they are called or
 * named as an engine.
 */
const OUTSIDE_EXACT = new Set([
  'file',
  'filecluster',
  'url',
  'urlcluster',
  'http',
  'https',
  'gcs',
  'oss',
  'cosn',
  'remote',
  'remotesecure',
  'cluster',
  'clusterallreplicas',
  'distributed',
  'sqlite',
  'jdbc',
  'odbc',
  'redis',
  'cassandra',
  'kafka',
  'rabbitmq',
  'nats',
  'filelog',
  'hive',
  'arrowflight',
  'ytsaurus',
  'datalakecatalog',
  'executable',
  'executablepool',
  'executable_pool',
  'librarybridge',
  'library',
  'yamlregexptree',
  // disk(type = 'local', path = …) in a table's SETTINGS puts its data anywhere on the host.
  'disk',
]);
const OUTSIDE_PREFIXES = [
  's3',
  'azure',
  'hdfs',
  'mysql',
  'postgres',
  'materializedmysql',
  'materializedpostgres',
  'mongo',
  'iceberg',
  'deltalake',
  'hudi',
  'paimon',
];

function reachesOutside(name: string): boolean {
  return OUTSIDE_EXACT.has(name) || OUTSIDE_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function refuseOutside(what: string): SqlRefusal {
  return new SqlRefusal(
    497,
    'ACCESS_DENIED',
    `default: Not enough privileges. ${what} reaches files, URLs, other servers or programs, which the embedded ClickHouse's HTTP interface refuses`,
  );
}

/** Settings that name files on the host: format schemas read from, or written to, any path. */
export const PATH_SETTINGS: ReadonlySet<string> = new Set(['format_schema', 'format_schema_path', 'output_format_schema', 'format_schema_source']);

/** Statements that act on the engine's host rather than on data. */
const REFUSED_STATEMENTS = new Set(['system', 'backup', 'restore']);

/**
 * Splits a request's SQL text (the `query` URL parameter, a newline, and the
 * body — as ClickHouse concatenates them) into its one statement and an
 * INSERT's data, and refuses what the embedded interface must not run.
 */
export function parseSqlRequest(text: Buffer): SqlRequest {
  const lexer = new Lexer(text);
  const tokens: Token[] = [];
  let depth = 0;
  let kind: StatementKind | undefined;
  let insertSelects = false;
  // Where FROM INFILE goes in an INSERT: before its SETTINGS, FORMAT or VALUES clause, after the target table.
  let target: 'into' | 'name' | 'after' | undefined;
  let infileAt: number | undefined;
  let dataClause: Token | undefined;
  let format: string | undefined;
  let end = text.length;
  let data: Buffer | undefined;

  for (let token = lexer.next(); token; token = lexer.next()) {
    if (token.kind === 'punct' && token.text === ';' && depth === 0) {
      end = token.start;
      const rest = lexer.next();
      if (rest && !(rest.kind === 'punct' && rest.text === ';' && lexer.next() === undefined)) {
        throw new SqlRefusal(
          62,
          'SYNTAX_ERROR',
          `Syntax error (Multi-statements are not allowed): failed at position ${token.start + 1} (end of query): ${text.subarray(token.start, token.start + 40).toString('utf8')}`,
        );
      }
      break;
    }
    tokens.push(token);
    if (token.kind === 'punct') {
      if (token.text === '(') depth++;
      else if (token.text === ')') depth--;
      continue;
    }
    if (token.kind !== 'word') continue;

    if (kind === undefined) kind = kindOf(token.text);
    if (tokens.length === 1 && REFUSED_STATEMENTS.has(token.text)) {
      throw new SqlRefusal(
        497,
        'ACCESS_DENIED',
        `default: Not enough privileges. ${token.text.toUpperCase()} statements act on the engine's host, which the embedded ClickHouse's HTTP interface refuses`,
      );
    }
    if (token.text === 'outfile' || token.text === 'infile') {
      throw refuseOutside(token.text === 'outfile' ? 'INTO OUTFILE' : 'FROM INFILE');
    }
    if (kind === 'insert' && depth === 0 && !insertSelects) {
      const clause = !token.quoted && tokens.at(-2)?.text !== '.';
      if (token.text === 'into' && target === undefined) target = 'into';
      else if (target === 'into' && !(clause && (token.text === 'table' || token.text === 'function'))) target = 'name';
      else if (target === 'name' && clause && ['settings', 'format', 'values', 'select', 'with'].includes(token.text)) {
        target = 'after';
        infileAt = token.start;
      }
      if (token.text === 'select' || token.text === 'with') insertSelects = true;
      else if (token.text === 'values' && clause && target === 'after') {
        dataClause = token;
        end = token.end;
        data = text.subarray(token.end);
        break;
      } else if (token.text === 'format' && clause && target === 'after') {
        const name = lexer.next();
        if (!name || name.kind !== 'word') throw syntaxError(text, token.end, 'expected a format name');
        format = text
          .subarray(name.start, name.end)
          .toString('utf8')
          .replace(/^[`"]|[`"]$/g, '');
        tokens.push(name);
        dataClause = token;
        end = name.end;
        data = text.subarray(dataStart(text, name.end));
        break;
      }
    } else if (token.text === 'format' && depth === 0 && !token.quoted) {
      const name = lexer.next();
      if (name) {
        tokens.push(name);
        format = text
          .subarray(name.start, name.end)
          .toString('utf8')
          .replace(/^[`"]|[`"]$/g, '');
      }
    }
  }
  if (tokens.length === 0) throw new SqlRefusal(62, 'SYNTAX_ERROR', 'Empty query');
  refuseOutsideAccess(tokens);
  if (data !== undefined && (format === undefined || format.toLowerCase() === 'values')) refuseStatementsAfterValues(data);
  const clauseAt = dataClause?.start;
  return {
    query: text.subarray(0, end).toString('utf8').trimEnd(),
    kind: kind ?? 'select',
    format,
    insert:
      data === undefined || infileAt === undefined || clauseAt === undefined
        ? undefined
        : {
            data,
            statementFor: (file) =>
              [
                text.subarray(0, infileAt).toString('utf8'),
                ` FROM INFILE '${file.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' `,
                text.subarray(infileAt, clauseAt).toString('utf8'),
                format === undefined ? ' FORMAT Values' : text.subarray(clauseAt, end).toString('utf8'),
              ].join(''),
          },
  };
}

/**
 * Values data ends at a `;`, and the engine (clickhouse-local inside chDB) runs
 * whatever follows as the next statement: a second statement smuggled in an
 * INSERT's data. Values rows are SQL literals, so they are lexed as SQL to
 * find such a `;`. Every other format reads its data to the end, or fails.
 */
function refuseStatementsAfterValues(data: Buffer): void {
  const lexer = new Lexer(data);
  let depth = 0;
  for (let token = lexer.next(); token; token = lexer.next()) {
    if (token.kind !== 'punct') continue;
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (token.text === ';' && depth <= 0) {
      for (let rest = lexer.next(); rest; rest = lexer.next()) {
        if (!(rest.kind === 'punct' && rest.text === ';')) {
          throw new SqlRefusal(
            62,
            'SYNTAX_ERROR',
            `Syntax error (Multi-statements are not allowed): a statement follows the VALUES data at position ${rest.start + 1} of the data: ${data.subarray(rest.start, rest.start + 40).toString('utf8')}`,
          );
        }
      }
      return;
    }
  }
}

/** ClickHouse's rule: the data starts after the format name, its spaces and one line break. */
function dataStart(text: Buffer, pos: number): number {
  while (pos < text.length && (text[pos] === 0x20 || text[pos] === 0x09 || text[pos] === 0x0c)) pos++;
  if (text[pos] === 0x0d) pos++;
  if (text[pos] === 0x0a) pos++;
  return pos;
}

function kindOf(first: string): StatementKind {
  switch (first) {
    case 'select':
    case 'with':
    case 'show':
    case 'describe':
    case 'desc':
    case 'exists':
    case 'explain':
      return 'select';
    case 'insert':
      return 'insert';
    case 'set':
      return 'set';
    case 'use':
      return 'use';
    default:
      return 'other';
  }
}

function refuseOutsideAccess(tokens: readonly Token[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'word') continue;
    const next = tokens[i + 1];
    const called = next?.kind === 'punct' && next.text === '(';
    // ENGINE = Kafka SETTINGS … names an engine without parentheses.
    const previous = tokens[i - 1];
    const engine = (previous?.kind === 'word' && previous.text === 'engine') || (previous?.text === '=' && tokens[i - 2]?.text === 'engine');
    if ((called || engine) && reachesOutside(token.text)) throw refuseOutside(`'${token.text}'`);
    if (PATH_SETTINGS.has(token.text) && next?.text === '=') throw refuseOutside(`The setting ${token.text}`);
    // A dictionary's CLICKHOUSE source with a HOST reads another server.
    if (called && token.text === 'clickhouse') {
      for (let j = i + 2, depth = 1; j < tokens.length && depth > 0; j++) {
        const inner = tokens[j]!;
        if (inner.kind === 'punct') depth += inner.text === '(' ? 1 : inner.text === ')' ? -1 : 0;
        else if (inner.kind === 'word' && depth === 1 && inner.text === 'host') throw refuseOutside('a CLICKHOUSE dictionary source with a HOST');
      }
    }
    if (token.text === 'attach' && i === 0 && tokens.some((t, j) => t.kind === 'word' && t.text === 'from' && tokens[j + 1]?.kind === 'string')) {
      throw refuseOutside('ATTACH … FROM a path');
    }
  }
}
