import pRetry from 'p-retry';
import { messageOf } from './errors.js';
import type { Logger } from './logger.js';

export interface RetryOptions {
  /** What is being tried, for log lines and the final error: "inserting 12 rows into employee_window_metrics". */
  readonly what: string;
  readonly log: Logger;
  /** Whether a failure may pass (infrastructure that comes back); any other failure is thrown at once. */
  readonly retriable: (error: unknown) => boolean;
  /** Stops waiting and rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Gives up (throwing the last failure) once the first attempt is this long ago; default: keep trying. */
  readonly giveUpAfterMs?: number;
  /** Longest wait between attempts (default 10 s). */
  readonly maxBackoffMs?: number;
  /** Called before each wait, e.g. to heartbeat a consumer group. */
  readonly onRetry?: (attempt: number, error: unknown) => void | Promise<void>;
}

/**
 * kpi-stream's one retry policy: exponential backoff from 200 ms with jitter,
 * capped at `maxBackoffMs`, every retry logged as a warning; abortable, and
 * bounded when `giveUpAfterMs` is set. Used wherever infrastructure may be
 * away for a while (ClickHouse, the schema registry, Kafka metadata).
 */
export function retrying<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  // p-retry gives up at once on anything that is not an Error of this realm: a string thrown, or a
  // Node error made in another realm (a vm context, as under jest). Such a failure is retried like any.
  const attempt = async (n: number) => {
    try {
      return await work(n);
    } catch (error) {
      throw error instanceof Error ? error : new Error(messageOf(error), { cause: error });
    }
  };
  return pRetry(attempt, {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 200,
    maxTimeout: options.maxBackoffMs ?? 10_000,
    factor: 2,
    randomize: true,
    maxRetryTime: options.giveUpAfterMs ?? Number.POSITIVE_INFINITY,
    signal: options.signal,
    shouldRetry: ({ error }) => options.retriable(error),
    onFailedAttempt: async ({ error, attemptNumber }) => {
      if (!options.retriable(error)) return;
      options.log.warn({ attempt: attemptNumber, err: error }, `${options.what} failed (${messageOf(error)}); retrying`);
      await options.onRetry?.(attemptNumber, error);
    },
  });
}
