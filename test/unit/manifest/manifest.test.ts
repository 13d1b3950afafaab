import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { projectRoot } from '../../../core/paths.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { loadManifestInputs, manifest, type Manifest } from '../../../manifest/manifest.js';
import { renderJson, renderMarkdown } from '../../../manifest/render.js';
import { READER_ROLES } from '../../../privacy/roles.js';
import { RECORD_KINDS } from '../../../schemas/kinds.js';
import { KEPT_TABLES, TABLE_RETENTION } from '../../../sinks/clickhouse/retention.js';
import { topicDefinitions } from '../../../topics/definitions.js';

const dir = mkdtempSync(join(tmpdir(), 'kpi-manifest-'));
const NOW = Date.UTC(2026, 11, 6, 8, 0);
const WEBHOOK_SECRET = 'whsec_c2lnbmluZy1zZWNyZXQtb2YtMzItYnl0ZXMtLS0=';

/** A file in the test's folder. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The manifest of the configuration these variables make. */
async function manifestOf(env: Record<string, string> = {}): Promise<Manifest> {
  const config = loadConfig({ KPI_SERVICES_DIR: dir, ...env });
  return manifest(config, await loadManifestInputs(config, NOW));
}

const SECTIONS = ['inputs', 'windows', 'kpis', 'scoring', 'rules', 'roles', 'retention', 'outflows'] as const;

describe('with the defaults', () => {
  let m: Manifest;
  beforeAll(async () => {
    m = await manifestOf();
  });

  test('the JSON has every section, each from the code it describes', () => {
    const json = JSON.parse(renderJson(m)) as Record<string, unknown>;
    for (const section of SECTIONS) expect(json[section]).toBeDefined();
    expect(json.generated_at).toBe('2026-12-06T08:00:00.000Z');
    expect(json.connected).toBe(false);
    // Every record kpi-stream reads, the organisation's assignments among them, with its fields and retention.
    expect(m.inputs.map((i) => i.topic)).toHaveLength(RECORD_KINDS.length);
    const assignments = m.inputs.find((i) => i.topic === 'hr.assignments.v1')!;
    expect(assignments).toMatchObject({ record: 'AssignmentChanged', retention: 'kept', read_by: ['assignments'] });
    expect(assignments.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['employee_id', 'plant_id', 'team_id', 'supervisor_id']));
    expect(m.inputs.find((i) => i.topic === 'factory.production.v1')).toMatchObject({ retention: '45d', read_by: ['output.units', 'output.standard_ms'] });
    expect(m.inputs.find((i) => i.topic === 'hr.self_reports.v1')!.read_by).toContain('employee_window_metrics.reported_units');
    // Every KPI of the catalog, its formulas and indicators.
    expect(m.kpis.map((k) => k.name)).toEqual(KpiCatalog.of().kpis.map((k) => k.name));
    expect(m.kpis.find((k) => k.name === 'quality')!.columns).toEqual([
      { name: 'defect_rate', formula: 'units_defective / units_inspected', sample: 'units_inspected' },
    ]);
    // The model migrate installs, every indicator with its weight (oee shown, not weighed), and the note that ClickHouse may hold more.
    expect(m.scoring.models.map((s) => s.version)).toEqual(['default-v1']);
    expect(m.scoring.models[0]!.indicators).toContainEqual({ name: 'efficiency', weight: 0.4, target: 1, worst: 0.5 });
    expect(m.scoring.models[0]!.indicators).toContainEqual({ name: 'oee', weight: 0, target: 0.85, worst: 0.4 });
    expect(m.scoring.note).toContain('without a connection');
    expect(m.rules.detection).toMatchObject({ version: 'rules-v2', false_alarm_rate: 0.0001, output: { table: 'anomalies', alert_rules: [] } });
    expect(m.rules.alerts).toEqual({ rules: [], recipients: [] });
    expect(m.roles.map((r) => r.name)).toEqual(['default', ...READER_ROLES.map((r) => r.name)]);
    expect(m.roles.find((r) => r.name === 'kpi_analyst')!.reads).toEqual(['kpi_bi.*']);
    expect(m.retention.tables.map((t) => t.table)).toEqual(Object.keys(TABLE_RETENTION));
    expect(m.retention.kept.map((t) => t.table)).toEqual(Object.keys(KEPT_TABLES));
    expect(m.retention.tables.find((t) => t.table === 'employee_window_metrics')).toMatchObject({
      period: '13 months',
      default: true,
      ttl: 'window_start + toIntervalMonth(13)',
    });
    expect(m.retention.topics.map((t) => t.topic)).toEqual(topicDefinitions(loadConfig({})).map((t) => t.name));
    expect(m.outflows.map((o) => o.channel)).toEqual(
      expect.arrayContaining(['webhook (KPI_ALERT_WEBHOOK_URL)', 'Alertmanager (KPI_ALERTMANAGER_URL)', 'Kafka topic kpi.alerts.v1', 'BI (database kpi_bi)']),
    );
    expect(m.outflows.find((o) => o.channel.startsWith('webhook'))).toMatchObject({ configured: false, on_request: false });
    expect(m.outflows.filter((o) => o.on_request).map((o) => o.channel)).toEqual([
      'subject export (`kpi-stream subject export`)',
      'the report (`kpi-stream report`)',
    ]);
  });

  test('the alert payloads say how they show a person: read from the payloads the targets build', () => {
    const alertmanager = m.outflows.find((o) => o.channel.startsWith('Alertmanager'))!;
    expect(alertmanager.carries).toMatch(/^every alert event: labels alertname, severity, scope, window_start, employee_id; annotations explanation/);
    // By default a person is sent by pseudonym, without the explanation: what alerting's own step makes of the probe.
    expect(alertmanager.person).toContain("the employee's pseudonym (label employee_id) and the review page's link, without explanation text");
    expect(alertmanager.person).toContain('a rule with `disclose: true` sends the employee id and the explanation');
    expect(m.outflows.find((o) => o.channel.startsWith('webhook'))!.carries).toContain('employee_id, station_id');
  });

  test('the Markdown renders every section, and the entries of each', () => {
    const md = renderMarkdown(m);
    for (const heading of [
      '# kpi-stream manifest',
      '## 1. What is measured: the inputs',
      '## 2. The windows figures are counted in',
      '## 3. The KPIs and their formulas',
      '## 4. Scoring',
      '## 5. The rules that judge people',
      '### Alert rules',
      '## 6. Who sees what',
      '## 7. How long it is kept',
      '## 8. Where data leaves kpi-stream',
    ])
      expect(md.split('\n')).toContain(heading);
    for (const input of m.inputs) expect(md).toContain(`### \`${input.topic}\`: ${input.record}`);
    for (const kpi of m.kpis) expect(md).toContain(`### \`${kpi.name}\``);
    for (const role of m.roles) expect(md).toContain(`| \`${role.name}\` |`);
    for (const table of [...m.retention.tables, ...m.retention.kept]) expect(md).toContain(`| \`${table.table}\` |`);
    expect(md).toContain('| `efficiency` | 0.4 | 1 | 0.5 |');
    expect(md).toContain('| `units_overclaim` | reported more units than the MES counted | share | 1% | 25% | 3 |');
    expect(md).toContain('- Windows: tumbling, 1d each, per employee');
    expect(md).toContain('KPI_ALERT_RULES is not set: no alert rules');
    // Decisions feed back into detection: the manifest says how, per review status.
    expect(md).toContain('Detection learns from the reviews of its flags (`flags_current`):');
    expect(md).toContain(
      "- A flag `dismissed` raises the tolerance of its station for its kind of flag: a report's error up to the largest deviation dismissed there",
    );
    expect(md).toContain('- A flag `measurement_problem` makes the window a measurement gap: its report is judged on no figure');
    expect(m.rules.detection.feedback.reads).toBe('flags_current');
    expect(m.rules.detection.output.alerts_on_statuses).toEqual(['confirmed', 'disputed']);
    expect(md).toContain('| webhook (KPI_ALERT_WEBHOOK_URL) | not configured |');
    // Tables stay tables: no cell breaks a row.
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) expect(line.endsWith(' |')).toBe(true);
  });
});

describe('a setting changed, the manifest changed', () => {
  test('KPI_RETENTION_FILE: the period and TTL of the tables of that kind, marked as set', async () => {
    const m = await manifestOf({ KPI_RETENTION_FILE: file('retention.yaml', 'window_rows: 24 months\ndead_letters: 30 days\n') });
    expect(m.retention.tables.find((t) => t.table === 'employee_window_metrics')).toMatchObject({
      period: '24 months',
      default: false,
      ttl: 'window_start + toIntervalMonth(24)',
    });
    expect(m.retention.tables.find((t) => t.table === 'dead_letters')).toMatchObject({ period: '30 days', ttl: 'dead_lettered_at + toIntervalDay(30)' });
    expect(m.retention.tables.find((t) => t.table === 'employee_scores')).toMatchObject({ period: '25 months', default: true });
    const md = renderMarkdown(m);
    expect(md).toContain('| 24 months | `window_start + toIntervalMonth(24)` |');
    expect(md).not.toContain('toIntervalMonth(13)');
  });

  test('KPI_ALERT_RULES: every rule, what it judges, whether it is about one person, and who receives it', async () => {
    const rules = file(
      'rules.yaml',
      [
        'rules:',
        '  - { name: low-efficiency, metric: efficiency, scope: employee, below: 0.6, min_sample: 2, severity: medium }',
        '  - { name: station-defects, metric: defect_rate, scope: station, above: 0.05, severity: high }',
        '  - { name: inflated-units, anomaly: units_overclaim, min_severity: medium, severity: high }',
      ].join('\n'),
    );
    const before = await manifestOf();
    const m = await manifestOf({
      KPI_ALERT_RULES: rules,
      KPI_ALERT_WEBHOOK_URL: 'https://hooks.example/services/T0/B0/tok3n-secret',
      KPI_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      KPI_ALERTMANAGER_URL: 'https://am-user:am-secret@alertmanager.example:9093',
    });
    expect(m.rules.alerts.file).toBe(rules);
    expect(m.rules.alerts.rules.map((r) => [r.name, r.kind, r.about_a_person])).toEqual([
      ['low-efficiency', 'metric', true],
      ['station-defects', 'metric', false],
      ['inflated-units', 'anomaly', true],
    ]);
    // The rule as alerting runs it, every field.
    expect(m.rules.alerts.rules[0]!.settings).toMatchObject({ metric: 'efficiency', direction: 'below', threshold: 0.6, minSample: 2 });
    expect(m.rules.alerts.rules[0]!.summary).toBe(
      "low-efficiency: efficiency per employee below 0.6 with at least 2 efficiency's sample, cooldown 15m → medium, by pseudonym",
    );
    expect(m.rules.alerts.recipients).toEqual([
      { name: 'kafka', destination: 'kpi.alerts.v1' },
      { name: 'webhook', destination: 'https://hooks.example/[redacted]' },
      { name: 'alertmanager', destination: 'https://[redacted]@alertmanager.example:9093' },
      { name: 'clickhouse', destination: 'kpi.alert_deliveries' },
    ]);
    expect(m.rules.detection.output.alert_rules).toEqual(['inflated-units']);
    expect(m.outflows.find((o) => o.channel.startsWith('webhook'))).toMatchObject({ configured: true, destination: 'https://hooks.example/[redacted]' });
    const md = renderMarkdown(m);
    expect(md).toContain(`From \`${rules}\`: 3 rules.`);
    expect(md).toContain('| `station-defects` | station-defects: defect_rate per station above 0.05, cooldown 15m → high | no (station) |');
    expect(md).toContain('and to the alert rules `inflated-units` (below), which fire only on a flag whose review status is `confirmed` or `disputed`.');
    expect(renderMarkdown(before)).not.toContain('low-efficiency');
    // The webhook's token and Alertmanager's credentials are in neither format.
    for (const text of [md, renderJson(m)])
      for (const secret of ['tok3n-secret', 'services/T0', 'am-user', 'am-secret', 'c2lnbmluZy1zZWNyZXQ']) expect(text).not.toContain(secret);
  });

  test('KPI_WINDOW_SIZE, KPI_TIME_ZONE, KPI_DAY_START and KPI_CORRECTION_HORIZON: the windows and the topics’ retention', async () => {
    const m = await manifestOf({ KPI_WINDOW_SIZE: '8h', KPI_TIME_ZONE: 'Europe/Berlin', KPI_DAY_START: '06:00', KPI_CORRECTION_HORIZON: '20d' });
    expect(m.windows).toMatchObject({ windows: 'tumbling', size: '8h', time_zone: 'Europe/Berlin', day_start: '06:00', correction_horizon: '20d' });
    expect(m.inputs.find((i) => i.topic === 'factory.telemetry.v1')!.retention).toBe('30d');
    const md = renderMarkdown(m);
    expect(md).toContain('- Windows: tumbling, 8h each, per employee');
    expect(md).toContain('- Plant time zone: Europe/Berlin; the plant day starts at 06:00');
  });

  test("KPI_PLANTS_FILE: each plant's clock and windows, beside the deployment's", async () => {
    const plants = join(projectRoot(), 'examples', 'shifts', 'two-plants.yaml');
    expect((await manifestOf({})).windows.plants).toBeUndefined();
    const m = await manifestOf({ KPI_PLANTS_FILE: plants });
    expect(m.windows.plants).toEqual([
      { plant_id: 'plant-berlin', time_zone: 'Europe/Berlin', day_start: '06:00', windows: 'shifts: day 06:00 (8 h), swing 14:00 (8 h), night 22:00 (8 h)' },
      { plant_id: 'plant-suzhou', time_zone: 'Asia/Shanghai', day_start: '06:00', windows: 'tumbling, 1d each' },
    ]);
    expect(renderMarkdown(m)).toContain('| `plant-suzhou` | Asia/Shanghai | 06:00 | tumbling, 1d each |');
  });

  test('KPI_SHIFT_CALENDAR: the windows are its shifts, listed with their crews', async () => {
    const calendar = file(
      'shifts.yaml',
      'shifts:\n  - { name: early, start: "06:00", hours: 8, days: [mon, tue, wed, thu, fri], crews: [A, B], rotateEveryDays: 7 }\n  - { name: late, start: "14:00", hours: 8 }\nholidays: ["2026-12-25"]\n',
    );
    const m = await manifestOf({ KPI_SHIFT_CALENDAR: calendar, KPI_DAY_START: '06:00' });
    expect(m.windows.windows).toBe('shift calendar');
    expect(m.windows.shift_calendar).toEqual({
      file: calendar,
      shifts: [
        { name: 'early', start: '06:00', hours: 8, days: ['mon', 'tue', 'wed', 'thu', 'fri'], crews: ['A', 'B'] },
        { name: 'late', start: '14:00', hours: 8 },
      ],
      holidays: ['2026-12-25'],
    });
    const md = renderMarkdown(m);
    expect(md).toContain('| early | 06:00 | 8 | mon, tue, wed, thu, fri | A, B |');
    expect(md).toContain('| late | 14:00 | 8 | every day |  |');
    expect(md).toContain('Holidays: 2026-12-25.');
  });

  test("detection's settings, the topic prefix and the database: the rules, topics, roles and BI database follow", async () => {
    const m = await manifestOf({
      KPI_DETECT_SPREAD_FLOOR: 'units=2%,defects=1',
      KPI_DETECT_FALSE_ALARM_RATE: '0.001',
      KPI_TOPIC_PREFIX: 'plant2.',
      CLICKHOUSE_DATABASE: 'plant2',
    });
    expect(m.rules.detection.false_alarm_rate).toBe(0.001);
    expect(m.rules.detection.flag_kinds.find((f) => f.kind === 'units_overclaim')).toMatchObject({ spread_floor: 0.02, spread_ceiling: 0.25 });
    expect(m.rules.detection.flag_kinds.find((f) => f.kind === 'defects_underreport')).toMatchObject({ spread_floor: 1 });
    expect(m.inputs.map((i) => i.topic)).toContain('plant2.hr.assignments.v1');
    expect(m.kpis.find((k) => k.name === 'output')!.measures[0]!.reads).toBe('plant2.factory.production.v1');
    expect(m.roles.find((r) => r.name === 'kpi_works_council')!.reads).toContain('plant2.team_window_metrics');
    expect(m.outflows.map((o) => o.channel)).toContain('BI (database plant2_bi)');
    expect(renderMarkdown(m)).toContain('| `units_overclaim` | reported more units than the MES counted | share | 2% | 25% | 3 |');
  });
});

describe('a bad setting stops it, naming the setting', () => {
  test.each([
    [
      'KPI_ALERT_RULES',
      'a rule with an unknown metric',
      { KPI_ALERT_RULES: 'rules: [{ name: x, metric: nonsense, scope: employee, above: 1, severity: high }]' },
      /is not a metric of scope employee/,
    ],
    ['KPI_ALERT_RULES', 'a file that is not there', { KPI_ALERT_RULES: '/nonexistent/rules.yaml' }, /cannot read/],
    ['KPI_SHIFT_CALENDAR', 'a calendar without shifts', { KPI_SHIFT_CALENDAR: 'shifts: []' }, /at least one shift/],
  ] as const)('%s: %s', async (key, _what, env, message) => {
    const files = Object.fromEntries(Object.entries(env).map(([name, text]) => [name, text.startsWith('/') ? text : file(`${name}.yaml`, text)]));
    const error = await manifestOf(files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message).toMatch(message);
  });

  test('KPI_RETENTION_FILE: a window_rows period shorter than the correction horizon', async () => {
    const error = await manifestOf({ KPI_RETENTION_FILE: file('short.yaml', 'window_rows: 1 month\n') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('KPI_RETENTION_FILE');
  });
});
