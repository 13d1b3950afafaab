import type avro from 'avsc';
import type { DecodedRecord, EventDecoder } from '../contract/ports.js';
import { DecodeError, messageOf } from '../core/errors.js';
import { RECORD_KINDS, type EventKind, type KindedEvent, type RecordKind, type RecordOfKind } from '../schemas/kinds.js';
import { avroTypeOf, schemaOf } from '../schemas/avro.js';

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body. */
export const WIRE_HEADER_BYTES = 5;

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, WIRE_HEADER_BYTES);
  return out;
}

export function unframe(value: Buffer | null): { schemaId: number; body: Buffer } {
  if (value === null || value.length === 0) throw new DecodeError('KPI_ERR_DECODE_NOT_AVRO', 'the record has no value');
  if (value.length < WIRE_HEADER_BYTES || value[0] !== 0) {
    throw new DecodeError('KPI_ERR_DECODE_NOT_AVRO', `not in Confluent wire format (first byte ${value[0]}, ${value.length} bytes)`);
  }
  return { schemaId: value.readUInt32BE(1), body: value.subarray(WIRE_HEADER_BYTES) };
}

/** The wire bytes of an event under a schema id (the id must name the kind's contract, or a schema compatible with it). */
export function encodeEvent<K extends RecordKind>(kind: K, schemaId: number, event: RecordOfKind[K]): Buffer {
  return frame(schemaId, avroTypeOf(kind).toBuffer(event));
}

/**
 * Where the codec finds the writer schema of a schema id: the schema registry
 * (topics/registry.ts `writerSchemas`), or a map in tests. Throws a
 * DecodeError for an unknown id and RegistryUnavailableError when it cannot
 * answer now.
 */
export type WriterSchemas = (schemaId: number) => Promise<avro.Type>;

/**
 * Decodes input events and the organisation's records. A record is read with the writer schema it names
 * (fetched once per id) resolved to kpi-stream's reader schema, so records of
 * older and newer compatible schema versions decode to the same shape. Value
 * rules are checked elsewhere (schemas/validate.ts): this only reads bytes.
 */
export class EventCodec implements EventDecoder {
  /** Per kind, per schema id: how to read it (no resolver when the writer schema is the reader's own). */
  private readonly readers = new Map<RecordKind, Map<number, { resolver: avro.Resolver | undefined; writer: avro.Type }>>(
    RECORD_KINDS.map((kind) => [kind, new Map()]),
  );

  constructor(private readonly writerSchemas: WriterSchemas) {}

  /** prepare() and decodePrepared() in one step. */
  async decode(kind: EventKind, value: Buffer | null): Promise<DecodedRecord> {
    return this.decodePrepared(kind, value, await this.prepare(kind, [value]));
  }

  /**
   * Fetches the writer schemas a batch of values names, once per schema id.
   * Returns the ids that cannot be read as `kind` (unknown or incompatible),
   * for decodePrepared; throws RegistryUnavailableError when the registry
   * cannot answer, so the caller can wait and retry.
   */
  async prepare(kind: RecordKind, values: readonly (Buffer | null)[]): Promise<Map<number, DecodeError>> {
    const failures = new Map<number, DecodeError>();
    const ids = new Set<number>();
    for (const value of values) {
      if (value !== null && value.length >= WIRE_HEADER_BYTES && value[0] === 0) ids.add(value.readUInt32BE(1));
    }
    for (const schemaId of ids) {
      if (this.readers.get(kind)!.has(schemaId)) continue;
      try {
        await this.resolverOf(kind, schemaId);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        failures.set(schemaId, error);
      }
    }
    return failures;
  }

  /** Decodes an input event whose schema prepare() fetched; synchronous. Throws DecodeError for bytes that cannot be read. */
  decodePrepared(kind: EventKind, value: Buffer | null, failures: ReadonlyMap<number, DecodeError>): DecodedRecord {
    const event = this.readPrepared(kind, value, failures);
    return { tagged: { kind, event } as KindedEvent, schemaId: this.lastReader!.schemaId };
  }

  /** Reads a record of any kind whose schema prepare() fetched; synchronous. Throws DecodeError for bytes that cannot be read. */
  readPrepared<K extends RecordKind>(kind: K, value: Buffer | null, failures: ReadonlyMap<number, DecodeError>): RecordOfKind[K] {
    if (value === null || value.length < WIRE_HEADER_BYTES || value[0] !== 0) unframe(value); // throws the reason
    const schemaId = value!.readUInt32BE(1);
    const failure = failures.size === 0 ? undefined : failures.get(schemaId);
    if (failure) throw failure;
    // A batch's records are of one kind, and nearly always of one schema: the last reader serves again.
    let reader = this.lastReader;
    if (reader?.kind !== kind || reader.schemaId !== schemaId) {
      const entry = this.readers.get(kind)!.get(schemaId);
      if (!entry) throw new Error(`schema ${schemaId} was not prepared for ${kind}`);
      reader = this.lastReader = { kind, schemaId, type: avroTypeOf(kind), ...entry };
    }
    let event: unknown;
    try {
      // Read in place after the header (fromBuffer's checks: the body must end exactly where the record does).
      const read = reader.type.decode(value!, WIRE_HEADER_BYTES, reader.resolver);
      if (read.offset < 0) throw new Error('truncated buffer');
      if (read.offset < value!.length) throw new Error('trailing data');
      event = read.value;
    } catch (error) {
      throw new DecodeError('KPI_ERR_DECODE_MALFORMED', `Avro body does not decode with schema ${schemaId}: ${messageOf(error)}`, { schemaId, cause: error });
    }
    if (hasReplacementCharacter(kind, event)) {
      const body = value!.subarray(WIRE_HEADER_BYTES);
      if (!reader.writer.toBuffer(reader.writer.fromBuffer(body)).equals(body)) {
        // Avro strings are UTF-8; the decoder replaced invalid bytes with U+FFFD, so the record does not read back as sent.
        throw new DecodeError('KPI_ERR_DECODE_MALFORMED', `a string of the record is not valid UTF-8 (schema ${schemaId})`, { schemaId });
      }
    }
    return event as RecordOfKind[K];
  }

  /** The reader of the last record read. */
  private lastReader: { kind: RecordKind; schemaId: number; type: avro.Type; resolver: avro.Resolver | undefined; writer: avro.Type } | undefined;

  private async resolverOf(kind: RecordKind, schemaId: number): Promise<void> {
    const writer = await this.writerSchemas(schemaId);
    let resolver: avro.Resolver | undefined;
    try {
      // The contract's own schema (the usual case) reads without resolving.
      resolver = avroTypeOf(kind).equals(writer) ? undefined : avroTypeOf(kind).createResolver(writer);
    } catch (error) {
      throw new DecodeError(
        'KPI_ERR_DECODE_INCOMPATIBLE_SCHEMA',
        `schema ${schemaId} (${(writer as { name?: string }).name ?? 'unnamed'}) cannot be read as ${kind}: ${messageOf(error)}`,
        { schemaId, cause: error },
      );
    }
    this.readers.get(kind)!.set(schemaId, { resolver, writer });
  }
}

/** The fields of a kind's reader schema that hold strings, or arrays of them. */
const stringFields = new Map<RecordKind, { readonly name: string; readonly array: boolean }[]>();

function stringFieldsOf(kind: RecordKind): readonly { readonly name: string; readonly array: boolean }[] {
  let fields = stringFields.get(kind);
  if (!fields) {
    const isString = (type: avro.Schema): boolean =>
      type === 'string' || (Array.isArray(type) && type.some(isString)) || (typeof type === 'object' && (type as { type?: unknown }).type === 'string');
    fields = schemaOf(kind).fields.flatMap(({ name, type }): { name: string; array: boolean }[] => {
      if (isString(type)) return [{ name, array: false }];
      const items =
        typeof type === 'object' && !Array.isArray(type) && (type as { type?: unknown }).type === 'array' ? (type as { items: avro.Schema }).items : undefined;
      return items !== undefined && isString(items) ? [{ name, array: true }] : [];
    });
    stringFields.set(kind, fields);
  }
  return fields;
}

/** Whether a decoded record holds U+FFFD in any string (the rare case worth checking for invalid UTF-8). */
function hasReplacementCharacter(kind: RecordKind, event: unknown): boolean {
  const record = event as Record<string, unknown>;
  for (const { name, array } of stringFieldsOf(kind)) {
    const value = record[name];
    if (
      typeof value === 'string'
        ? value.includes('\uFFFD')
        : array && Array.isArray(value) && value.some((item) => typeof item === 'string' && item.includes('\uFFFD'))
    )
      return true;
  }
  return false;
}
