import { AssignerProtocol, type Admin, type Assigner, type Consumer, type Kafka, type Message, type PartitionAssigner, type Producer } from 'kafkajs';
import type { Config } from '../../core/config.js';
import { KpiError } from '../../core/errors.js';
import { createProducer } from '../kafka.js';
import { CO_PARTITIONED, coPartitionedAssignment } from './coPartitioned.js';
import type {
  BatchHandler,
  CommittedOffset,
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

/** kafkajs' form of the co-partitioned strategy (coPartitioned.ts). */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }): Assigner => ({
  name: CO_PARTITIONED,
  version: 1,
  async assign({ members, topics }) {
    const partitions = Math.min(...topics.map((topic) => cluster.findTopicPartitionMetadata(topic).length));
    const assignments = coPartitionedAssignment(
      members.map((m) => m.memberId),
      topics,
      partitions,
    );
    return [...assignments].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: CO_PARTITIONED, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});

/** kpi-stream's clients on kafkajs (topics/kafka.ts makes the Kafka object: logging, retries, TLS, SASL). */
export function kafkajsClient(kafka: Kafka, config: Config): KafkaClient {
  return {
    name: 'kafkajs',
    admin: () => new KafkajsAdmin(kafka.admin()),
    producer: () => new KafkajsProducer(createProducer(kafka, { allowAutoTopicCreation: false })),
    groupConsumer: (options) => new KafkajsGroupConsumer(kafka, config, options),
  };
}

class KafkajsAdmin implements KafkaAdmin {
  constructor(private readonly admin: Admin) {}

  connect(): Promise<void> {
    return this.admin.connect();
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    const committed = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    return committed.flatMap(({ topic, partitions }) =>
      partitions.map((p) => ({ topic, partition: p.partition, offset: Number(p.offset), metadata: p.metadata ?? null })),
    );
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return (await this.admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }));
  }

  async setCommittedOffsets(groupId: string, topic: string, offsets: readonly { partition: number; offset: number }[]): Promise<void> {
    await this.admin.setOffsets({ groupId, topic, partitions: offsets.map(({ partition, offset }) => ({ partition, offset: String(offset) })) });
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const { topics: found } = await this.admin.fetchTopicMetadata({ topics: [...topics] });
    return new Map(found.map((t) => [t.name, t.partitions.length]));
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }
}

/** A kafkajs producer (topics/kafka.ts `createProducer`: idempotent, murmur2, retrying until the broker takes a send). */
class KafkajsProducer implements KafkaProducer {
  constructor(private readonly producer: Producer) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  send(topic: string, records: readonly RecordToSend[]): Promise<void> {
    return this.sendTopics([{ topic, records }]);
  }

  async sendTopics(topics: readonly TopicRecords[]): Promise<void> {
    const topicMessages = topics.filter((t) => t.records.length > 0).map(({ topic, records }) => ({ topic, messages: records.map(kafkajsMessage) }));
    if (topicMessages.length === 0) return;
    await this.producer.sendBatch({ acks: -1, topicMessages });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

const kafkajsMessage = (r: RecordToSend): Message => ({
  key: r.key,
  value: r.value,
  ...(r.headers ? { headers: { ...r.headers } } : {}),
  ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
});

/**
 * A kafkajs consumer in a group: one batch at a time
 * (partitionsConsumedConcurrently 1), no auto-commit, a batch's offsets
 * resolved only when its handler says so. It loses its partitions
 * KPI_SESSION_TIMEOUT after it stops heart-beating, heartbeats every tenth of
 * that, and kafkajs restarts it on infrastructure failures, while a
 * kpi-stream error that is not retriable stops it.
 */
class KafkajsGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;

  constructor(kafka: Kafka, config: Config, options: GroupConsumerOptions) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      ...(options.coPartitioned ? { partitionAssigners: [coPartitionedAssigner] } : {}),
      sessionTimeout: config.sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeout / 10)),
      maxWaitTimeInMs: options.maxWaitMs ?? 250,
      retry: { retries: 8, restartOnFailure: async (error) => !(error instanceof KpiError) || error.retriable },
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async run(topics: readonly string[], handler: BatchHandler, events: GroupEvents = {}): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = new Map(Object.entries(payload.memberAssignment).map(([topic, numbers]) => [topic, [...numbers]]));
      events.joined?.({ memberId: payload.memberId, partitions });
    });
    consumer.on(consumer.events.REBALANCING, () => events.rebalancing?.());
    consumer.on(consumer.events.CRASH, ({ payload }) => events.crashed?.(payload.error, payload.restart));
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const records = batch.messages.map((m) => ({ offset: Number(m.offset), key: m.key, value: m.value, timestamp: Number(m.timestamp) }));
        const moved = await handler(
          { topic: batch.topic, partition: batch.partition, records, recordsLeft: Number(batch.offsetLag()) },
          { heartbeat, live: () => isRunning() && !isStale() },
        );
        if (moved && records.length > 0) resolveOffset(String(records.at(-1)!.offset));
      },
    });
  }

  async commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    await this.consumer.commitOffsets(
      offsets.map(({ topic, partition, offset, metadata }) => ({ topic, partition, offset: String(offset), ...(metadata === undefined ? {} : { metadata }) })),
    );
  }

  pause(topics: readonly TopicPartitions[]): void {
    this.consumer.pause(topics.map(({ topic, partitions }) => (partitions ? { topic, partitions: [...partitions] } : { topic })));
  }

  resume(topics: readonly TopicPartitions[]): void {
    this.consumer.resume(topics.map(({ topic, partitions }) => (partitions ? { topic, partitions: [...partitions] } : { topic })));
  }

  seek(topic: string, partition: number, offset: number): void {
    this.consumer.seek({ topic, partition, offset: String(offset) });
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}
