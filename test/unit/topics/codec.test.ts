import { DecodeError } from '../../../core/errors.js';
import { frame, unframe } from '../../../topics/codec.js';

test('frame writes magic byte 0 and the big-endian schema id before the body', () => {
  const bytes = frame(0x01020304, Buffer.from([9, 8, 7]));
  expect([...bytes]).toEqual([0, 1, 2, 3, 4, 9, 8, 7]);
  expect(unframe(bytes)).toEqual({ schemaId: 0x01020304, body: Buffer.from([9, 8, 7]) });
});

test.each([
  ['no value', null],
  ['an empty value', Buffer.alloc(0)],
  ['JSON', Buffer.from('{"units": 3}')],
  ['a short header', Buffer.from([0, 0, 1])],
])('%s is not Avro', (_name, value) => {
  let thrown: unknown;
  try {
    unframe(value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DecodeError);
  expect((thrown as DecodeError).code).toBe('KPI_ERR_DECODE_NOT_AVRO');
  expect((thrown as DecodeError).retriable).toBe(false);
});
