import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { constants, gzipSync, zstdCompressSync } from 'node:zlib';
import { distFile } from '../../../../core/paths.js';
import {
  chooseResponseEncoding,
  CompressionError,
  decodeBlocks,
  decodeContent,
  encodeBlocks,
  encodeContent,
  type ContentEncoding,
} from '../../../../tools/clickhouse/compression.js';

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

test('a small zstd body cannot expand past the cap: the 3 KB that would be 100 MiB stops at the cap', () => {
  const bomb = zstdCompressSync(Buffer.alloc(100 << 20, 0x61), { params: { [constants.ZSTD_c_compressionLevel]: 19 } });
  expect(bomb.length).toBeLessThan(4096);
  // In a process of its own, whose peak resident memory (VmHWM, which starts afresh at exec) says how far the body expanded.
  const module = pathToFileURL(distFile('tools/clickhouse/compression.js')).href;
  const script = `import { readFileSync } from 'node:fs';
    import { decodeContent } from ${JSON.stringify(module)};
    const peak = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    const body = Buffer.from(process.argv[1], 'base64');
    const before = peak();
    let code;
    try { decodeContent(body, 'zstd', 64 * 1024); } catch (error) { code = error.code; }
    console.log(JSON.stringify({ code, grewBy: peak() - before }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, bomb.toString('base64')], { encoding: 'utf8' });
  const { code, grewBy } = JSON.parse(out) as { code: number; grewBy: number };
  expect(code).toBe(229);
  expect(grewBy).toBeLessThan(16 << 20);
});
