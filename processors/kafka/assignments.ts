import type { DeadLetter, DeadLetterStore } from '../../contract/ports.js';
import type { Config } from '../../core/config.js';
import { DecodeError, RegistryUnavailableError, type DeadLetterCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { retrying } from '../../core/retry.js';
import type { AssignmentChanged } from '../../schemas/events.js';
import { assignmentProblem, recordLimitsOf, type RecordLimits } from '../../schemas/validate.js';
import type { ClickHouseClient } from '../../sinks/clickhouse/client.js';
import { withRetries } from '../../sinks/clickhouse/client.js';
import { insertAssignments, placementOf, readPlacements, type StoredAssignment } from '../../sinks/clickhouse/queries/assignments.js';
import type { PlantWindows } from '../plants.js';
import type { EventCodec } from '../../topics/codec.js';
import { assignmentsTopic } from '../../topics/definitions.js';
import { withKafkaRetries } from '../../topics/kafka.js';
import type { BatchControl, GroupConsumer, KafkaAdmin, KafkaClient, TopicBatch } from '../../topics/client/port.js';
import { deadLetterOf } from '../../topics/deadLetters.js';
import { keyProblem } from '../runner.js';

/** What an assignment reader runs on. */
export interface AssignmentReaderParts {
  readonly config: Config;
  readonly log: Logger;
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
  readonly client: ClickHouseClient;
  readonly codec: EventCodec;
  readonly deadLetters: DeadLetterStore;
  /** Aborted when the pipeline fails: retries stop waiting. */
  readonly signal: AbortSignal;
  /** With several plants (KPI_PLANTS_FILE): the windows that follow each employee's plant, told every placement. */
  readonly plants?: PlantWindows;
}

/** How often the plants' directory reads back every assignment, those the other processes stored too. */
export const PLACEMENT_REFRESH_MS = 10_000;

/**
 * Reads hr.assignments.v1 into kpi.assignments, beside the processors: a
 * member of consumer group KPI_GROUP_ID + ".assignments". Each batch is
 * decoded, checked (the key and the value rules, like any input), its bad
 * records dead-lettered with their bytes, its good ones stored, and only then
 * its offset committed: a crash replays the batch, and the table folds the
 * copies. Assignments are not windowed: the views place each window in the
 * plant and team that held at its start, so a late or corrected assignment
 * takes effect at once, on every window it touches.
 */
export class AssignmentReader {
  private readonly consumer: GroupConsumer;
  private readonly topic: string;
  private readonly limits: RecordLimits;

  constructor(private readonly parts: AssignmentReaderParts) {
    this.topic = assignmentsTopic(parts.config);
    this.limits = recordLimitsOf(parts.config);
    this.consumer = parts.kafka.groupConsumer({ groupId: `${parts.config.groupId}.assignments` });
  }

  async start(): Promise<void> {
    const { plants } = this.parts;
    if (plants) {
      // Before any input is read: the windows of the first batches follow the assignments stored so far.
      await this.learnStoredPlacements();
      this.parts.log.info({ employees: plants.employees }, "plants' clocks: the plant of each employee read from kpi.assignments");
      // One read at a time, tried once per tick: while ClickHouse is away the directory stays as it was.
      let reading = false;
      this.refresh = setInterval(() => {
        if (reading) return;
        reading = true;
        readPlacements(this.parts.client)
          .then((placements) => plants.learn(placements))
          .catch((error: unknown) => this.parts.log.warn({ err: error }, "plants' clocks: could not read the assignments again; the directory stays as it was"))
          .finally(() => (reading = false));
      }, PLACEMENT_REFRESH_MS);
      this.refresh.unref();
    }
    await this.consumer.connect();
    await this.consumer.run([this.topic], (batch, control) => this.handle(batch, control));
  }

  async disconnect(): Promise<void> {
    clearInterval(this.refresh);
    await this.consumer.disconnect();
  }

  private refresh: NodeJS.Timeout | undefined;

  /** Every assignment in kpi.assignments, those of the partitions other processes read too, into the plants' directory (retried until read: start-up needs them). */
  private async learnStoredPlacements(): Promise<void> {
    const { client, log, signal, plants } = this.parts;
    plants?.learn(await withRetries("reading the assignments for the plants' clocks", log, signal, () => readPlacements(client)));
  }

  /** Whether the group has stored every assignment on the topic (committed offsets at the high watermarks). */
  async caughtUp(): Promise<boolean> {
    const { admin, config, log } = this.parts;
    const [high, committed] = await Promise.all([
      withKafkaRetries(`reading the end of ${this.topic}`, log, () => admin.topicOffsets(this.topic)),
      admin.committedOffsets(`${config.groupId}.assignments`, [this.topic]),
    ]);
    const read = new Map(committed.map((p) => [p.partition, p.offset]));
    return high.every(({ partition, high: end, low }) => Math.max(read.get(partition) ?? -1, low) >= end);
  }

  /** Resolves true once the batch is stored and committed, false when the partition moved on (its next owner reads the batch again). */
  private async handle(batch: TopicBatch, { heartbeat, live }: BatchControl): Promise<boolean> {
    const { codec, client, deadLetters, log, signal } = this.parts;
    const messages = batch.records;
    if (messages.length === 0) return true;
    const values = messages.map((m) => m.value);
    const failures = await retrying(async () => (live() ? codec.prepare('assignment', values) : undefined), {
      what: `fetching schemas for ${this.topic}[${batch.partition}]`,
      log,
      signal,
      retriable: (error) => error instanceof RegistryUnavailableError,
      onRetry: () => heartbeat(),
    });
    if (!failures) return false; // the partition moved on while the registry was away: its next owner reads the batch again
    const now = Date.now();
    const stored: StoredAssignment[] = [];
    const letters: DeadLetter[] = [];
    for (const message of messages) {
      const offset = message.offset;
      const letter = (code: DeadLetterCode, text: string, schemaId?: number) => {
        letters.push(deadLetterOf(batch.topic, batch.partition, message, code, text, schemaId));
        log.warn({ topic: batch.topic, partition: batch.partition, offset, code }, `dead letter: ${text}`);
      };
      let assignment: AssignmentChanged;
      try {
        assignment = codec.readPrepared('assignment', message.value, failures);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        letter(error.code as DeadLetterCode, error.message, error.schemaId);
        continue;
      }
      const schemaId = message.value!.readUInt32BE(1);
      const problem = assignmentProblem(assignment, this.limits, now) ?? keyProblem(message.key, assignment.employee_id);
      if (problem) letter(problem.code, problem.message, schemaId);
      else stored.push({ assignment, partition: batch.partition, offset });
    }
    if (!live()) return false; // the partition moved on: its next owner reads the batch again
    if (letters.length > 0) {
      await deadLetters.send(letters);
      await deadLetters.record(letters);
    }
    await withRetries(`inserting ${stored.length} rows into assignments`, log, signal, () => insertAssignments(client, stored));
    this.parts.plants?.learn(stored.map(({ assignment }) => placementOf(assignment)));
    await this.consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: messages.at(-1)!.offset + 1 }]);
    log.debug({ partition: batch.partition, stored: stored.length, deadLettered: letters.length }, 'assignments stored');
    await heartbeat();
    return true;
  }
}
