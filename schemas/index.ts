export * from './kinds.js';
export type * from './events.js';
export { schemaOf, avroTypeOf, schemaFile, type AvroSchema, type AvroField } from './avro.js';
export { invalidReason } from './validate.js';
