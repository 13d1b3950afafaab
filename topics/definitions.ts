import type { Config } from '../core/config.js';
import { longestMs } from '../core/retention.js';
import { EVENT_KINDS, type EventKind } from '../schemas/kinds.js';

const DAY = 86_400_000;

/** A topic kpi-stream reads or writes, as it must exist on the broker. */
export interface TopicDefinition {
  /** Full name, with KPI_TOPIC_PREFIX applied. */
  readonly name: string;
  /** Name in docs/contract.md, without prefix. */
  readonly contractName: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
  /** For input topics: the kind of event it carries. */
  readonly kind?: EventKind;
  readonly doc: string;
}

/** Contract names of the input topics (docs/contract.md), by event kind. */
export const INPUT_TOPIC_NAMES: Readonly<Record<EventKind, string>> = {
  production: 'factory.production.v1',
  telemetry: 'factory.telemetry.v1',
  inspection: 'quality.inspections.v1',
  feedback: 'customer.feedback.v1',
  selfReport: 'hr.self_reports.v1',
};

/** Who belongs where, over time (schemas/AssignmentChanged.avsc): read into kpi.assignments, not into windows. */
export const ASSIGNMENTS_TOPIC = 'hr.assignments.v1';
export const DEAD_LETTER_TOPIC = 'kpi.dlq.v1';
export const ALERTS_TOPIC = 'kpi.alerts.v1';
/** Live alerting's inputs and memory (alerting/inputs.ts): one partition, so one evaluator sees everything in one order. */
export const ALERT_INPUTS_TOPIC = 'kpi.alert_inputs.v1';
/** Decisions about flags and disputes (people/reviewEvents.ts), JSON, keyed by the flag or dispute id. */
export const REVIEWS_TOPIC = 'kpi.reviews.v1';

const INPUT_DOCS: Record<EventKind, string> = {
  production: 'ProductionReported from MES/ERP',
  telemetry: 'MachineTelemetry from the IoT gateway',
  inspection: 'QualityInspected from the QMS',
  feedback: 'CustomerFeedback from the CRM',
  selfReport: 'SelfReported from the HR portal',
};

/** Every topic, in the order `topics create` reports them. */
export function topicDefinitions(config: Config): TopicDefinition[] {
  const named = (contractName: string) => ({ contractName, name: `${config.topicPrefix}${contractName}` });
  return [
    ...EVENT_KINDS.map((kind) => ({
      ...named(INPUT_TOPIC_NAMES[kind]),
      partitions: config.topicPartitions,
      // Longer than the correction horizon, so every correctable window can be rebuilt from its inputs.
      retentionMs: config.correctionHorizon + 10 * DAY,
      cleanupPolicy: 'delete' as const,
      kind,
      doc: INPUT_DOCS[kind],
    })),
    {
      ...named(ASSIGNMENTS_TOPIC),
      partitions: config.topicPartitions,
      // Kept: an assignment made years ago still places today's windows, and a new or restored database reads them all again.
      retentionMs: -1,
      cleanupPolicy: 'delete',
      doc: 'AssignmentChanged from the HR system: employee to plant, team and supervisor, with validity intervals',
    },
    {
      ...named(DEAD_LETTER_TOPIC),
      partitions: config.topicPartitions,
      retentionMs: 90 * DAY,
      cleanupPolicy: 'delete',
      doc: 'Records that cannot be processed, with their original bytes and headers saying why',
    },
    {
      ...named(ALERTS_TOPIC),
      partitions: config.topicPartitions,
      // The outbox keeps an alert's events as long as a correction can still resolve it.
      retentionMs: config.correctionHorizon + 10 * DAY,
      cleanupPolicy: 'delete',
      doc: 'The outbox of alert events (firing, resolved), keyed by fingerprint, delivered from here to webhooks and Alertmanager',
    },
    {
      ...named(ALERT_INPUTS_TOPIC),
      partitions: 1,
      // Compacted: the latest of every window, flag and alert; deleted once no correction can reach them.
      retentionMs: config.correctionHorizon + 10 * DAY,
      cleanupPolicy: 'compact,delete',
      doc: "Live alerting's inputs: the processors' window snapshots, detection's flags and the evaluator's alert states",
    },
    {
      ...named(REVIEWS_TOPIC),
      // One partition: every decision in one order, so a dispute (keyed by its id) is applied after the review of its flag
      // (keyed by the flag's), and a replay decides every conflict as before. Decisions are a few a day per reviewer.
      partitions: 1,
      // As long as kpi.reviews keeps them (the retention of decisions, a month counted at 31 days): a replay can rebuild
      // the table, and no decision about a person outlives the table's retention in Kafka.
      retentionMs: longestMs(config.retention.decisions),
      cleanupPolicy: 'delete',
      doc: 'Decisions about flags and disputes (review, dispute opened, decided, withdrawn) as JSON, keyed by the flag or dispute id',
    },
  ];
}

/** The full name of an input topic under the configured prefix. */
export function inputTopic(config: Config, kind: EventKind): string {
  return `${config.topicPrefix}${INPUT_TOPIC_NAMES[kind]}`;
}

export function assignmentsTopic(config: Config): string {
  return `${config.topicPrefix}${ASSIGNMENTS_TOPIC}`;
}

export function deadLetterTopic(config: Config): string {
  return `${config.topicPrefix}${DEAD_LETTER_TOPIC}`;
}

export function alertsTopic(config: Config): string {
  return `${config.topicPrefix}${ALERTS_TOPIC}`;
}

export function alertInputsTopic(config: Config): string {
  return `${config.topicPrefix}${ALERT_INPUTS_TOPIC}`;
}

export function reviewsTopic(config: Config): string {
  return `${config.topicPrefix}${REVIEWS_TOPIC}`;
}

/** The kind of event an input topic carries, or undefined for other topics. */
export function kindOfTopic(config: Config, topic: string): EventKind | undefined {
  return EVENT_KINDS.find((kind) => inputTopic(config, kind) === topic);
}

/** The registry subject of a topic's values (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
