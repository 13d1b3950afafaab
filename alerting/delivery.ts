import type { Consumer } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createClickHouseClient, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { insertDeliveryAttempts, type DeliveryAttemptRow } from '../sinks/clickhouse/queries/alertDeliveries.js';
import { alertsTopic } from '../topics/definitions.js';
import { createKafka } from '../topics/kafka.js';
import { alertmanagerTarget, webhookTarget, type Attempt, type Target } from './targets.js';
import type { AlertEvent } from '../contract/alertEvent.js';

/** The first retry waits about this long; each further one twice as long, up to the maximum. */
const FIRST_BACKOFF_MS = 500;
/** Attempt rows wait at most this long before they are written to kpi.alert_deliveries. */
const RECORD_INTERVAL_MS = 1000;
/** Attempt rows kept while ClickHouse is away; older ones are dropped (and counted) beyond this. */
const MAX_PENDING_ROWS = 100_000;

/**
 * How long to wait before retry `attempt` (1 = the first retry): the
 * receiver's Retry-After when it sent one (capped), else exponential backoff
 * with jitter, between half and all of min(max, first × 2^(attempt−1)).
 * Not core/retry.ts: that policy cannot honour a Retry-After.
 */
export function backoffDelay(attempt: number, retryAfterMs: number | undefined, maxMs: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxMs);
  const ceiling = Math.min(maxMs, FIRST_BACKOFF_MS * 2 ** Math.min(attempt - 1, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** Delivery's Prometheus metrics, registered in the registry the worker is given (the process's). */
export class DeliveryMetrics {
  readonly attempts: Counter<'target' | 'outcome'>;
  readonly delivered: Counter<'target' | 'type'>;
  readonly retries: Counter<'target'>;
  readonly latency: Histogram<'target'>;
  readonly retrying: Gauge<'target'>;
  readonly recordFailures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({
      name: 'kpi_alert_delivery_attempts_total',
      help: 'Attempts to deliver alert events, by target and outcome (delivered, failed).',
      labelNames: ['target', 'outcome'],
      registers,
    });
    this.delivered = new Counter({
      name: 'kpi_alert_events_delivered_total',
      help: 'Alert events delivered, by target and type.',
      labelNames: ['target', 'type'],
      registers,
    });
    this.retries = new Counter({
      name: 'kpi_alert_delivery_retries_total',
      help: 'Retries after a failed delivery attempt, by target.',
      labelNames: ['target'],
      registers,
    });
    this.latency = new Histogram({
      name: 'kpi_alert_delivery_latency_seconds',
      help: 'From the change that raised or resolved an alert (observed_at) to its delivery, by target.',
      labelNames: ['target'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers,
    });
    this.retrying = new Gauge({
      name: 'kpi_alert_delivery_retrying',
      help: 'Deliveries waiting to be retried now, by target.',
      labelNames: ['target'],
      registers,
    });
    this.recordFailures = new Counter({
      name: 'kpi_alert_delivery_record_failures_total',
      help: 'Attempt rows that could not be written to kpi.alert_deliveries (ClickHouse away for long).',
      registers,
    });
  }
}

/** When an event became true: where delivery latency is measured from. */
function changedAt(event: AlertEvent): number | null {
  const at = event.observed_at ?? (event.type === 'alert.resolved' ? event.ended_at : event.started_at);
  return at === null ? null : Date.parse(at);
}

/** Attempt rows on their way to kpi.alert_deliveries: written in the background, never in delivery's way. */
class AttemptRecorder {
  private rows: DeliveryAttemptRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly metrics: DeliveryMetrics,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), RECORD_INTERVAL_MS);
  }

  add(row: DeliveryAttemptRow): void {
    this.rows.push(row);
    if (this.rows.length > MAX_PENDING_ROWS) this.metrics.recordFailures.inc(this.rows.splice(0, this.rows.length - MAX_PENDING_ROWS).length);
  }

  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const rows = this.rows.splice(0);
      if (rows.length === 0) return;
      try {
        await insertDeliveryAttempts(this.client, rows);
      } catch (error) {
        this.rows.unshift(...rows);
        this.log.warn(`writing ${rows.length} rows to kpi.alert_deliveries failed (${messageOf(error)}); trying again`);
      }
    });
    return this.writing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.client.close();
  }
}

export interface DeliverySettings {
  readonly targets: readonly Target[];
  /** Most events handled at once: one Alertmanager POST, webhook requests in parallel (one fingerprint's in order). */
  readonly batchSize: number;
  readonly maxBackoffMs: number;
}

/** The targets a configuration names: the webhook (KPI_ALERT_WEBHOOK_URL) and Alertmanager (KPI_ALERTMANAGER_URL). */
export function configuredTargets(config: Config): Target[] {
  const targets: Target[] = [];
  if (config.alertWebhookUrl) targets.push(webhookTarget(config.alertWebhookUrl, config.alertWebhookSecrets));
  if (config.alertmanagerUrl) targets.push(alertmanagerTarget(config.alertmanagerUrl, config.correctionHorizon));
  return targets;
}

/**
 * The delivery worker: reads the outbox kpi.alerts.v1 in a consumer group of
 * its own (KPI_GROUP_ID + ".delivery") and delivers every event to every
 * target, retrying each failed attempt with backoff (honouring Retry-After)
 * until it succeeds. Offsets are committed only once a batch reached every
 * target, so a crash re-delivers rather than loses (at least once; an event's
 * webhook-id is its id, the same every time). A dead or slow receiver holds
 * back only this worker: the processors and the evaluator never wait for it.
 */
export class DeliveryWorker {
  private readonly consumer: Consumer;
  private readonly abort = new AbortController();
  private readonly recorder: AttemptRecorder;
  private committing: Promise<void> = Promise.resolve();
  readonly metrics: DeliveryMetrics;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    registry: Registry,
    private readonly settings: DeliverySettings,
  ) {
    this.metrics = new DeliveryMetrics(registry);
    this.recorder = new AttemptRecorder(createClickHouseClient(config, { application: 'kpi-stream-alert-delivery' }), this.metrics, log);
    this.consumer = createKafka(config, 'kpi-stream-alert-delivery', log).consumer({
      groupId: `${config.groupId}.delivery`,
      sessionTimeout: config.sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeout / 10)),
      maxWaitTimeInMs: 100,
    });
  }

  async start(): Promise<void> {
    this.recorder.start();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: alertsTopic(this.config), fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const messages = batch.messages;
        for (let i = 0; i < messages.length && isRunning() && !isStale(); i += this.settings.batchSize) {
          const chunk = messages.slice(i, i + this.settings.batchSize);
          const events = chunk.flatMap((m) => {
            try {
              return [JSON.parse(m.value!.toString('utf8')) as AlertEvent];
            } catch {
              this.log.error({ partition: batch.partition, offset: m.offset }, 'an outbox record is not an alert event; skipping it');
              return [];
            }
          });
          const delivered = await this.deliver(events, heartbeat);
          if (!delivered) return;
          resolveOffset(chunk.at(-1)!.offset);
          this.commitAfterRecording(batch.topic, batch.partition, Number(chunk.at(-1)!.offset) + 1);
        }
      },
    });
  }

  /**
   * Commits past a delivered chunk once its attempts are recorded, so a
   * crash after the commit leaves none out of kpi.alert_deliveries (unless
   * ClickHouse is away: then the rows wait in memory, and delivery goes on).
   * In the background, in order: the next chunk is delivered meanwhile, and a
   * crash before the commit delivers again rather than loses.
   */
  private commitAfterRecording(topic: string, partition: number, offset: number): void {
    this.committing = this.committing
      .then(async () => {
        await this.recorder.flush();
        await this.consumer.commitOffsets([{ topic, partition, offset: String(offset) }]);
      })
      .catch((error: unknown) =>
        this.log.warn({ topic, partition, offset }, `committing delivered alerts failed (${messageOf(error)}); they may be delivered again`),
      );
  }

  /** Stops retrying and consuming; what was not delivered is delivered by the next worker from the last commit. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.committing;
    await this.consumer.disconnect().catch(() => undefined);
    await this.recorder.stop();
  }

  /** Delivers a chunk to every target; false when stopped meanwhile. */
  private async deliver(events: readonly AlertEvent[], heartbeat: () => Promise<void>): Promise<boolean> {
    const results = await Promise.all(
      this.settings.targets.map(async (target) => {
        if (target.name === 'alertmanager') return this.untilDelivered(target, events, heartbeat);
        // The webhook gets one request per event; one fingerprint's events in order, fingerprints side by side.
        const byFingerprint = new Map<string, AlertEvent[]>();
        for (const event of events) byFingerprint.set(event.fingerprint, [...(byFingerprint.get(event.fingerprint) ?? []), event]);
        const each = await Promise.all(
          [...byFingerprint.values()].map(async (sequence) => {
            for (const event of sequence) if (!(await this.untilDelivered(target, [event], heartbeat))) return false;
            return true;
          }),
        );
        return each.every(Boolean);
      }),
    );
    return results.every(Boolean);
  }

  private async untilDelivered(target: Target, events: readonly AlertEvent[], heartbeat: () => Promise<void>): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.abort.signal.aborted) return false;
      const result = await target.send(events);
      this.account(target, events, attempt, result);
      if (result.ok) return true;
      const delay = backoffDelay(attempt, result.retryAfterMs, this.settings.maxBackoffMs);
      this.log.warn(
        { target: target.name, url: target.shown, attempt, events: events.length, status: result.status },
        `delivering ${events.length} alert event(s) to ${target.name} failed (${result.error}); retrying in ${(delay / 1000).toFixed(1)}s`,
      );
      this.metrics.retries.inc({ target: target.name });
      this.metrics.retrying.inc({ target: target.name });
      try {
        await this.wait(delay, heartbeat);
      } finally {
        this.metrics.retrying.dec({ target: target.name });
      }
    }
  }

  private account(target: Target, events: readonly AlertEvent[], attempt: number, result: Attempt): void {
    const now = Date.now();
    const outcome = result.ok ? 'delivered' : 'failed';
    this.metrics.attempts.inc({ target: target.name, outcome });
    for (const e of events) {
      const at = changedAt(e);
      const latencyMs = result.ok && at !== null ? now - at : null;
      if (result.ok) {
        this.metrics.delivered.inc({ target: target.name, type: e.type });
        if (latencyMs !== null) this.metrics.latency.observe({ target: target.name }, latencyMs / 1000);
      }
      this.recorder.add({
        eventId: e.id,
        fingerprint: e.fingerprint,
        type: e.type,
        rule: e.rule,
        severity: e.severity,
        scope: e.scope,
        employeeId: e.employee_id,
        stationId: e.station_id,
        windowStart: Date.parse(e.window_start),
        metric: e.metric,
        value: e.value,
        threshold: e.threshold,
        anomaly: e.anomaly,
        explanation: e.explanation,
        target: target.name,
        attempt,
        outcome,
        httpStatus: result.status,
        error: result.error,
        attemptedAt: now,
        latencyMs,
      });
    }
  }

  /** Waits, heart-beating the group every few seconds so a long backoff does not cost the partitions; ends early on stop. */
  private async wait(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(
          () => {
            this.abort.signal.removeEventListener('abort', stop);
            resolve();
          },
          Math.min(3000, until - Date.now()),
        );
        this.abort.signal.addEventListener('abort', stop, { once: true });
      });
      await heartbeat().catch(() => undefined);
    }
  }
}
