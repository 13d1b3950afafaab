import type { AssignmentChanged, CustomerFeedback, MachineTelemetry, ProductionReported, QualityInspected, SelfReported } from './events.js';

/** The five kinds of input event, in the order of docs/contract.md. */
export const EVENT_KINDS = ['production', 'telemetry', 'inspection', 'feedback', 'selfReport'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface EventOfKind {
  production: ProductionReported;
  telemetry: MachineTelemetry;
  inspection: QualityInspected;
  feedback: CustomerFeedback;
  selfReport: SelfReported;
}

export type InputEvent = EventOfKind[EventKind];

/** A decoded event tagged with its kind, so code can switch on `kind`. */
export type KindedEvent = { [K in EventKind]: { kind: K; event: EventOfKind[K] } }[EventKind];

/**
 * Every kind of record kpi-stream reads from Kafka: the five input events, which the processors turn into
 * windows, and the organisation's assignments (hr.assignments.v1), which place an employee in a plant and team.
 */
export const RECORD_KINDS = [...EVENT_KINDS, 'assignment'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface RecordOfKind extends EventOfKind {
  assignment: AssignmentChanged;
}

/** Avro record name (namespace kpi.events) of each kind; the .avsc file is named after it. */
export const RECORD_NAMES: Readonly<Record<RecordKind, string>> = {
  production: 'ProductionReported',
  telemetry: 'MachineTelemetry',
  inspection: 'QualityInspected',
  feedback: 'CustomerFeedback',
  selfReport: 'SelfReported',
  assignment: 'AssignmentChanged',
};

export const NAMESPACE = 'kpi.events';
