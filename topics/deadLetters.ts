import type { DeadLetter } from '../contract/ports.js';
import type { DeadLetterCode } from '../core/errors.js';
import type { KafkaProducer, RecordToSend } from './client/port.js';

export type { DeadLetter };

/** The dead letter of a record read from `topic`[`partition`]: its key and bytes as they were, and why. */
export function deadLetterOf(
  topic: string,
  partition: number,
  message: { readonly offset: number | string; readonly timestamp: number | string; readonly key: Buffer | null; readonly value: Buffer | null },
  code: DeadLetterCode,
  text: string,
  schemaId?: number,
): DeadLetter {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key,
    value: message.value,
    code,
    message: text,
    ...(schemaId === undefined ? {} : { schemaId }),
  };
}

/** Header names on kpi.dlq.v1 records (values are UTF-8 strings). */
export const DEAD_LETTER_HEADERS = {
  sourceTopic: 'kpi.source.topic',
  sourcePartition: 'kpi.source.partition',
  sourceOffset: 'kpi.source.offset',
  sourceTimestamp: 'kpi.source.timestamp',
  errorClass: 'kpi.error.class',
  errorMessage: 'kpi.error.message',
  schemaId: 'kpi.schema.id',
  processorVersion: 'kpi.processor.version',
} as const;

const CHUNK_BYTES = 512 * 1024;
/** Error messages in headers are cut here: a message may quote what a producer sent. */
const MAX_MESSAGE_LENGTH = 2000;

/**
 * Writes dead letters to kpi.dlq.v1: the original key and bytes, and headers
 * naming the source topic, partition, offset and timestamp, the error class
 * (a stable KPI_ERR_… code), its message, the schema id when known, and the
 * processor version. `send` resolves once every in-sync replica has them.
 */
export class DeadLetterWriter {
  constructor(
    private readonly producer: KafkaProducer,
    private readonly topic: string,
    private readonly processorVersion: string,
  ) {}

  async send(letters: readonly DeadLetter[]): Promise<void> {
    // One request per ~512 KiB: a record batch must stay under the broker's max.message.bytes (1 MiB by default).
    let chunk: RecordToSend[] = [];
    let bytes = 0;
    for (const letter of letters) {
      const message = { key: letter.key, value: letter.value, headers: this.headers(letter) };
      const size = (letter.value?.length ?? 0) + (letter.key?.length ?? 0) + letter.message.length + 256;
      if (chunk.length > 0 && bytes + size > CHUNK_BYTES) {
        await this.producer.send(this.topic, chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(message);
      bytes += size;
    }
    if (chunk.length > 0) await this.producer.send(this.topic, chunk);
  }

  private headers(letter: DeadLetter): Record<string, string> {
    const headers: Record<string, string> = {
      [DEAD_LETTER_HEADERS.sourceTopic]: letter.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(letter.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: String(letter.offset),
      [DEAD_LETTER_HEADERS.sourceTimestamp]: String(letter.timestamp),
      [DEAD_LETTER_HEADERS.errorClass]: letter.code,
      [DEAD_LETTER_HEADERS.errorMessage]: letter.message.slice(0, MAX_MESSAGE_LENGTH),
      [DEAD_LETTER_HEADERS.processorVersion]: this.processorVersion,
    };
    if (letter.schemaId !== undefined) headers[DEAD_LETTER_HEADERS.schemaId] = String(letter.schemaId);
    return headers;
  }
}
