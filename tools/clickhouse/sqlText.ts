/**
 * What the embedded HTTP interface reads of a request's SQL. ClickHouse's own
 * parser decides what a statement is (engine.ts, `canonical`); the front only
 *
 * 1. splits the request's text into the statement and an INSERT's data
 *    (`splitRequest`): only the statement is SQL, the data (JSON, TSV,
 *    RowBinary, Native …) passes untouched, whatever bytes it holds. Lexed the
 *    way ClickHouse's lexer (src/Parsers/Lexer.cpp) reads SQL, strings, quoted
 *    names, heredocs and comments skipped, never looked into — except that a
 *    byte ≥ 0x80 outside them is refused: ClickHouse reads some of those as
 *    spaces (U+00A0, U+2000–U+200D, U+3000, U+FEFF …: skipWhitespacesUTF8 in
 *    src/Common/StringUtils.h) and no other as part of a word, so a lexer that
 *    let them through would disagree with it about where words end;
 * 2. reads the engine's canonical form of the statement — what ClickHouse's
 *    parser understood, one statement, ASCII outside literals — for what the
 *    engine's grants cannot refuse in chDB's local mode (`judgeStatement`):
 *    INTO OUTFILE and FROM INFILE (run by the client side of the engine), the
 *    file() function (unchecked in local mode), custom disks, BACKUP, RESTORE
 *    and SYSTEM. The canonical form is what then runs, so what was judged is
 *    what runs.
 *
 * Works on bytes: an INSERT's data need not be UTF-8.
 */

export type StatementKind = 'select' | 'insert' | 'set' | 'use' | 'other';

/** A request's text, split: the statement's SQL and an INSERT's data (after `FORMAT <name>` or `VALUES`), if any. */
export interface RequestText {
  readonly sql: string;
  readonly data: Buffer | undefined;
}

/** A statement as it runs: the engine's canonical SQL, judged. */
export interface Statement {
  /** The canonical SQL (without an INSERT's data). */
  readonly sql: string;
  readonly kind: StatementKind;
  /** The `FORMAT` clause's format, if the statement has one. */
  readonly format: string | undefined;
  /** The canonical SQL without its `FORMAT` clause (what the analyzer is asked about). */
  readonly withoutFormat: string;
  /** An INSERT's data and how to run it, or undefined. */
  readonly insert: InsertWithData | undefined;
}

export interface InsertWithData {
  /** The data, untouched: whatever bytes, placeholders or semicolons it holds. */
  readonly data: Buffer;
  /**
   * The statement reading its data from `file` (`INSERT INTO t … FROM INFILE
   * 'file' … FORMAT …`). The engine splits inline data from SQL by its own
   * rules, under which a line starting with ';' ends the data and the rest
   * runs as SQL; from a file, data is only ever data.
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

/**
 * The code points ClickHouse's lexer skips as spaces besides ASCII ones
 * (skipWhitespacesUTF8 in src/Common/StringUtils.h). The lexer below refuses
 * them, with every other byte ≥ 0x80 outside strings, quoted names and comments.
 */
export const CLICKHOUSE_UNICODE_SPACES: readonly number[] = [
  0x0085, 0x00a0, 0x180e, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x200c, 0x200d, 0x2028, 0x2029,
  0x202f, 0x205f, 0x2060, 0x3000, 0xfeff,
];

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b;
const isWordStart = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
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
    if (c >= 0x80) {
      const codePoint =
        t
          .subarray(start, start + 4)
          .toString('utf8')
          .codePointAt(0) ?? 0;
      const space = CLICKHOUSE_UNICODE_SPACES.includes(codePoint)
        ? `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}, which ClickHouse reads as a space, `
        : '';
      throw syntaxError(t, start, `${space}a byte ≥ 0x80 outside a string, quoted name or comment: the embedded interface refuses them`);
    }
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
    if (isWordStart(c) || c === 0x24) {
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

function refuseOutside(what: string): SqlRefusal {
  return new SqlRefusal(
    497,
    'ACCESS_DENIED',
    `default: Not enough privileges. ${what} reaches files, URLs, other servers or programs, which the embedded ClickHouse's HTTP interface refuses`,
  );
}

/**
 * Splits a request's SQL text (the `query` URL parameter, a newline, and the
 * body — as ClickHouse concatenates them) into its statement and an INSERT's
 * data. The statement may still be anything, several statements included:
 * the engine's parser judges it next.
 */
export function splitRequest(text: Buffer): RequestText {
  const lexer = new Lexer(text);
  let depth = 0;
  let first: Token | undefined;
  let previous: Token | undefined;
  // Where an INSERT's data clause can start: after INSERT INTO, its target and columns, not in an INSERT … SELECT.
  let target: 'into' | 'name' | 'after' | 'select' | undefined;
  for (let token = lexer.next(); token; previous = token, token = lexer.next()) {
    first ??= token;
    if (token.kind === 'punct') {
      if (token.text === '(') depth++;
      else if (token.text === ')') depth--;
      continue;
    }
    if (token.kind !== 'word' || first.text !== 'insert' || depth !== 0 || target === 'select') continue;
    const clause = !token.quoted && previous?.text !== '.';
    if (target === undefined) {
      if (token.text === 'into') target = 'into';
    } else if (target === 'into') {
      if (!(clause && (token.text === 'table' || token.text === 'function'))) target = 'name';
    } else if (clause && (token.text === 'select' || token.text === 'with')) {
      target = 'select';
    } else if (clause && ['settings', 'format', 'values'].includes(token.text)) {
      target = 'after';
      if (token.text === 'values') return { sql: text.subarray(0, token.end).toString('utf8'), data: text.subarray(token.end) };
      if (token.text === 'format') {
        const name = lexer.next();
        if (!name || name.kind !== 'word') throw syntaxError(text, token.end, 'expected a format name');
        return { sql: text.subarray(0, name.end).toString('utf8'), data: text.subarray(dataStart(text, name.end)) };
      }
    }
  }
  if (first === undefined) throw new SqlRefusal(62, 'SYNTAX_ERROR', 'Empty query');
  return { sql: text.toString('utf8'), data: undefined };
}

/** ClickHouse's rule: the data starts after the format name, its spaces and one line break. */
function dataStart(text: Buffer, pos: number): number {
  while (pos < text.length && (text[pos] === 0x20 || text[pos] === 0x09 || text[pos] === 0x0c)) pos++;
  if (text[pos] === 0x0d) pos++;
  if (text[pos] === 0x0a) pos++;
  return pos;
}

/** Statements that act on the engine's host rather than on data (SYSTEM and BACKUP the grants refuse too; RESTORE reads a backup from anywhere). */
const REFUSED_STATEMENTS = new Set(['system', 'backup', 'restore']);
/** Functions the engine's grants do not check in chDB's local mode: file() reads any file; disk() and Backup() reach any disk or server. */
const REFUSED_CALLS = new Set(['file', 'disk', 'backup']);

/**
 * Judges a statement in the engine's canonical form (formatQuerySingleLine of
 * what the request sent) with `data`, the INSERT's data `splitRequest` found,
 * and refuses what the engine's own grants cannot in local mode.
 */
export function judgeStatement(canonical: Buffer, data: Buffer | undefined): Statement {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(canonical);
  } catch {
    throw new SqlRefusal(62, 'SYNTAX_ERROR', 'Syntax error: a string literal of the statement is not UTF-8 (write such bytes with unhex())');
  }
  const bytes = Buffer.from(canonical.toString('utf8').trim());
  const text = (from: number, to?: number) => bytes.subarray(from, to).toString('utf8');
  const tokens: Token[] = [];
  const lexer = new Lexer(bytes);
  for (let token = lexer.next(); token; token = lexer.next()) tokens.push(token);
  const first = tokens[0]?.text ?? '';
  if (REFUSED_STATEMENTS.has(first)) {
    throw new SqlRefusal(
      497,
      'ACCESS_DENIED',
      `default: Not enough privileges. ${first.toUpperCase()} statements act on the engine's host, which the embedded ClickHouse's HTTP interface refuses`,
    );
  }
  // ATTACH … FROM '<path>' makes a table of any directory, which INSERT then writes into and DROP deletes.
  if (first === 'attach' && tokens.some((t, j) => t.kind === 'word' && !t.quoted && t.text === 'from' && tokens[j + 1]?.kind === 'string')) {
    throw refuseOutside('ATTACH … FROM a path');
  }
  let format: string | undefined;
  let formatClause: { start: number; end: number } | undefined;
  let depth = 0;
  for (const [i, token] of tokens.entries()) {
    if (token.kind === 'punct') depth += token.text === '(' ? 1 : token.text === ')' ? -1 : 0;
    if (token.kind !== 'word' || token.quoted) continue;
    if (token.text === 'outfile') throw refuseOutside('INTO OUTFILE');
    if (token.text === 'infile') throw refuseOutside('FROM INFILE');
    if (REFUSED_CALLS.has(token.text) && tokens[i + 1]?.text === '(') throw refuseOutside(`'${token.text}'`);
    // The canonical form ends with its FORMAT clause, or has only SETTINGS after it.
    const name = tokens[i + 1];
    const after = tokens[i + 2];
    if (token.text === 'format' && depth === 0 && name?.kind === 'word' && (after === undefined || (after.text === 'settings' && !after.quoted))) {
      format = text(name.start, name.end).replace(/^`|`$/g, '');
      formatClause = { start: token.start, end: name.end };
    }
  }
  const sql = text(0);
  const withoutFormat = formatClause ? `${text(0, formatClause.start)}${text(formatClause.end)}`.trim() : sql;
  const kind = kindOf(first);
  if (data === undefined) return { sql, kind, format, withoutFormat, insert: undefined };
  if (kind !== 'insert' || format === undefined) throw new SqlRefusal(62, 'SYNTAX_ERROR', "Syntax error: cannot tell an INSERT's data from its query");
  if (format.toLowerCase() === 'values') refuseStatementsAfterValues(data);
  const at = infileAt(tokens);
  return {
    sql,
    kind,
    format,
    withoutFormat,
    insert: { data, statementFor: (file) => `${text(0, at)} FROM INFILE ${quoteLiteral(file)}${text(at)}` },
  };
}

/** A ClickHouse string literal: every value crosses into SQL quoted, never raw. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Where FROM INFILE goes in a canonical `INSERT INTO [db.]table [(columns)]
 * [SETTINGS …] FORMAT name`: after the table and its columns.
 */
function infileAt(tokens: readonly Token[]): number {
  let i = 2; // INSERT INTO
  const name = () => {
    if (tokens[i]?.kind !== 'word') throw new SqlRefusal(62, 'SYNTAX_ERROR', 'Syntax error: an INSERT with data goes into a table');
    i++;
  };
  name();
  if (tokens[i]?.text === '.') {
    i++;
    name();
  }
  if (tokens[i]?.text === '(') {
    for (let depth = 0; i < tokens.length; i++) {
      depth += tokens[i]!.text === '(' ? 1 : tokens[i]!.text === ')' ? -1 : 0;
      if (depth === 0) break;
    }
    i++;
  }
  const next = tokens[i];
  if (next?.kind !== 'word' || !['settings', 'format'].includes(next.text)) {
    throw new SqlRefusal(62, 'SYNTAX_ERROR', 'Syntax error: an INSERT with data goes into a table');
  }
  return next.start - 1;
}

/**
 * Values data ends at a `;`, and the engine (clickhouse-local inside chDB) runs
 * whatever follows as the next statement: a second statement smuggled in an
 * INSERT's data. Values rows are SQL, so they are lexed as SQL to find such a
 * `;`. And the engine evaluates expressions in them
 * (input_format_values_interpret_expressions): a call the grants do not check
 * is refused there as in the statement. Every other format reads its data to
 * the end, or fails.
 */
function refuseStatementsAfterValues(data: Buffer): void {
  const lexer = new Lexer(data);
  let depth = 0;
  let previous: Token | undefined;
  for (let token = lexer.next(); token; previous = token, token = lexer.next()) {
    if (token.kind === 'punct' && token.text === '(' && previous?.kind === 'word' && !previous.quoted && REFUSED_CALLS.has(previous.text)) {
      throw refuseOutside(`'${previous.text}' in the VALUES data`);
    }
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
