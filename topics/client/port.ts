/**
 * The Kafka client as kpi-stream's services use it, and no more: a group
 * consumer that hands over one topic-partition's batch at a time and commits
 * its offsets itself (with metadata), pauses, resumes and seeks (every
 * service consumes through it: the processors, the reviews' applier, the alert
 * evaluator and delivery); a producer that sends keyed records to topics
 * (every service produces through it); and the few admin reads and the one
 * admin write (a group's offsets, for delivery's upgrade) they make. Only
 * topic creation and checks use kafkajs directly (topics/kafka.ts). Each
 * library is an adapter behind it (kafkajs.ts, platformatic.ts), chosen by
 * KPI_KAFKA_CLIENT (client.ts); the conformance suite (test/integration/kafka/)
 * holds every adapter to the same behaviour.
 */

/** The libraries behind the port (KPI_KAFKA_CLIENT). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** A record as read from a topic-partition. */
export interface ConsumedRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Kafka timestamp, ms. */
  readonly timestamp: number;
}

/** Consecutive records of one topic-partition, as one fetch returned them. */
export interface TopicBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /** Records left on the topic-partition after this batch (the consumer's lag), when the client knows it. */
  readonly recordsLeft?: number;
}

/** What a batch's handler may ask of the consumer while it works. */
export interface BatchControl {
  /** Tells the group this member is alive (a no-op where the client heart-beats by itself). */
  heartbeat(): Promise<void>;
  /** False once the batch no longer counts: a rebalance, a seek or stopping took its partition. */
  live(): boolean;
}

/**
 * Handles one batch; resolves true when the consumer's position moves past
 * it, false to have it read again (it was abandoned).
 */
export type BatchHandler = (batch: TopicBatch, control: BatchControl) => Promise<boolean>;

/** What the group tells its member. */
export interface GroupEvents {
  /**
   * The member holds these partitions of each subscribed topic after a
   * rebalance; it reads each from the group's committed offset (the earliest
   * offset where none is committed).
   */
  joined?(assignment: { readonly memberId: string; readonly partitions: ReadonlyMap<string, readonly number[]> }): void;
  /** A rebalance began: the partitions held may change. */
  rebalancing?(): void;
  /** The client failed; `restarting` when it connects and joins again by itself. */
  crashed?(error: unknown, restarting: boolean): void;
}

/** Topic-partitions to pause or resume; no partitions: all of the topic's. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions?: readonly number[];
}

/** An offset to commit: the next record to read, with metadata the group keeps beside it. */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata?: string;
}

/** A member of a consumer group that commits its own offsets. */
export interface GroupConsumer {
  connect(): Promise<void>;
  /**
   * Subscribes to `topics` and starts consuming: batches are handed over one
   * at a time. Resolves once consumption runs.
   */
  run(topics: readonly string[], handler: BatchHandler, events?: GroupEvents): Promise<void>;
  /** Commits offsets as this member; rejects when the group does not take them (a rebalance took the partitions). */
  commit(offsets: readonly OffsetToCommit[]): Promise<void>;
  pause(topics: readonly TopicPartitions[]): void;
  resume(topics: readonly TopicPartitions[]): void;
  /** Reads a topic-partition again from `offset`; a batch of it under way no longer counts. */
  seek(topic: string, partition: number, offset: number): void;
  /** Stops consuming (the batch in hand finishes), still a member of the group. */
  stop(): Promise<void>;
  /** Leaves the group and closes the connections. */
  disconnect(): Promise<void>;
}

export interface GroupConsumerOptions {
  readonly groupId: string;
  /** Partition numbers, not topic-partitions, are assigned: a member holding partition p holds p of every topic (co-partitioning). */
  readonly coPartitioned?: boolean;
  /** Longest the broker holds a fetch waiting for records. */
  readonly maxWaitMs?: number;
}

/** A record to produce: partitioned by key like the Java client (murmur2). */
export interface RecordToSend {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Kafka timestamp, ms; when absent, the time the producer sends it. */
  readonly timestamp?: number;
}

/** Records for one topic, among those sent to several topics at once. */
export interface TopicRecords {
  readonly topic: string;
  readonly records: readonly RecordToSend[];
}

/**
 * Sends keyed records to topics, partitioned like the Java client (murmur2),
 * so a key gives the same partition number on every topic. Idempotent, as the
 * Java client is by default: a retry never writes a record twice. Each send
 * resolves once every in-sync replica has its records (acks=all), and each
 * partition receives a send's records in the order given; a send of no
 * records sends nothing. When the broker does not take a send, the clients
 * differ: kafkajs retries it until the broker does (a kafkajs producer that
 * gave up would reuse sequence numbers, topics/kafka.ts), so the send waits out
 * an outage; platformatic gives up after 8 tries and the send rejects.
 */
export interface KafkaProducer {
  connect(): Promise<void>;
  /** Sends records to a topic. */
  send(topic: string, records: readonly RecordToSend[]): Promise<void>;
  /** Sends records to several topics in one go (one request to each broker's partitions). */
  sendTopics(topics: readonly TopicRecords[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** An offset a group committed; offset -1 when it committed none. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
}

/** The first offset still on a partition and the next one to be written (the high watermark). */
export interface PartitionOffsets {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

/** The admin requests the services make. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Sets the offsets a group committed on a topic's partitions; the broker refuses while the group has members. */
  setCommittedOffsets(groupId: string, topic: string, offsets: readonly { readonly partition: number; readonly offset: number }[]): Promise<void>;
  /** Partition count of each topic. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  disconnect(): Promise<void>;
}

/** One library's clients, connected as the configuration says (brokers, TLS, SASL). */
export interface KafkaClient {
  readonly name: KafkaClientName;
  admin(): KafkaAdmin;
  producer(): KafkaProducer;
  groupConsumer(options: GroupConsumerOptions): GroupConsumer;
}
