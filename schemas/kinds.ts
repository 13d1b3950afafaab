import type { CustomerFeedback, MachineTelemetry, ProductionReported, QualityInspected, SelfReported } from './events.js';

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

/** Avro record name (namespace kpi.events) of each kind; the .avsc file is named after it. */
export const RECORD_NAMES: Readonly<Record<EventKind, string>> = {
  production: 'ProductionReported',
  telemetry: 'MachineTelemetry',
  inspection: 'QualityInspected',
  feedback: 'CustomerFeedback',
  selfReport: 'SelfReported',
};

export const NAMESPACE = 'kpi.events';
