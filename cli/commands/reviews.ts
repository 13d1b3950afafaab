import { startReviewApplier } from '../../people/run.js';
import type { Command } from '../command.js';

export const reviewsCommand: Command = {
  name: 'reviews',
  summary: 'Apply the decisions about flags and disputes (kpi.reviews.v1) to ClickHouse',
  usage: `Usage: kpi-stream reviews run

  run     apply the decisions on kpi.reviews.v1 (reviews of flags, disputes
          opened, decided, withdrawn) in the topic's order, one row each in
          kpi.reviews: applied, or a conflict naming who decided first.
          Bad records are dead-lettered (KPI_ERR_INVALID_REVIEW_EVENT).
          SIGTERM stops it; another member of group KPI_GROUP_ID.reviews
          takes over.`,
  needs: (args) => (args[0] === 'run' ? ['kafka', 'clickhouse'] : []),
  async run(args, { config, log }) {
    if (args[0] !== 'run') {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const running = await startReviewApplier(config, log);
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info({ signal }, 'stopping the reviews applier');
        process.once(signal, () => process.exit(130));
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    try {
      // A consumer that stopped for good ends the process with its error: decisions would otherwise wait unapplied.
      await Promise.race([stopped, running.failed]);
    } finally {
      await running.stop();
    }
    await running.stop();
    return 0;
  },
};
