import type { WindowSnapshot } from '../contract/windowSnapshot.js';
import type { AlertState, FlagState } from './evaluator.js';

/**
 * The records of kpi.alert_inputs.v1, the evaluator's inputs and memory: one
 * compacted, single-partition topic, so one evaluator sees every input in one
 * order and a restarted one rebuilds its state by reading it from the start.
 *
 * - `w␀employee␀window_start` → a window snapshot (processors; the highest version wins);
 * - `f␀employee␀window_start␀kind␀method` → a flag, or null once detection no longer raises it (analytics);
 * - `s␀fingerprint` → an alert's state (the evaluator, after each event it raised).
 */
export type AlertInput =
  | { readonly type: 'window'; readonly snapshot: WindowSnapshot }
  | { readonly type: 'flag'; readonly key: string; readonly flag: FlagState | null }
  | { readonly type: 'state'; readonly state: AlertState };

const SEP = '\u0000';

export { windowInputKey } from '../topics/liveWindows.js';

export function flagInputKey(f: Pick<FlagState, 'employee_id' | 'window_start' | 'kind' | 'method'>): string {
  return ['f', f.employee_id, f.window_start, f.kind, f.method].join(SEP);
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
      return { type: 'flag', key: text, flag: value === null ? null : (json() as FlagState) };
    case `s${SEP}`:
      return value === null ? null : { type: 'state', state: json() as AlertState };
    default:
      return null;
  }
}
