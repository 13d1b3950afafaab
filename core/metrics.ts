import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { packageVersion } from './paths.js';

export type { Registry };

/**
 * The metrics registry of a kpi-stream process: prom-client's default process
 * and Node.js metrics (`process_*`, `nodejs_*`) and `kpi_build_info`. Make one
 * per process, at start-up, and hand it to each component, which registers its
 * own metrics in it (`new Counter({ name, help, registers: [registry] })`);
 * `startHealthServer` (core/health.ts) serves it on /metrics.
 *
 * Once per process: the default metrics observe garbage collection and the
 * event loop for as long as the process lives. Components made many times in
 * one process (tests) take a plain `new Registry()` instead.
 */
export function createProcessRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'kpi_build_info',
    help: 'Always 1; its labels name the kpi-stream version and the Node.js version running it.',
    labelNames: ['version', 'nodejs'],
    registers: [registry],
  }).set({ version: packageVersion(), nodejs: process.versions.node }, 1);
  return registry;
}

/**
 * Histogram buckets (seconds) for kpi-stream's durations: a batch or an insert
 * normally takes milliseconds, but one retrying through an outage can take a
 * minute, and that should show.
 */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
