import { ConnectionPool, Reader, ResponseError, readKnownTaggedFields, readRecordsBatch, type Broker, type Connection } from '@platformatic/kafka';
import type { ConsumedRecord } from './port.js';

/**
 * Fetch responses read lazily, for the consumer of platformatic.ts.
 *
 * The library reads every record of a fetch into objects as the response
 * arrives (a record, its key and value buffers, a bigint, a headers array,
 * and tuples on the way): for a 10 MiB fetch, some 80,000 records' worth that
 * live until the last of its batches is processed, and, with the next fetch
 * read while this one is handed over, long enough to be promoted to the old
 * generation. Here a response's record batches keep their bytes (one buffer
 * per partition) and only their headers are read; the records become
 * objects when their batch is handed over (`readRecords`), and die with it.
 *
 * Only fetch v17's response (what the library asks of Kafka 3.8 and later)
 * is read this way, and only batches neither compressed nor of control
 * records (transaction markers): the others, and other versions, go through
 * the library's own reading.
 */

/** Fetch's API key, and the response version read here. */
const FETCH = 1;
const FETCH_VERSION = 17;
/** Record batch attributes: compression codec bits, and control (transaction markers) batches. */
const IS_COMPRESSED = 0b111;
const IS_CONTROL = 0x20;
/** Bytes of a batch before its records: base offset, length, leader epoch, magic, crc, attributes, last offset delta, timestamps, producer id, epoch, sequence, count. */
const BATCH_HEADER_BYTES = 61;
/** Bytes of a batch's offset and length fields, the rest of its length following them. */
const BATCH_HEAD = 12;

/** A record batch of a fetch whose records are read when handed over. */
export interface LazyBatch {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId: bigint;
  readonly firstTimestamp: bigint;
  /** Empty: the records are in `bytes` from `start` on (`readRecords`). The library reads `records` of control batches only, which are not lazy. */
  readonly records: readonly never[];
  readonly bytes: Buffer;
  readonly start: number;
  readonly count: number;
}

export function isLazyBatch(batch: object): batch is LazyBatch {
  return (batch as Partial<LazyBatch>).bytes !== undefined;
}

/**
 * The connection pool of a consumer's fetches, whose connections read fetch
 * responses lazily (`send` is given this module's parser in place of the
 * library's for fetch v17; every other request is left as it is).
 */
export function lazyFetchPool(clientId: string, options: ConstructorParameters<typeof ConnectionPool>[1]): ConnectionPool {
  const pool = new ConnectionPool(clientId, options);
  const get = pool.get.bind(pool) as (broker: Broker, callback: (error: Error | null, connection: Connection) => void) => void;
  const patched = new WeakSet<Connection>();
  (pool as unknown as { get: typeof get }).get = (broker, callback) =>
    get(broker, (error, connection) => {
      if (!error && connection && !patched.has(connection)) {
        patched.add(connection);
        const send = connection.send.bind(connection) as (...args: unknown[]) => unknown;
        (connection as unknown as { send: typeof send }).send = (apiKey, apiVersion, payload, parser, ...rest) =>
          send(apiKey, apiVersion, payload, apiKey === FETCH && apiVersion === FETCH_VERSION ? parseFetchResponse : parser, ...rest);
      }
      callback(error, connection);
    });
  return pool;
}

/** Fetch v17's response, as the library's parser reads it, with lazy record batches. */
function parseFetchResponse(_correlationId: number, apiKey: number, apiVersion: number, reader: Reader): unknown {
  const errors: [string, [number, null]][] = [];
  const throttleTimeMs = reader.readInt32();
  const errorCode = reader.readInt16();
  if (errorCode !== 0) errors.push(['', [errorCode, null]]);
  const response = {
    throttleTimeMs,
    errorCode,
    sessionId: reader.readInt32(),
    nodeEndpoints: [] as unknown[],
    responses: reader.readArray((r: Reader, i: number) => ({
      topicId: r.readUUID(),
      partitions: r.readArray(
        (r: Reader, j: number) => {
          const partition = {
            partitionIndex: r.readInt32(),
            errorCode: r.readInt16(),
            highWatermark: r.readInt64(),
            lastStableOffset: r.readInt64(),
            logStartOffset: r.readInt64(),
            divergingEpoch: { epoch: -1, endOffset: -1n },
            currentLeader: { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1n, epoch: -1 },
            abortedTransactions: r.readNullableArray((r: Reader) => ({ producerId: r.readInt64(), firstOffset: r.readInt64() })),
            preferredReadReplica: r.readInt32(),
            records: [] as unknown[] | null,
          };
          if (partition.errorCode !== 0) errors.push([`/responses/${i}/partitions/${j}`, [partition.errorCode, null]]);
          // COMPACT_RECORDS: the size plus one, 0 for null.
          let size = r.readUnsignedVarInt();
          if (size === 0) partition.records = null;
          if (size > 1) {
            size -= 1;
            partition.records = recordBatches(r.buffer.slice(r.position, r.position + size));
            r.skip(size);
          }
          readKnownTaggedFields(r, {
            0: (r: Reader) => void (partition.divergingEpoch = { epoch: r.readInt32(), endOffset: r.readInt64() }),
            1: (r: Reader) => void (partition.currentLeader = { leaderId: r.readInt32(), leaderEpoch: r.readInt32() }),
            2: (r: Reader) => void (partition.snapshotId = { endOffset: r.readInt64(), epoch: r.readInt32() }),
          });
          return partition;
        },
        true,
        false,
      ),
    })),
  };
  readKnownTaggedFields(reader, {
    0: (r: Reader) => {
      response.nodeEndpoints = r.readArray((r: Reader) => ({ nodeId: r.readInt32(), host: r.readString(), port: r.readInt32(), rack: r.readNullableString() }));
    },
  });
  if (errors.length > 0) throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response);
  return response;
}

/** The whole record batches in `bytes` (a fetch may end with a partial one, which is left out, as the library does). */
export function recordBatches(bytes: Buffer): unknown[] {
  const batches: unknown[] = [];
  let at = 0;
  while (bytes.length - at >= BATCH_HEAD && bytes.length - at - BATCH_HEAD >= bytes.readInt32BE(at + 8)) {
    const end = at + BATCH_HEAD + bytes.readInt32BE(at + 8);
    const attributes = bytes.readInt16BE(at + 21);
    if (attributes & (IS_COMPRESSED | IS_CONTROL) || end - at < BATCH_HEADER_BYTES) {
      batches.push(readRecordsBatch(Reader.from(bytes.subarray(at, end))));
    } else {
      const batch: LazyBatch = {
        firstOffset: bytes.readBigInt64BE(at),
        attributes,
        lastOffsetDelta: bytes.readInt32BE(at + 23),
        firstTimestamp: bytes.readBigInt64BE(at + 27),
        producerId: bytes.readBigInt64BE(at + 43),
        records: [],
        bytes: bytes.subarray(at, end),
        start: BATCH_HEADER_BYTES,
        count: bytes.readInt32BE(at + 57),
      };
      batches.push(batch);
    }
    at = end;
  }
  return batches;
}

/** A varint (zig-zag) of up to 64 bits as a number, and where it ends. */
function readVarLong(bytes: Buffer, at: number): number {
  let unsigned = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[at++]!;
    unsigned += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) break;
  }
  varEnd = at;
  // Zig-zag: even is positive, odd negative.
  return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
}

/** Where the last varint read ended: a module variable rather than a tuple per varint. */
let varEnd = 0;

/**
 * Appends to `into` the records of a lazy batch at or past `from`, as the
 * consumer hands them over: offset, key, value (views of the batch's bytes) and timestamp.
 */
export function readRecords(batch: LazyBatch, from: number, into: ConsumedRecord[]): void {
  const { bytes, count } = batch;
  const firstOffset = Number(batch.firstOffset);
  const firstTimestamp = Number(batch.firstTimestamp);
  let at = batch.start;
  for (let i = 0; i < count; i += 1) {
    const length = readVarLong(bytes, at);
    const end = varEnd + length;
    // Attributes (one byte, unused) follow the length.
    const timestampDelta = readVarLong(bytes, varEnd + 1);
    const offsetDelta = readVarLong(bytes, varEnd);
    const offset = firstOffset + offsetDelta;
    if (offset >= from) {
      const keyLength = readVarLong(bytes, varEnd);
      let cursor = varEnd;
      const key = keyLength < 0 ? null : bytes.subarray(cursor, cursor + keyLength);
      if (keyLength > 0) cursor += keyLength;
      const valueLength = readVarLong(bytes, cursor);
      cursor = varEnd;
      const value = valueLength < 0 ? null : bytes.subarray(cursor, cursor + valueLength);
      into.push({ offset, key, value, timestamp: firstTimestamp + timestampDelta });
    }
    at = end;
  }
}

/** The Kafka timestamp of a lazy batch's first record at or past `from`; undefined when it has none. */
export function firstTimestampOf(batch: LazyBatch, from: number): number | undefined {
  const { bytes, count } = batch;
  const firstOffset = Number(batch.firstOffset);
  let at = batch.start;
  for (let i = 0; i < count; i += 1) {
    const length = readVarLong(bytes, at);
    const end = varEnd + length;
    const timestampDelta = readVarLong(bytes, varEnd + 1);
    if (firstOffset + readVarLong(bytes, varEnd) >= from) return Number(batch.firstTimestamp) + timestampDelta;
    at = end;
  }
  return undefined;
}
