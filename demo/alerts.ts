import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startAlerting } from '../alerting/run.js';
import { flagPublisherTo } from '../alerting/service.js';
import { verifyWebhook } from '../alerting/targets.js';
import { loadConfig, type Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { FlagPublisher } from '../detection/analytics.js';
import { kafkaClient } from '../topics/client/client.js';
import type { AlertEvent } from '../contract/alertEvent.js';

/** The demo's rules: a few a plant would set, tuned to fire now and then on the simulated plant. */
const DEMO_RULES = `rules:
  - { name: station-defect-rate, metric: defect_rate, scope: station, above: 0.09, clear: 0.08, min_sample: 200, severity: high }
  - { name: defects-two-days, metric: defect_rate, scope: employee, above: 0.15, min_sample: 100, for_windows: 2, clear: 0.12, severity: medium }
  - { name: low-efficiency, metric: efficiency, scope: employee, below: 0.85, min_sample: 4, for_windows: 2, clear: 0.9, severity: medium }
  - { name: inflated-self-report, anomaly: any, min_severity: high, severity: high }
`;

/** What live alerting did during the demo. */
export interface DemoAlerts {
  /** The rules' names. */
  readonly rules: readonly string[];
  readonly raised: number;
  readonly firing: number;
  /** Each event that reached the receiver, once, in window order; latency from the processors applying the change (metric alerts). */
  readonly delivered: readonly { readonly event: AlertEvent; readonly latencyMs: number | null }[];
  /** Requests whose signature did not verify. */
  readonly rejected: number;
}

/**
 * The demo's alerting step: a local receiver that verifies each webhook's
 * signature, a few rules, and live alerting (evaluator and delivery) running
 * beside the processors. `config` is the demo's configuration with them set:
 * the processors started with it publish their windows.
 */
export async function startDemoAlerts(
  log: Logger,
  dir: string,
): Promise<{ config: Config; publish: FlagPublisher; finish: () => Promise<DemoAlerts>; stop: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const rules = join(dir, 'alert-rules.yaml');
  writeFileSync(rules, DEMO_RULES);
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const arrivals = new Map<string, { event: AlertEvent; at: number }>();
  let rejected = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifyWebhook([secret], body, req.headers as Record<string, string>);
      } catch {
        rejected += 1;
        res.writeHead(401).end();
        return;
      }
      const event = JSON.parse(body) as AlertEvent;
      if (!arrivals.has(event.id)) arrivals.set(event.id, { event, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  const config = loadConfig({
    ...process.env,
    KPI_ALERT_RULES: rules,
    KPI_ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/demo-receiver`,
    KPI_ALERT_WEBHOOK_SECRET: secret,
  });
  const alerting = await startAlerting(config, log.child({ component: 'alerting' }));
  const producer = kafkaClient(config, 'kpi-stream-demo-flags', log).producer();
  await producer.connect();
  let stopped: Promise<void> | undefined;
  // Once, whether the demo finished or failed: nothing of alerting may keep the process alive.
  const stop = () =>
    (stopped ??= (async () => {
      await alerting.stop();
      await producer.disconnect();
      receiver.close();
    })());
  return {
    config,
    publish: flagPublisherTo(producer, config),
    stop,
    async finish() {
      const raised = alerting.evaluator!.events;
      // Until every event raised is delivered and the evaluator has raised nothing new for a while (detection's flags were just published).
      const deadline = Date.now() + 60_000;
      let count = -1;
      let steadySince = Date.now();
      while (Date.now() < deadline) {
        if (raised.length !== count) [count, steadySince] = [raised.length, Date.now()];
        if (Date.now() - steadySince > 2000 && raised.every((e) => arrivals.has(e.id))) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await stop();
      const delivered = [...arrivals.values()]
        .sort((a, b) => a.event.window_start.localeCompare(b.event.window_start) || a.at - b.at)
        .map(({ event, at }) => ({ event, latencyMs: event.observed_at === null ? null : at - Date.parse(event.observed_at) }));
      return {
        rules: [...DEMO_RULES.matchAll(/name: ([\w-]+)/g)].map((m) => m[1]!),
        raised: raised.length,
        firing: raised.filter((e) => e.type === 'alert.firing').length,
        delivered,
        rejected,
      };
    },
  };
}
