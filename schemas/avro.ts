import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { projectRoot } from '../core/paths.js';
import { RECORD_NAMES, type RecordKind } from './kinds.js';

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

const parsed = new Map<RecordKind, AvroSchema>();
const types = new Map<RecordKind, avro.Type>();

/** The path of a kind's .avsc contract in schemas/. */
export function schemaFile(kind: RecordKind): string {
  return join(projectRoot(), 'schemas', `${RECORD_NAMES[kind]}.avsc`);
}

/** The Avro schema (JSON) of a kind, as kpi-stream reads it: the reader schema. */
export function schemaOf(kind: RecordKind): AvroSchema {
  let schema = parsed.get(kind);
  if (!schema) {
    schema = JSON.parse(readFileSync(schemaFile(kind), 'utf8')) as AvroSchema;
    parsed.set(kind, schema);
  }
  return schema;
}

/** The avsc Type of a kind's reader schema; longs (timestamps) decode as numbers of epoch ms. */
export function avroTypeOf(kind: RecordKind): avro.Type {
  let type = types.get(kind);
  if (!type) {
    type = avro.Type.forSchema(schemaOf(kind) as avro.Schema);
    types.set(kind, type);
  }
  return type;
}
