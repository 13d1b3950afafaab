import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateOptions, simulatePlant } from '../../../simulator/run.js';
import { DecodeError } from '../../../core/errors.js';
import { EVENT_KINDS, type EventKind } from '../../../schemas/kinds.js';
import { OUTPUT_FILES } from '../../../simulator/output.js';
import { Simulation, type MalformedKind, type OutboundMessage } from '../../../simulator/simulation.js';
import { EventCodec } from '../../../topics/codec.js';
import { inputTopic, kindOfTopic } from '../../../topics/definitions.js';
import { createKafka } from '../../../topics/kafka.js';
import { createRegistry, writerSchemas } from '../../../topics/registry.js';
import { defaultConfig } from '../../../core/config.js';
import { recordLimitsOf, recordProblem } from '../../../schemas/validate.js';
import { dropTestResources, testContext } from '../support/context.js';

const ctx = testContext('simulate');
const out = mkdtempSync(join(tmpdir(), 'kpi-sim-'));
afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

/** Per topic and key, the values in the order they must be on the partition. */
type Streams = Map<string, Map<string, Buffer[]>>;

function append(streams: Streams, topic: string, key: string, value: Buffer): void {
  let byKey = streams.get(topic);
  if (!byKey) streams.set(topic, (byKey = new Map()));
  let values = byKey.get(key);
  if (!values) byKey.set(key, (values = []));
  values.push(value);
}

async function readBack(count: number): Promise<Streams> {
  const streams: Streams = new Map();
  const consumer = createKafka(ctx.config, 'simulate-readback', ctx.log).consumer({ groupId: `${ctx.config.groupId}.readback` });
  await consumer.connect();
  await consumer.subscribe({ topics: EVENT_KINDS.map((kind) => inputTopic(ctx.config, kind)), fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) append(streams, batch.topic, message.key!.toString(), message.value!);
        seen += batch.messages.length;
        if (seen >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return streams;
}

test('a simulated plant in Kafka reads back exactly as generated, duplicates and malformed records included', async () => {
  const options = simulateOptions({ employees: 40, days: 4, seed: 7, duplicateRate: 0.02, malformedRate: 0.01, tooLateRate: 0.1, out });
  const report = await simulatePlant(options, ctx.config, ctx.log);
  const summary = JSON.parse(readFileSync(join(out, OUTPUT_FILES.summary), 'utf8'));
  expect(summary.sent).toBe(report.sent);
  expect(report.simulation.counts.duplicates).toBeGreaterThan(0);
  expect(Object.values(report.simulation.counts.malformed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  expect(report.simulation.counts.tooLate).toBeGreaterThan(0);

  // The same seed generates the same records again; they must be what the topics hold.
  const again = new Simulation(options, summary.schemaIds);
  const expected: Streams = new Map();
  const labels = new Map<string, OutboundMessage['label']>();
  const noSink = { expected: () => undefined, truth: () => undefined, tooLate: () => undefined };
  for (const message of again.messages(noSink)) {
    append(expected, inputTopic(ctx.config, message.kind), message.key, message.value);
    labels.set(message.value.toString('base64'), message.label);
  }
  const actual = await readBack(report.sent);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [topic, byKey] of expected) expect(actual.get(topic)).toEqual(byKey);

  // Every valid record decodes through the registry and passes the checks; each kind of malformed record fails as it should.
  const codec = new EventCodec(writerSchemas(createRegistry(ctx.config)));
  const read = async (kind: EventKind, value: Buffer) => {
    const { tagged } = await codec.decode(kind, value);
    return recordProblem(tagged, recordLimitsOf(defaultConfig()), Date.now());
  };
  const failures: Partial<Record<MalformedKind, Set<string>>> = {};
  let decoded = 0;
  for (const [topic, byKey] of actual) {
    const kind = kindOfTopic(ctx.config, topic) as EventKind;
    for (const values of byKey.values()) {
      for (const value of values) {
        const label = labels.get(value.toString('base64'))!;
        if (label === 'event' || label === 'duplicate' || label === 'too-late') {
          expect(await read(kind, value)).toBeUndefined();
          decoded += 1;
        } else {
          const problem = await read(kind, value).then(
            (p) => p,
            (e: unknown) => (e instanceof DecodeError ? { code: e.code } : undefined),
          );
          expect(problem).toBeDefined();
          (failures[label] ??= new Set()).add(problem!.code);
        }
      }
    }
  }
  expect(decoded).toBe(
    Object.values(report.simulation.counts.events).reduce((a, b) => a + b, 0) + report.simulation.counts.duplicates + report.simulation.counts.tooLate,
  );
  const expectedCodes: Record<MalformedKind, string> = {
    'not-avro': 'KPI_ERR_DECODE_NOT_AVRO',
    'bad-magic-byte': 'KPI_ERR_DECODE_NOT_AVRO',
    'unknown-schema-id': 'KPI_ERR_DECODE_UNKNOWN_SCHEMA',
    'truncated-avro': 'KPI_ERR_DECODE_MALFORMED',
    'invalid-value': 'KPI_ERR_INVALID_VALUE',
    unattributable: 'KPI_ERR_INVALID_VALUE',
  };
  for (const [label, codes] of Object.entries(failures)) expect([...codes]).toEqual([expectedCodes[label as MalformedKind]]);
}, 120_000);
