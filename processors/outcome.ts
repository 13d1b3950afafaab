import type { DeadLetterCode } from '../core/errors.js';

/** A record whose kind and event_id were applied before: the same bytes, or other bytes (counted once either way). */
export type Repeat = 'duplicate' | 'conflicting-duplicate';

/**
 * What became of a record, the one name for it from the window to the
 * metrics: counted, a repeat, or the code it was dead-lettered with.
 */
export type RecordOutcome = 'accepted' | Repeat | DeadLetterCode;
