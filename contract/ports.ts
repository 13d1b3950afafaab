import type { DeadLetterCode, DecodeError } from '../core/errors.js';
import type { EventKind, KindedEvent } from '../schemas/kinds.js';
import type { WindowKey, WindowRow } from './windowRow.js';

/**
 * The ports the processors work through. The pipeline plugs in Kafka and
 * ClickHouse adapters (processors/kafka/bootstrap.ts), the test driver in-memory
 * ones (processors/testDriver.ts); the processing between them is the same.
 */

/** An input record read: its event, tagged with its kind, and the schema id it named. */
export interface DecodedRecord {
  readonly tagged: KindedEvent;
  readonly schemaId: number;
}

/**
 * How input records are read: the Confluent wire format against the schema
 * registry (topics/codec.ts), or an in-memory registry in the test driver.
 * Two steps, so that the registry is asked once per batch and decoding each
 * record is synchronous.
 */
export interface EventDecoder {
  /**
   * Fetches the writer schemas a batch of values names. Resolves with the
   * schema ids that cannot be read as `kind` (unknown or incompatible);
   * rejects with RegistryUnavailableError while the registry cannot answer.
   */
  prepare(kind: EventKind, values: readonly (Buffer | null)[]): Promise<ReadonlyMap<number, DecodeError>>;
  /** Decodes a value whose schema `prepare` fetched. Throws DecodeError for a record that cannot be read. */
  decodePrepared(kind: EventKind, value: Buffer | null, failures: ReadonlyMap<number, DecodeError>): DecodedRecord;
}

/** Where employee-window rows are kept: kpi.employee_window_metrics. */
export interface WindowStore {
  /** The current rows of the keys that have one. */
  current(keys: readonly WindowKey[]): Promise<WindowRow[]>;
  /**
   * The latest window_start of any row in the store, or null when it holds
   * none: a window that starts later has no row yet, unless one is written
   * after this answer (processors/partitionTask.ts says why that is safe).
   */
  latestWindowStart(): Promise<number | null>;
  /**
   * Writes rows; resolves once they are durable. Writing the same token twice
   * writes once. Rejects with a SinkError: `retriable` when trying again can
   * help, code KPI_ERR_SINK_REJECTED when the store refused the rows' content.
   */
  write(rows: readonly WindowRow[], token: string): Promise<void>;
}

/** A record that cannot be counted, with where it came from and why. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's Kafka timestamp (ms). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  /** The original bytes, untouched. */
  readonly value: Buffer | null;
  readonly code: DeadLetterCode;
  readonly message: string;
  readonly schemaId?: number;
}

/** Where dead letters go: the topic kpi.dlq.v1 (durable before offsets pass them) and the table kpi.dead_letters. */
export interface DeadLetterStore {
  /** Resolves once the letters are durable in the dead-letter topic. */
  send(letters: readonly DeadLetter[]): Promise<void>;
  /** Records letters already sent in the queryable table. */
  record(letters: readonly DeadLetter[]): Promise<void>;
}

/** Where a partition task resumes on one input topic: the next offset to read and the partition clock just before it. */
export interface ResumePoint {
  readonly offset: number;
  readonly clock: number | null;
}

/** Committed resume points, per input topic and partition. */
export interface OffsetStore {
  /** The resume points committed for a partition number, by topic. */
  committed(partition: number): Promise<Map<string, ResumePoint>>;
  /** Commits resume points; resolves false when the group took the partitions away meanwhile (the next owner resumes from the last commit). */
  commit(points: readonly { topic: string; partition: number; point: ResumePoint }[]): Promise<boolean>;
}
