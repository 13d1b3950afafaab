/**
 * The compression a ClickHouse server speaks over HTTP:
 *
 * - HTTP content encodings, for request bodies (`Content-Encoding`) and for
 *   responses (`enable_http_compression=1` and `Accept-Encoding`): gzip,
 *   deflate, br (Node's zlib), lz4 (frame format) and zstd;
 * - ClickHouse's own compressed blocks (`decompress=1` on requests,
 *   `compress=1` on responses): a CityHash128 v1.0.2 checksum, a method byte,
 *   the compressed and uncompressed sizes, then LZ4, ZSTD or raw data.
 *
 * Every decompressor stops at `maxSize` bytes of output (node:zlib's
 * `maxOutputLength`, zstd included), so a small body cannot expand into more
 * memory than a large one could take: the cap holds while decompressing, not
 * after.
 */
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  deflateSync,
  gzipSync,
  gunzipSync,
  inflateSync,
  zstdCompressSync,
  zstdDecompressSync,
} from 'node:zlib';
import { cityHash128 } from './cityHash.js';
import { compressBlock, compressFrame, decompressBlock, decompressFrames } from './lz4.js';

/** Malformed or oversized compressed input; `code` is ClickHouse's error code for it. */
export class CompressionError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

const tooLarge = (maxSize: number) => new CompressionError(229, 'QUERY_IS_TOO_LARGE', `Request body is larger than ${maxSize} bytes (KPI_CLICKHOUSE_MAX_BODY)`);

const zstd = (payload: Buffer, level: number) => zstdCompressSync(payload, { params: { [constants.ZSTD_c_compressionLevel]: level } });

export type ContentEncoding = 'gzip' | 'deflate' | 'br' | 'lz4' | 'zstd';

/** Decodes a request body sent with `Content-Encoding`; undefined or identity passes it through. */
export function decodeContent(body: Buffer, encoding: string | undefined, maxSize: number): Buffer {
  const name = (encoding ?? '').trim().toLowerCase();
  try {
    switch (name) {
      case '':
      case 'identity':
        return body;
      case 'gzip':
      case 'x-gzip':
        return gunzipSync(body, { maxOutputLength: maxSize });
      case 'deflate':
        return inflateSync(body, { maxOutputLength: maxSize });
      case 'br':
        return brotliDecompressSync(body, { maxOutputLength: maxSize });
      case 'lz4':
        return decompressFrames(body, maxSize);
      case 'zstd':
        return zstdDecompressSync(body, { maxOutputLength: maxSize });
      default:
        throw new CompressionError(89, 'UNKNOWN_COMPRESSION_METHOD', `Unknown HTTP Content-Encoding: ${encoding}`);
    }
  } catch (error) {
    if (error instanceof CompressionError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxSize);
    const message = error instanceof Error ? error.message : String(error);
    if (/larger than/.test(message)) throw tooLarge(maxSize);
    throw new CompressionError(271, 'CANNOT_DECOMPRESS', `Cannot decompress the request body (${name}): ${message}`);
  }
}

/**
 * The response encoding for an Accept-Encoding header, as a server chooses it
 * (chooseHTTPCompressionMethod): its own order of preference (zstd, br, lz4,
 * gzip, deflate) among the offered tokens, skipping those with q=0; `*` offers all.
 */
export function chooseResponseEncoding(acceptEncoding: string | undefined): ContentEncoding | undefined {
  const offered = new Set<string>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [token, ...parameters] = part.split(';').map((piece) => piece.trim());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    if (token && !(q !== undefined && Number(q.slice(2)) === 0)) offered.add(token);
  }
  return (['zstd', 'br', 'lz4', 'gzip', 'deflate'] as const).find((name) => offered.has(name) || offered.has('*'));
}

export function encodeContent(payload: Buffer, encoding: ContentEncoding): Buffer {
  switch (encoding) {
    case 'gzip':
      return gzipSync(payload);
    case 'deflate':
      return deflateSync(payload);
    case 'br':
      return brotliCompressSync(payload);
    case 'lz4':
      return compressFrame(payload);
    case 'zstd':
      return zstd(payload, 3);
  }
}

// --- ClickHouse's compressed blocks ------------------------------------------

const HEADER = 9; // method byte, compressed size, uncompressed size
const CHECKSUM = 16;
const METHOD_NONE = 0x02;
const METHOD_LZ4 = 0x82;
const METHOD_ZSTD = 0x90;
/** ClickHouse's max_compress_block_size: how much uncompressed data goes in one block. */
const BLOCK_SIZE = 1 << 20;

/** Decodes a body of ClickHouse compressed blocks (`decompress=1`), checking every checksum. */
export function decodeBlocks(body: Buffer, maxSize: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let p = 0;
  while (p < body.length) {
    if (p + CHECKSUM + HEADER > body.length) throw new CompressionError(271, 'CANNOT_DECOMPRESS', 'Cannot decompress: truncated compressed block header');
    const method = body[p + CHECKSUM]!;
    const compressedSize = body.readUInt32LE(p + CHECKSUM + 1);
    const size = body.readUInt32LE(p + CHECKSUM + 5);
    if (compressedSize < HEADER || p + CHECKSUM + compressedSize > body.length) {
      throw new CompressionError(271, 'CANNOT_DECOMPRESS', 'Cannot decompress: truncated compressed block');
    }
    const block = body.subarray(p + CHECKSUM, p + CHECKSUM + compressedSize);
    const [first, second] = cityHash128(block);
    const expectedFirst = body.readBigUInt64LE(p);
    const expectedSecond = body.readBigUInt64LE(p + 8);
    if (first !== expectedFirst || second !== expectedSecond) {
      throw new CompressionError(
        40,
        'CHECKSUM_DOESNT_MATCH',
        `Checksum doesn't match: corrupted data. Reference: ${hex128(expectedFirst, expectedSecond)}. Actual: ${hex128(first, second)}. Size of compressed block: ${compressedSize}`,
      );
    }
    total += size;
    if (total > maxSize) throw tooLarge(maxSize);
    const data = block.subarray(HEADER);
    try {
      if (method === METHOD_LZ4) parts.push(decompressBlock(data, size));
      else if (method === METHOD_ZSTD) parts.push(zstdDecompressSync(data, { maxOutputLength: Math.max(size, 1) }));
      else if (method === METHOD_NONE) parts.push(Buffer.from(data));
      else throw new CompressionError(89, 'UNKNOWN_COMPRESSION_METHOD', `Unknown compression method: 0x${method.toString(16)}`);
    } catch (error) {
      if (error instanceof CompressionError) throw error;
      throw new CompressionError(271, 'CANNOT_DECOMPRESS', `Cannot decompress: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (parts.at(-1)!.length !== size) throw new CompressionError(271, 'CANNOT_DECOMPRESS', 'Cannot decompress: block size mismatch');
    p += CHECKSUM + compressedSize;
  }
  return Buffer.concat(parts);
}

/** Encodes a response as ClickHouse compressed blocks (`compress=1`), with LZ4 or ZSTD as `method` says. */
export function encodeBlocks(payload: Buffer, method: 'lz4' | 'zstd' = 'lz4'): Buffer {
  const parts: Buffer[] = [];
  for (let p = 0; p < payload.length; p += BLOCK_SIZE) {
    const chunk = payload.subarray(p, Math.min(payload.length, p + BLOCK_SIZE));
    const packed = method === 'zstd' ? zstd(chunk, 1) : compressBlock(chunk);
    const block = Buffer.allocUnsafe(CHECKSUM + HEADER + packed.length);
    block[CHECKSUM] = method === 'zstd' ? METHOD_ZSTD : METHOD_LZ4;
    block.writeUInt32LE(HEADER + packed.length, CHECKSUM + 1);
    block.writeUInt32LE(chunk.length, CHECKSUM + 5);
    packed.copy(block, CHECKSUM + HEADER);
    const [first, second] = cityHash128(block.subarray(CHECKSUM));
    block.writeBigUInt64LE(first, 0);
    block.writeBigUInt64LE(second, 8);
    parts.push(block);
  }
  return Buffer.concat(parts);
}

function hex128(first: bigint, second: bigint): string {
  return `${first.toString(16).padStart(16, '0')}${second.toString(16).padStart(16, '0')}`;
}
