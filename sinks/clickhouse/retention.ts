import { SinkError } from '../../core/errors.js';
import type { Retention, RetentionKind, RetentionPeriod } from '../../core/retention.js';

/**
 * Which tables hold each kind of data (core/retention.ts) and the column that
 * says when a row's data is about: a table's TTL is that column plus its
 * kind's period (KPI_RETENTION_FILE). The column is part of the sorting key
 * of a ReplacingMergeTree here, or later for a later version of a key (a dead
 * letter written again), so a TTL never deletes a key's current version before
 * an older one and the FINAL views never fall back to an older version.
 * `migrate` sets the TTLs (docs/privacy.md).
 */
export const TABLE_RETENTION: Readonly<Record<string, { readonly kind: RetentionKind; readonly timeColumn: string }>> = {
  employee_window_metrics: { kind: 'window_rows', timeColumn: 'window_start' },
  employee_scores: { kind: 'scores', timeColumn: 'period_start' },
  anomalies: { kind: 'flags', timeColumn: 'window_start' },
  // By the window the alert is about, not by the attempt: all attempts at one alert go together.
  alert_deliveries: { kind: 'flags', timeColumn: 'window_start' },
  // By when it was dead-lettered: the record's own timestamp is the producer's, and may be anything.
  dead_letters: { kind: 'dead_letters', timeColumn: 'dead_lettered_at' },
  access_log: { kind: 'access_log', timeColumn: 'at' },
  // By when the person decided: a decision outlives the flag it is about (flags: 25 months from their window).
  reviews: { kind: 'decisions', timeColumn: 'at' },
};

/** Tables kept without a TTL, and why. */
export const KEPT_TABLES: Readonly<Record<string, string>> = {
  // About people, but the key to every kept row: a TTL could not tell a superseded submission from a standing one.
  assignments:
    "who belonged where and when: every kept window row takes its plant and team from it, however long ago the assignment began, and a TTL by its own times would delete a long-standing assignment, or a correction before the submission it replaced; a person's assignments go with `subject erase`",
  pseudonyms:
    "each person's pseudonym, one row per person: the BI views show a person's kept rows only while it stands, and it has no time of its own to count from; it goes with `subject erase`, and a person whose rows have all expired keeps it (an id and a keyed hash, no figure) until then",
  applied_migrations: 'which migrations ran and when: the schema history, about no one',
  analytics_progress: 'how far the analytics service got: one time per service, about no one',
  scoring_models: 'the scoring models (weights, targets, bands, by station): every kept score names its version, which must stay reproducible',
};

/** A table's TTL under a retention, as ClickHouse writes it back (system.tables). */
export function ttlExpression(timeColumn: string, { count, unit }: RetentionPeriod): string {
  return `${timeColumn} + ${unit === 'day' ? 'toIntervalDay' : 'toIntervalMonth'}(${count})`;
}

/** The TTL clause of a table's engine (system.tables.engine_full), or undefined without one. */
export function ttlOfEngine(engineFull: string): string | undefined {
  return /\sTTL\s+(.+?)(?:\s+SETTINGS\s.*)?$/s.exec(engineFull)?.[1]?.trim();
}

/**
 * Whether setting TTL `planned` where a table has `current` could delete rows
 * the current one keeps: a shorter period of the same unit, a period in days
 * shorter than a month can be, or a TTL that is not kpi-stream's own form.
 */
export function shortensTtl(planned: string, current: string): boolean {
  const period = (ttl: string) => /toInterval(Day|Month)\((\d+)\)\s*$/.exec(ttl);
  const [p, c] = [period(planned), period(current)];
  if (!p || !c) return true;
  if (p[1] === c[1]) return Number(p[2]) < Number(c[2]);
  // Months last 28 to 31 days: compare the planned period at its shortest with the current at its longest.
  const days = (match: RegExpExecArray, month: number) => Number(match[2]) * (match[1] === 'Month' ? month : 1);
  return days(p, 28) < days(c, 31);
}

/** Whether two TTL expressions are the same, whitespace and quoting aside. */
export function sameTtl(a: string | undefined, b: string): boolean {
  const plain = (ttl: string) => ttl.replace(/[\s`]/g, '');
  return a !== undefined && plain(a) === plain(b);
}

const NAME = '([A-Za-z_][A-Za-z0-9_]*|`[^`]+`)';
const CREATE_TABLE = new RegExp(`^CREATE\\s+(?:OR\\s+REPLACE\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(?:${NAME}\\s*\\.\\s*)?${NAME}`, 'i');
const DROP_TABLE = new RegExp(`^DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?(?:${NAME}\\s*\\.\\s*)?${NAME}`, 'i');

/** The tables these statements leave behind (made, and not dropped later), in the order they were made. */
export function tablesMadeBy(statements: readonly string[]): string[] {
  const tables = new Set<string>();
  const bare = (name: string) => name.replace(/^`|`$/g, '');
  for (const statement of statements) {
    const created = CREATE_TABLE.exec(statement.trim());
    if (created) tables.add(bare(created[2]!));
    const dropped = DROP_TABLE.exec(statement.trim());
    if (dropped) tables.delete(bare(dropped[2]!));
  }
  return [...tables];
}

/** A table's TTL under the retention. */
export interface TableTtl {
  readonly table: string;
  readonly kind: RetentionKind;
  readonly ttl: string;
}

/**
 * The TTL of each table under the retention. A table that is neither in
 * TABLE_RETENTION nor in KEPT_TABLES stops the migration before it changed
 * anything: every table gets a retention, or a reason to keep it.
 */
export function tableTtls(tables: readonly string[], retention: Retention): TableTtl[] {
  const unknown = tables.filter((table) => !Object.hasOwn(TABLE_RETENTION, table) && !Object.hasOwn(KEPT_TABLES, table));
  if (unknown.length > 0) {
    throw new SinkError(
      `the migrations make ${unknown.map((t) => `table ${t}`).join(', ')} without a retention: give each a kind of data and its time column in TABLE_RETENTION, or a reason to keep it in KEPT_TABLES (sinks/clickhouse/retention.ts, docs/privacy.md)`,
    );
  }
  return tables.flatMap((table) => {
    const rule = Object.hasOwn(TABLE_RETENTION, table) ? TABLE_RETENTION[table] : undefined;
    return rule ? [{ table, kind: rule.kind, ttl: ttlExpression(rule.timeColumn, retention[rule.kind]) }] : [];
  });
}
