/**
 * A worker thread of a processor process (processors/kafka/workers.ts): one
 * full processor — its own Kafka consumer in the group, its own ClickHouse
 * client, its own partition tasks — that reports to the main thread. It reads
 * the configuration from the environment as the main thread did (the
 * environment is the worker's copy of the process's).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { loadConfig, secretValues } from '../../core/config.js';
import { EXIT_CODES, KpiError, exitCodeOf, messageOf } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { startPipeline } from './bootstrap.js';
import type { Pipeline } from './pipeline.js';
import { NO_TOTALS, totalsOf, workerConfig, type MainMessage, type WorkerMessage, type WorkerStart } from './workerProtocol.js';

/** How often the totals go to the main thread (for its log lines). */
const TOTALS_INTERVAL_MS = 1_000;

const port = parentPort;
if (!port) throw new Error('processors/kafka/workerThread.js runs in a worker thread of a processor process');
const start = workerData as WorkerStart;
const post = (message: WorkerMessage) => port.postMessage(message);

const registry = new Registry();
let pipeline: Pipeline | undefined;
let stopAsked = false;

/** Asked to stop before it joined the group: nothing read, nothing to write. */
class StoppedBeforeJoining extends Error {}
let joining!: { resolve: () => void; reject: (error: Error) => void };
const mayJoin = new Promise<void>((resolve, reject) => (joining = { resolve, reject }));
mayJoin.catch(() => undefined);
let processing!: () => void;
const mayProcess = new Promise<void>((resolve) => (processing = resolve));

port.on('message', (message: MainMessage) => {
  if (message.type === 'join') {
    joining.resolve();
  } else if (message.type === 'process') {
    processing();
  } else if (message.type === 'stop') {
    stopAsked = true;
    joining.reject(new StoppedBeforeJoining());
    void pipeline?.stop().catch(() => undefined);
  } else if (message.what === 'metrics') {
    void registry.getMetricsAsJSON().then((metrics) => post({ type: 'answer', id: message.id, metrics }));
  } else {
    void Promise.all(
      (pipeline?.readinessChecks() ?? []).map(async (check) => {
        try {
          return { name: check.name, ...(await check.check()) };
        } catch (error) {
          return { name: check.name, ok: false, detail: messageOf(error) };
        }
      }),
    ).then((checks) => post({ type: 'answer', id: message.id, checks }));
  }
});

async function run(): Promise<number> {
  const config = workerConfig(loadConfig(process.env), start.workers);
  const log = createLogger(config.logLevel, config.logFormat, 'kpi-stream', secretValues(config)).child({ component: 'run', worker: start.index });
  try {
    pipeline = await startPipeline(config, log, {
      registry,
      prepared: true,
      ...(start.exitWhenIdleMs === undefined ? {} : { exitWhenIdleMs: start.exitWhenIdleMs }),
      onAssignment: (partitions) => post({ type: 'assignment', partitions: partitions ? [...partitions] : null }),
      holdUntil: mayProcess,
      beforeJoin: () => {
        post({ type: 'connected' });
        return mayJoin;
      },
    });
  } catch (error) {
    if (error instanceof StoppedBeforeJoining) return EXIT_CODES.ok;
    if (error instanceof KpiError) {
      log.fatal({ code: error.code }, error.message);
      return exitCodeOf(error);
    }
    log.fatal({ err: error }, `could not start: ${messageOf(error)}`);
    return EXIT_CODES.failure;
  }
  post({ type: 'started' });
  const m = pipeline.metrics;
  const report = setInterval(() => post({ type: 'totals', totals: totalsOf(m) }), TOTALS_INTERVAL_MS);
  if (stopAsked) void pipeline.stop().catch(() => undefined);
  try {
    await pipeline.done;
    return EXIT_CODES.ok;
  } catch {
    return EXIT_CODES.failure; // the pipeline logged why it stopped
  } finally {
    clearInterval(report);
  }
}

void run().then(async (exitCode) => {
  const totals = pipeline ? totalsOf(pipeline.metrics) : NO_TOTALS;
  post({ type: 'stopped', exitCode, totals, metrics: await registry.getMetricsAsJSON() });
  // Nothing else keeps the thread: it ends once the clients have closed.
  port.unref();
});
