import type { FlagStatus, FlagSummary } from '../contract/flag.js';
import type { WindowSnapshot } from '../contract/windowSnapshot.js';
import { readFlagStatusInput } from '../topics/flagStatuses.js';
import type { AlertState } from './evaluator.js';

/**
 * The records of kpi.alert_inputs.v1, the evaluator's inputs and memory: one
 * compacted, single-partition topic, so one evaluator sees every input in one
 * order and a restarted one rebuilds its state by reading it from the start.
 *
 * - `w␀employee␀window_start` → a window snapshot (processors; the highest version wins);
 * - `f␀employee␀window_start␀kind␀method` → a flag's summary (its JSON below), or null once detection no longer raises it (analytics);
 * - `r␀flag_id` → a flag's review status (the applier of kpi.reviews.v1, topics/flagStatuses.ts); none: proposed;
 * - `s␀fingerprint` → an alert's state (the evaluator, after each event it raised).
 */
export type AlertInput =
  | { readonly type: 'window'; readonly snapshot: WindowSnapshot }
  | { readonly type: 'flag'; readonly key: string; readonly flag: FlagSummary | null }
  | { readonly type: 'flag_status'; readonly flagId: string; readonly status: FlagStatus }
  | { readonly type: 'state'; readonly state: AlertState };

const SEP = '\u0000';

export { windowInputKey } from '../topics/liveWindows.js';
export { flagStatusInputKey } from '../topics/flagStatuses.js';

export function flagInputKey(f: Pick<FlagSummary, 'employeeId' | 'windowStart' | 'kind' | 'method'>): string {
  return ['f', f.employeeId, f.windowStart, f.kind, f.method].join(SEP);
}

/** A flag's summary as the topic holds it (snake_case, as since the topic began: a compacted topic keeps old records). */
interface FlagInput {
  readonly employee_id: string;
  readonly station_id: string;
  readonly window_start: number;
  readonly window_end: number;
  readonly kind: FlagSummary['kind'];
  readonly method: FlagSummary['method'];
  readonly severity: FlagSummary['severity'];
  readonly explanation: string;
}

export function encodeFlagInput(f: FlagSummary): string {
  return JSON.stringify({
    employee_id: f.employeeId,
    station_id: f.stationId,
    window_start: f.windowStart,
    window_end: f.windowEnd,
    kind: f.kind,
    method: f.method,
    severity: f.severity,
    explanation: f.explanation,
  } satisfies FlagInput);
}

function decodeFlagInput(f: FlagInput): FlagSummary {
  return {
    employeeId: f.employee_id,
    stationId: f.station_id,
    windowStart: f.window_start,
    windowEnd: f.window_end,
    kind: f.kind,
    method: f.method,
    severity: f.severity,
    explanation: f.explanation,
  };
}

export function stateInputKey(fingerprint: string): string {
  return ['s', fingerprint].join(SEP);
}

/** A Kafka message of the inputs topic; null for a record this version does not know (a newer writer's). */
export function decodeInput(key: Buffer | null, value: Buffer | null): AlertInput | null {
  const text = key?.toString('utf8') ?? '';
  const json = () => JSON.parse(value!.toString('utf8')) as unknown;
  switch (text.slice(0, 2)) {
    case `w${SEP}`:
      return value === null ? null : { type: 'window', snapshot: json() as WindowSnapshot };
    case `f${SEP}`:
      return { type: 'flag', key: text, flag: value === null ? null : decodeFlagInput(json() as FlagInput) };
    case `r${SEP}`: {
      const read = value === null ? null : readFlagStatusInput(value);
      return read === null ? null : { type: 'flag_status', flagId: read.flag_id, status: read.status };
    }
    case `s${SEP}`:
      return value === null ? null : { type: 'state', state: json() as AlertState };
    default:
      return null;
  }
}
