/**
 * LZ4, as ClickHouse's HTTP interface speaks it: the block format (inside
 * ClickHouse's own compressed blocks, `compress=1` / `decompress=1`) and the
 * frame format (`Content-Encoding: lz4`; a body may hold several frames back
 * to back, as clickhouse-connect sends one per block). Specifications:
 * lz4/doc/lz4_Block_format.md and lz4_Frame_format.md.
 */

const MIN_MATCH = 4;
/** The last 5 bytes are always literals, and no match starts in the last 12 (block format rules). */
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const HASH_BITS = 16;

/** Thrown on malformed input; the HTTP interface answers it as ClickHouse's CANNOT_DECOMPRESS. */
export class Lz4Error extends Error {}

/** Decompresses one LZ4 block into exactly `size` bytes. */
export function decompressBlock(input: Uint8Array, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const o = decompressBlockInto(input, out, 0, 0);
  if (o !== size) throw new Lz4Error(`LZ4 block decompressed to ${o} bytes, expected ${size}`);
  return out;
}

/**
 * Decompresses a block into `out` at `o`; returns the end offset. Matches may
 * reach back to `floor` (before `o` when a frame's blocks are linked).
 */
function decompressBlockInto(input: Uint8Array, out: Uint8Array, o: number, floor: number): number {
  let i = 0;
  // A 4-bit length of 15 continues in the next bytes, each added, until one is not 255.
  const length = (nibble: number, what: string) => {
    let total = nibble;
    if (nibble === 15) {
      let b: number;
      do {
        if (i >= input.length) throw new Lz4Error(`truncated LZ4 ${what} length`);
        b = input[i++]!;
        total += b;
      } while (b === 255);
    }
    return total;
  };
  while (i < input.length) {
    const token = input[i++]!;
    const literals = length(token >>> 4, 'literal');
    if (i + literals > input.length || o + literals > out.length) throw new Lz4Error('LZ4 literals overrun');
    out.set(input.subarray(i, i + literals), o);
    i += literals;
    o += literals;
    if (i >= input.length) break; // the last sequence has literals only
    if (i + 2 > input.length) throw new Lz4Error('truncated LZ4 match offset');
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    if (offset === 0 || offset > o - floor) throw new Lz4Error('invalid LZ4 match offset');
    const match = length(token & 15, 'match') + MIN_MATCH;
    if (o + match > out.length) throw new Lz4Error('LZ4 match overruns the output');
    // Overlapping copies repeat the last `offset` bytes, so copy byte by byte.
    for (let m = o - offset, k = 0; k < match; k++) out[o++] = out[m + k]!;
  }
  return o;
}

/** Compresses into one LZ4 block (greedy matching with a hash of 4-byte sequences). */
export function compressBlock(input: Uint8Array): Buffer {
  const n = input.length;
  const out = Buffer.allocUnsafe(n + Math.ceil(n / 255) + 16);
  let o = 0;
  let anchor = 0;
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  const read32 = (p: number) => (input[p]! | (input[p + 1]! << 8) | (input[p + 2]! << 16) | (input[p + 3]! << 24)) >>> 0;
  const hash = (v: number) => Math.imul(v, 2654435761) >>> (32 - HASH_BITS);
  const writeLength = (length: number) => {
    for (length -= 15; length >= 255; length -= 255) out[o++] = 255;
    out[o++] = length;
  };
  const emit = (literalEnd: number, matchLength: number, offset: number) => {
    const literals = literalEnd - anchor;
    const tokenAt = o++;
    out[tokenAt] = (Math.min(literals, 15) << 4) | (matchLength === 0 ? 0 : Math.min(matchLength - MIN_MATCH, 15));
    if (literals >= 15) writeLength(literals);
    out.set(input.subarray(anchor, literalEnd), o);
    o += literals;
    if (matchLength === 0) return;
    out[o++] = offset & 0xff;
    out[o++] = offset >>> 8;
    if (matchLength - MIN_MATCH >= 15) writeLength(matchLength - MIN_MATCH);
  };

  let p = 0;
  const matchLimit = n - LAST_LITERALS;
  while (p < n - MF_LIMIT) {
    const value = read32(p);
    const h = hash(value);
    const candidate = table[h]!;
    table[h] = p;
    if (candidate < 0 || p - candidate > 0xffff || read32(candidate) !== value) {
      p++;
      continue;
    }
    let length = MIN_MATCH;
    while (p + length < matchLimit && input[candidate + length] === input[p + length]) length++;
    emit(p, length, p - candidate);
    p += length;
    anchor = p;
  }
  emit(n, 0, 0);
  return out.subarray(0, o);
}

// --- xxHash32, for the frame format's checksums -----------------------------

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;
const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
const round = (acc: number, lane: number) => Math.imul(rotl((acc + Math.imul(lane, P2)) >>> 0, 13), P1) >>> 0;

export function xxh32(input: Uint8Array, seed = 0): number {
  const n = input.length;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  let p = 0;
  let h: number;
  if (n >= 16) {
    let v1 = (seed + P1 + P2) >>> 0;
    let v2 = (seed + P2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P1) >>> 0;
    for (; p + 16 <= n; p += 16) {
      v1 = round(v1, view.getUint32(p, true));
      v2 = round(v2, view.getUint32(p + 4, true));
      v3 = round(v3, view.getUint32(p + 8, true));
      v4 = round(v4, view.getUint32(p + 12, true));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = (seed + P5) >>> 0;
  }
  h = (h + n) >>> 0;
  for (; p + 4 <= n; p += 4) h = Math.imul(rotl((h + Math.imul(view.getUint32(p, true), P3)) >>> 0, 17), P4) >>> 0;
  for (; p < n; p++) h = Math.imul(rotl((h + Math.imul(input[p]!, P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// --- frame format ------------------------------------------------------------

const FRAME_MAGIC = 0x184d2204;
const BLOCK_MAX_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
const FRAME_BLOCK = 4 << 20;
const WINDOW = 64 << 10;

function lastBytes(parts: readonly Buffer[], count: number): Buffer {
  const picked: Buffer[] = [];
  let size = 0;
  for (let k = parts.length - 1; k >= 0 && size < count; k--) {
    picked.unshift(parts[k]!);
    size += parts[k]!.length;
  }
  const all = Buffer.concat(picked);
  return all.subarray(Math.max(0, all.length - count));
}

/**
 * Decodes a body of one or more LZ4 frames (skippable frames are skipped).
 * `maxSize` caps the decompressed total.
 */
export function decompressFrames(input: Uint8Array, maxSize: number): Buffer {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const parts: Buffer[] = [];
  let total = 0;
  let p = 0;
  const need = (bytes: number) => {
    if (p + bytes > input.length) throw new Lz4Error('truncated LZ4 frame');
  };
  while (p < input.length) {
    need(4);
    const magic = view.getUint32(p, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      need(8);
      p += 8 + view.getUint32(p + 4, true);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Lz4Error(`not an LZ4 frame (magic 0x${magic.toString(16)})`);
    need(7);
    const descriptorStart = p + 4;
    const flags = input[p + 4]!;
    const bd = input[p + 5]!;
    if (flags >>> 6 !== 1) throw new Lz4Error('unsupported LZ4 frame version');
    const linked = (flags & 0x20) === 0;
    const blockChecksums = (flags & 0x10) !== 0;
    const contentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    const dictionary = (flags & 0x01) !== 0;
    const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7];
    if (!blockMax) throw new Lz4Error('invalid LZ4 block maximum size');
    p += 6;
    if (contentSize) p += 8;
    if (dictionary) throw new Lz4Error('LZ4 frames with a dictionary are not supported');
    need(1);
    if (((xxh32(input.subarray(descriptorStart, p)) >>> 8) & 0xff) !== input[p]) throw new Lz4Error('LZ4 frame header checksum mismatch');
    p++;
    const frameParts: Buffer[] = [];
    for (;;) {
      need(4);
      const word = view.getUint32(p, true);
      p += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw new Lz4Error('LZ4 block larger than the frame allows');
      need(size + (blockChecksums ? 4 : 0));
      const block = input.subarray(p, p + size);
      p += size;
      if (blockChecksums) {
        if (xxh32(block) !== view.getUint32(p, true)) throw new Lz4Error('LZ4 block checksum mismatch');
        p += 4;
      }
      let decoded: Buffer;
      if (word & 0x80000000) decoded = Buffer.from(block);
      else {
        // Linked blocks may refer back up to 64 KiB into the ones before: decode after them.
        const history = linked ? lastBytes(frameParts, WINDOW) : Buffer.alloc(0);
        const room = Buffer.allocUnsafe(history.length + blockMax);
        history.copy(room);
        const end = decompressBlockInto(block, room, history.length, 0);
        decoded = room.subarray(history.length, end);
      }
      total += decoded.length;
      if (total > maxSize) throw new Lz4Error(`decompressed body larger than ${maxSize} bytes`);
      frameParts.push(decoded);
    }
    const frame = Buffer.concat(frameParts);
    if (contentChecksum) {
      need(4);
      if (xxh32(frame) !== view.getUint32(p, true)) throw new Lz4Error('LZ4 content checksum mismatch');
      p += 4;
    }
    parts.push(frame);
  }
  return Buffer.concat(parts);
}

/** Encodes one LZ4 frame: independent 4 MiB blocks, content size and content checksum. */
export function compressFrame(input: Uint8Array): Buffer {
  const header = Buffer.alloc(15);
  header.writeUInt32LE(FRAME_MAGIC, 0);
  header[4] = 0x40 | 0x20 | 0x08 | 0x04; // version 01, independent blocks, content size, content checksum
  header[5] = 7 << 4; // 4 MiB blocks
  header.writeBigUInt64LE(BigInt(input.length), 6);
  header[14] = (xxh32(header.subarray(4, 14)) >>> 8) & 0xff;
  const parts: Buffer[] = [header];
  for (let p = 0; p < input.length; p += FRAME_BLOCK) {
    const block = input.subarray(p, Math.min(input.length, p + FRAME_BLOCK));
    const packed = compressBlock(block);
    const size = Buffer.alloc(4);
    if (packed.length < block.length) {
      size.writeUInt32LE(packed.length);
      parts.push(size, packed);
    } else {
      size.writeUInt32LE((block.length | 0x80000000) >>> 0);
      parts.push(size, Buffer.from(block));
    }
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(xxh32(input), 4);
  parts.push(trailer);
  return Buffer.concat(parts);
}
