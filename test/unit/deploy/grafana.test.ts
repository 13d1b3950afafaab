import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';

/**
 * Grafana cannot run here: this keeps its provisioning consistent with
 * docker-compose.yml and ClickHouse's BI user, and every dashboard wired to
 * the provisioned data source. test/integration/deploy/grafanaDashboards.test.ts
 * runs every panel's SQL.
 */
const root = projectRoot();
const grafanaDir = join(root, 'deploy', 'grafana');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { image?: string; ports?: string[]; environment?: Record<string, string>; secrets?: string[]; volumes?: string[] }>;
};
const grafana = compose.services.grafana!;
const datasource = (
  parse(readFileSync(join(grafanaDir, 'provisioning', 'datasources', 'clickhouse.yaml'), 'utf8')) as {
    datasources: { type: string; uid: string; jsonData: Record<string, unknown>; secureJsonData: Record<string, string> }[];
  }
).datasources[0]!;
const provider = (
  parse(readFileSync(join(grafanaDir, 'provisioning', 'dashboards', 'kpi-stream.yaml'), 'utf8')) as { providers: { options: { path: string } }[] }
).providers[0]!;
/** Host path → container path of the service's bind mounts. */
const mounts = new Map((grafana.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => [v.split(':')[0]!, v.split(':')[1]!]));

test('Grafana gets the provisioning and the dashboards, read-only, and the official ClickHouse plugin', () => {
  expect(grafana.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  expect(mounts.get('./deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
  expect(mounts.get('./deploy/grafana/dashboards')).toBe(provider.options.path);
  for (const volume of grafana.volumes!.filter((v) => v.startsWith('./'))) expect(volume).toMatch(/:ro$/);
  expect(grafana.environment?.GF_PLUGINS_PREINSTALL_SYNC).toBe(datasource.type);
  expect(datasource.type).toBe('grafana-clickhouse-datasource');
  const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
  expect(home.startsWith(`${provider.options.path}/`)).toBe(true);
  expect(existsSync(join(grafanaDir, 'dashboards', home.slice(provider.options.path.length + 1)))).toBe(true);
});

test('the data source reaches the compose ClickHouse over HTTP as the read-only BI user, its password from the secret file', () => {
  const clickhouse = compose.services.clickhouse!;
  const containerPort = Number(clickhouse.ports![0]!.split(':')[2]);
  expect(datasource.jsonData).toMatchObject({ host: 'clickhouse', port: containerPort, protocol: 'http', username: 'kpi_bi' });
  expect(datasource.jsonData.defaultDatabase).toBe(loadConfig({}).clickhouseDatabase);
  const users = readFileSync(join(root, 'deploy', 'clickhouse', 'users.d', 'kpi-bi.xml'), 'utf8');
  expect(users).toContain(`<${datasource.jsonData.username as string}>`);
  expect(datasource.secureJsonData.password).toBe('$__file{/run/secrets/clickhouse_bi_password}');
  expect(grafana.secrets).toEqual(expect.arrayContaining(['clickhouse_bi_password', 'grafana_admin_password']));
  expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe('/run/secrets/grafana_admin_password');
  expect(grafana.ports).toEqual(['127.0.0.1:3000:3000']);
});

test('every dashboard has its own uid, and every query goes to the provisioned data source and uses only variables it defines', () => {
  const files = readdirSync(join(grafanaDir, 'dashboards')).filter((f) => f.endsWith('.json'));
  expect(files.length).toBe(4);
  const uids = new Set<string>();
  for (const file of files) {
    const dashboard = JSON.parse(readFileSync(join(grafanaDir, 'dashboards', file), 'utf8')) as {
      uid: string;
      templating: { list: { name: string; datasource?: { uid: string } }[] };
      panels: { id: number; datasource: { uid: string }; targets: { datasource: { uid: string }; rawSql: string }[] }[];
    };
    expect(uids.has(dashboard.uid)).toBe(false);
    uids.add(dashboard.uid);
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    for (const v of dashboard.templating.list) if (v.datasource) expect(v.datasource.uid).toBe(datasource.uid);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe(datasource.uid);
      for (const target of panel.targets) {
        expect(target.datasource.uid).toBe(datasource.uid);
        for (const [, braced, bare] of target.rawSql.matchAll(/\$\{(\w+)[^}]*\}|\$(?!__)(\w+)/g)) expect(variables).toContain(braced ?? bare);
        // A value from the URL must stay a value: ClickHouse reads \' in a string, so no quoting format is safe; percent-encoding is.
        const uses = [...target.rawSql.matchAll(/'?\$\{?(?!__)\w+[^}\s,)]*\}?'?/g)].map((m) => m[0]);
        for (const use of uses) expect({ panel: panel.id, use }).toEqual({ panel: panel.id, use: expect.stringMatching(/^'\$\{\w+:percentencode\}'$/) });
        for (const use of target.rawSql.matchAll(/(\w+)\('\$\{\w+:percentencode\}'\)/g)) expect(use[1]).toBe('decodeURLComponent');
      }
    }
  }
});

test("the BI user is read-only and may read only what the dashboards and the analysts' datasets read: no base table whole, no raw dead letter", () => {
  const users = readFileSync(join(root, 'deploy', 'clickhouse', 'users.d', 'kpi-bi.xml'), 'utf8');
  expect(/<profiles>\s*<kpi_bi>\s*<readonly>1<\/readonly>/.test(users)).toBe(true);
  const grants = [...users.matchAll(/<query>([^<]+)<\/query>/g)].map((m) => m[1]!);
  for (const grant of grants) expect(grant).toMatch(/^GRANT SELECT(\([a-z_, ]+\))? ON kpi\.[a-z_]+$/);
  const granted = new Map(grants.map((g) => [/ON kpi\.([a-z_]+)$/.exec(g)![1]!, /SELECT\(([^)]+)\)/.exec(g)?.[1]?.split(/,\s*/)]));
  const read = new Set<string>();
  for (const file of readdirSync(join(grafanaDir, 'dashboards')).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(join(grafanaDir, 'dashboards', file), 'utf8');
    for (const [, name] of text.matchAll(/\bkpi\.([a-z_]+)\b/g)) read.add(name!);
  }
  read.delete('dlq'); // the topic kpi.dlq.v1, named in a description
  for (const name of read) expect({ name, granted: granted.has(name) }).toEqual({ name, granted: true });
  // The analysts' datasets (docs/analysts.md), all views.
  for (const view of ['employee_window_metrics_current', 'employee_scores_current', 'employee_grades', 'calibration', 'anomalies_current'])
    expect(granted.get(view)).toBeUndefined();
  for (const view of ['employee_window_metrics_current', 'employee_scores_current', 'employee_grades', 'calibration', 'anomalies_current'])
    expect(granted.has(view)).toBe(true);
  // Base tables only by the columns a panel reads: never the original records of dead letters.
  for (const table of ['employee_window_metrics', 'anomalies', 'employee_scores', 'dead_letters'])
    if (granted.has(table)) expect(granted.get(table)).toBeDefined();
  expect(granted.get('dead_letters')).not.toContain('value_base64');
});
