import type { DeadLetter } from '../../../contract/ports.js';
import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';

/** kpi.dead_letters: every record the processors could not count, as sent to kpi.dlq.v1 (migration 0002). */
export const DEAD_LETTERS_TABLE = 'dead_letters';

/**
 * Records dead letters. The insert's token is the topic, partition and offset
 * of each record: a replay after a crash dead-letters the same records and is
 * dropped (past the deduplication window the table keeps each record's row once).
 */
export async function insertDeadLetters(client: ClickHouseClient, letters: readonly DeadLetter[], processorVersion: string): Promise<void> {
  if (letters.length === 0) return;
  const now = toClickHouseTime(Date.now());
  await insertRows(
    client,
    DEAD_LETTERS_TABLE,
    letters.map((l) => ({
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
    (row) => [row.source_topic, row.source_partition, row.source_offset],
  );
}

/** A dead-lettered record as detection sees it: whose it was (the key), from which input, sent when. */
export interface DeadLetterStamp {
  readonly employeeId: string;
  /** The input topic's contract name (without KPI_TOPIC_PREFIX). */
  readonly topic: string;
  /** The record's Kafka timestamp: when its source sent it. */
  readonly sentAt: number;
}

/** The dead letters of the given input topics (by contract name, whatever the prefix) sent in [from, to), with a key. */
export async function readDeadLetterStamps(
  client: ClickHouseClient,
  topics: readonly string[],
  range: { from: number; to: number },
): Promise<DeadLetterStamp[]> {
  const result = await client.query({
    query: `SELECT employee_id, source_topic, toUnixTimestamp64Milli(source_timestamp) AS sent_ms
            FROM ${DEAD_LETTERS_TABLE} FINAL
            WHERE employee_id != '' AND arrayExists(t -> endsWith(source_topic, t), {topics:Array(String)})
              AND source_timestamp >= {from:DateTime64(3, 'UTC')} AND source_timestamp < {to:DateTime64(3, 'UTC')}`,
    query_params: { topics: [...topics], from: toClickHouseTime(range.from), to: toClickHouseTime(range.to) },
    format: 'JSONEachRow',
  });
  return (await result.json<{ employee_id: string; source_topic: string; sent_ms: number }>()).map((l) => ({
    employeeId: l.employee_id,
    topic: topics.find((t) => l.source_topic.endsWith(t))!,
    sentAt: Number(l.sent_ms),
  }));
}
