import { Counter, type Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { DAY } from '../core/time.js';
import { serializer } from '../core/serialize.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import type { ScoringModel } from '../scoring/model.js';
import { alertInputsTopic, alertsTopic } from '../topics/definitions.js';
import { kafkaClient } from '../topics/client/client.js';
import type { GroupConsumer, KafkaAdmin, KafkaProducer, TopicBatch } from '../topics/client/port.js';
import { withKafkaRetries } from '../topics/kafka.js';
import type { FlagPublisher } from '../detection/analytics.js';
import { AlertEvaluator } from './evaluator.js';
import { decodeInput, encodeFlagInput, flagInputKey, stateInputKey } from './inputs.js';
import type { AlertRule } from './rules.js';
import type { AlertPrivacy } from './people.js';
import type { AlertEvent } from '../contract/alertEvent.js';

/** How often rules are judged again without new inputs: alerts a cooldown held back fire once it is over. */
const TICK_MS = 1000;
const FORGET_EVERY_MS = 60_000;

/** Runs `work` with a publisher of detection's flags to live alerting when KPI_ALERT_RULES is set (else none). */
export async function withFlagPublisher<T>(config: Config, log: Logger, work: (publish: FlagPublisher | undefined) => Promise<T>): Promise<T> {
  if (!config.alertRules) return work(undefined);
  const producer = kafkaClient(config, 'kpi-stream-analytics', log).producer();
  await producer.connect();
  try {
    return await work(flagPublisherTo(producer, config));
  } finally {
    await producer.disconnect();
  }
}

/** Publishes detection's flags of a range for anomaly rules, through `producer`: the current ones, and a removal for each that no longer stands. */
export function flagPublisherTo(producer: KafkaProducer, config: Config): FlagPublisher {
  return async (before, after) => {
    const current = new Map(after.map((f) => [flagInputKey(f), f]));
    await producer.send(alertInputsTopic(config), [
      ...[...current].map(([key, flag]) => ({ key, value: encodeFlagInput(flag) })),
      ...before.filter((f) => !current.has(flagInputKey(f))).map((f) => ({ key: flagInputKey(f), value: null })),
    ]);
  };
}

export interface EvaluatorSettings {
  readonly rules: readonly AlertRule[];
  readonly catalog: KpiCatalog;
  readonly model: ScoringModel;
  readonly privacy: AlertPrivacy;
}

/**
 * The one place alert rules are judged: a member of consumer group
 * KPI_GROUP_ID + ".alerting" on the single partition of kpi.alert_inputs.v1
 * (so one member is active and the others stand by). On taking the
 * partition it reads the topic from the start — window snapshots, flags,
 * their review statuses and its own alert states — judges everything once (raising what changed while
 * no evaluator ran), then judges each batch of inputs as it arrives. Every
 * event goes to the outbox kpi.alerts.v1 (key: fingerprint) before its
 * alert's new state is recorded, so a crash in between raises the event
 * again with the same id, never loses it.
 */
export class AlertingEvaluator {
  private readonly consumer: GroupConsumer;
  private readonly producer: KafkaProducer;
  private readonly admin: KafkaAdmin;
  private readonly exclusive = serializer();
  private evaluator: AlertEvaluator;
  /** Offset to read up to before going live; undefined once live or while not holding the partition. */
  private restoringTo: Promise<number | undefined> | undefined;
  private live = false;
  private forgotAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly raised: Counter<'type' | 'rule'>;
  /** Every event raised by this process, in order (tests and the demo read it). */
  readonly events: AlertEvent[] = [];

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly settings: EvaluatorSettings,
    registry: Registry,
  ) {
    const kafka = kafkaClient(config, 'kpi-stream-alert-evaluator', log);
    this.consumer = kafka.groupConsumer({ groupId: `${config.groupId}.alerting`, maxWaitMs: 50 });
    this.producer = kafka.producer();
    this.admin = kafka.admin();
    this.evaluator = new AlertEvaluator(settings.rules, settings.catalog, settings.model, settings.privacy);
    this.raised = new Counter({
      name: 'kpi_alert_events_total',
      help: 'Alert events raised, by type and rule.',
      labelNames: ['type', 'rule'],
      registers: [registry],
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    const admin = this.admin;
    await admin.connect();
    const topic = alertInputsTopic(this.config);
    // The group never commits: a member taking the partition reads it from the earliest offset, the start.
    await this.consumer.run([topic], (batch, { heartbeat }) => this.read(batch, heartbeat), {
      joined: ({ partitions }) => {
        const mine = [...partitions.values()].flat().length > 0;
        void this.exclusive(async () => {
          this.evaluator = new AlertEvaluator(this.settings.rules, this.settings.catalog, this.settings.model, this.settings.privacy);
          this.live = false;
          // Right after the topic is created its leader may not be known yet: retried, like every admin request.
          this.restoringTo = mine
            ? withKafkaRetries(`reading the end of ${topic}`, this.log, () => admin.topicOffsets(topic)).then((offsets) => offsets[0]!.high)
            : undefined;
          // Awaited by the next judgement (which fails and is retried if this did): never an unhandled rejection meanwhile.
          this.restoringTo?.catch(() => undefined);
          if (mine) this.log.info('holding the alert inputs: reading them from the start');
        });
      },
    });
    // The tick also takes the evaluator live on an empty topic, which sends no batch.
    this.timer = setInterval(
      () => void this.exclusive(() => this.judge(undefined)).catch((error) => this.log.error({ err: error }, 'judging alert rules failed')),
      TICK_MS,
    );
  }

  /** Applies a batch of inputs and judges them; the position moves past it once judged (a failure reads it again). */
  private async read(batch: TopicBatch, heartbeat: () => Promise<void>): Promise<boolean> {
    if (batch.records.length === 0) return true;
    await this.exclusive(async () => {
      for (const record of batch.records) {
        const input = decodeInput(record.key, record.value);
        if (input?.type === 'window') this.evaluator.applyWindow(input.snapshot);
        else if (input?.type === 'flag') this.evaluator.applyFlag(input.key, input.flag);
        else if (input?.type === 'flag_status') this.evaluator.applyFlagStatus(input.flagId, input.status);
        else if (input?.type === 'state') this.evaluator.restoreAlert(input.state);
      }
      await this.judge(batch.records.at(-1)!.offset + 1);
    });
    await heartbeat();
    return true;
  }

  /** Judges what changed (everything, the moment the restore reached the end) and raises the events. */
  private async judge(readTo: number | undefined): Promise<void> {
    const now = Date.now();
    let events: AlertEvent[];
    if (!this.live) {
      const target = await this.restoringTo;
      if (target === undefined || (readTo ?? 0) < target) return;
      this.live = true;
      events = this.evaluator.evaluateAll(now);
      this.log.info(`alert inputs read (${target} records): judging rules live`);
    } else {
      events = this.evaluator.evaluate(now);
    }
    if (now - this.forgotAt > FORGET_EVERY_MS && this.evaluator.latestWindowEnd > 0) {
      // Windows past the correction horizon can change no more: memory follows the horizon, not the history.
      this.evaluator.forget(this.evaluator.latestWindowEnd - this.config.correctionHorizon - DAY);
      this.forgotAt = now;
    }
    if (events.length === 0) return;
    await this.producer.send(
      alertsTopic(this.config),
      events.map((e) => ({ key: e.fingerprint, value: JSON.stringify(e) })),
    );
    await this.producer.send(
      alertInputsTopic(this.config),
      this.evaluator.statesOf(events).map((s) => ({ key: stateInputKey(s.fingerprint), value: JSON.stringify(s) })),
    );
    for (const e of events) {
      this.raised.inc({ type: e.type, rule: e.rule });
      this.events.push(e);
      this.log.info({ rule: e.rule, fingerprint: e.fingerprint, id: e.id }, `${e.type}: ${e.explanation}`);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.admin.disconnect().catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined);
    await this.exclusive(async () => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }
}
