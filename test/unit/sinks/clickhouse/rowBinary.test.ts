import { RowBinaryReader, RowBinaryTypeError, RowBinaryWriter, codecOf, readRowsWithNamesAndTypes } from '../../../../sinks/clickhouse/rowBinary.js';

const roundTrip = (type: string, value: unknown) => {
  const writer = new RowBinaryWriter();
  codecOf(type).write(writer, value);
  const reader = new RowBinaryReader(writer.bytes());
  const read = codecOf(type).read(reader);
  expect(reader.done).toBe(true);
  return read;
};

const bytesOf = (type: string, value: unknown) => {
  const writer = new RowBinaryWriter();
  codecOf(type).write(writer, value);
  return [...writer.bytes()];
};

describe('RowBinary codecs', () => {
  test('write the bytes ClickHouse documents: little-endian numbers, LEB128 lengths, UTF-8 strings, a null flag', () => {
    expect(bytesOf('UInt16', 0x0102)).toEqual([0x02, 0x01]);
    expect(bytesOf('UInt64', 2 ** 32 + 5)).toEqual([5, 0, 0, 0, 1, 0, 0, 0]);
    expect(bytesOf('Int64', -2)).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(bytesOf('String', 'é')).toEqual([2, 0xc3, 0xa9]);
    expect(bytesOf('String', 'x'.repeat(300)).slice(0, 2)).toEqual([0xac, 0x02]); // 300 = 0b10_0101100
    expect(bytesOf('Nullable(UInt8)', null)).toEqual([1]);
    expect(bytesOf('Nullable(UInt8)', 7)).toEqual([0, 7]);
    expect(bytesOf("DateTime64(3, 'UTC')", Date.UTC(2026, 0, 1))).toEqual([...Buffer.from(new BigInt64Array([BigInt(Date.UTC(2026, 0, 1))]).buffer)]);
    expect(bytesOf('Date', '1970-01-03')).toEqual([2, 0]);
    expect(bytesOf('Map(String, UInt16)', { a: 1 })).toEqual([1, 1, 0x61, 1, 0]);
  });

  test.each([
    ['UInt8', 255],
    ['UInt16', 65_535],
    ['UInt32', 4_294_967_295],
    ['UInt64', Number.MAX_SAFE_INTEGER],
    ['Int8', -128],
    ['Int16', -32_768],
    ['Int32', -2_147_483_648],
    ['Int64', -Number.MAX_SAFE_INTEGER],
    ['Int64', 1_793_577_600_000],
    ['Float32', 0.5],
    ['Float64', 0.1 + 0.2],
    ['Float64', -0],
    ['String', 'Grüße, "quotes" and\nnewlines ☃'],
    ['LowCardinality(String)', 'night'],
    ['Date', '2026-10-05'],
    ["DateTime64(3, 'UTC')", 1_793_577_600_123],
    ["Nullable(DateTime64(3, 'UTC'))", null],
    ['Nullable(Float64)', 1e-300],
    ['Array(UInt64)', [1, 2 ** 53 - 1, 0]],
    ['Array(UInt16)', []],
    ['Map(String, UInt64)', { S1: 12, 'S 2': 2 ** 40 }],
    [
      "Array(Tuple(hour DateTime64(3, 'UTC'), measures Map(String, UInt64)))",
      [
        [1_793_577_600_000, { units: 3 }],
        [1_793_581_200_000, {}],
      ],
    ],
    ['Tuple(String, Nullable(Int64))', ['a', null]],
  ])('%s keeps %p exactly', (type, value) => {
    expect(roundTrip(type, value)).toEqual(value);
  });

  test('a named Tuple may be given as an object by element name: the same bytes as the array', () => {
    const type = "Array(Tuple(hour DateTime64(3, 'UTC'), measures Map(String, UInt64)))";
    expect(bytesOf(type, [{ hour: 1_793_577_600_000, measures: { units: 3, run_ms: 2 ** 40 } }])).toEqual(
      bytesOf(type, [[1_793_577_600_000, { units: 3, run_ms: 2 ** 40 }]]),
    );
  });

  test('a map of 128 entries or more counts them in a varint of two bytes, its entries intact', () => {
    const map = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`s${i}`, i]));
    expect(bytesOf('Map(String, UInt16)', map).slice(0, 3)).toEqual([0xac, 0x02, 2]); // 300, then the first key's length
    expect(roundTrip('Array(Map(String, UInt16))', [map, { a: 1 }])).toEqual([map, { a: 1 }]);
  });

  test('a writer reset starts over: its bytes are only those written since', () => {
    const writer = new RowBinaryWriter();
    writer.string('x'.repeat(100_000)); // grows past its first buffer
    writer.reset();
    writer.uint16(0x0102);
    expect([...writer.bytes()]).toEqual([0x02, 0x01]);
  });

  test('a missing value writes the type’s default; null only where the type is Nullable', () => {
    expect(roundTrip('Float64', null)).toBe(0);
    expect(roundTrip('String', undefined)).toBe('');
    expect(roundTrip('Array(String)', undefined)).toEqual([]);
    expect(roundTrip('Nullable(Float64)', undefined)).toBeNull();
  });

  test('types without a codec are refused by name', () => {
    expect(() => codecOf('Decimal(18, 4)')).toThrow(RowBinaryTypeError);
    expect(() => codecOf('DateTime64(6)')).toThrow(/millisecond/);
    expect(() => codecOf('Variant(String, UInt8)')).toThrow(/Variant\(String, UInt8\)/);
  });

  test('reading past the end of the data is an error, not a made-up value', () => {
    const writer = new RowBinaryWriter();
    writer.varint(5);
    expect(() => codecOf('String').read(new RowBinaryReader(writer.bytes()))).toThrow(RangeError);
  });

  test('a RowBinaryWithNamesAndTypes result reads as rows by column name', () => {
    const writer = new RowBinaryWriter();
    writer.varint(2);
    writer.string('id');
    writer.string('score');
    writer.string('String');
    writer.string('Nullable(Float64)');
    for (const [id, score] of [
      ['a', 1.5],
      ['b', null],
    ] as const) {
      codecOf('String').write(writer, id);
      codecOf('Nullable(Float64)').write(writer, score);
    }
    expect(readRowsWithNamesAndTypes(writer.bytes())).toEqual([
      { id: 'a', score: 1.5 },
      { id: 'b', score: null },
    ]);
    expect(readRowsWithNamesAndTypes(Buffer.alloc(0))).toEqual([]);
  });

  test('the writer grows past its first buffer', () => {
    const writer = new RowBinaryWriter();
    const long = 'x'.repeat(100_000);
    codecOf('Array(String)').write(writer, [long, long]);
    expect(codecOf('Array(String)').read(new RowBinaryReader(writer.bytes()))).toEqual([long, long]);
  });
});
