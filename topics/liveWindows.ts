import type { LiveWindows, WindowSnapshot } from '../contract/windowSnapshot.js';
import type { Config } from '../core/config.js';
import type { KafkaProducer } from './client/port.js';
import { alertInputsTopic } from './definitions.js';

/** The key of a window snapshot on kpi.alert_inputs.v1 (alerting/inputs.ts has the topic's other records). */
export function windowInputKey(s: Pick<WindowSnapshot, 'employee_id' | 'window_start'>): string {
  return ['w', s.employee_id, s.window_start].join('\u0000');
}

/** The processors' port to live alerting: each batch's changed windows, to kpi.alert_inputs.v1. */
export function liveWindowsTo(producer: KafkaProducer, config: Config): LiveWindows {
  const topic = alertInputsTopic(config);
  return {
    publish: async (snapshots: readonly WindowSnapshot[]) => {
      await producer.send(
        topic,
        snapshots.map((s) => ({ key: windowInputKey(s), value: JSON.stringify(s) })),
      );
    },
  };
}
