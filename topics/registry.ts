import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import type { Config } from '../core/config.js';
import { DecodeError, type KpiError, RegistryUnavailableError, SchemaCompatibilityError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { EVENT_KINDS, type EventKind } from '../schemas/kinds.js';
import { schemaOf, type AvroSchema } from '../schemas/avro.js';
import { inputTopic, valueSubject } from './definitions.js';

export type SchemaIds = Readonly<Record<EventKind, number>>;

export function createRegistry(config: Config): SchemaRegistry {
  // kpi-stream waits and retries itself when the registry is down; the client fails fast.
  return new SchemaRegistry({ host: config.registry.url, retry: { retries: 1, initialRetryTimeInSecs: 0.2 } });
}

const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|socket hang up|timeout/i;

/**
 * Maps a registry client failure to kpi-stream's errors: an unknown schema id
 * is the record's fault (dead letter), a refused schema is the producer's, and
 * anything else (network, 5xx, auth) means "registry unavailable: retry".
 */
export function registryFailure(error: unknown, context: { schemaId?: number; subject?: string }): KpiError {
  const status = (error as { status?: number }).status ?? 0;
  const message = messageOf(error).replace(/^Confluent_Schema_Registry - /, '');
  if (status === 404 && context.schemaId !== undefined && !NETWORK_FAILURE.test(message)) {
    return new DecodeError('KPI_ERR_DECODE_UNKNOWN_SCHEMA', `schema id ${context.schemaId} is not in the registry`, {
      schemaId: context.schemaId,
      cause: error,
    });
  }
  if (status === 409 && context.subject) {
    return new SchemaCompatibilityError(context.subject, `the registry refused the schema: ${message}`, { cause: error });
  }
  return new RegistryUnavailableError(`schema registry unavailable: ${message}`, { cause: error });
}

/**
 * Registers one schema under a subject with compatibility BACKWARD (set on
 * first registration). Registering the same schema again returns its id.
 */
export async function registerSchema(registry: SchemaRegistry, subject: string, schema: AvroSchema): Promise<number> {
  try {
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    return id;
  } catch (error) {
    // The client throws its own error when the subject exists with another compatibility level.
    if ((error as Error).name === 'ConfluentSchemaRegistryCompatibilityError') {
      throw new SchemaCompatibilityError(subject, `${messageOf(error)}; kpi-stream expects BACKWARD`, { cause: error });
    }
    throw registryFailure(error, { subject });
  }
}

/** Registers the five input contracts under `<topic>-value`; returns their schema ids. */
export async function registerInputSchemas(registry: SchemaRegistry, config: Config, log: Logger): Promise<SchemaIds> {
  const ids = {} as Record<EventKind, number>;
  for (const kind of EVENT_KINDS) {
    const subject = valueSubject(inputTopic(config, kind));
    ids[kind] = await registerSchema(registry, subject, schemaOf(kind));
    log.debug({ subject, schemaId: ids[kind] }, 'schema registered');
  }
  return ids;
}

/** The registry as the codec's source of writer schemas (cached by the registry client). */
export function writerSchemas(registry: SchemaRegistry): (schemaId: number) => Promise<avro.Type> {
  return async (schemaId) => {
    try {
      return (await registry.getSchema(schemaId)) as unknown as avro.Type;
    } catch (error) {
      throw registryFailure(error, { schemaId });
    }
  };
}
