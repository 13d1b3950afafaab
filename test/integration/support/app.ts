import type { Logger } from '../../../core/logger.js';
import { runApp } from '../../../app/run.js';
import type { RunningApp } from '../../../app/server.js';
import type { Config } from '../../../core/config.js';

/** An app a test started: `listening` once it serves, `stopped` once it ends (after the signal aborts). */
export interface TestApp {
  readonly listening: Promise<RunningApp>;
  readonly stopped: Promise<void>;
}

/**
 * Runs `kpi-stream app` in the test's process (app/run.ts: the routes and the
 * applier of kpi.reviews.v1) until `signal` aborts. `listening` rejects when
 * the app stops before it listens, so a start-up failure fails the test's
 * set-up with the app's own error in the log rather than a timeout.
 */
export function runTestApp(config: Config, log: Logger, signal: AbortSignal): TestApp {
  let stopped!: Promise<void>;
  const started = new Promise<RunningApp>((resolve) => (stopped = runApp(config, log, signal, resolve)));
  const listening = Promise.race([started, stopped.then(() => Promise.reject(new Error('the app stopped before it listened')))]);
  return { listening, stopped };
}
