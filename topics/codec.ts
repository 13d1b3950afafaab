import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { DecodeError, messageOf } from '../core/errors.js';
import type { EventKind, EventOfKind, KindedEvent } from '../schemas/kinds.js';
import { avroTypeOf } from '../schemas/avro.js';
import { invalidReason } from '../schemas/validate.js';
import { writerType, type SchemaIds } from './registry.js';

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

export interface Decoded {
  readonly tagged: KindedEvent;
  readonly schemaId: number;
}

/**
 * Encodes and decodes input events. Decoding reads with the writer schema
 * the record names (fetched once per id) resolved to kpi-stream's reader schema,
 * so records of older and newer compatible schema versions decode to the same
 * shape; then it checks the contract's value rules.
 */
export class EventCodec {
  private readonly resolvers = new Map<string, avro.Resolver>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly schemaIds?: SchemaIds,
  ) {}

  /** Wire bytes of an event under the schema id kpi-stream registered for its kind. */
  encode<K extends EventKind>(kind: K, event: EventOfKind[K]): Buffer {
    if (!this.schemaIds) throw new Error('EventCodec.encode needs the schema ids of registerInputSchemas');
    return frame(this.schemaIds[kind], avroTypeOf(kind).toBuffer(event));
  }

  /**
   * Throws DecodeError for a record that can never be read (it belongs in the
   * dead letters) and RegistryUnavailableError when the registry cannot answer.
   */
  async decode(kind: EventKind, value: Buffer | null): Promise<Decoded> {
    return this.decodePrepared(kind, value, await this.prepare(kind, [value]));
  }

  /**
   * Fetches the writer schemas a batch of values names, once per schema id.
   * Returns the ids that cannot be read as `kind` (unknown or incompatible),
   * for decodePrepared; throws RegistryUnavailableError when the registry
   * cannot answer, so the caller can wait and retry.
   */
  async prepare(kind: EventKind, values: readonly (Buffer | null)[]): Promise<Map<number, DecodeError>> {
    const failures = new Map<number, DecodeError>();
    const ids = new Set<number>();
    for (const value of values) {
      if (value !== null && value.length >= WIRE_HEADER_BYTES && value[0] === 0) ids.add(value.readUInt32BE(1));
    }
    for (const schemaId of ids) {
      if (this.resolvers.has(`${kind}:${schemaId}`)) continue;
      try {
        await this.resolver(kind, schemaId);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        failures.set(schemaId, error);
      }
    }
    return failures;
  }

  /** Decodes a value whose schema prepare() fetched; synchronous. */
  decodePrepared(kind: EventKind, value: Buffer | null, failures: ReadonlyMap<number, DecodeError>): Decoded {
    const { schemaId, body } = unframe(value);
    const failure = failures.get(schemaId);
    if (failure) throw failure;
    const resolver = this.resolvers.get(`${kind}:${schemaId}`);
    if (!resolver) throw new Error(`schema ${schemaId} was not prepared for ${kind}`);
    let event: unknown;
    try {
      event = avroTypeOf(kind).fromBuffer(body, resolver);
    } catch (error) {
      throw new DecodeError('KPI_ERR_DECODE_MALFORMED', `Avro body does not decode with schema ${schemaId}: ${messageOf(error)}`, { schemaId, cause: error });
    }
    const tagged = { kind, event } as KindedEvent;
    const reason = invalidReason(tagged);
    if (reason) throw new DecodeError('KPI_ERR_INVALID_VALUE', reason, { schemaId });
    return { tagged, schemaId };
  }

  private async resolver(kind: EventKind, schemaId: number): Promise<avro.Resolver> {
    const key = `${kind}:${schemaId}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      const writer = await writerType(this.registry, schemaId);
      try {
        resolver = avroTypeOf(kind).createResolver(writer);
      } catch (error) {
        throw new DecodeError(
          'KPI_ERR_DECODE_INCOMPATIBLE_SCHEMA',
          `schema ${schemaId} (${(writer as { name?: string }).name ?? 'unnamed'}) cannot be read as ${kind}: ${messageOf(error)}`,
          { schemaId, cause: error },
        );
      }
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }
}
