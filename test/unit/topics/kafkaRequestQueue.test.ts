import { createRequire } from 'node:module';
import { REQUEST_QUEUE_MODULE, fixKafkaRequestQueue } from '../../../topics/kafkaRequestQueue.js';

/** kafkajs' internal request queue of one broker connection, as far as these tests drive it. */
interface RequestQueue {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  push(request: { entry: Record<string, unknown>; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
  maybeThrottle(clientSideThrottleTimeMs: number): void;
  destroy(): void;
}

const RequestQueueClass = createRequire(import.meta.url)(REQUEST_QUEUE_MODULE) as new (options: Record<string, unknown>) => RequestQueue;
/** Whether the queue has a check of its pending requests scheduled. */
const checkScheduled = (queue: RequestQueue) => queue.throttleCheckTimeoutId !== null;
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const queues: RequestQueue[] = [];

function newQueue(): RequestQueue {
  const queue = new RequestQueueClass({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: '127.0.0.1:9092',
    logger: silent,
  });
  queues.push(queue);
  return queue;
}

/** Pushes a request; resolves with the time it went out on the (imaginary) socket. */
function push(queue: RequestQueue, correlationId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const entry = { correlationId, apiName: 'Produce', apiKey: 0, apiVersion: 7, resolve: () => undefined, reject };
    queue.push({ entry, expectResponse: true, sendRequest: () => resolve(Date.now()) });
  });
}

beforeAll(() => fixKafkaRequestQueue());
afterAll(() => queues.forEach((q) => q.destroy()));

test('with no request waiting, a response arms no timer (kafkajs 2.2.4 arms a negative one that re-arms itself every millisecond)', async () => {
  const queue = newQueue();
  await push(queue, 1);
  queue.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
  expect(checkScheduled(queue)).toBe(false);
});

test('a request made while the broker throttles the client goes out when the throttling ends, and then no timer is left', async () => {
  const queue = newQueue();
  const throttledAt = Date.now();
  queue.maybeThrottle(150);
  const sentAt = await push(queue, 2);
  // Node timers never fire early by more than the millisecond they are rounded to.
  expect(sentAt - throttledAt).toBeGreaterThanOrEqual(149);
  queue.fulfillRequest({ correlationId: 2, payload: null, size: 0 });
  expect(checkScheduled(queue)).toBe(false);
});
