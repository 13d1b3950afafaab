import { FLAG_STATUSES, type FlagStatus } from '../contract/flag.js';
import type { Config } from '../core/config.js';
import type { KafkaProducer } from './client/port.js';
import { alertInputsTopic } from './definitions.js';

/** A flag's review status as live alerting learns it: anomaly rules fire only on a flag that stands (contract/flag.ts `flagStands`). */
export interface FlagStatusInput {
  /** contract/flagId.ts */
  readonly flag_id: string;
  readonly status: FlagStatus;
}

/** The port the applier of kpi.reviews.v1 tells live alerting through: every flag's status after the decisions applied. */
export type FlagStatusPublisher = (statuses: readonly FlagStatusInput[]) => Promise<void>;

/** The key of a flag's review status on kpi.alert_inputs.v1 (alerting/inputs.ts has the topic's other records). */
export function flagStatusInputKey(flagId: string): string {
  return ['r', flagId].join('\u0000');
}

/** A flag status record's value, or null when it is not one this version knows. */
export function readFlagStatusInput(value: Buffer): FlagStatusInput | null {
  const parsed = JSON.parse(value.toString('utf8')) as Partial<FlagStatusInput>;
  if (typeof parsed.flag_id !== 'string' || !(FLAG_STATUSES as readonly unknown[]).includes(parsed.status)) return null;
  return { flag_id: parsed.flag_id, status: parsed.status! };
}

/**
 * Publishes flag statuses to kpi.alert_inputs.v1 (compacted: the latest
 * status of each flag is what the evaluator rebuilds from). Publishing a
 * status again changes nothing, so the applier may repeat itself after a
 * crash or a rebalance.
 */
export function flagStatusesTo(producer: KafkaProducer, config: Config): FlagStatusPublisher {
  const topic = alertInputsTopic(config);
  return async (statuses) => {
    await producer.send(
      topic,
      statuses.map((s) => ({ key: flagStatusInputKey(s.flag_id), value: JSON.stringify({ flag_id: s.flag_id, status: s.status }) })),
    );
  };
}
