import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordKind } from '../schemas/kinds.js';
import type { KafkaProducer, RecordToSend } from '../topics/client/port.js';
import type { OutboundMessage } from './simulation.js';

/** A record to send: an input event, or an assignment (hr.assignments.v1). */
export type ProducedMessage = Pick<OutboundMessage, 'key' | 'value' | 'timestamp'> & { readonly kind: RecordKind };

export interface ProduceOptions {
  /** Messages per send (one produce request to each broker). */
  batchSize: number;
  /** Target messages per second; 0 = as fast as the broker takes them. */
  rate: number;
  topicOf: (kind: RecordKind) => string;
  /** Called about every two seconds and at the end. */
  onProgress?: (sent: number, elapsedMs: number) => void;
}

/**
 * Sends messages in order, in batches acknowledged by all in-sync replicas
 * (acks=all). One batch is in flight at a time, so each partition receives its
 * messages in exactly the order given; the next batch is generated while the
 * broker takes the previous one.
 */
export async function produceMessages(
  messages: Iterable<ProducedMessage>,
  producer: KafkaProducer,
  options: ProduceOptions,
): Promise<{ sent: number; elapsedMs: number }> {
  const started = Date.now();
  let lastReport = started;
  let sent = 0;
  let batch = new Map<string, RecordToSend[]>();
  let batchCount = 0;
  let inFlight: Promise<unknown> = Promise.resolve();

  const flush = async () => {
    if (batchCount === 0) return;
    await inFlight;
    const topics = [...batch].map(([topic, records]) => ({ topic, records }));
    const count = batchCount;
    inFlight = producer.sendTopics(topics).then(() => {
      sent += count;
    });
    batch = new Map();
    batchCount = 0;
    if (options.rate > 0) {
      const ahead = (sent / options.rate) * 1000 - (Date.now() - started);
      if (ahead > 0) await sleep(ahead);
    }
    if (options.onProgress && Date.now() - lastReport >= 2000) {
      lastReport = Date.now();
      options.onProgress(sent, lastReport - started);
    }
  };

  for (const message of messages) {
    const topic = options.topicOf(message.kind);
    let records = batch.get(topic);
    if (!records) {
      records = [];
      batch.set(topic, records);
    }
    records.push({ key: message.key, value: message.value, ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }) });
    batchCount += 1;
    if (batchCount >= options.batchSize || (options.rate > 0 && batchCount >= Math.max(1, options.rate / 10))) await flush();
  }
  await flush();
  await inFlight;
  const elapsedMs = Date.now() - started;
  options.onProgress?.(sent, elapsedMs);
  return { sent, elapsedMs };
}
