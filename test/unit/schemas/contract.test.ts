import type { AlertEvent } from '../../../contract/alertEvent.js';
import { schemaOf } from '../../../schemas/avro.js';
import { NAMESPACE, RECORD_KINDS, RECORD_NAMES } from '../../../schemas/kinds.js';
import { ASSIGNMENTS_TOPIC, INPUT_TOPIC_NAMES } from '../../../topics/definitions.js';
import { avroTypeOfDoc, readContractDoc } from '../support/contractDoc.js';

/** docs/contract.md and the code agree: topics, records, fields and types, the alert event. */
const doc = readContractDoc();

test('the page lists each input topic and the organisation topic with its record, as the code names them', () => {
  expect(doc.records.map((r) => [r.topic, r.record])).toEqual(
    RECORD_KINDS.map((kind) => [kind === 'assignment' ? ASSIGNMENTS_TOPIC : INPUT_TOPIC_NAMES[kind], RECORD_NAMES[kind]]),
  );
});

test.each(RECORD_KINDS)('the %s schema has exactly the fields the page lists, with their types, in the kpi.events namespace', (kind) => {
  const schema = schemaOf(kind);
  const documented = doc.records.find((r) => r.record === RECORD_NAMES[kind])!;
  expect(schema.namespace).toBe(NAMESPACE);
  expect(schema.fields.map((f) => [f.name, f.type])).toEqual(documented.fields.map((f) => [f.name, avroTypeOfDoc(f.type)]));
  // An optional field defaults to null, so a producer of an older schema still writes readable records.
  for (const field of schema.fields.filter((f) => Array.isArray(f.type))) expect(field.default).toBeNull();
});

test('the alert event has the fields the page lists', () => {
  // The type's keys, as one event of each field spells them (a field added to one and not the other fails here).
  const event: Record<keyof AlertEvent, null> = {
    type: null,
    id: null,
    fingerprint: null,
    rule: null,
    severity: null,
    scope: null,
    employee_id: null,
    station_id: null,
    window_start: null,
    window_end: null,
    metric: null,
    value: null,
    threshold: null,
    anomaly: null,
    explanation: null,
    started_at: null,
    ended_at: null,
    observed_at: null,
    review_url: null,
  };
  expect(doc.alertEventFields).toEqual(Object.keys(event));
});
