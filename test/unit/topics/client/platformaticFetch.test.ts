import { Reader, createRecordsBatch, readRecordsBatch, type MessageToProduce } from '@platformatic/kafka';
import { firstTimestampOf, isLazyBatch, readRecords, recordBatches, type LazyBatch } from '../../../../topics/client/platformaticFetch.js';
import type { ConsumedRecord } from '../../../../topics/client/port.js';
import { fixVarInt64 } from '../../../../topics/client/varInt64.js';

beforeAll(() => fixVarInt64());

const now = 1_796_563_916_518n;
type Message = MessageToProduce<Buffer, Buffer | null, Buffer, Buffer>;

/** A record batch's bytes as the broker sends them, starting at `firstOffset`. */
function batchBytes(messages: Message[], firstOffset: bigint, compression?: 'gzip'): Buffer {
  const bytes = Buffer.from(createRecordsBatch(messages as Parameters<typeof createRecordsBatch>[0], compression ? { compression } : {}).buffer);
  bytes.writeBigInt64BE(firstOffset, 0);
  return bytes;
}

/** The records of a batch as the library reads them. */
function libraryRecords(bytes: Buffer, from: number): ConsumedRecord[] {
  const batch = readRecordsBatch(Reader.from(bytes));
  return batch.records
    .map((r) => ({
      offset: Number(batch.firstOffset) + r.offsetDelta,
      key: r.key,
      value: r.value,
      timestamp: Number(batch.firstTimestamp + r.timestampDelta),
    }))
    .filter((r) => r.offset >= from);
}

const plain = (r: ConsumedRecord) => ({ ...r, key: r.key && [...r.key], value: r.value && [...r.value] });

const messages: Message[] = [
  { topic: 't', key: Buffer.from('employee-1'), value: Buffer.from('first'), timestamp: now },
  // More than 24.8 days before the first record: a negative delta beyond 32 bits.
  { topic: 't', key: Buffer.from('employee-2'), value: Buffer.alloc(300, 7), timestamp: 1_700_000_000_001n },
  { topic: 't', value: Buffer.from('no key'), timestamp: now + 3n },
  { topic: 't', key: Buffer.from('removed'), value: null, timestamp: now + 4n },
  { topic: 't', key: Buffer.from('with headers'), value: Buffer.from('h'), headers: new Map([[Buffer.from('a'), Buffer.from('b')]]), timestamp: now + 5n },
  { topic: 't', key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: now + 6n },
];

test('reads the records of a batch as the library does: offsets past 2³², null and empty keys and values, headers, far timestamps', () => {
  const bytes = batchBytes(messages, 5_000_000_000n);
  const [batch] = recordBatches(bytes) as LazyBatch[];
  expect(isLazyBatch(batch!)).toBe(true);
  for (const from of [0, 5_000_000_002, 5_000_000_005, 5_000_000_006]) {
    const read: ConsumedRecord[] = [];
    readRecords(batch!, from, read);
    expect(read.map(plain)).toEqual(libraryRecords(bytes, from).map(plain));
    expect(firstTimestampOf(batch!, from)).toBe(libraryRecords(bytes, from)[0]?.timestamp);
  }
});

test('keeps whole batches only, and leaves compressed ones to the library', () => {
  const first = batchBytes(messages.slice(0, 2), 10n);
  const compressed = batchBytes(messages.slice(2), 12n, 'gzip');
  const partial = batchBytes(messages, 16n).subarray(0, 40);
  const batches = recordBatches(Buffer.concat([first, compressed, partial]));
  expect(batches).toHaveLength(2);
  expect(isLazyBatch(batches[0] as object)).toBe(true);
  expect(isLazyBatch(batches[1] as object)).toBe(false);
  const library = batches[1] as ReturnType<typeof readRecordsBatch>;
  expect(library.firstOffset).toBe(12n);
  expect(library.records.map((r) => r.value?.toString())).toEqual(['no key', undefined, 'h', '']);
});
