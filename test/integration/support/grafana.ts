import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';

/** What the tests read of a provisioned Grafana dashboard (deploy/grafana/dashboards). */
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly templating: { readonly list: readonly TemplateVariable[] };
  readonly panels: readonly Panel[];
}

export interface TemplateVariable {
  readonly name: string;
  readonly type: 'query' | 'custom';
  readonly query: string;
  readonly multi?: boolean;
  readonly current?: { readonly value: string | readonly string[] };
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource: { readonly type: string; readonly uid: string };
  readonly targets: readonly { readonly refId: string; readonly rawSql: string; readonly format: number; readonly datasource: { readonly uid: string } }[];
  readonly options: { readonly xField?: string; readonly reduceOptions?: { readonly fields?: string } };
  readonly transformations?: readonly { readonly id: string; readonly options: { readonly indexByName?: Readonly<Record<string, number>> } }[];
}

export const DASHBOARDS_DIR = join(projectRoot(), 'deploy', 'grafana', 'dashboards');

export function readDashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard }));
}

/** The time range, interval and variable values a panel's query is run with. */
export interface QueryContext {
  readonly from: number;
  readonly to: number;
  readonly intervalMs: number;
  readonly variables: Readonly<Record<string, readonly string[]>>;
}

/** Grafana's `:percentencode` format (encodeURIComponentStrict): nothing but letters, digits, - _ . ~ and %XX is left. */
const percentEncode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A panel's SQL as Grafana sends it to ClickHouse: template variables
 * interpolated first (Grafana does that before the data source sees the
 * query; `:percentencode` as Grafana writes it, a several-valued one as
 * `{a,b}` encoded), then the macros of grafana-clickhouse-datasource expanded as its
 * backend does (pkg/macros): $__timeFilter(c) → `c >= toDateTime(s) AND c <=
 * toDateTime(s)`, $__timeInterval(c) → `toStartOfInterval(toDateTime(c),
 * INTERVAL n second)`, and so on. A variable or macro it does not know throws,
 * so a dashboard cannot use one this test does not expand.
 */
export function expandPanelSql(sql: string, context: QueryContext): string {
  const values = (name: string) => {
    const v = context.variables[name];
    if (!v) throw new Error(`the query uses $${name}, which the dashboard does not define`);
    return v;
  };
  const withVariables = sql.replace(
    /\$\{(\w+)(?::(\w+))?\}|\$(?!__)(\w+)/g,
    (_, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
      const v = values((braced ?? bare)!);
      // The only format the dashboards may use: the others let a value out of its SQL string (README, Grafana).
      if (format !== 'percentencode')
        throw new Error(`$${braced ?? bare} is interpolated ${format ? `as :${format}` : 'raw'}: only :percentencode is safe in SQL`);
      return percentEncode(v.length === 1 ? v[0]! : `{${v.join(',')}}`);
    },
  );
  const seconds = (ms: number) => Math.floor(ms / 1000);
  const interval = Math.max(1, Math.floor(context.intervalMs / 1000));
  const date = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;
  const expanded = withVariables
    .replace(/\$__timeFilter\(([^()]+)\)/g, (_, c: string) => `${c} >= toDateTime(${seconds(context.from)}) AND ${c} <= toDateTime(${seconds(context.to)})`)
    .replace(
      /\$__timeFilter_ms\(([^()]+)\)/g,
      (_, c: string) => `${c} >= fromUnixTimestamp64Milli(${context.from}) AND ${c} <= fromUnixTimestamp64Milli(${context.to})`,
    )
    .replace(/\$__dateFilter\(([^()]+)\)/g, (_, c: string) => `${c} >= ${date(context.from)} AND ${c} <= ${date(context.to)}`)
    .replace(/\$__timeInterval\(([^()]+)\)/g, (_, c: string) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${interval} second)`)
    .replace(
      /\$__timeInterval_ms\(([^()]+)\)/g,
      (_, c: string) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.max(1, context.intervalMs)} millisecond)`,
    )
    .replace(/\$__fromTime_ms\b/g, `fromUnixTimestamp64Milli(${context.from})`)
    .replace(/\$__toTime_ms\b/g, `fromUnixTimestamp64Milli(${context.to})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${seconds(context.from)})`)
    .replace(/\$__toTime\b/g, `toDateTime(${seconds(context.to)})`)
    .replace(/\$__interval_s\b/g, String(interval));
  const left = /\$__\w+/.exec(expanded);
  if (left) throw new Error(`macro ${left[0]} is not expanded by this test`);
  return expanded;
}

/** The columns a panel reads from its query's result, as its JSON declares them. */
export function columnsRead(panel: Panel): { names: string[]; exact: boolean } {
  switch (panel.type) {
    case 'table': {
      const organize = panel.transformations?.find((t) => t.id === 'organize');
      if (!organize?.options.indexByName) throw new Error(`table panel "${panel.title}" does not list its columns (organize transformation)`);
      return {
        names: Object.entries(organize.options.indexByName)
          .sort(([, a], [, b]) => a - b)
          .map(([name]) => name),
        exact: true,
      };
    }
    case 'stat': {
      const field = /^\/\^(\w+)\$\/$/.exec(panel.options.reduceOptions?.fields ?? '')?.[1];
      if (!field) throw new Error(`stat panel "${panel.title}" does not name its field (/^name$/)`);
      return { names: [field], exact: false };
    }
    case 'barchart':
      if (!panel.options.xField) throw new Error(`bar chart "${panel.title}" does not name its xField`);
      return { names: [panel.options.xField], exact: false };
    case 'timeseries':
      return { names: ['time'], exact: false };
    default:
      throw new Error(`panel type ${panel.type} ("${panel.title}") is not checked by this test`);
  }
}
