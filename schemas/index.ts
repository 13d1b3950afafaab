export * from './kinds.js';
export * from './inputs.js';
export type * from './events.js';
export { schemaOf, avroTypeOf, schemaFile, type AvroSchema, type AvroField } from './avro.js';
export { recordProblem, timeProblem, DEFAULT_LIMITS, type RecordLimits, type RecordProblem } from './validate.js';
