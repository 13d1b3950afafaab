import type { Config } from '../../../core/config.js';
import type { Logger } from '../../../core/logger.js';
import { ReviewDesk } from '../../../people/reviewDesk.js';
import { startReviewApplier, type RunningApplier } from '../../../people/run.js';
import type { ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { kafkaClient } from '../../../topics/client/client.js';
import type { KafkaProducer } from '../../../topics/client/port.js';

/** The decisions' loop as `kpi-stream app` runs it: the desk sends to kpi.reviews.v1, the applier records and applies. */
export interface ReviewLoop {
  readonly desk: ReviewDesk;
  /** The desk's producer, for tests that also send to the topic as another producer would. */
  readonly producer: KafkaProducer;
  readonly applier: RunningApplier;
  stop(): Promise<void>;
}

/** Starts the review desk (waiting up to 30 s for a decision's outcome) and the applier, on the test's topics and database. */
export async function startReviewLoop(config: Config, log: Logger, client: ClickHouseClient): Promise<ReviewLoop> {
  const producer = kafkaClient(config, 'review-desk-test', log).producer();
  await producer.connect();
  const desk = new ReviewDesk({ config, producer, client, waitMs: 30_000 });
  const applier = await startReviewApplier(config, log);
  return {
    desk,
    producer,
    applier,
    async stop() {
      try {
        await applier.stop();
      } finally {
        await producer.disconnect();
      }
    },
  };
}
