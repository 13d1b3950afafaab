import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, messageOf } from './errors.js';
import { DAY } from './time.js';

/**
 * How long kpi-stream keeps each kind of data in ClickHouse: the retention
 * file (KPI_RETENTION_FILE, docs/privacy.md) gives a period per kind, counted
 * from the time the data is about (a window's start, a dead letter's time).
 * Read and checked here, once, at start-up. Which tables hold each kind, and
 * their time columns, is sinks/clickhouse/retention.ts.
 *
 * A period is a whole number of days or months, as a ClickHouse INTERVAL
 * counts them ("90 days", "13 months"): retention is decided in calendar
 * months, and the file says what the table's TTL says.
 */

export type RetentionUnit = 'day' | 'month';

export interface RetentionPeriod {
  readonly count: number;
  readonly unit: RetentionUnit;
}

/** The kinds of data, each with its default period and what it holds (errors and docs name them). */
export const RETENTION_KINDS = {
  window_rows: { default: '13 months', holds: 'per-employee window metrics, with their event fingerprints and hourly measures' },
  scores: { default: '25 months', holds: 'scores and grades per employee and period' },
  flags: { default: '25 months', holds: 'inflation flags and measurement gaps, and the alerts delivered about them' },
  dead_letters: { default: '90 days', holds: 'records the processors could not use, with their raw bytes' },
  access_log: { default: '36 months', holds: "who read or erased a person's data through kpi-stream, when and why" },
  decisions: { default: '37 months', holds: 'reviews of flags and disputes: who decided what about whom, when and why' },
} as const;

export type RetentionKind = keyof typeof RETENTION_KINDS;
export type Retention = Readonly<Record<RetentionKind, RetentionPeriod>>;

const KINDS = Object.keys(RETENTION_KINDS) as RetentionKind[];
const PERIOD = /^\s*(\d+)\s*(day|days|month|months)\s*$/;
/** 100 years: far inside DateTime64's range (to 2299), so a row's expiry is always a real date. */
const LONGEST: Record<RetentionUnit, number> = { day: 36_500, month: 1_200 };

/** "90 days", "13 months", "1 month"; undefined when malformed or out of range (1 day to 100 years). */
export function parsePeriod(text: string): RetentionPeriod | undefined {
  const match = PERIOD.exec(text);
  if (!match) return undefined;
  const count = Number(match[1]);
  const unit: RetentionUnit = match[2]!.startsWith('day') ? 'day' : 'month';
  if (count < 1 || count > LONGEST[unit]) return undefined;
  return Object.freeze({ count, unit });
}

export function formatPeriod({ count, unit }: RetentionPeriod): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** The least time a period can last, in milliseconds (a month at its shortest: 28 days). */
export function shortestMs({ count, unit }: RetentionPeriod): number {
  return count * (unit === 'day' ? 1 : 28) * DAY;
}

/** The most time a period can last, in milliseconds (a month at its longest: 31 days). */
export function longestMs({ count, unit }: RetentionPeriod): number {
  return count * (unit === 'day' ? 1 : 31) * DAY;
}

/** Every kind at its default. */
export const DEFAULT_RETENTION: Retention = Object.freeze(
  Object.fromEntries(KINDS.map((kind) => [kind, parsePeriod(RETENTION_KINDS[kind].default)!])) as Retention,
);

/**
 * The retention a file's document asks for: a mapping of kind to period; kinds
 * left out keep their default. A problem throws ConfigError naming `key` (the
 * setting), the file and the kind.
 */
export function parseRetention(document: unknown, path: string, key: string): Retention {
  const fail = (message: string): never => {
    throw new ConfigError(key, `${path}: ${message}`);
  };
  if (document === null || document === undefined) return DEFAULT_RETENTION;
  if (typeof document !== 'object' || Array.isArray(document)) return fail(`expected a mapping of kind to period (${KINDS.join(', ')})`);
  const retention: Record<string, RetentionPeriod> = { ...DEFAULT_RETENTION };
  for (const [kind, value] of Object.entries(document)) {
    if (!(KINDS as string[]).includes(kind)) fail(`unknown kind of data ${JSON.stringify(kind)}; the kinds are ${KINDS.join(', ')}`);
    const period = typeof value === 'string' ? parsePeriod(value) : undefined;
    if (period === undefined) {
      fail(
        `${kind} (${RETENTION_KINDS[kind as RetentionKind].holds}): expected a number of days or months from 1 day to 100 years, such as "90 days" or "13 months", got ${JSON.stringify(value)}`,
      );
    }
    retention[kind] = period!;
  }
  return Object.freeze(retention) as Retention;
}

/** The retention in a file (YAML or JSON); a file that cannot be read or parsed throws ConfigError naming `key`. */
export function readRetention(path: string, key: string): Retention {
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(key, `cannot read ${path}: ${messageOf(error)}`);
  }
  return parseRetention(document, path, key);
}
