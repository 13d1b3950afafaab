import { createRequire } from 'node:module';

/** The part of kafkajs' (internal) RequestQueue that the fix below touches. */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL: how often waiting requests are retried when too many are in flight. */
const PENDING_CHECK_INTERVAL_MS = 10;

/** Where kafkajs 2.2.x keeps the class; it has no public way in. */
export const REQUEST_QUEUE_MODULE = 'kafkajs/src/network/requestQueue/index.js';

let fixed = false;

/**
 * Works around a kafkajs 2.2.4 bug (unmaintained since 2023; kafkajs issues
 * #1704, #1751). After every response, each broker connection's request queue
 * arms `setTimeout(check, throttledUntil - Date.now())` even when no request
 * waits; with no throttling in effect `throttledUntil` is -1, so the delay is
 * minus the current epoch time. Node runs such a timer after 1 ms, and the
 * check re-arms it: every open connection polls its empty queue about a
 * thousand times a second, and Node 24 prints `TimeoutNegativeWarning: -17…
 * is a negative number` in every process that talks to Kafka.
 *
 * The replacement schedules a check only while requests wait: at the end of
 * the broker's throttling, or every 10 ms while too many are in flight (as
 * kafkajs does). With nothing waiting there is nothing to check: a new
 * request is sent at once or queued (which schedules a check), and every
 * response checks the queue. Called before kpi-stream creates a kafkajs
 * client; applied once per process.
 */
export function fixKafkaRequestQueue(): void {
  if (fixed) return;
  const require = createRequire(import.meta.url);
  const queueClass = require(REQUEST_QUEUE_MODULE) as { prototype: RequestQueue };
  if (typeof queueClass.prototype?.scheduleCheckPendingRequests !== 'function') {
    throw new Error(`kafkajs changed: ${REQUEST_QUEUE_MODULE} has no RequestQueue.scheduleCheckPendingRequests to fix (topics/kafkaRequestQueue.ts)`);
  }
  queueClass.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue): void {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const throttledForMs = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledForMs > 0 ? throttledForMs : PENDING_CHECK_INTERVAL_MS,
    );
  };
  fixed = true;
}
