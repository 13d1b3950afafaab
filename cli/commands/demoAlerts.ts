import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startAlerting } from '../../alerting/run.js';
import { flagPublisherTo } from '../../alerting/service.js';
import { verifyWebhook } from '../../alerting/targets.js';
import { loadConfig, type Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { FlagPublisher } from '../../detection/analytics.js';
import { createKafka, createProducer } from '../../topics/kafka.js';
import { alertTable } from './alerts.js';
import type { AlertEvent } from '../../contract/alertEvent.js';

/** The demo's rules: a few a plant would set, tuned to fire now and then on the simulated plant. */
const DEMO_RULES = `rules:
  - { name: station-defect-rate, metric: defect_rate, scope: station, above: 0.06, clear: 0.05, min_sample: 200, severity: high }
  - { name: defects-two-days, metric: defect_rate, scope: employee, above: 0.1, min_sample: 100, for_windows: 2, clear: 0.08, severity: medium }
  - { name: low-efficiency, metric: efficiency, scope: employee, below: 0.85, min_sample: 4, for_windows: 2, clear: 0.9, severity: medium }
  - { name: inflated-self-report, anomaly: any, min_severity: high, severity: high }
`;

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/**
 * The demo's alerting step: a local receiver that verifies each webhook's
 * signature, a few rules, and live alerting (evaluator and delivery) running
 * beside the processors. `config` is the demo's configuration with them set:
 * the processors started with it publish their windows.
 */
export async function startDemoAlerts(log: Logger, dir: string): Promise<{ config: Config; publish: FlagPublisher; finish: () => Promise<string> }> {
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
  const producer = createProducer(createKafka(config, 'kpi-stream-demo-flags', log), { allowAutoTopicCreation: false });
  await producer.connect();
  return {
    config,
    publish: flagPublisherTo(producer, config),
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
      await alerting.stop();
      await producer.disconnect();
      receiver.close();
      const events = [...arrivals.values()].sort((a, b) => a.event.window_start.localeCompare(b.event.window_start) || a.at - b.at);
      const latency = (e: AlertEvent, at: number) => (e.observed_at === null ? null : at - Date.parse(e.observed_at));
      const latencies = events
        .map(({ event, at }) => latency(event, at))
        .filter((l): l is number => l !== null)
        .sort((a, b) => a - b);
      const firing = events.filter((e) => e.event.type === 'alert.firing').length;
      const shown = events.slice(0, 25);
      return [
        `${raised.length} alert events raised (${firing} firing, ${raised.length - firing} resolved), ${arrivals.size} delivered to the local receiver, signatures verified (${rejected} rejected); rules: ${DEMO_RULES.split(
          '\n',
        )
          .filter((l) => l.includes('name:'))
          .map((l) => /name: ([\w-]+)/.exec(l)![1])
          .join(', ')}`,
        latencies.length > 0
          ? `latency from the processors applying the change to the signed webhook arriving: p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms (${latencies.length} metric alerts; anomaly alerts follow detection)`
          : 'no metric alert fired',
        alertTable(
          shown.map((s) => s.event),
          { header: 'latency', cell: (e) => latency(e, arrivals.get(e.id)!.at)?.toString() ?? '-' },
        ),
        ...(events.length > shown.length ? [`… and ${events.length - shown.length} more (kpi.alert_deliveries holds them all)`] : []),
      ].join('\n');
    },
  };
}
