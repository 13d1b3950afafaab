import { createHash } from 'node:crypto';

/** What identifies a flag: the key of its row in kpi.anomalies. */
export interface FlagKey {
  readonly employeeId: string;
  /** The flagged window's start, epoch milliseconds. */
  readonly windowStart: number;
  readonly kind: string;
  readonly method: string;
}

/** A flag id: `f_` and 24 hexadecimal characters. */
export const FLAG_ID = /^f_[0-9a-f]{24}$/;

/**
 * A flag's stable id: `f_` and the first 24 hexadecimal characters of the
 * SHA-256 of its key, the fields joined by newlines, the window's start in
 * epoch milliseconds. Detection may write a flag again (a new run over its
 * window): the id stays. The views compute the same in SQL (migration
 * 0020_reviews.sql, `flags_current`):
 *   concat('f_', substring(lower(hex(SHA256(concat(employee_id, '\n',
 *     toString(toUnixTimestamp64Milli(window_start)), '\n', kind, '\n', method)))), 1, 24))
 * Only the employee id is free text, and it comes first, so no two keys
 * join to the same text.
 */
export function flagId({ employeeId, windowStart, kind, method }: FlagKey): string {
  const text = `${employeeId}\n${windowStart}\n${kind}\n${method}`;
  return `f_${createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 24)}`;
}
