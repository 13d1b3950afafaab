import { TopicMismatchError } from '../../../core/errors.js';
import { inputTopic, topicDefinitions } from '../../../topics/definitions.js';
import { createKafka, ensureTopics } from '../../../topics/kafka.js';
import { dropTestResources, testContext } from '../support/context.js';
import { killProcessors, runCli } from '../support/processor.js';

const ctx = testContext('ensure_topics');
/** Topics of their own for the processor that must refuse them (the first test creates ctx's). */
const mismatched = testContext('topic_mismatch');
const admin = createKafka(ctx.config, 'ensure-topics-test', ctx.log).admin();

beforeAll(() => admin.connect());
afterAll(async () => {
  await killProcessors();
  await admin.disconnect();
  await dropTestResources(ctx);
  await dropTestResources(mismatched);
});

test('creates every topic as defined, and a second run changes nothing', async () => {
  const definitions = topicDefinitions(ctx.config);
  const first = await ensureTopics(admin, definitions, ctx.log);
  expect(first.created.sort()).toEqual(definitions.map((d) => d.name).sort());
  const metadata = await admin.fetchTopicMetadata({ topics: definitions.map((d) => d.name) });
  const partitions = Object.fromEntries(definitions.map((d) => [d.name, d.partitions]));
  expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual(Object.entries(partitions).sort());
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: definitions.map((d) => ({ type: 2, name: d.name, configNames: ['retention.ms', 'cleanup.policy'] })),
  });
  for (const d of definitions) {
    const entries = configs.resources.find((r) => r.resourceName === d.name)!.configEntries;
    expect(entries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(String(d.retentionMs));
    expect(entries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe(d.cleanupPolicy);
  }
  const second = await ensureTopics(admin, definitions, ctx.log);
  expect(second.created).toEqual([]);
  expect(second.unchanged.sort()).toEqual(definitions.map((d) => d.name).sort());
});

test('an existing topic with fewer partitions is an error and is left as it is', async () => {
  const name = `${ctx.config.topicPrefix}narrow.v1`;
  const definition = { ...topicDefinitions(ctx.config)[0]!, name, contractName: 'narrow.v1' };
  // Created through the product's path, which waits out the moment Kafka reports a new topic as unknown.
  await ensureTopics(admin, [{ ...definition, partitions: 2 }], ctx.log);
  const error = await ensureTopics(admin, [definition], ctx.log).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TopicMismatchError);
  expect((error as Error).message).toContain(`topic ${name} has 2 partitions, its definition ${ctx.config.topicPartitions}`);
  const metadata = await admin.fetchTopicMetadata({ topics: [name] });
  expect(metadata.topics[0]!.partitions).toHaveLength(2);
});

test('a processor that finds a mismatched input topic at start-up exits naming it: no connection it opened keeps it alive', async () => {
  const name = inputTopic(mismatched.config, 'production');
  const definition = topicDefinitions(mismatched.config).find((d) => d.name === name)!;
  await ensureTopics(admin, [{ ...definition, partitions: 2 }], mismatched.log);
  const run = await runCli(mismatched, ['run']);
  expect({ code: run.code, output: `${run.stdout}${run.stderr}` }).toMatchObject({
    code: 1,
    output: expect.stringContaining(`topic ${name} has 2 partitions`),
  });
}, 120_000);
