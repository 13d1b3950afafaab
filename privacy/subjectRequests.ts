import { pseudonymKey, type Config } from '../core/config.js';
import { SinkError } from '../core/errors.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { recordAccess, type AccessRequest } from '../sinks/clickhouse/queries/accessLog.js';
import {
  PERSONAL_TABLES,
  checkPersonalTablesListed,
  countPersonalRows,
  erasePersonalRows,
  readPersonalRows,
  type ColumnOf,
  type Subject,
} from '../sinks/clickhouse/queries/personalData.js';
import { readPseudonymsOf } from '../sinks/clickhouse/queries/pseudonyms.js';
import { pseudonymOf } from './pseudonym.js';
import { topicDefinitions } from '../topics/definitions.js';

/**
 * A data subject's requests (GDPR Art. 15 access, Art. 17 erasure) over what
 * kpi-stream holds in ClickHouse about one person: every table of
 * PERSONAL_TABLES. Both are written to the access log before the data is
 * handed out or removed.
 */

/** One person, and who asks for their data and why. */
export interface SubjectRequest extends AccessRequest {
  readonly employeeId: string;
}

/** A line of progress (a table read or erased), for a long request. */
export type Progress = (line: string) => void;

/** A Kafka topic that keeps records until its retention, whatever ClickHouse holds. */
export interface RetainedTopic {
  readonly topic: string;
  readonly retentionMs: number;
  readonly cleanupPolicy: string;
  readonly holds: string;
}

/** Everything ClickHouse holds about one person, by table, and the topics that keep their records. */
export interface SubjectExport {
  readonly employee_id: string;
  readonly database: string;
  readonly exported_at: string;
  readonly tables: Record<
    string,
    { readonly holds: string; readonly employee_column: string; readonly columns: ColumnOf[]; readonly rows: Record<string, unknown>[] }
  >;
  /** Outside ClickHouse: every topic may hold the person's records until its retention. */
  readonly kafka_topics: readonly { readonly topic: string; readonly retention_ms: number; readonly cleanup_policy: string; readonly holds: string }[];
}

export interface SubjectErasure {
  /** Rows removed per erased table (all of the person's rows there). */
  readonly removed: readonly { table: string; rows: number }[];
  /** Tables left as they are (the access log), with the person's rows there. */
  readonly kept: readonly { table: string; rows: number; holds: string }[];
  readonly kafkaTopics: readonly RetainedTopic[];
}

/** Every topic kpi-stream defines, with its retention: each may hold the person's records (keyed by their id, or naming them). */
export function retainedTopics(config: Config): RetainedTopic[] {
  return topicDefinitions(config).map((d) => ({ topic: d.name, retentionMs: d.retentionMs, cleanupPolicy: d.cleanupPolicy, holds: d.doc }));
}

/**
 * Reads every row of the person from every personal table (the access log's
 * too: who read their data), records the export in the access log, then
 * returns it.
 */
export async function exportSubject(client: ClickHouseClient, config: Config, request: SubjectRequest, progress: Progress = () => {}): Promise<SubjectExport> {
  await checkPersonalTablesListed(client);
  const tables: Record<string, SubjectExport['tables'][string]> = {};
  const subject = await subjectOf(client, config, request.employeeId);
  for (const table of PERSONAL_TABLES) {
    const { columns, rows } = await readPersonalRows(client, table, subject);
    tables[table.table] = { holds: table.holds, employee_column: table.employeeColumn, columns, rows };
    progress(`${table.table}: ${rows.length} rows`);
  }
  await recordAccess(client, {
    ...accessOf(request),
    action: 'subject_export',
    details: { rows: Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, t.rows.length])) },
  });
  return {
    employee_id: request.employeeId,
    database: config.clickhouseDatabase,
    exported_at: new Date().toISOString(),
    tables,
    kafka_topics: retainedTopics(config).map((t) => ({ topic: t.topic, retention_ms: t.retentionMs, cleanup_policy: t.cleanupPolicy, holds: t.holds })),
  };
}

/**
 * The person and the pseudonyms alerts sent about them carry: the one under
 * the key now (KPI_PSEUDONYM_KEY, needed for that) and those kpi.pseudonyms
 * still holds from an earlier key.
 */
export async function subjectOf(client: ClickHouseClient, config: Config, employeeId: string): Promise<Subject> {
  const pseudonyms = new Set([pseudonymOf(pseudonymKey(config), employeeId), ...(await readPseudonymsOf(client, employeeId))]);
  return { employeeId, pseudonyms: [...pseudonyms] };
}

/** How many rows each personal table holds about the person: what an erasure would remove (and what it keeps). */
export async function countSubjectRows(client: ClickHouseClient, subject: Subject): Promise<{ table: string; rows: number; erasable: boolean }[]> {
  await checkPersonalTablesListed(client);
  const counts = [];
  for (const table of PERSONAL_TABLES) counts.push({ table: table.table, rows: await countPersonalRows(client, table, subject), erasable: table.erasable });
  return counts;
}

/**
 * Records the erasure in the access log, removes every row of the person from
 * every erasable personal table, then reads each table again: a row still
 * readable there fails the erasure. The access log keeps its rows (the audit
 * trail of this erasure among them).
 */
export async function eraseSubject(client: ClickHouseClient, config: Config, request: SubjectRequest, progress: Progress = () => {}): Promise<SubjectErasure> {
  const subject = await subjectOf(client, config, request.employeeId);
  const before = await countSubjectRows(client, subject);
  await recordAccess(client, {
    ...accessOf(request),
    action: 'subject_erase',
    details: { rows: Object.fromEntries(before.filter((c) => c.erasable).map((c) => [c.table, c.rows])) },
  });
  const erasable = PERSONAL_TABLES.filter((t) => t.erasable);
  for (const table of erasable) {
    await erasePersonalRows(client, table, subject);
    progress(`${table.table}: erased`);
  }
  const remaining = [];
  for (const table of erasable) {
    const rows = await countPersonalRows(client, table, subject);
    if (rows > 0) remaining.push(`${table.table} (${rows})`);
  }
  if (remaining.length > 0) throw new SinkError(`rows of ${request.employeeId} are still readable after the erasure: ${remaining.join(', ')}`);
  const kept = [];
  for (const table of PERSONAL_TABLES.filter((t) => !t.erasable))
    kept.push({ table: table.table, rows: await countPersonalRows(client, table, subject), holds: table.holds });
  return { removed: before.filter((c) => c.erasable).map(({ table, rows }) => ({ table, rows })), kept, kafkaTopics: retainedTopics(config) };
}

function accessOf(request: SubjectRequest) {
  return { actor: request.actor, purpose: request.purpose, employeeId: request.employeeId };
}
