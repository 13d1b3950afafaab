import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import type { Config } from '../core/config.js';
import { ConnectionError, DecodeError, type KpiError, RegistryUnavailableError, SchemaCompatibilityError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { RECORD_KINDS, type EventKind, type RecordKind } from '../schemas/kinds.js';
import { schemaOf, type AvroSchema } from '../schemas/avro.js';
import { assignmentsTopic, inputTopic, valueSubject } from './definitions.js';

/** The schema ids of the input events, as producers of them need. */
export type SchemaIds = Readonly<Record<EventKind, number>>;

/**
 * The registry client, with basic auth (SCHEMA_REGISTRY_USERNAME/PASSWORD or
 * user-info in the URL) and, for an https registry signed by a private CA,
 * an agent that trusts SCHEMA_REGISTRY_CA_FILE.
 */
export function createRegistry(config: Config): SchemaRegistry {
  const { url, username, password, caFile } = config.registry;
  return new SchemaRegistry({
    host: url,
    // kpi-stream waits and retries itself when the registry is down; the client fails fast.
    retry: { retries: 1, initialRetryTimeInSecs: 0.2 },
    ...(username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
    ...(caFile ? { agent: new Agent({ ca: readFileSync(caFile, 'utf8'), keepAlive: true }) } : {}),
  });
}

/** The registry's answer to a refused request: credentials, for 401 and 403. */
export function registryAuthFailure(status: number, cause?: unknown): ConnectionError {
  const refused = status === 401 ? 'refused the credentials (HTTP 401)' : 'denied access (HTTP 403)';
  return new ConnectionError(
    'registry',
    'auth',
    `the schema registry ${refused}`,
    ['SCHEMA_REGISTRY_USERNAME', 'SCHEMA_REGISTRY_PASSWORD', 'SCHEMA_REGISTRY_URL'],
    { cause },
  );
}

const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|socket hang up|timeout/i;

/**
 * Maps a registry client failure to kpi-stream's errors: an unknown schema id
 * is the record's fault (dead letter), a refused schema is the producer's,
 * refused credentials stop the process (waiting cannot fix them), and
 * anything else (network, 5xx) means "registry unavailable: retry".
 */
export function registryFailure(error: unknown, context: { schemaId?: number; subject?: string }): KpiError {
  const status = (error as { status?: number }).status ?? 0;
  if (status === 401 || status === 403) return registryAuthFailure(status, error);
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
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.BACKWARD });
    return id;
  } catch (error) {
    // The client throws its own error when the subject exists with another compatibility level.
    if ((error as Error).name === 'ConfluentSchemaRegistryCompatibilityError') {
      throw new SchemaCompatibilityError(subject, `${messageOf(error)}; kpi-stream expects BACKWARD`, { cause: error });
    }
    throw registryFailure(error, { subject });
  }
}

/** Registers the contracts kpi-stream reads (the five inputs and the assignments) under `<topic>-value`; returns their schema ids. */
export async function registerInputSchemas(registry: SchemaRegistry, config: Config, log: Logger): Promise<Readonly<Record<RecordKind, number>>> {
  const ids = {} as Record<RecordKind, number>;
  for (const kind of RECORD_KINDS) {
    const subject = valueSubject(kind === 'assignment' ? assignmentsTopic(config) : inputTopic(config, kind));
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

/**
 * Asks the registry for its subjects with the client every command uses
 * (credentials, CA). Fails within seconds with a ConnectionError naming the
 * settings to look at: refused credentials, a certificate that does not
 * verify, or no answer.
 */
export async function checkRegistry(config: Config): Promise<void> {
  const registry = createRegistry(config);
  try {
    // The client keeps its HTTP resources private; GET /subjects is the cheapest authenticated request.
    await (registry as unknown as { api: { Subject: { all(params: { timeout: number }): Promise<unknown> } } }).api.Subject.all({ timeout: CHECK_TIMEOUT_MS });
  } catch (error) {
    throw registryConnectionFailure(config, error);
  }
}

const CHECK_TIMEOUT_MS = 10_000;

export function registryConnectionFailure(config: Config, error: unknown): ConnectionError {
  const status = (error as { status?: number }).status ?? 0;
  if (status === 401 || status === 403) return registryAuthFailure(status, error);
  const url = config.registry.url;
  const text = `${(error as { code?: string }).code ?? ''} ${messageOf(error)}`;
  if (/certificate|CERT_|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/i.test(text)) {
    return new ConnectionError(
      'registry',
      'tls',
      `the registry's TLS certificate at ${url} does not verify (${messageOf(error)}): the CA that signed it is not trusted`,
      ['SCHEMA_REGISTRY_CA_FILE', 'SCHEMA_REGISTRY_URL'],
      { cause: error },
    );
  }
  if (/wrong version number|EPROTO|packet length too long|socket disconnected before secure TLS/i.test(text)) {
    return new ConnectionError('registry', 'tls', `the registry at ${url} does not speak TLS: use an http:// URL`, ['SCHEMA_REGISTRY_URL'], { cause: error });
  }
  // The registry client reports a connection that failed as "status 400" with the socket's error in the message.
  const network = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up/i.test(text);
  const reason =
    status > 0 && !network
      ? `answered HTTP ${status}`
      : `does not answer (${messageOf(error)
          .replace(/^Confluent_Schema_Registry - /, '')
          .replace(/^Error, status 400: /, '')})`;
  return new ConnectionError('registry', 'unreachable', `the schema registry at ${url} ${reason}`, ['SCHEMA_REGISTRY_URL'], { cause: error });
}
