import { Partitioners } from 'kafkajs';
import { KAFKA_CLIENTS, type GroupConsumer, type KafkaClient, type KafkaClientName, type TopicBatch } from '../../../topics/client/port.js';
import { kafkaClient } from '../../../topics/client/client.js';
import { createKafka, waitForTopics } from '../../../topics/kafka.js';
import { loadConfig } from '../../../core/config.js';
import { secureListener, secureListenerEnv } from '../../../services/kafka/secureListener.js';
import { dropTestResources, testContext, type TestContext } from '../support/context.js';
import { until } from '../support/processor.js';

/**
 * The Kafka client port (topics/client/port.ts) on every adapter, against the
 * real broker: what the processors rely on, each library held to it alike.
 * kpi-stream uses no transactions (a checkpoint commits offsets only past
 * rows ClickHouse acknowledged, and replays are idempotent), so there are
 * none here.
 */
const PARTITIONS = 3;
/** A test's limit: a rebalance or a broker's first fetch can take a while on a busy machine. */
const TIMEOUT_MS = 120_000;

/** What a test's member handled, in order; a batch counts once its offsets are committed. */
interface Handled {
  readonly topic: string;
  readonly partition: number;
  readonly offsets: number[];
  readonly values: string[];
}

/** A member that commits after every batch (offset past its last record) and records what it committed. */
function committingMember(consumer: GroupConsumer, handled: Handled[], holdings: Map<string, number[]>[] = []) {
  return {
    consumer,
    start: (topics: readonly string[]) =>
      consumer.run(
        topics,
        async (batch: TopicBatch, { live }) => {
          if (!live()) return false;
          await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.records.at(-1)!.offset + 1 }]);
          handled.push({
            topic: batch.topic,
            partition: batch.partition,
            offsets: batch.records.map((r) => r.offset),
            values: batch.records.map((r) => r.value!.toString('utf8')),
          });
          return true;
        },
        { joined: ({ partitions }) => holdings.push(new Map([...partitions].map(([t, p]) => [t, [...p].sort((a, b) => a - b)]))) },
      ),
  };
}

const valuesOf = (handled: readonly Handled[]) => handled.flatMap((h) => h.values);

describe.each(KAFKA_CLIENTS.map((name) => [name]))('the %s client', (name: KafkaClientName) => {
  const ctx: TestContext = testContext(`kafka_${name}`);
  const kafka: KafkaClient = kafkaClient(ctx.config, `conformance-${name}`, ctx.log, name);
  const topicA = `${ctx.config.topicPrefix}conformance.a`;
  const topicB = `${ctx.config.topicPrefix}conformance.b`;
  /** Topics that receive records together (sendTopics). */
  const topicC = `${ctx.config.topicPrefix}conformance.c`;
  const topicD = `${ctx.config.topicPrefix}conformance.d`;
  /** A topic that receives a removal (a record without a value), as kpi.alert_inputs.v1 does. */
  const topicE = `${ctx.config.topicPrefix}conformance.e`;
  const producer = kafka.producer();
  const admin = kafka.admin();
  const consumers: GroupConsumer[] = [];
  const member = (group: string) => {
    const consumer = kafka.groupConsumer({ groupId: `${ctx.config.groupId}.${group}`, coPartitioned: true, maxWaitMs: 100 });
    consumers.push(consumer);
    return consumer;
  };

  beforeAll(async () => {
    const setup = createKafka(ctx.config, 'conformance-setup', ctx.log).admin();
    await setup.connect();
    try {
      await setup.createTopics({
        topics: [topicA, topicB, topicC, topicD, topicE].map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: -1 })),
        waitForLeaders: false,
      });
      await waitForTopics(setup, [topicA, topicB, topicC, topicD, topicE], ctx.log);
    } finally {
      await setup.disconnect();
    }
    await producer.connect();
    await admin.connect();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await producer.disconnect();
    await admin.disconnect();
    await dropTestResources(ctx);
  }, TIMEOUT_MS);

  test(
    "the producer puts a key's records on the Java client's partition (murmur2), in the order sent",
    async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `employee-${i}`);
      const records = Array.from({ length: 200 }, (_, i) => ({ key: keys[i % keys.length]!, value: `a-${i}`, headers: { 'kpi.seq': String(i) } }));
      await producer.send(topicA, records);
      const handled: Handled[] = [];
      const reader = committingMember(member('order'), handled);
      await reader.consumer.connect();
      await reader.start([topicA]);
      await until('every record is read', () => valuesOf(handled).length >= records.length, 60_000);

      const where = new Map(handled.flatMap((h) => h.values.map((value) => [value, h.partition] as const)));
      for (const { key, value } of records) expect([key, where.get(value)]).toEqual([key, javaPartition(key)]);
      // Per partition, in the order sent, each exactly once.
      for (let partition = 0; partition < PARTITIONS; partition += 1) {
        const sent = records.filter((r) => where.get(r.value) === partition).map((r) => r.value);
        expect(handled.filter((h) => h.partition === partition).flatMap((h) => h.values)).toEqual(sent);
      }
    },
    TIMEOUT_MS,
  );

  test(
    "sends to several topics at once: a key's records share its partition number on each, in the order sent, with the timestamps given",
    async () => {
      const keys = Array.from({ length: 12 }, (_, i) => `employee-${i}`);
      const sentAt = Date.now();
      // Interleaved across the topics, as the simulator sends an hour of a plant; every third record carries a timestamp of its own.
      const records = Array.from({ length: 240 }, (_, i) => ({
        topic: i % 2 === 0 ? topicC : topicD,
        key: keys[i % keys.length]!,
        value: `m-${i}`,
        ...(i % 3 === 0 ? { timestamp: 1_700_000_000_000 + i } : {}),
      }));
      await producer.sendTopics(
        [topicC, topicD].map((topic) => ({ topic, records: records.filter((r) => r.topic === topic).map(({ topic: _, ...record }) => record) })),
      );
      await producer.sendTopics([{ topic: topicC, records: [] }]);
      const read: { topic: string; partition: number; value: string; timestamp: number }[] = [];
      const consumer = member('topics');
      await consumer.connect();
      await consumer.run([topicC, topicD], async (batch) => {
        for (const r of batch.records) read.push({ topic: batch.topic, partition: batch.partition, value: r.value!.toString('utf8'), timestamp: r.timestamp });
        return true;
      });
      await until('every record is read', () => read.length >= records.length, 60_000);

      expect(read).toHaveLength(records.length);
      const found = new Map(read.map((r) => [r.value, r]));
      for (const { topic, key, value, timestamp } of records) {
        const r = found.get(value)!;
        expect([value, r.topic, r.partition]).toEqual([value, topic, javaPartition(key)]);
        if (timestamp === undefined) expect(r.timestamp).toBeGreaterThanOrEqual(sentAt - 60_000);
        else expect(r.timestamp).toBe(timestamp);
      }
      for (const topic of [topicC, topicD])
        for (let partition = 0; partition < PARTITIONS; partition += 1) {
          const sent = records.filter((r) => r.topic === topic && javaPartition(r.key) === partition).map((r) => r.value);
          expect(read.filter((r) => r.topic === topic && r.partition === partition).map((r) => r.value)).toEqual(sent);
        }
    },
    TIMEOUT_MS,
  );

  test(
    'sends a record without a value (a removal on a compacted topic) beside valued ones, and reads it back as null',
    async () => {
      await producer.send(topicE, [
        { key: 'flag-1', value: 'standing' },
        { key: 'flag-1', value: null },
        { key: 'flag-2', value: 'standing' },
      ]);
      const read: { key: string; value: string | null }[] = [];
      const consumer = member('removals');
      await consumer.connect();
      await consumer.run([topicE], async (batch) => {
        for (const r of batch.records) read.push({ key: r.key!.toString('utf8'), value: r.value === null ? null : r.value.toString('utf8') });
        return true;
      });
      await until('every record is read', () => read.length >= 3, 60_000);
      expect(read.filter((r) => r.key === 'flag-1')).toEqual([
        { key: 'flag-1', value: 'standing' },
        { key: 'flag-1', value: null },
      ]);
      expect(read.filter((r) => r.key === 'flag-2')).toEqual([{ key: 'flag-2', value: 'standing' }]);
    },
    TIMEOUT_MS,
  );

  test(
    'consumes from the earliest offset where the group committed none; batches are one topic-partition in offset order',
    async () => {
      await producer.send(
        topicB,
        Array.from({ length: 90 }, (_, i) => ({ key: `k${i}`, value: `b-${i}` })),
      );
      const handled: Handled[] = [];
      const reader = committingMember(member('earliest'), handled);
      await reader.consumer.connect();
      await reader.start([topicB]);
      await until('every record is read', () => valuesOf(handled).length >= 90, 60_000);
      expect(valuesOf(handled).sort()).toEqual(Array.from({ length: 90 }, (_, i) => `b-${i}`).sort());
      for (const batch of handled) {
        expect(batch.topic).toBe(topicB);
        expect(batch.offsets).toEqual([...batch.offsets].sort((a, b) => a - b));
      }
      const starts = new Map<number, number>();
      for (const h of handled) if (!starts.has(h.partition)) starts.set(h.partition, h.offsets[0]!);
      expect([...starts.values()].every((offset) => offset === 0)).toBe(true);
    },
    TIMEOUT_MS,
  );

  test(
    'commits offsets with metadata; the admin reads them back, and a new member resumes exactly there',
    async () => {
      const group = 'resume';
      const first = member(group);
      let seen: TopicBatch | undefined;
      await first.connect();
      await first.run([topicB], async (batch, { live }) => {
        if (seen || !live()) return false;
        seen = batch;
        return true;
      });
      await until('a batch is read', () => seen !== undefined, 60_000);
      const middle = seen!.records[Math.floor(seen!.records.length / 2)]!.offset;
      await first.commit([{ topic: topicB, partition: seen!.partition, offset: middle, metadata: JSON.stringify({ clock: 1_700_000_000_000 }) }]);
      const committed = await admin.committedOffsets(`${ctx.config.groupId}.${group}`, [topicB]);
      expect(committed.find((c) => c.partition === seen!.partition)).toEqual({
        topic: topicB,
        partition: seen!.partition,
        offset: middle,
        metadata: JSON.stringify({ clock: 1_700_000_000_000 }),
      });
      expect(committed.filter((c) => c.partition !== seen!.partition).every((c) => c.offset === -1)).toBe(true);
      await first.disconnect();

      const firstOffsets = new Map<number, number>();
      const second = member(group);
      await second.connect();
      await second.run([topicB], async (batch) => {
        if (!firstOffsets.has(batch.partition)) firstOffsets.set(batch.partition, batch.records[0]!.offset);
        return true;
      });
      await until('every partition is read', () => firstOffsets.size === PARTITIONS, 60_000);
      expect(firstOffsets.get(seen!.partition)).toBe(middle);
      for (const [partition, offset] of firstOffsets) if (partition !== seen!.partition) expect(offset).toBe(0);
      await second.disconnect();
    },
    TIMEOUT_MS,
  );

  test(
    'the admin sets the offsets of a group without members, and a member of it reads from there',
    async () => {
      const group = 'adopted';
      const groupId = `${ctx.config.groupId}.${group}`;
      const target = (await admin.topicOffsets(topicB)).find((o) => o.high - o.low >= 2)!;
      await admin.setCommittedOffsets(groupId, topicB, [{ partition: target.partition, offset: target.low + 1 }]);
      const committed = await admin.committedOffsets(groupId, [topicB]);
      expect(committed.find((c) => c.partition === target.partition)?.offset).toBe(target.low + 1);
      expect(committed.filter((c) => c.partition !== target.partition).every((c) => c.offset === -1)).toBe(true);

      const firstOffsets = new Map<number, number>();
      const consumer = member(group);
      await consumer.connect();
      await consumer.run([topicB], async (batch) => {
        if (!firstOffsets.has(batch.partition)) firstOffsets.set(batch.partition, batch.records[0]!.offset);
        return true;
      });
      await until('every partition is read', () => firstOffsets.size === PARTITIONS, 60_000);
      expect(firstOffsets.get(target.partition)).toBe(target.low + 1);
      await consumer.disconnect();
    },
    TIMEOUT_MS,
  );

  test(
    'the high and low watermarks of each partition',
    async () => {
      const offsets = await admin.topicOffsets(topicB);
      expect(offsets.map((o) => o.partition).sort()).toEqual([0, 1, 2]);
      expect(offsets.reduce((n, o) => n + o.high - o.low, 0)).toBe(90);
      expect(await admin.partitionCounts([topicA, topicB])).toEqual(
        new Map([
          [topicA, PARTITIONS],
          [topicB, PARTITIONS],
        ]),
      );
    },
    TIMEOUT_MS,
  );

  test(
    'a paused partition delivers nothing until resumed; a seek reads a partition again from the offset asked',
    async () => {
      const consumer = member('pause');
      const batches: TopicBatch[] = [];
      let pausedAt = -1;
      await consumer.connect();
      await consumer.run([topicB], async (batch) => {
        if (pausedAt < 0) {
          pausedAt = batch.partition;
          consumer.pause([{ topic: topicB, partitions: [batch.partition] }]);
        }
        batches.push(batch);
        return true;
      });
      await until('every partition is read', () => new Set(batches.map((b) => b.partition)).size === PARTITIONS, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const pausedBatches = batches.filter((b) => b.partition === pausedAt);
      expect(pausedBatches).toHaveLength(1);
      // Records produced to it while paused wait.
      const key = Array.from({ length: 100 }, (_, i) => `p${i}`).find((k) => javaPartition(k) === pausedAt)!;
      await producer.send(topicB, [{ key, value: 'while-paused' }]);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(batches.filter((b) => b.partition === pausedAt)).toHaveLength(1);
      consumer.resume([{ topic: topicB, partitions: [pausedAt] }]);
      await until('the paused partition is read on', () => batches.some((b) => b.records.some((r) => r.value?.toString() === 'while-paused')), 30_000);

      const before = batches.length;
      consumer.seek(topicB, pausedAt, 0);
      const readAgain = () =>
        batches
          .slice(before)
          .filter((b) => b.partition === pausedAt)
          .flatMap((b) => b.records.map((r) => r.value!.toString()));
      await until('the partition is read again from 0 to its end', () => readAgain().includes('while-paused'), 30_000);
      expect(batches.slice(before).find((b) => b.partition === pausedAt)!.records[0]!.offset).toBe(0);
      expect(readAgain()).toEqual(pausedBatches[0]!.records.map((r) => r.value!.toString()).concat('while-paused'));
    },
    TIMEOUT_MS,
  );

  test(
    'a second member joins: partitions move between them, co-partitioned, and no record is lost or handled twice past a commit',
    async () => {
      const group = 'rebalance';
      const handledA: Handled[] = [];
      const handledB: Handled[] = [];
      const holdingsA: Map<string, number[]>[] = [];
      const holdingsB: Map<string, number[]>[] = [];
      const total = async () =>
        (await admin.topicOffsets(topicA)).reduce((n, o) => n + o.high, 0) + (await admin.topicOffsets(topicB)).reduce((n, o) => n + o.high, 0);
      const a = committingMember(member(group), handledA, holdingsA);
      await a.consumer.connect();
      await a.start([topicA, topicB]);
      const before = await total();
      await until('the first member has read everything', () => valuesOf(handledA).length >= before, 60_000);

      const b = committingMember(member(group), handledB, holdingsB);
      await b.consumer.connect();
      await b.start([topicA, topicB]);
      await until(
        'both members hold partitions',
        () => (holdingsB.at(-1)?.get(topicA)?.length ?? 0) > 0 && (holdingsA.at(-1)?.get(topicA)?.length ?? 0) < PARTITIONS,
        60_000,
      );
      const more = Array.from({ length: 300 }, (_, i) => ({ key: `r${i}`, value: `r-${i}` }));
      await producer.send(topicA, more.slice(0, 150));
      await producer.send(topicB, more.slice(150));
      const after = await total();
      await until('the two members have read everything', () => valuesOf(handledA).length + valuesOf(handledB).length >= after, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));

      const lastA = holdingsA.at(-1)!;
      const lastB = holdingsB.at(-1)!;
      // Co-partitioned: each member holds the same partition numbers of both topics, and together all of them once.
      expect(lastA.get(topicA)).toEqual(lastA.get(topicB));
      expect(lastB.get(topicA)).toEqual(lastB.get(topicB));
      expect([...lastA.get(topicA)!, ...lastB.get(topicA)!].sort()).toEqual([0, 1, 2]);
      // Every record committed exactly once across the two members.
      const committed = [...valuesOf(handledA), ...valuesOf(handledB)];
      expect(committed).toHaveLength(after);
      expect(new Set(committed).size).toBe(after);
      for (const { value } of more) expect(committed).toContain(value);
      // The records produced after the rebalance went to their partition's new holder.
      for (const h of handledB) expect(lastB.get(h.topic)).toContain(h.partition);
    },
    TIMEOUT_MS,
  );
});

/** The partition kafkajs' Java-compatible partitioner (murmur2) gives a key, of PARTITIONS: what every adapter must give it. */
function javaPartition(key: string): number {
  const java = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
  }));
  return java({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe.each(KAFKA_CLIENTS.map((name) => [name]))(
  "the %s client on the broker's SASL_SSL listener (SCRAM-SHA-512, the cluster's CA)",
  (name: KafkaClientName) => {
    const base = testContext(`kafka_secure_${name}`);
    const listener = secureListener(base.config);
    if (!listener) throw new Error("this test needs the local broker's SASL_SSL listener: set KPI_KAFKA_SECURE_PORT (the integration set-up does)");
    const config = loadConfig({ ...base.env, ...secureListenerEnv(listener) });
    const kafka = kafkaClient(config, `conformance-secure-${name}`, base.log, name);
    const topic = `${config.topicPrefix}conformance.secure`;

    afterAll(() => dropTestResources(base), TIMEOUT_MS);

    test('produces, consumes in a group, commits and reads the commit back, all over TLS with SASL', async () => {
      const setup = createKafka(config, 'conformance-secure-setup', base.log).admin();
      await setup.connect();
      try {
        await setup.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: -1 }], waitForLeaders: false });
        await waitForTopics(setup, [topic], base.log);
      } finally {
        await setup.disconnect();
      }
      const producer = kafka.producer();
      const admin = kafka.admin();
      const consumer = kafka.groupConsumer({ groupId: `${config.groupId}.secure`, maxWaitMs: 100 });
      await producer.connect();
      await admin.connect();
      try {
        await producer.send(
          topic,
          Array.from({ length: 30 }, (_, i) => ({ key: `s${i}`, value: `s-${i}` })),
        );
        const handled: Handled[] = [];
        await consumer.connect();
        await committingMember(consumer, handled).start([topic]);
        await until('every record is read', () => valuesOf(handled).length >= 30, 60_000);
        expect(valuesOf(handled).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `s-${i}`).sort());
        const committed = await admin.committedOffsets(`${config.groupId}.secure`, [topic]);
        const ends = await admin.topicOffsets(topic);
        expect(committed.map((c) => [c.partition, c.offset]).sort()).toEqual(ends.map((e) => [e.partition, e.high]).sort());
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
        await admin.disconnect();
      }
    });
  },
);
