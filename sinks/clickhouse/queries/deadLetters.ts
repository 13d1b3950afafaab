import type { DeadLetter } from '../../../contract/ports.js';
import type { ClickHouseClient } from '../client.js';
import { toClickHouseTime } from '../time.js';

/** kpi.dead_letters: every record the processors could not count, as sent to kpi.dlq.v1 (migration 0002). */
export const DEAD_LETTERS_TABLE = 'dead_letters';

/** Records dead letters; a replayed record writes the same row again, which the table keeps once. */
export async function insertDeadLetters(client: ClickHouseClient, letters: readonly DeadLetter[], processorVersion: string): Promise<void> {
  if (letters.length === 0) return;
  const now = toClickHouseTime(Date.now());
  await client.insert({
    table: DEAD_LETTERS_TABLE,
    format: 'JSONEachRow',
    values: letters.map((l) => ({
      source_topic: l.topic,
      source_partition: l.partition,
      source_offset: l.offset,
      source_timestamp: toClickHouseTime(l.timestamp),
      employee_id: l.key?.toString('utf8') ?? '',
      error_code: l.code,
      error_message: l.message,
      schema_id: l.schemaId ?? null,
      value_base64: l.value?.toString('base64') ?? '',
      processor_version: processorVersion,
      dead_lettered_at: now,
    })),
  });
}
