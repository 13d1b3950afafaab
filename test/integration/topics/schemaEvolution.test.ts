import avro from 'avsc';
import { SchemaCompatibilityError } from '../../../core/errors.js';
import { schemaOf, type AvroSchema } from '../../../schemas/avro.js';
import { EventCodec, frame } from '../../../topics/codec.js';
import { inputTopic, valueSubject } from '../../../topics/definitions.js';
import { createRegistry, registerInputSchemas, registerSchema, writerSchemas } from '../../../topics/registry.js';
import { production } from '../../unit/support/events.js';
import { dropTestResources, testContext } from '../support/context.js';

const ctx = testContext('schema_evolution');
const registry = createRegistry(ctx.config);
const subject = valueSubject(inputTopic(ctx.config, 'production'));
const v1 = schemaOf('production');
/** v2 adds an optional field, the one kind of change docs/contract.md allows. */
const v2: AvroSchema = { ...v1, fields: [...v1.fields, { name: 'shift_id', type: ['null', 'string'], default: null }] };

afterAll(() => dropTestResources(ctx));

test('subjects are registered with compatibility BACKWARD', async () => {
  await registerInputSchemas(registry, ctx.config, ctx.log);
  const response = await fetch(`${ctx.config.registry.url}/config/${encodeURIComponent(subject)}`);
  expect(await response.json()).toEqual({ compatibilityLevel: 'BACKWARD' });
});

test('adding an optional field: records of both versions decode, with the default where it is missing', async () => {
  const id1 = await registerSchema(registry, subject, v1);
  const id2 = await registerSchema(registry, subject, v2);
  expect(id2).not.toBe(id1);

  const event = production({ event_id: 'evo-1' });
  const oldRecord = frame(id1, avro.Type.forSchema(v1 as avro.Schema).toBuffer(event));
  const newRecord = frame(id2, avro.Type.forSchema(v2 as avro.Schema).toBuffer({ ...event, shift_id: 'early' }));

  // kpi-stream reads with its contract (v1): both decode to the contract's shape.
  const codec = new EventCodec(writerSchemas(registry));
  expect((await codec.decode('production', oldRecord)).tagged.event).toEqual(event);
  expect((await codec.decode('production', newRecord)).tagged.event).toEqual(event);

  // A reader on v2 gets the default for old records.
  const v2Reader = avro.Type.forSchema(v2 as avro.Schema);
  const resolver = v2Reader.createResolver((await registry.getSchema(id1)) as unknown as avro.Type);
  expect(v2Reader.fromBuffer(oldRecord.subarray(5), resolver)).toEqual({ ...event, shift_id: null });
});

test('an incompatible change is refused by the registry and reported clearly', async () => {
  const incompatible: AvroSchema = {
    ...v1,
    fields: v1.fields.map((f) => (f.name === 'units' ? { ...f, type: 'string' } : f)).concat([{ name: 'plant_id', type: 'string' }]),
  };
  const error = await registerSchema(registry, subject, incompatible).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SchemaCompatibilityError);
  expect((error as SchemaCompatibilityError).code).toBe('KPI_ERR_SCHEMA_INCOMPATIBLE');
  expect((error as SchemaCompatibilityError).subject).toBe(subject);
  expect((error as Error).message).toContain(subject);
  expect((error as Error).message).toMatch(/refused the schema.*[Ii]ncompatible/);
});
