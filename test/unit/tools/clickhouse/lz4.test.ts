import { compressBlock, compressFrame, decompressBlock, decompressFrames, Lz4Error } from '../../../../tools/clickhouse/lz4.js';

/** Bytes made by the lz4 C library (PyPI lz4 4.4, what clickhouse-connect compresses with). */
const TEXT = Buffer.from(
  '656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20656d706c6f7965655f696420457b613a317d20756e6974732034323b20000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
  'hex',
);
const FRAME = Buffer.from(
  '04224d1868404403000000000000cc26010000ff0e656d706c6f7965655f696420457b613a317d20756e6974732034323b201d00ffff16f0f1000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00000000',
  'hex',
);
/** Two frames back to back: "hello " with a content checksum, then "world" with independent blocks. */
const TWO_FRAMES = Buffer.from(
  '04224d186c400600000000000000890600008068656c6c6f2000000000ba53ad8f04224d18684005000000000000006105000080776f726c6400000000',
  'hex',
);
const BLOCK = Buffer.from(
  'ff0e656d706c6f7965655f696420457b613a317d20756e6974732034323b201d00ffff16f0f1000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
  'hex',
);

test("decodes the C library's frames and blocks", () => {
  expect(decompressFrames(FRAME, 1 << 20)).toEqual(TEXT);
  expect(decompressFrames(TWO_FRAMES, 1 << 20).toString()).toBe('hello world');
  expect(decompressBlock(BLOCK, TEXT.length)).toEqual(TEXT);
});

test('what it compresses decodes to the input, and repetitive input shrinks', () => {
  const seed = Number(process.env.KPI_TEST_SEED ?? Date.now() % 100_000);
  let state = seed;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (const size of [0, 1, 5, 12, 13, 100, 65_536, 300_000]) {
    const input = Buffer.from(Array.from({ length: size }, () => (random() < 0.7 ? 65 + Math.floor(random() * 3) : Math.floor(random() * 256))));
    expect({ seed, size, block: decompressBlock(compressBlock(input), size).equals(input) }).toEqual({ seed, size, block: true });
    expect({ seed, size, frame: decompressFrames(compressFrame(input), 1 << 20).equals(input) }).toEqual({ seed, size, frame: true });
  }
  expect(compressBlock(TEXT).length).toBeLessThan(TEXT.length / 2);
});

test('corrupt or oversized input is an error, never wrong bytes', () => {
  const badHeader = Buffer.from(FRAME);
  badHeader[6] = badHeader[6]! ^ 0xff; // the content size: the header checksum no longer matches
  expect(() => decompressFrames(badHeader, 1 << 20)).toThrow(/header checksum/);
  const badContent = compressFrame(TEXT);
  badContent[badContent.length - 1] = badContent.at(-1)! ^ 0xff; // the content checksum
  expect(() => decompressFrames(badContent, 1 << 20)).toThrow(/content checksum/);
  expect(() => decompressFrames(FRAME.subarray(0, FRAME.length - 3), 1 << 20)).toThrow(Lz4Error);
  expect(() => decompressFrames(FRAME, 100)).toThrow(/larger than 100 bytes/);
  expect(() => decompressFrames(Buffer.from('not lz4 at all'), 1 << 20)).toThrow(/not an LZ4 frame/);
  expect(() => decompressBlock(BLOCK, TEXT.length - 1)).toThrow(Lz4Error);
});
