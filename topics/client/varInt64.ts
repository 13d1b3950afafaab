import { Writer } from '@platformatic/kafka';

/** The part of @platformatic/dynamic-buffer's DynamicBuffer that the fix below touches. */
interface VarInt64Buffer {
  append(buffer: Buffer): void;
  prepend(buffer: Buffer): void;
  writeVarInt64(value: bigint, append?: boolean): void;
  readVarInt64(offset: number): [bigint, number];
}

/** Deltas the library encodes wrongly: beyond ±2³¹ ms (24.8 days), and with 25 zero bits above the lowest 7 (2³¹ + 5 is 2³² + 10 zig-zagged). */
const PROBES = [-(2n ** 40n) - 3n, 2n ** 31n + 5n];

let fixed = false;

/** Kafka's varint64 (the Java client's ByteUtils.writeVarlong): zig-zag over 64 bits, then 7 bits a byte, least significant first. */
export function kafkaVarInt64(value: bigint): Buffer {
  let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (rest >= 0x80n) {
    bytes.push(Number((rest & 0x7fn) | 0x80n));
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Buffer.from(bytes);
}

/**
 * Works around two bugs of @platformatic/dynamic-buffer 0.3.1 (under
 * @platformatic/kafka 2.12.1) in writing a varint64: the zig-zag step shifts
 * the sign by 31 bits where it must shift by 63 (`(v << 1n) ^ (v >> 31n)`),
 * and the byte loop stops when bits 7 to 31 of what is left are zero (its
 * mask has 32 bits), dropping the bits above. The producer writes each
 * record's timestamp as such a delta from its batch's first record: a record
 * stamped more than 24.8 days apart from the first (the simulator's planted
 * gaps, sent with their source's time among records sent now) reached the
 * broker milliseconds off, or far off (the conformance suite caught it).
 *
 * The replacement writes what Kafka does; the reading side is right. Applied
 * once per process, before kpi-stream creates a client, and only while the
 * library still gets a probe wrong.
 */
export function fixVarInt64(): void {
  if (fixed) return;
  fixed = true;
  const wrong = PROBES.some((probe) => {
    const buffer = Writer.create().dynamicBuffer as unknown as VarInt64Buffer;
    buffer.writeVarInt64(probe);
    return buffer.readVarInt64(0)[0] !== probe;
  });
  if (!wrong) return;
  const prototype = Object.getPrototypeOf(Writer.create().dynamicBuffer) as VarInt64Buffer;
  prototype.writeVarInt64 = function writeVarInt64(this: VarInt64Buffer, value: bigint, append = true): void {
    if (append) this.append(kafkaVarInt64(value));
    else this.prepend(kafkaVarInt64(value));
  };
}
