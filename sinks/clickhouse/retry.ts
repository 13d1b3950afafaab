import { SinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { sinkFailure } from './client.js';

/**
 * Runs `work` until it succeeds, retrying retriable ClickHouse failures with
 * capped exponential backoff (0.2 s, 0.4 s, … 10 s). A non-retriable failure,
 * or an abort while waiting, throws a SinkError.
 */
export async function retrying<T>(log: Logger, what: string, signal: AbortSignal | undefined, work: () => Promise<T>, maxBackoffMs = 10_000): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const failure = sinkFailure(error, what);
      if (!failure.retriable) throw failure;
      if (signal?.aborted) throw new SinkError(`${what}: stopped while retrying`, { cause: failure });
      const backoff = Math.min(maxBackoffMs, 200 * 2 ** (attempt - 1));
      log.warn({ attempt, backoffMs: backoff, err: failure }, `${what} failed, retrying`);
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}
