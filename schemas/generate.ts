import type avro from 'avsc';
import { RECORD_KINDS } from './kinds.js';
import { schemaOf, type AvroSchema } from './avro.js';

/**
 * TypeScript declarations for the Avro contracts: schemas/events.ts is this
 * function's output, and a unit test fails when the two differ, so the types
 * cannot drift from the .avsc files (regenerate with `npm run schemas:generate`).
 */
export function generateEventTypes(schemas: AvroSchema[] = RECORD_KINDS.map(schemaOf)): string {
  const blocks = schemas.map((schema) => {
    const fields = schema.fields.map((field) => {
      const docs = [field.doc, timestampNote(field.type)].filter(Boolean).join(' ');
      return `${docs ? `  /** ${docs} */\n` : ''}  ${field.name}: ${tsType(field.type)};`;
    });
    return `/** ${schema.namespace}.${schema.name}${schema.doc ? `: ${schema.doc}` : ''} */\nexport interface ${schema.name} {\n${fields.join('\n')}\n}`;
  });
  return `// Generated from schemas/*.avsc by \`npm run schemas:generate\`. Do not edit.\n\n${blocks.join('\n\n')}\n`;
}

function timestampNote(type: avro.Schema): string | undefined {
  return typeof type === 'object' && !Array.isArray(type) && (type as { logicalType?: string }).logicalType === 'timestamp-millis'
    ? '(epoch milliseconds, UTC)'
    : undefined;
}

function tsType(type: avro.Schema): string {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return 'string';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      default:
        throw new Error(`no TypeScript mapping for Avro type ${type}`);
    }
  }
  if (Array.isArray(type)) return type.map(tsType).join(' | ');
  const complex = type as { type: string; items?: avro.Schema };
  if (complex.type === 'array') return `${tsType(complex.items!)}[]`;
  if (typeof complex.type === 'string' && ['string', 'int', 'long', 'double', 'float', 'boolean'].includes(complex.type)) return tsType(complex.type);
  throw new Error(`no TypeScript mapping for Avro type ${JSON.stringify(type)}`);
}
