import type { Logger } from '../../core/logger.js';
import type { DeadLetter } from '../../topics/deadLetters.js';
import type { ClickHouseClient } from './client.js';
import { retrying } from './retry.js';
import { toClickHouseTime } from './time.js';

export const DEAD_LETTERS_TABLE = 'dead_letters';

/** Writes dead letters to kpi.dead_letters for BI; the topic kpi.dlq.v1 stays the record of truth. */
export class ClickHouseDeadLetterSink {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly log: Logger,
    private readonly processorVersion: string,
    private readonly signal?: AbortSignal,
  ) {}

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const now = toClickHouseTime(Date.now());
    const values = letters.map((l) => ({
      source_topic: l.topic,
      source_partition: l.partition,
      source_offset: l.offset,
      source_timestamp: toClickHouseTime(l.timestamp),
      employee_id: l.key?.toString('utf8') ?? '',
      error_code: l.code,
      error_message: l.message,
      schema_id: l.schemaId ?? null,
      value_base64: l.value?.toString('base64') ?? '',
      processor_version: this.processorVersion,
      dead_lettered_at: now,
    }));
    await retrying(this.log, `inserting ${letters.length} rows into ${DEAD_LETTERS_TABLE}`, this.signal, () =>
      this.client.insert({ table: DEAD_LETTERS_TABLE, values, format: 'JSONEachRow' }),
    );
  }
}
