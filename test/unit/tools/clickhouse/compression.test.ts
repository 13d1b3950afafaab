import { gzipSync } from 'node:zlib';
import {
  chooseResponseEncoding,
  CompressionError,
  decodeBlocks,
  decodeContent,
  encodeBlocks,
  encodeContent,
  initCompression,
  type ContentEncoding,
} from '../../../../tools/clickhouse/compression.js';

beforeAll(() => initCompression());

const sample = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i % 7 === 0 ? i % 251 : 65 + (i % 5))));

test.each([
  // Cases from ClickHouse's own tests of chooseHTTPCompressionMethod: its order of preference, q=0 refuses.
  ['zstd, gzip, br', 'zstd'],
  ['br, gzip', 'br'],
  ['gzip', 'gzip'],
  ['br;q=0, gzip', 'gzip'],
  ['zstd;q=0', undefined],
  ['gzip;q=0.0', undefined],
  ['gzip;q=0.5, zstd', 'zstd'],
  ['lz4, zstd, gzip, deflate', 'zstd'],
  ['lz4', 'lz4'],
  ['*', 'zstd'],
  ['identity', undefined],
  [undefined, undefined],
])('Accept-Encoding %j is answered with %j', (accept, expected) => {
  expect(chooseResponseEncoding(accept)).toBe(expected);
});

test.each(['gzip', 'deflate', 'br', 'lz4', 'zstd'] as ContentEncoding[])('%s bodies decode to what was encoded, within the cap', (encoding) => {
  const encoded = encodeContent(sample, encoding);
  expect(encoded.length).toBeLessThan(sample.length / 2);
  expect(decodeContent(encoded, encoding, sample.length).equals(sample)).toBe(true);
  expect(() => decodeContent(encoded, encoding, sample.length - 1)).toThrow(expect.objectContaining({ code: 229 }));
});

test('an unknown Content-Encoding or a corrupt body is a ClickHouse error', () => {
  expect(() => decodeContent(sample, 'snappy', 1 << 30)).toThrow(expect.objectContaining({ code: 89 }));
  expect(() => decodeContent(Buffer.from('not gzip'), 'gzip', 1 << 30)).toThrow(expect.objectContaining({ code: 271 }));
  expect(decodeContent(gzipSync('x'), 'GZIP', 10).toString()).toBe('x');
});

test('ClickHouse compressed blocks: LZ4 and ZSTD, 1 MiB each, checksummed', () => {
  for (const method of ['lz4', 'zstd'] as const) {
    const blocks = encodeBlocks(sample, method);
    expect(blocks[16]).toBe(method === 'lz4' ? 0x82 : 0x90);
    expect(decodeBlocks(blocks, sample.length).equals(sample)).toBe(true);
    expect(() => decodeBlocks(blocks, sample.length - 1)).toThrow(expect.objectContaining({ code: 229 }));
  }
  const corrupt = encodeBlocks(sample);
  corrupt[100] = corrupt[100]! ^ 0x10;
  expect(() => decodeBlocks(corrupt, 1 << 30)).toThrow(CompressionError);
  expect(() => decodeBlocks(corrupt, 1 << 30)).toThrow(/Checksum doesn't match/);
  expect(() => decodeBlocks(encodeBlocks(sample).subarray(0, 1000), 1 << 30)).toThrow(/truncated/);
});
