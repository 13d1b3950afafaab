import type { DeadLetterCode } from '../core/errors.js';
import type { WindowKey, WindowRow } from './windowRow.js';

/**
 * The ports the processors work through. The pipeline plugs in Kafka and
 * ClickHouse adapters (processors/bootstrap.ts), the test driver in-memory
 * ones (processors/testDriver.ts); the processing between them is the same.
 */

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
