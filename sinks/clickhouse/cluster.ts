import type { Config } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';

/**
 * Where kpi-stream's tables live on a ClickHouse cluster (KPI_CLICKHOUSE_CLUSTER),
 * and the one renderer that turns every statement of the migrations (and of the
 * generated views) into its cluster form. On one node nothing is rendered: the
 * files run as they are.
 *
 * The layout (docs/cluster.md says why):
 * - Every table of a migration becomes two: `<name>_local`, a Replicated*MergeTree
 *   on each node (Keeper path `/clickhouse/tables/{shard}/{database}/{table}`,
 *   replica `{replica}`: the servers' macros), and `<name>`, a Distributed table
 *   over it, sharded by a hash of the table's sorting key. So every name the
 *   contract, the views, BI tools and kpi-stream's own queries use is the
 *   Distributed table, which reads all shards and routes inserts; and all
 *   versions of one row key land on one shard, where ReplacingMergeTree and
 *   FINAL see them together.
 * - Views are made ON CLUSTER over the Distributed tables, unchanged.
 * - What changes storage (mutations, TTL, settings, indexes) goes to the local
 *   tables; column changes to both, local first (dropping: Distributed first).
 * - Access statements (roles, users, grants, row policies, quotas, profiles) run
 *   ON CLUSTER; a grant or row policy on a table covers its local table too,
 *   which a shard reads as the user who asked.
 * A statement of any other kind stops the migration with a ConfigError naming
 * KPI_CLICKHOUSE_CLUSTER and the statement's migration: never a guess.
 */

/** The cluster and database kpi-stream's tables live in. */
export interface ClusterPlacement {
  readonly cluster: string;
  readonly database: string;
}

/** The placement KPI_CLICKHOUSE_CLUSTER asks for; undefined on one node. */
export function clusterPlacement(config: Pick<Config, 'clickhouseCluster' | 'clickhouseDatabase'>): ClusterPlacement | undefined {
  return config.clickhouseCluster === undefined ? undefined : { cluster: config.clickhouseCluster, database: config.clickhouseDatabase };
}

/** The name of a table's storage on each node. */
export const LOCAL_SUFFIX = '_local';

/** ZooKeeper/Keeper path of a replicated table: one per shard, the database and local table by macro. */
export const REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}'";
const REPLICA_NAME = "'{replica}'";

/** The engines that have a Replicated twin. */
const MERGE_TREES = new Set([
  'MergeTree',
  'ReplacingMergeTree',
  'SummingMergeTree',
  'AggregatingMergeTree',
  'CollapsingMergeTree',
  'VersionedCollapsingMergeTree',
  'GraphiteMergeTree',
  'CoalescingMergeTree',
]);

/** An identifier, plain, back-quoted or double-quoted. */
const ID = '(?:[A-Za-z_][A-Za-z0-9_]*|`(?:[^`\\\\]|\\\\.)*`|"(?:[^"\\\\]|\\\\.)*")';
/** A possibly qualified name: database.table or table. */
const NAME = `(?:${ID}\\s*\\.\\s*)?${ID}`;

/** A statement of a migration, and where it comes from (for the error that refuses it). */
export interface StatementOrigin {
  readonly statement: string;
  /** "migration kpi-stream/0003_scoring, statement 2", or "the view employee_window_metrics_current". */
  readonly where: string;
}

/**
 * Positions of `sql` outside quotes, back-quotes and comments, with their
 * parenthesis depth: keywords count only at depth 0 of the statement.
 */
function depths(sql: string): Int32Array {
  const depth = new Int32Array(sql.length + 1).fill(-1);
  let level = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '`' || c === '"') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      i = j; // the closing quote; a doubled quote ('') reads as two strings side by side, which is the same to us
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
      continue;
    }
    if (c === '(') {
      depth[i] = level;
      level++;
      continue;
    }
    if (c === ')') {
      level--;
      depth[i] = level;
      continue;
    }
    depth[i] = level;
  }
  depth[sql.length] = 0;
  return depth;
}

/** The first match of `pattern` at depth 0 (outside strings and parentheses) at or after `from`. */
function topLevel(sql: string, pattern: RegExp, from = 0, level = depths(sql)): RegExpExecArray | undefined {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  global.lastIndex = from;
  for (let match = global.exec(sql); match; match = global.exec(sql)) {
    if (level[match.index] === 0 && (match.index === 0 || !/[A-Za-z0-9_]/.test(sql[match.index - 1]!))) return match;
    if (match[0].length === 0) global.lastIndex++;
  }
  return undefined;
}

/** Splits at the commas of depth 0. */
function splitTopLevel(sql: string): string[] {
  const level = depths(sql);
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] === ',' && level[i] === 0) {
      parts.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(sql.slice(start).trim());
  return parts.filter((p) => p !== '');
}

/** The index just past the parenthesis that closes the one at `open`. */
function closing(sql: string, open: number, level = depths(sql)): number {
  for (let i = open + 1; i < sql.length; i++) if (sql[i] === ')' && level[i] === level[open]) return i + 1;
  return -1;
}

/** `name` with the local suffix, keeping its database and quoting. */
export function localName(name: string): string {
  const match = new RegExp(`^((?:${ID}\\s*\\.\\s*)?)(${ID})$`).exec(name.trim());
  if (!match) throw new Error(`not a table name: ${name}`);
  const [, database, table] = match;
  const quote = table![0] === '`' || table![0] === '"' ? table![0] : '';
  return quote ? `${database}${table!.slice(0, -1)}${LOCAL_SUFFIX}${quote}` : `${database}${table}${LOCAL_SUFFIX}`;
}

/** The bare name of a table (no database, no quotes), as the catalog keeps it. */
function bare(name: string): string {
  const last = splitName(name).at(-1)!;
  return /^[`"]/.test(last) ? last.slice(1, -1) : last;
}

function splitName(name: string): string[] {
  return [...name.matchAll(new RegExp(ID, 'g'))].map((m) => m[0]);
}

/** How the ALTER commands of one kind are placed. */
type AlterTarget = 'both' | 'local' | 'view';

/** ALTER commands by their first words: where each goes. */
const ALTER_COMMANDS: readonly [RegExp, AlterTarget][] = [
  [/^(ADD|DROP|RENAME|COMMENT)\s+COLUMN\b/i, 'both'],
  // A column's TTL or codec is storage; its type or default is the structure both tables share.
  [/^MODIFY\s+COLUMN\b(?![\s\S]*\b(TTL|CODEC|REMOVE|SETTINGS?)\b)/i, 'both'],
  [/^MODIFY\s+COLUMN\b/i, 'local'],
  [/^MODIFY\s+COMMENT\b/i, 'both'],
  [/^MODIFY\s+(SQL\s+SECURITY|DEFINER)\b/i, 'view'],
  [
    /^(MODIFY\s+TTL|REMOVE\s+TTL|MATERIALIZE\s|MODIFY\s+SETTING|RESET\s+SETTING|(ADD|DROP|CLEAR)\s+(INDEX|PROJECTION|STATISTICS?|CONSTRAINT)|CLEAR\s+COLUMN|DELETE\s|UPDATE\s|MODIFY\s+(ORDER|SAMPLE)\s+BY|(DROP|DETACH|ATTACH|FREEZE|UNFREEZE|MOVE|REPLACE|FETCH)\s+(PARTITION|PART)\b|APPLY\s+DELETED\s+MASK)/i,
    'local',
  ],
];

/**
 * Renders statements for a cluster. It keeps a catalog of the names earlier
 * statements made tables or views (a DROP TABLE or an ALTER needs to know
 * which), so render every migration in order, applied ones too.
 */
export class ClusterRenderer {
  private readonly kinds = new Map<string, 'table' | 'view'>();

  constructor(private readonly placement: ClusterPlacement) {}

  private get onCluster(): string {
    return `ON CLUSTER ${this.placement.cluster}`;
  }

  /** The statements that do on the cluster what `statement` does on one node. */
  render({ statement, where }: StatementOrigin): string[] {
    const sql = statement.trim().replace(/;\s*$/, '');
    const refuse = (why: string): never => {
      throw new ConfigError(
        'KPI_CLICKHOUSE_CLUSTER',
        `${where} cannot be rendered for a cluster: ${why}. Statement: ${sql.slice(0, 160)}${sql.length > 160 ? '…' : ''}`,
      );
    };
    if (/\bON\s+CLUSTER\b/i.test(sql) && topLevel(sql, /\bON\s+CLUSTER\b/i)) refuse('it names a cluster itself; write it for one node');

    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^CREATE\\s+(OR\\s+REPLACE\\s+)?TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${NAME})`, 'i').exec(sql))) {
      return this.createTable(sql, m, refuse);
    }
    if (/^CREATE\s+(OR\s+REPLACE\s+)?(MATERIALIZED|LIVE|WINDOW)\s+VIEW\b/i.test(sql)) {
      return refuse('a materialized, live or window view writes on each node by itself; give it a local target table and a Distributed one by hand');
    }
    if ((m = new RegExp(`^CREATE\\s+(OR\\s+REPLACE\\s+)?VIEW\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${NAME})`, 'i').exec(sql))) {
      this.kinds.set(bare(m[3]!), 'view');
      return [this.afterHead(sql, m[0])];
    }
    if ((m = new RegExp(`^CREATE\\s+DATABASE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${ID})`, 'i').exec(sql))) return [this.afterHead(sql, m[0])];
    if ((m = new RegExp(`^ALTER\\s+TABLE\\s+(${NAME})`, 'i').exec(sql))) return this.alter(sql, m, refuse);
    if ((m = new RegExp(`^DROP\\s+(TABLE|VIEW)\\s+(IF\\s+EXISTS\\s+)?(${NAME})`, 'i').exec(sql))) return this.drop(sql, m);
    if (/^INSERT\s+INTO\b/i.test(sql)) {
      // Through the Distributed table, once (not on every node): it routes the rows to their shards.
      if (topLevel(sql, /\bSELECT\b/i)) refuse('INSERT … SELECT runs on one node and reads what that node reads; write its rows as VALUES');
      return [sql];
    }
    if ((m = new RegExp(`^DELETE\\s+FROM\\s+(${NAME})`, 'i').exec(sql))) {
      return [`DELETE FROM ${localName(m[1]!)} ${this.onCluster}${sql.slice(m[0].length)}`];
    }
    if ((m = new RegExp(`^(TRUNCATE\\s+(?:TABLE\\s+)?(?:IF\\s+EXISTS\\s+)?|OPTIMIZE\\s+TABLE\\s+)(${NAME})`, 'i').exec(sql))) {
      return [`${m[1]}${localName(m[2]!)} ${this.onCluster}${sql.slice(m[0].length)}`];
    }
    if (/^(GRANT|REVOKE)\b/i.test(sql)) return this.grant(sql);
    if ((m = new RegExp(`^(CREATE|ALTER|DROP)\\s+(ROW\\s+)?POLICY\\s+((IF\\s+NOT\\s+EXISTS|IF\\s+EXISTS|OR\\s+REPLACE)\\s+)?`, 'i').exec(sql))) {
      return this.policy(sql, m[0], refuse);
    }
    if (
      (m = new RegExp(
        `^(CREATE|ALTER|DROP)\\s+(ROLE|USER|QUOTA|SETTINGS\\s+PROFILE|PROFILE)\\s+((IF\\s+NOT\\s+EXISTS|IF\\s+EXISTS|OR\\s+REPLACE)\\s+)?${ID}(\\s*,\\s*${ID})*`,
        'i',
      ).exec(sql))
    ) {
      return [this.afterHead(sql, m[0])];
    }
    return refuse(
      `kpi-stream renders CREATE TABLE/VIEW/DATABASE, ALTER TABLE, DROP, INSERT … VALUES, DELETE, TRUNCATE, OPTIMIZE and access statements, not "${sql.split(/\s+/).slice(0, 3).join(' ')}"`,
    );
  }

  /** `head` (the statement up to its object's name) then ON CLUSTER, then the rest. */
  private afterHead(sql: string, head: string): string {
    return `${head} ${this.onCluster}${sql.slice(head.length)}`;
  }

  private createTable(sql: string, m: RegExpExecArray, refuse: (why: string) => never): string[] {
    const [head, orReplace, ifNotExists = '', name] = m;
    if (orReplace) refuse('CREATE OR REPLACE TABLE would replace a replicated table on every node; create a new table and move the rows');
    const level = depths(sql);
    if (topLevel(sql, /\bAS\s+(SELECT|WITH)\b/i, head.length, level)) refuse('CREATE TABLE … AS SELECT fills the table on one node only');
    const engine = topLevel(sql, /\bENGINE\s*=\s*([A-Za-z]+)/i, head.length, level);
    if (!engine) return refuse('it names no ENGINE (a server default may not be a MergeTree)');
    const engineName = engine[1]!;
    if (!MERGE_TREES.has(engineName)) {
      return refuse(`engine ${engineName} has no replicated form; tables on a cluster are MergeTree-family tables under Keeper`);
    }
    // The engine's own arguments (a ReplacingMergeTree's version column) follow the replica path and name.
    const afterName = engine.index + engine[0].length;
    const gap = /^\s*/.exec(sql.slice(afterName))![0].length;
    const argsStart = sql[afterName + gap] === '(' ? afterName + gap : afterName;
    let argsEnd = argsStart;
    let args = '';
    if (sql[argsStart] === '(') {
      argsEnd = closing(sql, argsStart, level);
      args = sql.slice(argsStart + 1, argsEnd - 1).trim();
    }
    const replicated = `ENGINE = Replicated${engineName}(${[REPLICA_PATH, REPLICA_NAME, ...(args ? [args] : [])].join(', ')})`;
    const orderBy = topLevel(sql, /\bORDER\s+BY\s+/i, argsEnd, level);
    if (!orderBy) return refuse('it has no ORDER BY: the sorting key is what its rows are sharded by');
    const clauseEnd = topLevel(sql, /\b(PARTITION\s+BY|PRIMARY\s+KEY|SAMPLE\s+BY|TTL|SETTINGS|COMMENT)\b/i, orderBy.index + orderBy[0].length, level);
    const sortingKey = sql.slice(orderBy.index + orderBy[0].length, clauseEnd?.index ?? sql.length).trim();
    const local = localName(name!);
    const localSql = withReplicatedSettings(
      `${head.slice(0, head.length - name!.length)}${local} ${this.onCluster}${sql.slice(head.length, engine.index)}${replicated}${sql.slice(argsEnd)}`,
    );
    const distributed = `CREATE TABLE ${ifNotExists}${name} ${this.onCluster} AS ${local} ENGINE = Distributed(${this.placement.cluster}, ${this.placement.database}, ${bare(local)}, ${shardingKey(sortingKey)})`;
    this.kinds.set(bare(name!), 'table');
    return [localSql.replace(/\s+$/, ''), distributed];
  }

  private alter(sql: string, m: RegExpExecArray, refuse: (why: string) => never): string[] {
    const [head, name] = m;
    let rest = sql.slice(head.length);
    const settings = topLevel(rest, /\bSETTINGS\b/i);
    const tail = settings ? ` ${rest.slice(settings.index).trim()}` : '';
    if (settings) rest = rest.slice(0, settings.index);
    const commands = splitTopLevel(rest);
    if (commands.length === 0) refuse('it has no command');
    const placed = commands.map((command) => {
      const target = ALTER_COMMANDS.find(([pattern]) => pattern.test(command))?.[1];
      if (!target) return refuse(`ALTER command "${command.split(/\s+/).slice(0, 2).join(' ')}" is not one kpi-stream knows where to place`);
      return { command, target };
    });
    const kind = this.kinds.get(bare(name!));
    const onView = kind === 'view' || (kind === undefined && placed.every((p) => p.target === 'view'));
    if (onView) {
      const misplaced = placed.find((p) => p.target === 'local' || /COLUMN/i.test(p.command.split(/\s+/)[1] ?? ''));
      if (misplaced) refuse(`"${misplaced.command.split(/\s+/).slice(0, 2).join(' ')}" on the view ${bare(name!)}`);
      return [`ALTER TABLE ${name} ${this.onCluster} ${commands.join(', ')}${tail}`];
    }
    const viewOnly = placed.find((p) => p.target === 'view');
    if (viewOnly) refuse(`"${viewOnly.command.split(/\s+/).slice(0, 3).join(' ')}" on the table ${bare(name!)}`);
    const local = `ALTER TABLE ${localName(name!)} ${this.onCluster} ${placed.map((p) => withReplicatedSettings(p.command)).join(', ')}${tail}`;
    const shared = placed.filter((p) => p.target === 'both').map((p) => p.command);
    if (shared.length === 0) return [local];
    const distributed = `ALTER TABLE ${name} ${this.onCluster} ${shared.join(', ')}`;
    // Readers of the Distributed table must never name a column the local tables lack: added below first, dropped above first.
    return placed.some((p) => /^DROP\s+COLUMN/i.test(p.command)) ? [distributed, local] : [local, distributed];
  }

  private drop(sql: string, m: RegExpExecArray): string[] {
    const [head, , , name] = m;
    const kind = this.kinds.get(bare(name!));
    this.kinds.delete(bare(name!));
    const dropped = this.afterHead(sql, head);
    if (kind === 'view' || /^DROP\s+VIEW/i.test(head)) return [dropped];
    return [dropped, `DROP TABLE IF EXISTS ${localName(name!)} ${this.onCluster}${sql.slice(head.length)}`];
  }

  /** A grant or revoke on every node; one on a table covers its local table too (a shard checks the asking user there). */
  private grant(sql: string): string[] {
    const [verb] = /^(GRANT|REVOKE)/i.exec(sql)!;
    const rendered = `${verb} ${this.onCluster}${sql.slice(verb.length)}`;
    const local = this.withLocalTables(rendered, new RegExp(`\\bON\\s+(${NAME})(?=\\s+(TO|FROM)\\b)`, 'i'));
    return local ? [rendered, local] : [rendered];
  }

  /** A row policy on every node; one on a table is made on its local table too. */
  private policy(sql: string, head: string, refuse: (why: string) => never): string[] {
    const names = new RegExp(`^${ID}(\\s*,\\s*${ID})*`).exec(sql.slice(head.length));
    if (!names) return refuse('its policy name cannot be read');
    const afterNames = head.length + names[0].length;
    const rendered = `${sql.slice(0, afterNames)} ${this.onCluster}${sql.slice(afterNames)}`;
    const local = this.withLocalTables(rendered, new RegExp(`\\bON\\s+(?!CLUSTER\\b)(${NAME})`, 'i'));
    return local ? [rendered, local] : [rendered];
  }

  /** The statement with the table `pattern` finds replaced by its local table, when it is one of the migrations' tables. */
  private withLocalTables(sql: string, pattern: RegExp): string | undefined {
    const match = pattern.exec(sql);
    if (!match || this.kinds.get(bare(match[1]!)) !== 'table') return undefined;
    const start = match.index + match[0].lastIndexOf(match[1]!);
    return `${sql.slice(0, start)}${localName(match[1]!)}${sql.slice(start + match[1]!.length)}`;
  }
}

/** Replicated tables keep their deduplication window under another name: the window is the same. */
function withReplicatedSettings(sql: string): string {
  return sql.replace(/\bnon_replicated_deduplication_window\b/g, 'replicated_deduplication_window');
}

/** A hash of the sorting key: all rows of one key on one shard (ReplacingMergeTree merges and FINAL see them together). */
function shardingKey(sortingKey: string): string {
  const key = sortingKey.replace(/\s+/g, ' ').trim();
  if (/^tuple\(\s*\)$/i.test(key)) return 'rand()';
  const inner = key.startsWith('(') && closing(key, 0) === key.length ? key.slice(1, -1).trim() : key;
  return `cityHash64(${inner})`;
}

/** Every statement of these migrations, rendered for the cluster, in order (each migration's statements in a list). */
export function renderForCluster<T extends { readonly statements: readonly string[] }>(
  migrations: readonly T[],
  placement: ClusterPlacement,
  label: (migration: T) => string,
): { renderer: ClusterRenderer; rendered: Map<T, string[]> } {
  const renderer = new ClusterRenderer(placement);
  const rendered = new Map<T, string[]>();
  for (const migration of migrations) {
    rendered.set(
      migration,
      migration.statements.flatMap((statement, i) => renderer.render({ statement, where: `migration ${label(migration)}, statement ${i + 1}` })),
    );
  }
  return { renderer, rendered };
}
