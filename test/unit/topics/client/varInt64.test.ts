import { Reader, Writer, createRecordsBatch, readRecordsBatch } from '@platformatic/kafka';
import { fixVarInt64, kafkaVarInt64 } from '../../../../topics/client/varInt64.js';

beforeAll(() => fixVarInt64());

test.each([
  0n,
  1n,
  -1n,
  63n,
  -64n,
  64n,
  300n,
  2n ** 31n - 1n,
  -(2n ** 31n),
  2n ** 31n + 5n,
  -(2n ** 31n) - 5n,
  96_563_902_841n,
  -96_563_902_841n,
  -(2n ** 63n),
  2n ** 63n - 1n,
])('writes %p as Kafka does, and reads it back', (value) => {
  const writer = Writer.create().appendVarInt64(value);
  expect(writer.buffer).toEqual(kafkaVarInt64(value));
  expect(writer.dynamicBuffer.readVarInt64(0)[0]).toBe(value);
});

test('a record batch keeps timestamps that lie more than 24.8 days from its first record, before it or after', () => {
  const now = 1_796_563_916_518n;
  const timestamps = [now, 1_700_000_000_001n, now, 1_700_000_000_004n, now + 3n];
  const batch = createRecordsBatch(timestamps.map((timestamp, i) => ({ topic: 't', partition: 0, value: Buffer.from(`v${i}`), timestamp })));
  const read = readRecordsBatch(Reader.from(batch));
  expect(read.records.map((r) => read.firstTimestamp + r.timestampDelta)).toEqual(timestamps);
});

test("Kafka's bytes, as the Java client writes them", () => {
  expect([...kafkaVarInt64(-1n)]).toEqual([0x01]);
  expect([...kafkaVarInt64(1n)]).toEqual([0x02]);
  expect([...kafkaVarInt64(300n)]).toEqual([0xd8, 0x04]);
  expect([...kafkaVarInt64(2n ** 31n + 5n)]).toEqual([0x8a, 0x80, 0x80, 0x80, 0x10]);
});
