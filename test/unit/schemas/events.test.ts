import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { generateEventTypes } from '../../../schemas/generate.js';
import { EVENT_KINDS, NAMESPACE, RECORD_NAMES } from '../../../schemas/kinds.js';
import { schemaOf } from '../../../schemas/avro.js';

test('schemas/events.ts is what the .avsc files generate (run `npm run schemas:generate` after changing a contract)', () => {
  const committed = readFileSync(join(projectRoot(), 'schemas', 'events.ts'), 'utf8');
  expect(committed).toBe(generateEventTypes());
});

/** The field names and Avro types of CONTRACT.md, which must never be renamed or dropped. */
const CONTRACT: Record<string, [string, unknown][]> = {
  ProductionReported: [
    ['event_id', 'string'],
    ['employee_id', 'string'],
    ['station_id', 'string'],
    ['work_order_id', 'string'],
    ['product_code', 'string'],
    ['event_time', { type: 'long', logicalType: 'timestamp-millis' }],
    ['units', 'int'],
    ['standard_seconds_per_unit', 'double'],
  ],
  MachineTelemetry: [
    ['event_id', 'string'],
    ['employee_id', 'string'],
    ['station_id', 'string'],
    ['interval_start', { type: 'long', logicalType: 'timestamp-millis' }],
    ['interval_end', { type: 'long', logicalType: 'timestamp-millis' }],
    ['run_seconds', 'double'],
    ['idle_seconds', 'double'],
    ['down_seconds', 'double'],
  ],
  QualityInspected: [
    ['event_id', 'string'],
    ['employee_id', 'string'],
    ['station_id', 'string'],
    ['work_order_id', 'string'],
    ['production_time', { type: 'long', logicalType: 'timestamp-millis' }],
    ['inspected_time', { type: 'long', logicalType: 'timestamp-millis' }],
    ['units_inspected', 'int'],
    ['units_defective', 'int'],
    ['defect_codes', { type: 'array', items: 'string' }],
  ],
  CustomerFeedback: [
    ['event_id', 'string'],
    ['employee_id', 'string'],
    ['order_id', 'string'],
    ['production_time', { type: 'long', logicalType: 'timestamp-millis' }],
    ['feedback_time', { type: 'long', logicalType: 'timestamp-millis' }],
    ['satisfaction', 'double'],
    ['complaint', 'boolean'],
  ],
  SelfReported: [
    ['event_id', 'string'],
    ['employee_id', 'string'],
    ['period_start', { type: 'long', logicalType: 'timestamp-millis' }],
    ['period_end', { type: 'long', logicalType: 'timestamp-millis' }],
    ['submitted_time', { type: 'long', logicalType: 'timestamp-millis' }],
    ['reported_units', 'int'],
    ['reported_run_hours', 'double'],
    ['reported_defective_units', 'int'],
    ['self_score', ['null', 'double']],
  ],
};

test.each(EVENT_KINDS)('the %s schema carries every CONTRACT.md field with its type, in the kpi.events namespace', (kind) => {
  const schema = schemaOf(kind);
  expect(schema.name).toBe(RECORD_NAMES[kind]);
  expect(schema.namespace).toBe(NAMESPACE);
  const fields = new Map(schema.fields.map((f) => [f.name, f]));
  for (const [name, type] of CONTRACT[schema.name]!) expect(fields.get(name)?.type).toEqual(type);
  // Fields beyond the contract must be optional: a union with null, defaulting to null.
  for (const field of schema.fields.filter((f) => !CONTRACT[schema.name]!.some(([name]) => name === f.name))) {
    expect(field.default).toBeNull();
  }
});

test('self_score defaults to null', () => {
  expect(schemaOf('selfReport').fields.find((f) => f.name === 'self_score')?.default).toBeNull();
});
