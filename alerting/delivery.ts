import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { secretValues, type Config } from '../core/config.js';
import { messageOf } from '../core/errors.js';
import type { HealthCheck } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import { packageVersion } from '../core/paths.js';
import { secretScrubber } from '../core/secrets.js';
import { createClickHouseClient, sinkFailure, type ClickHouseClient } from '../sinks/clickhouse/client.js';
import { insertDeliveryAttempts, type DeliveryAttemptRow } from '../sinks/clickhouse/queries/alertDeliveries.js';
import { insertDeadLetters } from '../sinks/clickhouse/queries/deadLetters.js';
import { DeadLetterWriter, type DeadLetter } from '../topics/deadLetters.js';
import { kafkaClient } from '../topics/client/client.js';
import type { ConsumedRecord, GroupConsumer, KafkaAdmin, KafkaClient, KafkaProducer } from '../topics/client/port.js';
import { alertsTopic, deadLetterTopic } from '../topics/definitions.js';
import { readAlertEvent, type AlertEvent } from '../contract/alertEvent.js';
import { alertmanagerTarget, webhookTarget, type Attempt, type Target, type TargetName } from './targets.js';

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
  readonly failed: Counter<'target'>;
  readonly retries: Counter<'target'>;
  readonly latency: Histogram<'target'>;
  readonly retrying: Gauge<'target'>;
  readonly recordFailures: Counter;
  readonly deadLetters: Counter<'topic' | 'code'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({
      name: 'kpi_alert_delivery_attempts_total',
      help: 'Attempts to deliver alert events, by target and outcome (delivered, failed and retried, refused for good).',
      labelNames: ['target', 'outcome'],
      registers,
    });
    this.delivered = new Counter({
      name: 'kpi_alert_events_delivered_total',
      help: 'Alert events delivered, by target and type.',
      labelNames: ['target', 'type'],
      registers,
    });
    this.failed = new Counter({
      name: 'kpi_alert_delivery_failed_total',
      help: 'Alert events a target refused for good (an HTTP 4xx but 408, 425 and 429): recorded with its answer and passed over, by target.',
      labelNames: ['target'],
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
      help: 'Attempt rows that could not be written to kpi.alert_deliveries (ClickHouse away for long, or a row it refused).',
      registers,
    });
    this.deadLetters = new Counter({
      name: 'kpi_dead_letters_total',
      help: 'Outbox records that are not alert events, sent to kpi.dlq.v1 instead of delivered, by source topic and KPI_ERR_… code.',
      labelNames: ['topic', 'code'],
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
export class AttemptRecorder {
  private rows: DeliveryAttemptRow[] = [];
  /** The batch whose write failed, to be sent again as it was. */
  private failed: DeliveryAttemptRow[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly client: ClickHouseClient,
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

  /**
   * Writes what was added. A batch whose write failed is sent again first, exactly as it was: its insert token
   * is then the same, so if the failed write landed after all (its answer was lost) ClickHouse drops the copy.
   */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.failed !== undefined) {
        if (!(await this.write(this.failed))) return;
        this.failed = undefined;
      }
      const rows = this.rows.splice(0);
      if (rows.length > 0 && !(await this.write(rows))) this.failed = rows;
    });
    return this.writing;
  }

  /** False when the write failed and may pass later; true when written, or refused for good (counted, left out). */
  private async write(rows: DeliveryAttemptRow[]): Promise<boolean> {
    try {
      await insertDeliveryAttempts(this.client, rows);
      return true;
    } catch (error) {
      // Rows ClickHouse refuses for their content would be refused every time: counted and left out, so the audit goes on.
      if (sinkFailure(error, 'kpi.alert_deliveries').code === 'KPI_ERR_SINK_REJECTED') {
        this.metrics.recordFailures.inc(rows.length);
        this.log.error(`kpi.alert_deliveries refused ${rows.length} rows for their content (${messageOf(error)}); they are left out`);
        return true;
      }
      this.log.warn(`writing ${rows.length} rows to kpi.alert_deliveries failed (${messageOf(error)}); trying again`);
      return false;
    }
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

/** The consumer group delivering to `target`; before each target had its own, one group delivered to all. */
export function deliveryGroup(config: Config, target: TargetName): string {
  return `${config.groupId}.delivery.${target}`;
}
const sharedDeliveryGroup = (config: Config) => `${config.groupId}.delivery`;

/** How a delivery to one target ended. */
type Outcome = 'delivered' | 'refused' | 'stopped';

/** What the readers of every target share. */
interface LaneContext {
  readonly config: Config;
  readonly log: Logger;
  readonly settings: DeliverySettings;
  readonly metrics: DeliveryMetrics;
  readonly recorder: AttemptRecorder;
  readonly kafka: KafkaClient;
  readonly signal: AbortSignal;
  readonly scrub: (text: string) => string;
  deadLetter(letters: readonly DeadLetter[]): Promise<void>;
}

/** What /readyz says of a target. */
interface TargetState {
  delivered: number;
  refused: number;
  /** The last refusal, while the target refuses: cleared by the next delivery. */
  refusing: string | undefined;
}

/**
 * The delivery worker: reads the outbox kpi.alerts.v1 and delivers every
 * event to every target. Each target reads the outbox in a consumer group of
 * its own (KPI_GROUP_ID + ".delivery." + target), so a target that is down or
 * slow holds back only its own deliveries, never another target's. A failed
 * attempt is retried with backoff (honouring Retry-After) until it succeeds;
 * an attempt the receiver refuses for good (a 4xx but 408, 425, 429) is
 * recorded with the receiver's answer and passed over. Offsets are committed
 * only once a chunk is delivered or refused and its attempts recorded, so a
 * crash re-delivers rather than loses (at least once; an event's webhook-id is
 * its id, the same every time). A record that is not an alert event of the
 * contract is dead-lettered (KPI_ERR_INVALID_ALERT_EVENT), never signed or
 * sent. The processors and the evaluator never wait for any of it.
 */
export class DeliveryWorker {
  private readonly abort = new AbortController();
  private readonly recorder: AttemptRecorder;
  private readonly lanes: DeliveryLane[];
  private readonly kafka: KafkaClient;
  private readonly producer: KafkaProducer;
  private readonly deadLetters: DeadLetterWriter;
  readonly metrics: DeliveryMetrics;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    registry: Registry,
    settings: DeliverySettings,
  ) {
    this.metrics = new DeliveryMetrics(registry);
    this.recorder = new AttemptRecorder(createClickHouseClient(config, { application: 'kpi-stream-alert-delivery' }), this.metrics, log);
    this.kafka = kafkaClient(config, 'kpi-stream-alert-delivery', log);
    this.producer = this.kafka.producer();
    this.deadLetters = new DeadLetterWriter(this.producer, deadLetterTopic(config), packageVersion());
    const context: LaneContext = {
      config,
      log,
      settings,
      metrics: this.metrics,
      recorder: this.recorder,
      kafka: this.kafka,
      signal: this.abort.signal,
      scrub: secretScrubber(secretValues(config)),
      deadLetter: (letters) => this.deadLetter(letters),
    };
    // Only the first target's reader dead-letters a bad record: the others pass over the same record.
    this.lanes = settings.targets.map((target, i) => new DeliveryLane(context, target, i === 0));
  }

  async start(): Promise<void> {
    this.recorder.start();
    await this.producer.connect();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const lane of this.lanes) await lane.adoptSharedOffsets(admin);
    } finally {
      await admin.disconnect();
    }
    for (const lane of this.lanes) await lane.start();
  }

  /** Stops retrying and consuming; what was not delivered is delivered by the next worker from the last commit. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const lane of this.lanes) await lane.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.recorder.stop();
  }

  /** /readyz: not ready while a target refuses what it is sent; one line per target either way. */
  get check(): HealthCheck {
    return {
      name: 'delivery',
      check: () => {
        const lines = this.lanes.map((lane) => lane.describe());
        return { ok: this.lanes.every((lane) => lane.state.refusing === undefined), detail: lines.join('; ') || 'no target' };
      },
    };
  }

  /** Makes bad outbox records durable in kpi.dlq.v1 (before the offsets pass them), then records them in kpi.dead_letters. */
  private async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    await this.deadLetters.send(letters);
    for (const letter of letters) {
      this.metrics.deadLetters.inc({ topic: letter.topic, code: letter.code });
      this.log.error({ topic: letter.topic, partition: letter.partition, offset: letter.offset, code: letter.code }, `dead-lettered: ${letter.message}`);
    }
    await insertDeadLetters(this.recorder.client, letters, packageVersion()).catch((error: unknown) =>
      this.log.warn(`recording ${letters.length} dead letters in kpi.dead_letters failed (${messageOf(error)}); they are in ${deadLetterTopic(this.config)}`),
    );
  }
}

/** One target's reader of the outbox: its consumer group, its retries, its commits. */
class DeliveryLane {
  readonly state: TargetState = { delivered: 0, refused: 0, refusing: undefined };
  private readonly consumer: GroupConsumer;
  private readonly group: string;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: LaneContext,
    private readonly target: Target,
    private readonly deadLettersInvalid: boolean,
  ) {
    const { config, kafka } = context;
    this.group = deliveryGroup(config, target.name);
    this.consumer = kafka.groupConsumer({ groupId: this.group, maxWaitMs: 100 });
  }

  describe(): string {
    const { delivered, refused, refusing } = this.state;
    return `${this.target.name}: ${delivered} delivered, ${refused} refused for good${refusing ? ` (refusing: ${refusing})` : ''}`;
  }

  /**
   * A group of its own starts where the shared group of earlier versions got to, not at the
   * outbox's beginning: an upgrade delivers nothing twice. Best effort: a group with members is left as it is.
   */
  async adoptSharedOffsets(admin: KafkaAdmin): Promise<void> {
    const { config, log } = this.context;
    const topic = alertsTopic(config);
    const own = await admin.committedOffsets(this.group, [topic]);
    if (own.some((p) => p.offset >= 0)) return;
    const shared = await admin.committedOffsets(sharedDeliveryGroup(config), [topic]);
    const partitions = shared.filter((p) => p.offset >= 0).map(({ partition, offset }) => ({ partition, offset }));
    if (partitions.length === 0) return;
    await admin
      .setCommittedOffsets(this.group, topic, partitions)
      .then(() => log.info(`${this.target.name}: delivering from where ${sharedDeliveryGroup(config)} got to`))
      .catch((error: unknown) => log.warn(`${this.target.name}: could not start from ${sharedDeliveryGroup(config)}'s offsets (${messageOf(error)})`));
  }

  async start(): Promise<void> {
    const { config, settings } = this.context;
    await this.consumer.connect();
    // A group that committed nothing yet reads the outbox from its earliest offset.
    await this.consumer.run([alertsTopic(config)], async (batch, { heartbeat, live }) => {
      const records = batch.records;
      for (let i = 0; i < records.length; i += settings.batchSize) {
        // Stopping, or the partition moved on: the rest is read again from the last commit (by whoever holds it then).
        if (!live()) return false;
        const chunk = records.slice(i, i + settings.batchSize);
        const events = await this.readChunk(batch.topic, batch.partition, chunk);
        if ((await this.deliver(events, heartbeat)) === 'stopped') return false;
        this.commitAfterRecording(batch.topic, batch.partition, chunk.at(-1)!.offset + 1);
      }
      return true;
    });
  }

  async stop(): Promise<void> {
    await this.committing;
    await this.consumer.disconnect().catch(() => undefined);
  }

  /** The chunk's alert events; the records that are not one are dead-lettered (by the first target's reader). */
  private async readChunk(topic: string, partition: number, chunk: readonly ConsumedRecord[]): Promise<AlertEvent[]> {
    const events: AlertEvent[] = [];
    const letters: DeadLetter[] = [];
    for (const m of chunk) {
      const read = readAlertEvent(m.value);
      if ('event' in read) events.push(read.event);
      else {
        letters.push({
          topic,
          partition,
          offset: m.offset,
          timestamp: m.timestamp,
          key: m.key,
          value: m.value,
          code: 'KPI_ERR_INVALID_ALERT_EVENT',
          message: read.invalid,
        });
      }
    }
    if (letters.length > 0 && this.deadLettersInvalid) await this.context.deadLetter(letters);
    return events;
  }

  /**
   * Commits past a chunk once its attempts are recorded, so a crash after the
   * commit leaves none out of kpi.alert_deliveries (unless ClickHouse is away:
   * then the rows wait in memory, and delivery goes on). In the background,
   * in order: the next chunk is delivered meanwhile, and a crash before the
   * commit delivers again rather than loses.
   */
  private commitAfterRecording(topic: string, partition: number, offset: number): void {
    const { recorder, log } = this.context;
    this.committing = this.committing
      .then(async () => {
        await recorder.flush();
        await this.consumer.commit([{ topic, partition, offset }]);
      })
      .catch((error: unknown) =>
        log.warn({ topic, partition, offset }, `committing delivered alerts failed (${messageOf(error)}); they may be delivered again`),
      );
  }

  /** Delivers a chunk: one Alertmanager POST; webhook requests one per event, one fingerprint's in order, fingerprints side by side. */
  private async deliver(events: readonly AlertEvent[], heartbeat: () => Promise<void>): Promise<Outcome> {
    if (events.length === 0) return 'delivered';
    if (this.target.name === 'alertmanager') return this.untilDone(events, heartbeat);
    const byFingerprint = new Map<string, AlertEvent[]>();
    for (const event of events) byFingerprint.set(event.fingerprint, [...(byFingerprint.get(event.fingerprint) ?? []), event]);
    const each = await Promise.all(
      [...byFingerprint.values()].map(async (sequence) => {
        for (const event of sequence) if ((await this.untilDone([event], heartbeat)) === 'stopped') return 'stopped';
        return 'delivered';
      }),
    );
    return each.includes('stopped') ? 'stopped' : 'delivered';
  }

  private async untilDone(events: readonly AlertEvent[], heartbeat: () => Promise<void>): Promise<Outcome> {
    const { log, metrics, settings, signal } = this.context;
    const target = this.target;
    for (let attempt = 1; ; attempt += 1) {
      if (signal.aborted) return 'stopped';
      const sent = await target.send(events);
      const result = { ...sent, error: this.context.scrub(sent.error) };
      this.account(events, attempt, result);
      if (result.ok) return 'delivered';
      if (result.permanent) {
        log.error(
          { target: target.name, url: target.shown, attempt, events: events.length, status: result.status },
          `${target.name} refused ${events.length} alert event(s) for good (${result.error}): recorded as failed, not retried`,
        );
        return 'refused';
      }
      const delay = backoffDelay(attempt, result.retryAfterMs, settings.maxBackoffMs);
      log.warn(
        { target: target.name, url: target.shown, attempt, events: events.length, status: result.status },
        `delivering ${events.length} alert event(s) to ${target.name} failed (${result.error}); retrying in ${(delay / 1000).toFixed(1)}s`,
      );
      metrics.retries.inc({ target: target.name });
      metrics.retrying.inc({ target: target.name });
      try {
        await this.wait(delay, heartbeat);
      } finally {
        metrics.retrying.dec({ target: target.name });
      }
    }
  }

  private account(events: readonly AlertEvent[], attempt: number, result: Attempt): void {
    const { metrics, recorder } = this.context;
    const target = this.target.name;
    const now = Date.now();
    const outcome = result.ok ? 'delivered' : result.permanent ? 'refused' : 'failed';
    metrics.attempts.inc({ target, outcome });
    if (outcome === 'delivered') this.state.refusing = undefined;
    if (outcome === 'refused') this.state.refusing = `HTTP ${result.status} at ${new Date(now).toISOString()}`;
    for (const e of events) {
      const at = changedAt(e);
      const latencyMs = result.ok && at !== null ? now - at : null;
      if (outcome === 'delivered') {
        this.state.delivered += 1;
        metrics.delivered.inc({ target, type: e.type });
        if (latencyMs !== null) metrics.latency.observe({ target }, latencyMs / 1000);
      } else if (outcome === 'refused') {
        this.state.refused += 1;
        metrics.failed.inc({ target });
      }
      recorder.add({
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
        target,
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
    const { signal } = this.context;
    const until = Date.now() + ms;
    while (Date.now() < until && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(
          () => {
            signal.removeEventListener('abort', stop);
            resolve();
          },
          Math.min(3000, until - Date.now()),
        );
        signal.addEventListener('abort', stop, { once: true });
      });
      await heartbeat().catch(() => undefined);
    }
  }
}
