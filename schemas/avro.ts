import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { projectRoot } from '../core/paths.js';
import { RECORD_NAMES, type EventKind } from './kinds.js';

export interface AvroSchema {
  type: 'record';
  name: string;
  namespace: string;
  doc?: string;
  fields: AvroField[];
}
export interface AvroField {
  name: string;
  type: avro.Schema;
  default?: unknown;
  doc?: string;
}

const parsed = new Map<EventKind, AvroSchema>();
const types = new Map<EventKind, avro.Type>();

/** The path of a kind's .avsc contract in schemas/. */
export function schemaFile(kind: EventKind): string {
  return join(projectRoot(), 'schemas', `${RECORD_NAMES[kind]}.avsc`);
}

/** The Avro schema (JSON) of a kind, as kpi-stream reads it: the reader schema. */
export function schemaOf(kind: EventKind): AvroSchema {
  let schema = parsed.get(kind);
  if (!schema) {
    schema = JSON.parse(readFileSync(schemaFile(kind), 'utf8')) as AvroSchema;
    parsed.set(kind, schema);
  }
  return schema;
}

/** The avsc Type of a kind's reader schema; longs (timestamps) decode as numbers of epoch ms. */
export function avroTypeOf(kind: EventKind): avro.Type {
  let type = types.get(kind);
  if (!type) {
    type = avro.Type.forSchema(schemaOf(kind) as avro.Schema);
    types.set(kind, type);
  }
  return type;
}
