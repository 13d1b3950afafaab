import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  Consumer,
  ListOffsetTimestamps,
  ProduceAcks,
  Producer,
  compatibilityPartitioner,
  kGetApi,
  kGetConnection,
  type Broker,
  type ClusterMetadata,
  type ConnectionPool,
  type Connection,
  type ExtendedGroupProtocolSubscription,
  type GroupPartitionsAssignments,
  type MessageToProduce,
  type SASLOptions,
  type fetchV17,
  type offsetCommitV8,
} from '@platformatic/kafka';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

type FetchRequestTopic = fetchV17.FetchRequestTopic;
type FetchResponse = fetchV17.FetchResponse;
type OffsetCommitRequestTopic = offsetCommitV8.OffsetCommitRequestTopic;
import type { Config } from '../../core/config.js';
import { KpiError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { CO_PARTITIONED, coPartitionedAssignment } from './coPartitioned.js';
import { firstTimestampOf, isLazyBatch, lazyFetchPool, readRecords, type LazyBatch } from './platformaticFetch.js';
import { fixVarInt64 } from './varInt64.js';
import type {
  BatchHandler,
  CommittedOffset,
  ConsumedRecord,
  GroupConsumer,
  GroupConsumerOptions,
  GroupEvents,
  KafkaAdmin,
  KafkaClient,
  KafkaProducer,
  OffsetToCommit,
  PartitionOffsets,
  RecordToSend,
  TopicPartitions,
  TopicRecords,
} from './port.js';

/** What every @platformatic/kafka client is given: brokers, TLS and SASL from KAFKA_*, timeouts and retries like the kafkajs clients'. */
interface ConnectionSettings {
  readonly clientId: string;
  readonly bootstrapBrokers: string[];
  readonly tls?: TlsOptions;
  readonly sasl?: SASLOptions;
  readonly connectTimeout: number;
  readonly requestTimeout: number;
  readonly retries: number;
  readonly retryDelay: number;
}

/** TLS (CA, client certificate) and SASL options from KAFKA_SSL* and KAFKA_SASL*. */
export function platformaticSecurity(config: Config): Pick<ConnectionSettings, 'tls' | 'sasl'> {
  const { ssl, sasl } = config.kafka;
  return {
    ...(ssl
      ? {
          tls: {
            ...(ssl.caFile ? { ca: [readFileSync(ssl.caFile, 'utf8')] } : {}),
            ...(ssl.certFile && ssl.keyFile ? { cert: readFileSync(ssl.certFile, 'utf8'), key: readFileSync(ssl.keyFile, 'utf8') } : {}),
          },
        }
      : {}),
    ...(sasl ? { sasl: { mechanism: sasl.mechanism.toUpperCase() as SASLOptions['mechanism'], username: sasl.username, password: sasl.password } } : {}),
  };
}

/** kpi-stream's clients on @platformatic/kafka. */
export function platformaticClient(config: Config, clientId: string, log: Logger): KafkaClient {
  fixVarInt64();
  const settings: ConnectionSettings = {
    clientId,
    bootstrapBrokers: [...config.kafka.brokers],
    ...platformaticSecurity(config),
    connectTimeout: 5000,
    requestTimeout: 30_000,
    retries: 8,
    retryDelay: 500,
  };
  return {
    name: 'platformatic',
    admin: () => new PlatformaticAdmin(settings),
    producer: () => new PlatformaticProducer(settings),
    groupConsumer: (options) => new PlatformaticGroupConsumer(settings, config, options, log.child({ component: 'platformatic-kafka' })),
  };
}

const callbackToPromise = <T>(run: (callback: (error: Error | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));

class PlatformaticAdmin implements KafkaAdmin {
  private readonly admin: Admin;

  constructor(settings: ConnectionSettings) {
    this.admin = new Admin(settings);
  }

  async connect(): Promise<void> {
    await this.admin.metadata({ topics: [] });
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    const counts = await this.partitionCounts(topics);
    const groups = await this.admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: topics.map((name) => ({ name, partitionIndexes: [...Array(counts.get(name) ?? 0).keys()] })) }],
    });
    return groups.flatMap((g) =>
      g.topics.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.metadata || null })),
      ),
    );
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const count = (await this.partitionCounts([topic])).get(topic) ?? 0;
    const at = async (timestamp: bigint) => {
      const [listed] = await this.admin.listOffsets({
        topics: [{ name: topic, partitions: [...Array(count).keys()].map((partitionIndex) => ({ partitionIndex, timestamp })) }],
      });
      return new Map(listed?.partitions.map((p) => [p.partitionIndex, Number(p.offset)]));
    };
    const [low, high] = await Promise.all([at(ListOffsetTimestamps.EARLIEST), at(ListOffsetTimestamps.LATEST)]);
    return [...Array(count).keys()].map((partition) => ({ partition, low: low.get(partition) ?? 0, high: high.get(partition) ?? 0 }));
  }

  async setCommittedOffsets(groupId: string, topic: string, offsets: readonly { partition: number; offset: number }[]): Promise<void> {
    await this.admin.alterConsumerGroupOffsets({
      groupId,
      topics: [{ name: topic, partitionOffsets: offsets.map(({ partition, offset }) => ({ partition, offset: BigInt(offset) })) }],
    });
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const metadata = await this.admin.metadata({ topics: [...topics], forceUpdate: true });
    return new Map([...metadata.topics].map(([name, t]) => [name, t.partitionsCount]));
  }

  disconnect(): Promise<void> {
    return this.admin.close();
  }
}

const asBuffer = (data: Buffer | string | null): Buffer | undefined =>
  data === null ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : data;

/** A record as the library sends it: its value always present, null for a removal (the library's strict mode refuses a message without one). */
const platformaticMessage = (topic: string, r: RecordToSend): MessageToProduce<Buffer, Buffer | null, Buffer, Buffer> => {
  const key = asBuffer(r.key);
  return {
    topic,
    ...(key ? { key } : {}),
    value: asBuffer(r.value) ?? null,
    ...(r.headers ? { headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')])) } : {}),
    ...(r.timestamp === undefined ? {} : { timestamp: BigInt(r.timestamp) }),
  };
};

class PlatformaticProducer implements KafkaProducer {
  private readonly producer: Producer<Buffer, Buffer | null, Buffer, Buffer>;

  constructor(settings: ConnectionSettings) {
    // The Java client's partitioner (murmur2, made positive, modulo the count): an employee's key gives the same partition number with every client.
    // Idempotent, as the Java client is by default: the library sends a request again whole when one of its partitions
    // answers with stale metadata (a leader moving, a topic just created), and the broker must drop the partitions it already wrote.
    this.producer = new Producer<Buffer, Buffer | null, Buffer, Buffer>({
      ...settings,
      partitioner: compatibilityPartitioner,
      acks: ProduceAcks.ALL,
      idempotent: true,
      autocreateTopics: false,
    });
  }

  async connect(): Promise<void> {
    await this.producer.metadata({ topics: [] });
  }

  send(topic: string, records: readonly RecordToSend[]): Promise<void> {
    return this.sendTopics([{ topic, records }]);
  }

  async sendTopics(topics: readonly TopicRecords[]): Promise<void> {
    const messages = topics.flatMap(({ topic, records }) => records.map((r) => platformaticMessage(topic, r)));
    if (messages.length === 0) return;
    await this.producer.send({ acks: ProduceAcks.ALL, idempotent: true, messages });
  }

  disconnect(): Promise<void> {
    return this.producer.close();
  }
}

/** A topic-partition's key in the consumer's maps. */
const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Fetch size limits: like kafkajs' defaults (maxBytes 10 MiB, 1 MiB a partition). */
const MAX_BYTES = 10 * 1024 * 1024;
const MAX_BYTES_PER_PARTITION = 1024 * 1024;
/** With nothing to fetch (no partitions, all paused), how long the loop waits before it looks again. */
const IDLE_MS = 50;
/** After a failure, how long before the member starts again: this much more after each failure in a row, up to the maximum. */
const RESTART_BACKOFF_MS = 500;
const MAX_RESTART_BACKOFF_MS = 10_000;
/** A record batch of control records only (transaction markers) is skipped. */
const IS_CONTROL = 0x20;

/**
 * A member of a consumer group on @platformatic/kafka. The library keeps the
 * membership (joins, heartbeats by itself, rejoins on a rebalance, with the
 * co-partitioned assignment when asked); the consumption loop is this
 * class's own, on the library's fetch: one fetch at a time (the next one
 * sent while the last one's batches are handed over), on connections of
 * their own so that heartbeats and commits never wait behind a fetch, each
 * topic-partition's records handed over as one batch, positions
 * kept here (so pause, resume and seek are exact), and commits sent as this
 * member with their metadata.
 *
 * A batch stops counting (`live()` false) when the group rebalances, when its
 * partition is sought, or when the consumer stops; the loop then drops what
 * it fetched and reads from the positions as they stand. After each join the
 * positions are the group's committed offsets (the earliest where none).
 */
class PlatformaticGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  private readonly fetchConnections: ConnectionPool;
  private topics: readonly string[] = [];
  /** Bumped at every rebalance and join: batches of an earlier generation no longer count. */
  private generation = 0;
  /** The partitions held, by topic, since the last join. */
  private assignment = new Map<string, readonly number[]>();
  /** Next offset to read, per topic-partition held; empty until the committed offsets are read after a join. */
  private positions = new Map<string, bigint>();
  private positionsOf = -1;
  /** Bumped by a seek: a batch of the partition under way no longer counts. */
  private readonly seeks = new Map<string, number>();
  private readonly paused = new Set<string>();
  private running = false;
  /** The library lost the group (a rejoin failed, so no heartbeat is scheduled): join again. */
  private rejoin = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    settings: ConnectionSettings,
    config: Config,
    private readonly options: GroupConsumerOptions,
    private readonly log: Logger,
  ) {
    const coPartitioned = options.coPartitioned === true;
    this.consumer = new Consumer({
      ...settings,
      groupId: options.groupId,
      autocommit: false,
      sessionTimeout: config.sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeout / 10)),
      rebalanceTimeout: 60_000,
      maxWaitTime: options.maxWaitMs ?? 250,
      ...(coPartitioned ? { protocols: [{ name: CO_PARTITIONED, version: 1 }], partitionAssigner: coPartitionedGroupAssigner } : {}),
    });
    this.fetchConnections = lazyFetchPool(settings.clientId, settings);
  }

  async connect(): Promise<void> {
    await this.consumer.metadata({ topics: [] });
  }

  async run(topics: readonly string[], handler: BatchHandler, events: GroupEvents = {}): Promise<void> {
    this.topics = [...topics];
    const { consumer } = this;
    consumer.on('consumer:group:rebalance', () => {
      this.generation += 1;
      events.rebalancing?.();
    });
    consumer.on('consumer:group:join', (payload) => {
      this.generation += 1;
      this.assignment = new Map((payload.assignments ?? consumer.assignments ?? []).map((a) => [a.topic, [...a.partitions]]));
      this.positions = new Map();
      this.positionsOf = -1;
      this.paused.clear();
      events.joined?.({ memberId: payload.memberId, partitions: this.assignment });
      this.wake?.();
    });
    consumer.on('error', (error: Error) => {
      this.log.warn({ err: error }, `the member could not join group ${this.options.groupId} again; it tries once more: ${messageOf(error)}`);
      this.generation += 1;
      this.rejoin = true;
      this.wake?.();
    });
    for (const topic of topics) consumer.topics.track(topic);
    this.running = true;
    await consumer.joinGroup({});
    this.loop = this.consume(handler, events).catch((error: unknown) => {
      this.running = false;
      events.crashed?.(error, false);
    });
  }

  /**
   * The consumption loop: fetch, hand each topic-partition's records over,
   * move its position when the handler says so. A failure (the library has
   * retried by itself already) restarts the member as kafkajs restarts a
   * crashed consumer: it joins again where the library lost the group, and
   * reads every partition again from the group's committed offsets; a
   * kpi-stream error that is not retriable stops it.
   */
  private async consume(handler: BatchHandler, events: GroupEvents): Promise<void> {
    let failures = 0;
    /** The next fetch, sent while the batches of the last one are handed over. */
    let prefetched: { generation: number; batches: Promise<Fetched[]> } | undefined;
    while (this.running) {
      const generation = this.generation;
      try {
        if (this.rejoin) {
          this.rejoin = false;
          await this.consumer.joinGroup({});
          continue;
        }
        if (this.positionsOf !== generation) {
          await this.readPositions(generation);
          continue;
        }
        if (this.fetchable().length === 0) {
          prefetched = undefined;
          await this.idle();
          continue;
        }
        const batches = prefetched?.generation === generation ? await prefetched.batches : await this.fetchAll(this.positions);
        prefetched = undefined;
        if (this.generation !== generation) continue;
        // The next fetch goes out now, from where these batches lead (those still valid, of partitions not
        // paused): the broker works on it while they are handed over. A batch of it that no longer starts
        // at its partition's position (a batch read again, a seek) is dropped, and read again after.
        const ahead = new Map(this.positions);
        for (const batch of batches) {
          const key = keyOf(batch.topic, batch.partition);
          if (ahead.get(key) === batch.from && !this.paused.has(key)) ahead.set(key, batch.next);
        }
        const next = this.fetchAll(ahead);
        next.catch(() => undefined);
        prefetched = { generation, batches: next };
        for (const batch of batches) {
          if (!this.running || this.generation !== generation) break;
          await this.handOver(batch, generation, handler);
        }
        failures = 0;
      } catch (error) {
        prefetched = undefined;
        if (!this.running) return;
        if (error instanceof KpiError && !error.retriable) throw error;
        failures += 1;
        events.crashed?.(error, true);
        this.log.warn({ err: error }, `the consumer failed (${failures} in a row), it reads again from the committed offsets: ${messageOf(error)}`);
        await sleep(Math.min(RESTART_BACKOFF_MS * failures, MAX_RESTART_BACKOFF_MS));
        this.generation += 1;
        this.positions = new Map();
        this.positionsOf = -1;
        this.paused.clear();
        if (!this.rejoin && this.consumer.memberId) events.joined?.({ memberId: this.consumer.memberId, partitions: this.assignment });
      }
    }
  }

  /**
   * One fetch of every partition held and not paused, from `positions`, one
   * request per broker, as batches per topic-partition, oldest records first:
   * a partition's topics are handed over side by side in time, so a topic
   * that a batch moved ahead can be paused (the handler's pacing) before its
   * own batch of this fetch runs.
   */
  private async fetchAll(positions: ReadonlyMap<string, bigint>): Promise<Fetched[]> {
    const wanted = this.fetchable();
    if (wanted.length === 0) return [];
    const metadata = await this.consumer.metadata({ topics: [...this.topics] });
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const tp of wanted) {
      const leader = metadata.topics.get(tp.topic)?.partitions[tp.partition]?.leader ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
    }
    const responses = await Promise.all([...byLeader].map(([node, tps]) => this.fetchFrom(metadata, node, tps, positions)));
    return responses.flat().sort((x, y) => x.firstTimestamp - y.firstTimestamp);
  }

  /** Waits until something may be fetched: a join, a resume, a seek, or a moment. */
  private async idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, IDLE_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** The topic-partitions held and not paused. */
  private fetchable(): { topic: string; partition: number }[] {
    const wanted: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of this.assignment) {
      for (const partition of partitions) if (!this.paused.has(keyOf(topic, partition))) wanted.push({ topic, partition });
    }
    return wanted;
  }

  /**
   * After a join: every held partition's position is the group's committed
   * offset, or the earliest still on the partition where none is committed
   * or retention removed the committed one.
   */
  private async readPositions(generation: number): Promise<void> {
    const held = [...this.assignment].filter(([, partitions]) => partitions.length > 0);
    const positions = new Map<string, bigint>();
    if (held.length > 0) {
      const [committed, earliest] = await Promise.all([
        this.consumer.listCommittedOffsets({ topics: held.map(([topic, partitions]) => ({ topic, partitions: [...partitions] })) }),
        this.consumer.listOffsets({
          topics: held.map(([topic]) => topic),
          partitions: Object.fromEntries(held.map(([topic, partitions]) => [topic, [...partitions]])),
          timestamp: ListOffsetTimestamps.EARLIEST,
        }),
      ]);
      for (const [topic, partitions] of held) {
        for (const partition of partitions) {
          const first = earliest.get(topic)?.[partition] ?? 0n;
          const offset = committed.get(topic)?.[partition] ?? -1n;
          positions.set(keyOf(topic, partition), offset > first ? offset : first);
        }
      }
    }
    if (this.generation !== generation) return;
    // A seek while the committed offsets were read wins over them.
    for (const [key, offset] of this.positions) positions.set(key, offset);
    this.positions = positions;
    this.positionsOf = generation;
  }

  /** One fetch from one broker, as batches per topic-partition. */
  private async fetchFrom(
    metadata: ClusterMetadata,
    node: number,
    wanted: readonly { topic: string; partition: number }[],
    positions: ReadonlyMap<string, bigint>,
  ): Promise<Fetched[]> {
    const topicsById = new Map<string, string>();
    const request = new Map<string, FetchRequestTopic>();
    const requested = new Map<string, { offset: bigint; seek: number }>();
    for (const { topic, partition } of wanted) {
      const key = keyOf(topic, partition);
      const offset = positions.get(key);
      if (offset === undefined) continue;
      const topicId = metadata.topics.get(topic)!.id;
      topicsById.set(topicId, topic);
      let entry = request.get(topicId);
      if (!entry) request.set(topicId, (entry = { topicId, partitions: [] }));
      entry.partitions.push({ partition, fetchOffset: offset, partitionMaxBytes: MAX_BYTES_PER_PARTITION, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
      requested.set(key, { offset, seek: this.seeks.get(key) ?? 0 });
    }
    if (request.size === 0) return [];
    const response: FetchResponse = await this.consumer.fetch({
      node,
      topics: [...request.values()],
      maxBytes: MAX_BYTES,
      connectionPool: this.fetchConnections,
    });
    const fetched: Fetched[] = [];
    for (const topicResponse of response.responses) {
      const topic = topicsById.get(topicResponse.topicId);
      if (topic === undefined) continue;
      for (const p of topicResponse.partitions) {
        const key = keyOf(topic, p.partitionIndex);
        const asked = requested.get(key);
        if (!asked || !p.records || p.records.length === 0) continue;
        const from = Number(asked.offset);
        const parts: (LazyBatch | ConsumedRecord[])[] = [];
        let firstTimestamp: number | undefined;
        let next = asked.offset;
        for (const batch of p.records) {
          const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (batchEnd > next) next = batchEnd;
          if (batch.attributes & IS_CONTROL) continue;
          if (isLazyBatch(batch)) {
            // Read when handed over (platformaticFetch.ts): only the first record's time now, for the order of hand-over.
            firstTimestamp ??= firstTimestampOf(batch, from);
            parts.push(batch);
            continue;
          }
          // Offsets and times as numbers once per batch: bigint arithmetic per record costs more than the rest of this loop.
          const firstOffset = Number(batch.firstOffset);
          const batchTimestamp = Number(batch.firstTimestamp);
          const records: ConsumedRecord[] = [];
          for (const record of batch.records) {
            const offset = firstOffset + record.offsetDelta;
            if (offset < from) continue;
            records.push({ offset, key: record.key, value: record.value, timestamp: batchTimestamp + Number(record.timestampDelta) });
          }
          firstTimestamp ??= records[0]?.timestamp;
          parts.push(records);
        }
        fetched.push({
          topic,
          partition: p.partitionIndex,
          parts,
          empty: firstTimestamp === undefined,
          from: asked.offset,
          next,
          seek: asked.seek,
          recordsLeft: Math.max(0, Number(p.highWatermark - next)),
          firstTimestamp: firstTimestamp ?? Number.NEGATIVE_INFINITY,
        });
      }
    }
    return fetched;
  }

  /** Hands one topic-partition's records to the handler; moves its position past them when the handler says so and the batch still counts. */
  private async handOver(batch: Fetched, generation: number, handler: BatchHandler): Promise<void> {
    const key = keyOf(batch.topic, batch.partition);
    const live = () => this.running && this.generation === generation && (this.seeks.get(key) ?? 0) === batch.seek && this.positions.get(key) === batch.from;
    // A partition paused since the fetch (the pacer paused a topic that ran ahead) is read from here when resumed.
    if (!live() || this.paused.has(key)) return;
    if (batch.empty) {
      this.positions.set(key, batch.next);
      return;
    }
    const moved = await handler(
      { topic: batch.topic, partition: batch.partition, records: recordsOf(batch), recordsLeft: batch.recordsLeft },
      { heartbeat: async () => undefined, live },
    );
    if (moved && live()) this.positions.set(key, batch.next);
  }

  async commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const { consumer } = this;
    const topics = new Map<string, OffsetCommitRequestTopic>();
    for (const { topic, partition, offset, metadata } of offsets) {
      let entry = topics.get(topic);
      if (!entry) topics.set(topic, (entry = { name: topic, partitions: [] }));
      entry.partitions.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: metadata ?? null });
    }
    const memberId = consumer.memberId;
    if (!memberId) throw new Error(`not a member of group ${this.options.groupId}: offsets not committed`);
    // The broker takes a member's commit for any partition: one this member no longer holds would overwrite its new holder's.
    const lost = offsets.filter(({ topic, partition }) => !this.assignment.get(topic)?.includes(partition));
    if (lost.length > 0) {
      throw new Error(
        `group ${this.options.groupId} no longer gives this member ${lost.map((o) => `${o.topic}[${o.partition}]`).join(', ')}: offsets not committed`,
      );
    }
    const coordinator = consumer.coordinatorId ?? (await consumer.findGroupCoordinator());
    const metadata = await consumer.metadata({ topics: [...this.topics] });
    const broker = metadata.brokers.get(coordinator);
    if (!broker) throw new Error(`the coordinator of group ${this.options.groupId} (node ${coordinator}) is not in the cluster metadata`);
    const connection = await callbackToPromise<Connection>((cb) => consumer[kGetConnection](broker as Broker, cb));
    const api = await callbackToPromise<CommitApi>((cb) => consumer[kGetApi]('OffsetCommit', cb as never));
    await api.async(connection, this.options.groupId, consumer.generationId, memberId, null, [...topics.values()]);
  }

  pause(topics: readonly TopicPartitions[]): void {
    for (const key of this.keysOf(topics)) this.paused.add(key);
  }

  resume(topics: readonly TopicPartitions[]): void {
    for (const key of this.keysOf(topics)) this.paused.delete(key);
    this.wake?.();
  }

  private keysOf(topics: readonly TopicPartitions[]): string[] {
    return topics.flatMap(({ topic, partitions }) => (partitions ?? this.assignment.get(topic) ?? []).map((partition) => keyOf(topic, partition)));
  }

  seek(topic: string, partition: number, offset: number): void {
    const key = keyOf(topic, partition);
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.positions.set(key, BigInt(offset));
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  async disconnect(): Promise<void> {
    await this.stop();
    // Leaving at once hands the partitions over without waiting for the session timeout; a failure to leave changes nothing.
    await new Promise<void>((resolve) => this.consumer.leaveGroup(true, () => resolve()));
    await this.consumer.close(true);
    await this.fetchConnections.close();
  }
}

/** What one fetch gave of one topic-partition. */
interface Fetched {
  readonly topic: string;
  readonly partition: number;
  /** Its records from `from` on: record batches read when handed over, and records the library read (compressed batches). */
  readonly parts: readonly (LazyBatch | readonly ConsumedRecord[])[];
  /** No records from `from` on (only control records, or records before it): only its position moves. */
  readonly empty: boolean;
  /** The offset asked for. */
  readonly from: bigint;
  /** The position after these records (past any control records). */
  readonly next: bigint;
  /** The partition's seek count when it was asked for. */
  readonly seek: number;
  readonly recordsLeft: number;
  /** The Kafka timestamp of its first record (none: first of all, only its position moves). */
  readonly firstTimestamp: number;
}

/** A fetched topic-partition's records, read now from its batches' bytes. */
function recordsOf(fetched: Fetched): ConsumedRecord[] {
  const [only] = fetched.parts;
  if (fetched.parts.length === 1 && Array.isArray(only)) return only;
  const records: ConsumedRecord[] = [];
  const from = Number(fetched.from);
  for (const part of fetched.parts) {
    if (Array.isArray(part)) for (const record of part) records.push(record);
    else readRecords(part as LazyBatch, from, records);
  }
  return records;
}

type CommitApi = { async: (connection: Connection, ...args: [string, number, string, null, OffsetCommitRequestTopic[]]) => Promise<unknown> };

/** @platformatic/kafka's form of the co-partitioned strategy (coPartitioned.ts). */
function coPartitionedGroupAssigner(
  _current: string,
  members: Map<string, ExtendedGroupProtocolSubscription>,
  topics: Set<string>,
  metadata: ClusterMetadata,
): GroupPartitionsAssignments[] {
  const names = [...topics];
  const partitions = Math.min(...names.map((topic) => metadata.topics.get(topic)?.partitionsCount ?? 0));
  return [...coPartitionedAssignment([...members.keys()], names, partitions)].map(([memberId, assignment]) => ({
    memberId,
    assignments: new Map(Object.entries(assignment).map(([topic, numbers]) => [topic, { topic, partitions: numbers }])),
  }));
}
