import type { DeadLetterStore } from '../contract/ports.js';
import type { Config } from '../core/config.js';
import type { HealthCheck } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import { packageVersion } from '../core/paths.js';
import { loadCatalog } from '../kpis/extensions.js';
import { createClickHouseClient, withRetries } from '../sinks/clickhouse/client.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { insertDeadLetters } from '../sinks/clickhouse/queries/deadLetters.js';
import { DeadLetterWriter } from '../topics/deadLetters.js';
import { kafkaClient } from '../topics/client/client.js';
import { deadLetterTopic } from '../topics/definitions.js';
import { flagStatusesTo } from '../topics/flagStatuses.js';
import { createKafka, ensureDeploymentTopics } from '../topics/kafka.js';
import { ReviewApplier } from './applier.js';
import { ReviewDesk } from './reviewDesk.js';

/** The applier running in this process. */
export interface RunningApplier {
  readonly applier: ReviewApplier;
  /** A review desk on this applier's producer and ClickHouse client: what the app takes decisions through. */
  readonly desk: ReviewDesk;
  /** /readyz's line for the applier: a member of its group, how many decisions wait for it. */
  readonly check: HealthCheck;
  /** Rejects with the error that stopped the applier's consumer for good. */
  readonly failed: Promise<never>;
  stop(): Promise<void>;
}

/**
 * Starts the applier of kpi.reviews.v1: creates missing topics and tables
 * (like every process that writes them), then applies the decisions as they
 * arrive. `kpi-stream reviews run` runs it alone; `kpi-stream app` runs it
 * beside its routes, which take decisions through its desk.
 */
export async function startReviewApplier(config: Config, log: Logger): Promise<RunningApplier> {
  await ensureDeploymentTopics(createKafka(config, 'kpi-stream-reviews', log), config, log);
  await migrate(config, log, await loadCatalog(config.extensions));
  const client = createClickHouseClient(config, { application: 'kpi-stream-reviews' });
  const kafka = kafkaClient(config, 'kpi-stream-reviews', log);
  const producer = kafka.producer();
  await producer.connect();
  const abort = new AbortController();
  const writer = new DeadLetterWriter(producer, deadLetterTopic(config), packageVersion());
  const deadLetters: DeadLetterStore = {
    send: (letters) => writer.send(letters),
    record: (letters) =>
      withRetries(`inserting ${letters.length} rows into dead_letters`, log, abort.signal, () => insertDeadLetters(client, letters, packageVersion())),
  };
  const applier = new ReviewApplier({
    config,
    log: log.child({ component: 'reviews' }),
    kafka,
    client,
    deadLetters,
    flagStatuses: flagStatusesTo(producer, config),
    signal: abort.signal,
  });
  await applier.start();
  return {
    applier,
    desk: new ReviewDesk({ config, producer, client }),
    check: applier.check,
    failed: applier.failed,
    stop: async () => {
      abort.abort();
      await applier.stop();
      await producer.disconnect().catch(() => undefined);
      await client.close();
    },
  };
}
