import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatePlant, type SimulationReport } from '../../../simulator/run.js';
import { startPipeline } from '../../../processors/kafka/bootstrap.js';
import type { Pipeline } from '../../../processors/kafka/pipeline.js';
import { createClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { DEAD_LETTER_HEADERS } from '../../../topics/deadLetters.js';
import { deadLetterTopic } from '../../../topics/definitions.js';
import { createKafka } from '../../../topics/kafka.js';
import { dropTestResources, testContext } from '../support/context.js';
import { expectExactlyTheSimulatedRows } from '../support/expected.js';

// Windows close by watermark; the last ones close when the partitions fall idle.
const ctx = testContext('month', { KPI_IDLE_CLOSE: '2s', KPI_FLUSH_INTERVAL: '500ms' });
const out = mkdtempSync(join(tmpdir(), 'kpi-month-'));
let report: SimulationReport;
let pipeline: Pipeline;

beforeAll(async () => {
  report = await simulatePlant(
    { employees: 120, days: 30, seed: 2026, duplicateRate: 0.02, malformedRate: 0.001, tooLateRate: 0.02, disorderMs: 20 * 60_000, out },
    ctx.config,
    ctx.log,
  );
  pipeline = await startPipeline(ctx.config, ctx.log, { exitWhenIdleMs: 4000 });
  await pipeline.done;
}, 300_000);

afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('a simulated month with lateness, duplicates and bad records gives exactly the expected rows', async () => {
  await expectExactlyTheSimulatedRows(ctx, out);
});

test('every record is accounted for: accepted, duplicate, too late or invalid', () => {
  const { counts } = report.simulation;
  const m = pipeline.metrics;
  const events = Object.values(counts.events).reduce((a, b) => a + b, 0);
  const malformed = Object.values(counts.malformed).reduce((a, b) => a + b, 0);
  expect(m.records.accepted).toBe(events);
  expect(m.records.duplicate).toBe(counts.duplicates);
  expect(m.records.tooLate).toBe(counts.tooLate);
  expect(m.records.invalid).toBe(malformed);
  expect(m.processed).toBe(report.sent);
});

test('bad and too-late records are in the dead-letter topic with their original bytes and metadata', async () => {
  const consumer = createKafka(ctx.config, 'month-dlq-reader', ctx.log).consumer({ groupId: `${ctx.config.groupId}.dlq` });
  await consumer.connect();
  await consumer.subscribe({ topic: deadLetterTopic(ctx.config), fromBeginning: true });
  const expected = pipeline.metrics.records.invalid + pipeline.metrics.records.tooLate;
  const letters: { headers: Record<string, string>; value: Buffer | null }[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({ headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])), value: message.value });
        if (letters.length >= expected) resolve();
      },
    });
  });
  await consumer.disconnect();
  expect(letters).toHaveLength(expected);
  const classes = new Map<string, number>();
  for (const { headers, value } of letters) {
    for (const name of Object.values(DEAD_LETTER_HEADERS).filter((h) => h !== DEAD_LETTER_HEADERS.schemaId)) expect(headers[name]).toBeDefined();
    expect(headers[DEAD_LETTER_HEADERS.sourceTopic]!.startsWith(ctx.config.topicPrefix)).toBe(true);
    expect(Number(headers[DEAD_LETTER_HEADERS.sourceOffset])).toBeGreaterThanOrEqual(0);
    expect(value).not.toBeNull();
    classes.set(headers[DEAD_LETTER_HEADERS.errorClass]!, (classes.get(headers[DEAD_LETTER_HEADERS.errorClass]!) ?? 0) + 1);
  }
  expect(classes.get('KPI_ERR_TOO_LATE')).toBe(report.simulation.counts.tooLate);
  const { malformed } = report.simulation.counts;
  expect(classes.get('KPI_ERR_DECODE_NOT_AVRO') ?? 0).toBe(malformed['not-avro'] + malformed['bad-magic-byte']);
  expect(classes.get('KPI_ERR_DECODE_UNKNOWN_SCHEMA') ?? 0).toBe(malformed['unknown-schema-id']);
  expect(classes.get('KPI_ERR_INVALID_VALUE') ?? 0).toBe(malformed['invalid-value'] + malformed.unattributable);
  expect(classes.get('KPI_ERR_DECODE_MALFORMED') ?? 0).toBe(malformed['truncated-avro']);

  const client = createClickHouseClient(ctx.config);
  try {
    const result = await client.query({ query: 'SELECT count() AS n FROM dead_letters FINAL', format: 'JSONEachRow' });
    expect(Number((await result.json<{ n: number }>())[0]!.n)).toBe(expected);
  } finally {
    await client.close();
  }
});
