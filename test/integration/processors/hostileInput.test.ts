import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeadLetterCode } from '../../../core/errors.js';
import { DAY, MINUTE } from '../../../core/time.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import { avroTypeOf } from '../../../schemas/avro.js';
import type { ProductionReported, QualityInspected } from '../../../schemas/events.js';
import type { EventKind } from '../../../schemas/kinds.js';
import { withClickHouse } from '../../../sinks/clickhouse/client.js';
import { compareWithExpected, readExpectedRows } from '../../../simulator/compare.js';
import { expectedRow, type ExpectedRow } from '../../../simulator/expected.js';
import { OUTPUT_FILES } from '../../../simulator/output.js';
import { Random } from '../../../simulator/random.js';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { encodeEvent, frame } from '../../../topics/codec.js';
import { deadLetterTopic, inputTopic } from '../../../topics/definitions.js';
import { createKafka, createProducer } from '../../../topics/kafka.js';
import { createRegistry, registerInputSchemas, registerSchema } from '../../../topics/registry.js';
import { dropTestResources, testContext, testSeed } from '../support/context.js';
import { until } from '../support/processor.js';

/**
 * Anything a producer can send, interleaved with a simulated plant's good
 * records, through the real broker, registry and ClickHouse: every hostile
 * record is either dead-lettered with its code or, where it is legal data,
 * counted exactly; every good record is counted exactly; the processor never
 * stalls nor exits.
 */
const ctx = testContext('hostile', { KPI_IDLE_CLOSE: '1s', KPI_FLUSH_INTERVAL: '300ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-hostile-'));
const seed = testSeed('hostile input test');

afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

/** One hostile record and what must become of it. */
interface Hostile {
  readonly kind: EventKind;
  readonly key: string | null;
  readonly value: Buffer | null;
  /** The dead-letter code it must get, or the production event it must be counted as. */
  readonly outcome: DeadLetterCode | { counted: ProductionReported } | 'repeat';
}

type Maker = (i: number) => Hostile;

const LEGAL_NAMES = [
  "O'Brien",
  '"quoted"',
  'back\\slash',
  '{a:1}',
  '{{x}}',
  "'); DROP TABLE kpi.employee_window_metrics; --",
  'new\nline',
  'tab\there',
  '%s%n',
  '<script>',
];
const UNICODE_NAMES = ['工位-张伟', 'Łódź-Żółć', 'مرحبا', '🙂-emoji', 'e\u0301-combining', 'Ω≈ç√', '\u200bzero-width'];

test('a thousand hostile records among good ones: each dead-lettered with its code or counted exactly, and the stream never stops', async () => {
  const random = new Random(seed, 'hostile');
  const options = simulateOptions({ employees: 30, days: 5, seed, duplicateRate: 0.02, rate: 4000, out });
  const registry = createRegistry(ctx.config);
  const ids = await registerInputSchemas(registry, ctx.config, ctx.log);
  // A schema the production topic's reader cannot resolve: a producer that changed its contract incompatibly.
  const incompatibleId = await registerSchema(registry, `${ctx.config.topicPrefix}hostile.incompatible-value`, {
    type: 'record',
    name: 'ProductionReported',
    namespace: 'kpi.events',
    fields: [
      { name: 'event_id', type: 'string' },
      { name: 'units', type: 'string' },
    ],
  });

  const day = (n: number) => options.start + n * DAY;
  const good = (i: number, overrides: Partial<ProductionReported> = {}): ProductionReported => ({
    event_id: `H-${i}`,
    employee_id: `H-emp-${i}`,
    station_id: 'S-H',
    work_order_id: 'WO-H',
    product_code: 'P-H',
    event_time: day(1) + 8 * 60 * MINUTE + (i % 600) * MINUTE,
    units: 1 + (i % 50),
    standard_seconds_per_unit: 30,
    ...overrides,
  });
  const production = (event: ProductionReported) => encodeEvent('production', ids.production, event);
  const dead = (code: DeadLetterCode, kind: EventKind, key: string | null, value: Buffer | null): Hostile => ({ kind, key, value, outcome: code });
  const classes: Record<string, Maker> = {
    'not Avro': (i) => dead('KPI_ERR_DECODE_NOT_AVRO', 'production', `H-json-${i}`, Buffer.from(JSON.stringify(good(i)))),
    'bad magic byte': (i) => {
      const value = production(good(i));
      value[0] = 1 + (i % 255);
      return dead('KPI_ERR_DECODE_NOT_AVRO', 'production', `H-magic-${i}`, value);
    },
    'empty or no value': (i) => dead('KPI_ERR_DECODE_NOT_AVRO', 'telemetry', `H-empty-${i}`, i % 2 ? Buffer.alloc(0) : null),
    'unknown schema id': (i) =>
      dead('KPI_ERR_DECODE_UNKNOWN_SCHEMA', 'production', `H-schema-${i}`, frame(2_000_000_000 + i, avroTypeOf('production').toBuffer(good(i)))),
    'truncated body': (i) => {
      const value = production(good(i));
      return dead('KPI_ERR_DECODE_MALFORMED', 'production', `H-trunc-${i}`, value.subarray(0, 6 + random.int(0, value.length - 8)));
    },
    'incompatible schema': (i) =>
      dead(
        'KPI_ERR_DECODE_INCOMPATIBLE_SCHEMA',
        'production',
        `H-incompat-${i}`,
        frame(incompatibleId, Buffer.concat([encodeString(`H-${i}`), encodeString('many')])),
      ),
    'non-UTF-8 bytes': (i) => {
      const value = production(good(i, { station_id: 'st-9' }));
      value[value.indexOf(Buffer.from('st-9'))] = 0xc0 + (i % 2);
      return dead('KPI_ERR_DECODE_MALFORMED', 'production', `H-utf8-${i}`, value);
    },
    'very long strings': (i) =>
      dead('KPI_ERR_ID_TOO_LONG', 'production', `H-long-${i}`, production(good(i, { work_order_id: 'W'.repeat(129 + random.int(0, 100_000)) }))),
    'arrays beyond a sane size': (i) => {
      const inspection: QualityInspected = {
        event_id: `H-${i}`,
        employee_id: `H-arr-${i}`,
        station_id: 'S',
        work_order_id: 'W',
        production_time: day(1),
        inspected_time: day(2),
        units_inspected: 5,
        units_defective: 1,
        defect_codes: Array.from({ length: 1001 + random.int(0, 20_000) }, () => 'D01'),
      };
      return dead('KPI_ERR_ARRAY_TOO_LONG', 'inspection', `H-arr-${i}`, encodeEvent('inspection', ids.inspection, inspection));
    },
    'NaN and infinite numbers': (i) =>
      dead(
        'KPI_ERR_NOT_FINITE',
        'production',
        `H-nan-${i}`,
        production(good(i, { employee_id: `H-nan-${i}`, standard_seconds_per_unit: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][i % 3]! })),
      ),
    'times in the future, in seconds, in microseconds': (i) => {
      const time = [Date.UTC(2100, 0, 1), Math.floor(day(1) / 1000), day(1) * 1000][i % 3]!;
      return dead('KPI_ERR_INVALID_TIME', 'production', `H-time-${i}`, production(good(i, { employee_id: `H-time-${i}`, event_time: time })));
    },
    'keys that are not the employee': (i) => dead('KPI_ERR_KEY_MISMATCH', 'production', i % 4 === 0 ? null : `not-H-emp-${i}`, production(good(i))),
    'sums that would overflow': (i) =>
      dead(
        'KPI_ERR_OUT_OF_RANGE',
        'production',
        `H-big-${i}`,
        production(good(i, { employee_id: `H-big-${i}`, units: 2_000_000_000, standard_seconds_per_unit: 3600 + i })),
      ),
    'values the contract forbids': (i) =>
      dead('KPI_ERR_INVALID_VALUE', 'production', `H-neg-${i}`, production(good(i, { employee_id: `H-neg-${i}`, units: -1 - i }))),
    'SQL, quotes and braces in every string': (i) => {
      const name = `${LEGAL_NAMES[i % LEGAL_NAMES.length]!}#${i}`;
      const event = good(i, { event_id: name, employee_id: name, station_id: name, work_order_id: name, product_code: name });
      return { kind: 'production', key: name, value: production(event), outcome: { counted: event } };
    },
    'unicode ids': (i) => {
      const name = `${UNICODE_NAMES[i % UNICODE_NAMES.length]!}-${i}`;
      const event = good(i, { event_id: name, employee_id: name });
      return { kind: 'production', key: name, value: production(event), outcome: { counted: event } };
    },
  };
  const PER_CLASS = 64;
  const hostile: Hostile[] = [];
  for (const [name, make] of Object.entries(classes))
    for (let i = 0; i < PER_CLASS; i += 1) hostile.push(make(i + 10_000 * Object.keys(classes).indexOf(name)));
  random.shuffle(hostile);
  // A repeated event id with other content, the two copies apart in the stream: the first counts, the second is a repeat.
  for (let i = 0; i < PER_CLASS / 2; i += 1) {
    const first = good(900_000 + i, { employee_id: `H-repeat-${i}` });
    const at = random.int(0, hostile.length);
    hostile.splice(random.int(at, hostile.length), 0, {
      kind: 'production',
      key: first.employee_id,
      value: production({ ...first, units: first.units + 7 }),
      outcome: 'repeat',
    });
    hostile.splice(at, 0, { kind: 'production', key: first.employee_id, value: production(first), outcome: { counted: first } });
  }

  // The processor runs while the plant sends its good records and the hostile ones arrive in between.
  const pipeline = await startPipeline(ctx.config, ctx.log);
  let exits = 0;
  pipeline.done.catch(() => (exits += 1));
  const producer = createProducer(createKafka(ctx.config, 'hostile-producer', ctx.log), { allowAutoTopicCreation: false });
  await producer.connect();
  // A stall: 5 s without progress while records wait (any time before the last is produced, or fewer processed than sent).
  let sent = Number.POSITIVE_INFINITY;
  let stalls = 0;
  let lastProgress = { processed: 0, at: Date.now() };
  const watch = setInterval(() => {
    const processed = pipeline.metrics.processed;
    if (processed !== lastProgress.processed) lastProgress = { processed, at: Date.now() };
    else if (processed > 0 && processed < sent && Date.now() - lastProgress.at >= 5000) {
      stalls += 1;
      lastProgress = { processed, at: Date.now() };
    }
  }, 250);
  const plant = simulatePlant(options, ctx.config, ctx.log);
  for (let i = 0; i < hostile.length; i += 25) {
    const chunk = hostile.slice(i, i + 25);
    await producer.sendBatch({
      acks: -1,
      topicMessages: chunk.map((h) => ({ topic: inputTopic(ctx.config, h.kind), messages: [{ key: h.key, value: h.value }] })),
    });
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  await producer.disconnect();
  const report = await plant;
  sent = report.sent + hostile.length;
  await until('the processor has read every record', async () => exits > 0 || (await pipeline.caughtUp()), 120_000);
  clearInterval(watch);
  await pipeline.stop(true).catch(() => undefined);
  expect(exits).toBe(0);

  // Good records and legal hostile ones: every row exactly as computed from the events themselves.
  const counted = hostile.flatMap((h) => (typeof h.outcome === 'object' ? [h.outcome.counted] : []));
  const countedRows: ExpectedRow[] = counted.map((e) =>
    expectedRow(
      e.employee_id,
      { start: e.event_time - (e.event_time % DAY), end: e.event_time - (e.event_time % DAY) + DAY },
      { production: [e], telemetry: [], inspections: [], feedback: [], reports: [] },
    ),
  );
  const expected = [...(await readExpectedRows(join(out, OUTPUT_FILES.expected))), ...countedRows];
  const comparison = await withClickHouse(ctx.config, (client) => compareWithExpected(client, expected));
  expect(comparison.differences).toEqual([]);
  expect(comparison.missing).toEqual([]);
  expect(comparison.unexpected).toEqual([]);
  expect(comparison.equal).toBe(expected.length);

  // Hostile records that are not data: each in the dead letters with its code (the table keeps one row per record).
  const letters = await withClickHouse(ctx.config, async (client) => {
    const result = await client.query({ query: 'SELECT employee_id, error_code, value_base64 FROM dead_letters FINAL', format: 'JSONEachRow' });
    return result.json<{ employee_id: string; error_code: string; value_base64: string }>();
  });
  const byRecord = new Map(letters.map((l) => [`${l.employee_id}|${l.value_base64}`, l.error_code]));
  const deadExpected = hostile.filter((h) => typeof h.outcome === 'string' && h.outcome !== 'repeat');
  const wrong = deadExpected
    .filter((h) => byRecord.get(`${h.key ?? ''}|${h.value?.toString('base64') ?? ''}`) !== h.outcome)
    .map((h) => ({ key: h.key?.slice(0, 40), expected: h.outcome, got: byRecord.get(`${h.key ?? ''}|${h.value?.toString('base64') ?? ''}`) }));
  expect(wrong).toEqual([]);
  expect(letters).toHaveLength(deadExpected.length);
  const onTopic = await countTopic(deadLetterTopic(ctx.config), deadExpected.length);
  expect(onTopic).toBeGreaterThanOrEqual(deadExpected.length);

  const m = pipeline.metrics;
  expect(m.records.duplicate).toBe(report.simulation.counts.duplicates + PER_CLASS / 2);
  expect(m.conflictingDuplicates).toBe(PER_CLASS / 2);
  expect(stalls).toBe(0);
  expect(exits).toBe(0);
  const perClass = Object.keys(classes)
    .map((name) => `${name}=${PER_CLASS}`)
    .join(', ');
  process.stdout.write(
    `hostile input: ${hostile.length} records in ${Object.keys(classes).length + 1} classes (${perClass}, repeated ids with other content=${PER_CLASS}); ` +
      `dead-lettered ${deadExpected.length}, counted ${counted.length} (+${PER_CLASS / 2} repeats counted once); good records ${report.sent} counted exactly; stalls ${stalls}; exits ${exits}\n`,
  );
}, 300_000);

/** An Avro string: zig-zag varint length, then UTF-8 bytes. */
function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  let n = bytes.length * 2;
  const varint: number[] = [];
  while (n > 0x7f) {
    varint.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  varint.push(n);
  return Buffer.concat([Buffer.from(varint), bytes]);
}

/** How many records a topic holds, reading until at least `atLeast` arrived. */
async function countTopic(topic: string, atLeast: number): Promise<number> {
  const consumer = createKafka(ctx.config, 'hostile-dlq-reader', ctx.log).consumer({ groupId: `${ctx.config.groupId}.dlq` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= atLeast) resolve();
      },
    });
  });
  await consumer.disconnect();
  return seen;
}
