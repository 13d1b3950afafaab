/**
 * ClickHouse's RowBinary format for the types kpi-stream's tables use: rows
 * as little-endian numbers, LEB128 lengths and UTF-8 strings, column after
 * column (https://clickhouse.com/docs/interfaces/formats/RowBinary). A codec
 * is compiled once per column type from its ClickHouse type name, as
 * system.columns or a RowBinaryWithNamesAndTypes header spell it.
 *
 * Values are JavaScript values: numbers (64-bit integers exact up to 2^53,
 * as everywhere in kpi-stream), strings, null for Nullable, arrays, Maps as
 * plain objects, and Tuples as arrays (named Tuples also as objects by
 * element name); times as epoch milliseconds, a Date as 'YYYY-MM-DD'.
 */

/** An unknown or unsupported ClickHouse type name. */
export class RowBinaryTypeError extends Error {}

const DAY = 86_400_000;
const TWO_32 = 2 ** 32;

/**
 * A growable output buffer. Numbers and ASCII strings are stored byte by byte
 * here rather than through Buffer's checked writers: a row of a working day
 * holds about 150 values, and the sink encodes hundreds of thousands of rows
 * in a backfill (BENCHMARKS.md).
 */
export class RowBinaryWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  /** The buffer's bytes as a DataView, for floats. */
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
  private length = 0;

  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }

  uint8(x: number): void {
    this.room(1);
    this.buffer[this.length++] = x;
  }

  uint16(x: number): void {
    this.room(2);
    const b = this.buffer;
    const at = this.length;
    b[at] = x;
    b[at + 1] = x >>> 8;
    this.length = at + 2;
  }

  /** The low 32 bits of `x`, little-endian (UInt32 and Int32 alike). */
  uint32(x: number): void {
    this.room(4);
    const b = this.buffer;
    const at = this.length;
    b[at] = x;
    b[at + 1] = x >>> 8;
    b[at + 2] = x >>> 16;
    b[at + 3] = x >>> 24;
    this.length = at + 4;
  }

  int32(x: number): void {
    this.uint32(x | 0);
  }

  /** A whole number in 0..2^53 as UInt64: the same bytes as Int64. */
  uint64(x: number): void {
    this.int64(x);
  }

  /** A whole number in ±2^53 as Int64 (two's complement). */
  int64(x: number): void {
    const high = Math.floor(x / TWO_32);
    this.uint32(x - high * TWO_32);
    this.uint32(high | 0);
  }

  float32(x: number): void {
    this.room(4);
    this.view.setFloat32(this.length, x, true);
    this.length += 4;
  }

  float64(x: number): void {
    this.room(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
  }

  /** An unsigned LEB128 number: lengths of strings, arrays and maps. */
  varint(x: number): void {
    this.room(10);
    while (x >= 0x80) {
      this.buffer[this.length++] = (x & 0x7f) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buffer[this.length++] = x;
  }

  /** Reserves one byte for a count written after what it counts (`count`): maps are written in one pass over their entries. */
  countMark(): number {
    this.room(1);
    return this.length++;
  }

  /** Writes at `mark` (from countMark) the count of what follows it, as a varint: in place when under 128, else moving what follows. */
  count(mark: number, n: number): void {
    if (n < 0x80) {
      this.buffer[mark] = n;
      return;
    }
    let bytes = 1;
    for (let x = n; x >= 0x80; x = Math.floor(x / 128)) bytes += 1;
    this.room(bytes - 1);
    this.buffer.copyWithin(mark + bytes, mark + 1, this.length);
    this.length += bytes - 1;
    let at = mark;
    let x = n;
    while (x >= 0x80) {
      this.buffer[at++] = (x & 0x7f) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buffer[at] = x;
  }

  string(text: string): void {
    if (text.length < 128 && this.ascii(text)) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    this.varint(bytes);
    this.room(bytes);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** Writes a short string as its length and bytes when it is ASCII (true); else writes nothing (false). */
  private ascii(text: string): boolean {
    const n = text.length;
    this.room(n + 1);
    const b = this.buffer;
    const at = this.length + 1;
    for (let i = 0; i < n; i += 1) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return false;
      b[at + i] = c;
    }
    b[at - 1] = n;
    this.length = at + n;
    return true;
  }

  /** The bytes written so far (a copy: the writer may be reused). */
  bytes(): Buffer {
    const bytes = Buffer.allocUnsafe(this.length);
    this.buffer.copy(bytes, 0, 0, this.length);
    return bytes;
  }

  /** Starts over, keeping the room grown so far: a writer reused for every insert grows once, not per insert. */
  reset(): void {
    this.length = 0;
  }

  get size(): number {
    return this.length;
  }
}

/** Reads RowBinary from a buffer; throws RangeError past its end. */
export class RowBinaryReader {
  offset = 0;

  constructor(private readonly buffer: Buffer) {}

  get done(): boolean {
    return this.offset >= this.buffer.length;
  }

  private take(bytes: number): number {
    const at = this.offset;
    if (at + bytes > this.buffer.length) throw new RangeError(`RowBinary data ends at byte ${this.buffer.length}, ${bytes} more expected at ${at}`);
    this.offset += bytes;
    return at;
  }

  uint8(): number {
    return this.buffer[this.take(1)]!;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }

  uint16(): number {
    return this.buffer.readUInt16LE(this.take(2));
  }

  int16(): number {
    return this.buffer.readInt16LE(this.take(2));
  }

  uint32(): number {
    return this.buffer.readUInt32LE(this.take(4));
  }

  int32(): number {
    return this.buffer.readInt32LE(this.take(4));
  }

  uint64(): number {
    const at = this.take(8);
    return this.buffer.readUInt32LE(at + 4) * TWO_32 + this.buffer.readUInt32LE(at);
  }

  int64(): number {
    const at = this.take(8);
    return this.buffer.readInt32LE(at + 4) * TWO_32 + this.buffer.readUInt32LE(at);
  }

  float32(): number {
    return this.buffer.readFloatLE(this.take(4));
  }

  float64(): number {
    return this.buffer.readDoubleLE(this.take(8));
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.uint8();
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }

  string(): string {
    const bytes = this.varint();
    const at = this.take(bytes);
    return this.buffer.toString('utf8', at, at + bytes);
  }
}

/** How to write and read one ClickHouse type. */
export interface RowBinaryCodec {
  readonly type: string;
  write(writer: RowBinaryWriter, value: unknown): void;
  read(reader: RowBinaryReader): unknown;
}

/** Splits a type's arguments at top-level commas: `String, Map(String, UInt64)` → two. */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "'" && text[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '(') depth += 1;
    else if (!quoted && c === ')') depth -= 1;
    else if (!quoted && depth === 0 && c === ',') {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((p) => p !== '');
}

const number = (value: unknown): number => (typeof value === 'number' ? value : value === null || value === undefined ? 0 : Number(value));

function numeric(type: string, write: (w: RowBinaryWriter, x: number) => void, read: (r: RowBinaryReader) => number): RowBinaryCodec {
  return { type, write: (w, value) => write(w, number(value)), read };
}

const SIMPLE: Record<string, () => RowBinaryCodec> = {
  UInt8: () =>
    numeric(
      'UInt8',
      (w, x) => w.uint8(x),
      (r) => r.uint8(),
    ),
  Bool: () =>
    numeric(
      'Bool',
      (w, x) => w.uint8(x ? 1 : 0),
      (r) => r.uint8(),
    ),
  UInt16: () =>
    numeric(
      'UInt16',
      (w, x) => w.uint16(x),
      (r) => r.uint16(),
    ),
  UInt32: () =>
    numeric(
      'UInt32',
      (w, x) => w.uint32(x),
      (r) => r.uint32(),
    ),
  UInt64: () =>
    numeric(
      'UInt64',
      (w, x) => w.uint64(x),
      (r) => r.uint64(),
    ),
  Int8: () =>
    numeric(
      'Int8',
      (w, x) => w.uint8(x & 0xff),
      (r) => r.int8(),
    ),
  Int16: () =>
    numeric(
      'Int16',
      (w, x) => w.uint16(x & 0xffff),
      (r) => r.int16(),
    ),
  Int32: () =>
    numeric(
      'Int32',
      (w, x) => w.int32(x),
      (r) => r.int32(),
    ),
  Int64: () =>
    numeric(
      'Int64',
      (w, x) => w.int64(x),
      (r) => r.int64(),
    ),
  Float32: () =>
    numeric(
      'Float32',
      (w, x) => w.float32(x),
      (r) => r.float32(),
    ),
  Float64: () =>
    numeric(
      'Float64',
      (w, x) => w.float64(x),
      (r) => r.float64(),
    ),
  String: () => ({ type: 'String', write: (w, value) => w.string(value === null || value === undefined ? '' : String(value)), read: (r) => r.string() }),
  Date: () => ({
    type: 'Date',
    write: (w, value) => w.uint16(value ? dayNumber(String(value)) : 0),
    read: (r) => new Date(r.uint16() * DAY).toISOString().slice(0, 10),
  }),
  DateTime: () =>
    numeric(
      'DateTime',
      (w, ms) => w.uint32(Math.floor(ms / 1000)),
      (r) => r.uint32() * 1000,
    ),
};

/** The day number (since 1970-01-01) of a 'YYYY-MM-DD' date; the last one asked is kept, as rows come a day at a time. */
function dayNumber(date: string): number {
  if (date !== lastDate) {
    lastDay = Math.round(Date.parse(`${date}T00:00:00Z`) / DAY);
    lastDate = date;
  }
  return lastDay;
}

let lastDate: string | undefined;
let lastDay = 0;

/**
 * The codec of a ClickHouse type name: (U)Int8..64, Float32/64, Bool,
 * String, Date, DateTime, DateTime64(3[, zone]) (epoch ms), Nullable(T),
 * LowCardinality(T), Array(T), Map(K, V) and Tuple(…) (named or not).
 * Throws RowBinaryTypeError for anything else.
 */
export function codecOf(type: string): RowBinaryCodec {
  const text = type.trim();
  const simple = SIMPLE[text];
  if (simple) return simple();
  const open = text.indexOf('(');
  if (open < 0 || !text.endsWith(')')) throw new RowBinaryTypeError(`the ClickHouse type ${text} has no RowBinary codec here`);
  const name = text.slice(0, open);
  const args = splitArguments(text.slice(open + 1, -1));
  switch (name) {
    case 'LowCardinality':
      return { ...codecOf(args[0]!), type: text };
    case 'DateTime': // DateTime('zone')
      return { ...SIMPLE.DateTime!(), type: text };
    case 'DateTime64': {
      if (args[0] !== '3') throw new RowBinaryTypeError(`${text}: only millisecond precision (DateTime64(3)) has a codec here`);
      return numeric(
        text,
        (w, ms) => w.int64(ms),
        (r) => r.int64(),
      );
    }
    case 'Nullable': {
      const inner = codecOf(args[0]!);
      return {
        type: text,
        write: (w, value) => {
          if (value === null || value === undefined) w.uint8(1);
          else {
            w.uint8(0);
            inner.write(w, value);
          }
        },
        read: (r) => (r.uint8() === 1 ? null : inner.read(r)),
      };
    }
    case 'Array': {
      const item = codecOf(args[0]!);
      return {
        type: text,
        write: (w, value) => {
          const list = (value ?? []) as readonly unknown[];
          const n = list.length;
          w.varint(n);
          for (let i = 0; i < n; i += 1) item.write(w, list[i]);
        },
        read: (r) => {
          const length = r.varint();
          const list = new Array<unknown>(length);
          for (let i = 0; i < length; i += 1) list[i] = item.read(r);
          return list;
        },
      };
    }
    case 'Map': {
      const key = codecOf(args[0]!);
      const value = codecOf(args[1]!);
      return {
        type: text,
        write: (w, map) => {
          const record = (map ?? {}) as Record<string, unknown>;
          const mark = w.countMark();
          let n = 0;
          for (const k in record) {
            if (!Object.hasOwn(record, k)) continue;
            key.write(w, k);
            value.write(w, record[k]);
            n += 1;
          }
          w.count(mark, n);
        },
        read: (r) => {
          const length = r.varint();
          const map: Record<string, unknown> = {};
          for (let i = 0; i < length; i += 1) {
            const k = String(key.read(r));
            map[k] = value.read(r);
          }
          return map;
        },
      };
    }
    case 'Tuple': {
      // Elements are `name Type` or `Type`; a name is a plain identifier before the type.
      const named = (arg: string) => /^[A-Za-z_][A-Za-z0-9_]*\s+[A-Z]/.test(arg);
      const elements = args.map((arg) => codecOf(named(arg) ? arg.slice(arg.search(/\s/)).trim() : arg));
      const names = args.map((arg) => (named(arg) ? arg.slice(0, arg.search(/\s/)) : undefined));
      return {
        type: text,
        write: (w, value) => {
          if (Array.isArray(value)) {
            for (let i = 0; i < elements.length; i += 1) elements[i]!.write(w, value[i]);
            return;
          }
          // A named tuple may be given as an object by element name.
          const record = value as Record<string, unknown>;
          for (let i = 0; i < elements.length; i += 1) {
            const name = names[i];
            elements[i]!.write(w, name === undefined ? undefined : record[name]);
          }
        },
        read: (r) => elements.map((element) => element.read(r)),
      };
    }
    default:
      throw new RowBinaryTypeError(`the ClickHouse type ${text} has no RowBinary codec here`);
  }
}

/** Reads a RowBinaryWithNamesAndTypes result: its header, then every row as an object by column name. */
export function readRowsWithNamesAndTypes(data: Buffer): Record<string, unknown>[] {
  const reader = new RowBinaryReader(data);
  if (reader.done) return [];
  const count = reader.varint();
  const names = Array.from({ length: count }, () => reader.string());
  const codecs = Array.from({ length: count }, () => codecOf(reader.string()));
  const rows: Record<string, unknown>[] = [];
  while (!reader.done) {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < count; i += 1) row[names[i]!] = codecs[i]!.read(reader);
    rows.push(row);
  }
  return rows;
}
