import type { KindedEvent } from '../schemas/kinds.js';

/**
 * The two times of every event: `windowTime` places it in a window (an
 * inspection belongs to when the units were produced), `observedTime` is when
 * the source system observed it and drives the partition's clock (an
 * inspection is observed when inspected, days later).
 */
export function windowTimeOf(tagged: KindedEvent): number {
  switch (tagged.kind) {
    case 'production':
      return tagged.event.event_time;
    case 'telemetry':
      return tagged.event.interval_start;
    case 'inspection':
      return tagged.event.production_time;
    case 'feedback':
      return tagged.event.production_time;
    case 'selfReport':
      return tagged.event.period_start;
  }
}

export function observedTimeOf(tagged: KindedEvent): number {
  switch (tagged.kind) {
    case 'production':
      return tagged.event.event_time;
    case 'telemetry':
      return tagged.event.interval_end;
    case 'inspection':
      return tagged.event.inspected_time;
    case 'feedback':
      return tagged.event.feedback_time;
    case 'selfReport':
      return tagged.event.submitted_time;
  }
}
