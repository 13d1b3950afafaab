import { alertmanagerAlert, type TargetName } from '../alerting/targets.js';
import { configuredTargets } from '../alerting/delivery.js';
import { describeRule, loadRules, type AlertRule } from '../alerting/rules.js';
import { pseudonymised } from '../alerting/people.js';
import type { AlertEvent } from '../contract/alertEvent.js';
import { FLAG_KINDS, FLAG_STATUSES, INFLATION_FLAG_KINDS, flagStands, type FlagStatus } from '../contract/flag.js';
import { type FEEDBACK_STATUSES } from '../detection/feedback.js';
import { FLAGS_CURRENT_VIEW } from '../sinks/clickhouse/queries/reviews.js';
import { readPlants, type PlantDefinition } from '../contract/plants.js';
import { checkShiftCalendar, readShiftCalendar, type ShiftCalendarDefinition } from '../contract/shiftCalendar.js';
import type { Config } from '../core/config.js';
import { packageVersion } from '../core/paths.js';
import { DEFAULT_RETENTION, formatPeriod, RETENTION_KINDS, type RetentionKind } from '../core/retention.js';
import { redactUrl } from '../core/secrets.js';
import { formatDuration } from '../core/time.js';
import { detectionRules } from '../detection/config.js';
import { figureOf } from '../detection/reports.js';
import type { DetectionRules } from '../detection/rules.js';
import { BUILTIN_KPIS } from '../kpis/builtin.js';
import { CORE_COLUMNS, type KpiCatalog } from '../kpis/catalog.js';
import type { KpiDefinition } from '../kpis/definition.js';
import { loadCatalog } from '../kpis/extensions.js';
import { oeeKpi } from '../kpis/oee.js';
import { pseudonymOf } from '../privacy/pseudonym.js';
import { biDatabase, READER_ROLES } from '../privacy/roles.js';
import { schemaOf, type AvroField } from '../schemas/avro.js';
import { RECORD_KINDS, RECORD_NAMES, type RecordKind } from '../schemas/kinds.js';
import { DEFAULT_SCORING, ruleOf, SCORING_FORMULA, type ScoringModel } from '../scoring/model.js';
import { ANOMALIES_TABLE } from '../sinks/clickhouse/queries/anomalies.js';
import { ASSIGNMENTS_TABLE } from '../sinks/clickhouse/queries/assignments.js';
import { ALERT_DELIVERIES_TABLE } from '../sinks/clickhouse/queries/alertDeliveries.js';
import { PERSONAL_TABLES } from '../sinks/clickhouse/queries/personalData.js';
import { SCORING_MODELS_TABLE } from '../sinks/clickhouse/queries/scoringModels.js';
import { WINDOW_METRICS_TABLE } from '../sinks/clickhouse/queries/windowMetrics.js';
import { KEPT_TABLES, TABLE_RETENTION, ttlExpression } from '../sinks/clickhouse/retention.js';
import { alertsTopic, ASSIGNMENTS_TOPIC, topicDefinitions, type TopicDefinition } from '../topics/definitions.js';

/**
 * The manifest (`kpi-stream manifest`): what kpi-stream measures about people,
 * which rules judge it, who sees what, how long it is kept and where it
 * leaves the system, for a works agreement to annex. Every entry is read from
 * the objects the running code uses (the configuration, the topic and table
 * definitions, the KPI catalog, the scoring model, detection's and alerting's
 * rules, the reader roles), never copied by hand, so the document cannot
 * drift from what the deployment does. Built without a connection: what only
 * ClickHouse knows (scoring model versions added later) is named as such.
 */

/** What the manifest reads besides the configuration: the files the configuration names, loaded and checked. */
export interface ManifestInputs {
  /** kpi-stream's KPIs and KPI_EXTENSIONS'. */
  readonly catalog: KpiCatalog;
  /** KPI_ALERT_RULES' rules; none when it is unset. */
  readonly alertRules: readonly AlertRule[];
  /** KPI_SHIFT_CALENDAR's calendar, when set. */
  readonly shiftCalendar?: ShiftCalendarDefinition;
  /** KPI_PLANTS_FILE's plants, when set. */
  readonly plants?: ReadonlyMap<string, PlantDefinition>;
  /** When the manifest is made (epoch ms). */
  readonly generatedAt: number;
}

/** Loads what the configuration names (extension KPIs, alert rules, the shift calendar); a bad file throws ConfigError naming its setting. */
export async function loadManifestInputs(config: Config, generatedAt = Date.now()): Promise<ManifestInputs> {
  const catalog = await loadCatalog(config.extensions);
  const alertRules = config.alertRules === undefined ? [] : loadRules(config.alertRules, catalog);
  const plants = config.plantsFile === undefined ? undefined : readPlants(config.plantsFile);
  const inputs = { catalog, alertRules, generatedAt, ...(plants ? { plants } : {}) };
  if (config.shiftCalendar === undefined) return inputs;
  const shiftCalendar = readShiftCalendar(config.shiftCalendar);
  checkShiftCalendar(shiftCalendar);
  return { ...inputs, shiftCalendar };
}

export interface InputField {
  readonly name: string;
  readonly type: string;
  readonly doc?: string;
}

/** An input topic: what its records say about a person, how long Kafka keeps them, and what reads them. */
export interface ManifestInput {
  readonly topic: string;
  /** The Avro record (schemas/<record>.avsc). */
  readonly record: string;
  /** Where the records come from. */
  readonly source: string;
  /** The record's own documentation. */
  readonly describes: string;
  readonly fields: readonly InputField[];
  readonly retention: string;
  readonly cleanup_policy: string;
  /** Where its records go: the KPI measures summed from it (kpi.measure), window row columns that keep a field (table.column), or a table. */
  readonly read_by: readonly string[];
}

export interface ManifestWindows {
  /** Tumbling windows of `size`, or the shifts of the calendar. */
  readonly windows: 'tumbling' | 'shift calendar';
  readonly size?: string;
  readonly time_zone: string;
  readonly day_start: string;
  readonly shift_calendar?: {
    readonly file: string;
    readonly shifts: readonly { name: string; start: string; hours: number; days?: readonly string[]; crews?: readonly string[] }[];
    readonly holidays: readonly string[];
  };
  /** KPI_PLANTS_FILE: plants with clocks of their own, for the people assigned to them; the above for everyone else. */
  readonly plants?: readonly { plant_id: string; time_zone: string; day_start: string; windows: string }[];
  /** A window closes once the watermark passes its end plus this. */
  readonly allowed_lateness: string;
  /** Late events correct a closed window for this long after its end. */
  readonly correction_horizon: string;
  /** A self-report submitted longer than this after its period is refused. */
  readonly report_max_delay: string;
}

export interface ManifestKpi {
  readonly name: string;
  readonly description: string;
  readonly source?: string;
  /** Added by KPI_EXTENSIONS rather than kpi-stream's own. */
  readonly extension: boolean;
  readonly measures: readonly { name: string; reads: string; formula: string }[];
  readonly columns: readonly { name: string; formula: string; sample?: string }[];
  readonly indicators: readonly { name: string; description: string; target: number; worst: number }[];
}

export interface ManifestScoringModel {
  readonly version: string;
  /** Where the version comes from. */
  readonly origin: string;
  readonly indicators: readonly { name: string; weight: number; target: number; worst: number }[];
  readonly bands: ScoringModel['bands'];
  readonly target_distribution: ScoringModel['targetDistribution'];
}

export interface ManifestScoring {
  readonly formula: typeof SCORING_FORMULA;
  readonly models: readonly ManifestScoringModel[];
  /** What the manifest cannot see without a connection. */
  readonly note: string;
}

export interface ManifestFlagKind {
  readonly kind: string;
  /** What a flag of the kind says the person did. */
  readonly claims: string;
  readonly unit: string;
  readonly spread_floor: number;
  readonly spread_ceiling: number;
  /** Smallest difference a flag names. */
  readonly material: number;
}

export interface ManifestDetection {
  readonly version: string;
  readonly false_alarm_rate: number;
  readonly flag_kinds: readonly ManifestFlagKind[];
  /** Every kind of flag, measurement_gap included (which accuses nobody). */
  readonly all_flag_kinds: readonly string[];
  readonly single_window_z: number;
  readonly severity: DetectionRules['severity'];
  /** Where flags go: the table, and the alert rules that judge them (only flags that stand after review, `flagStands`). */
  readonly output: { readonly table: string; readonly alert_rules: readonly string[]; readonly alerts_on_statuses: readonly FlagStatus[] };
  /** What detection learns from the reviews of its flags (detection/feedback.ts): the view it reads, and the rule per status. */
  readonly feedback: { readonly reads: string; readonly rules: Readonly<Record<(typeof FEEDBACK_STATUSES)[number], string>> };
  /** The whole rule set, as detection runs it. */
  readonly settings: DetectionRules;
}

export interface ManifestAlertRule {
  readonly name: string;
  readonly kind: AlertRule['kind'];
  readonly summary: string;
  readonly scope: string;
  readonly severity: string;
  /** Whether its events are about one person (scope employee): they carry the person's pseudonym, as the outflows below say. */
  readonly about_a_person: boolean;
  /** `disclose: true`: its events name the person by id and carry the explanation with its figures. */
  readonly discloses: boolean;
  /** The rule as alerting runs it, every field. */
  readonly settings: AlertRule;
}

export interface ManifestRecipient {
  readonly name: TargetName | 'kafka' | 'clickhouse';
  /** Where, as it may be shown (no credentials, no webhook token). */
  readonly destination: string;
}

export interface ManifestAlerts {
  /** KPI_ALERT_RULES, or undefined: no alerts. */
  readonly file?: string;
  readonly rules: readonly ManifestAlertRule[];
  /** Who receives every rule's events. */
  readonly recipients: readonly ManifestRecipient[];
}

export interface ManifestRole {
  readonly name: string;
  readonly for: string;
  readonly sees: string;
  /** database.table, or database.* */
  readonly reads: readonly string[];
}

export interface ManifestRetention {
  readonly tables: readonly { table: string; kind: RetentionKind; holds: string; period: string; default: boolean; ttl: string }[];
  readonly kept: readonly { table: string; why: string }[];
  readonly topics: readonly { topic: string; retention: string; cleanup_policy: string; holds: string }[];
}

/** A way data leaves kpi-stream. */
export interface ManifestOutflow {
  readonly channel: string;
  /** Where to, as it may be shown; undefined when not configured. */
  readonly destination?: string;
  readonly configured: boolean;
  /** Only when someone runs a command for it (a file they are handed), not as the system runs. */
  readonly on_request: boolean;
  readonly carries: string;
  /** How the person appears in it. */
  readonly person: string;
}

export interface Manifest {
  readonly generated_at: string;
  readonly kpi_stream_version: string;
  /** Made from the configuration alone, without ClickHouse or Kafka. */
  readonly connected: false;
  readonly deployment: {
    readonly clickhouse_database: string;
    readonly clickhouse_url: string;
    readonly kafka_brokers: readonly string[];
    readonly topic_prefix: string;
  };
  readonly inputs: readonly ManifestInput[];
  readonly windows: ManifestWindows;
  readonly kpis: readonly ManifestKpi[];
  readonly scoring: ManifestScoring;
  readonly rules: { readonly detection: ManifestDetection; readonly alerts: ManifestAlerts };
  readonly roles: readonly ManifestRole[];
  readonly retention: ManifestRetention;
  readonly outflows: readonly ManifestOutflow[];
}

/** The manifest of a configuration (pure, but for reading the .avsc files). */
export function manifest(config: Config, inputs: ManifestInputs): Manifest {
  const topics = topicDefinitions(config);
  return {
    generated_at: new Date(inputs.generatedAt).toISOString(),
    kpi_stream_version: packageVersion(),
    connected: false,
    deployment: {
      clickhouse_database: config.clickhouseDatabase,
      clickhouse_url: redactUrl(config.clickhouse.url),
      kafka_brokers: config.kafka.brokers,
      topic_prefix: config.topicPrefix,
    },
    inputs: RECORD_KINDS.map((kind) => inputOf(kind, topicOfKind(topics, kind), inputs.catalog)),
    windows: windowsOf(config, inputs.shiftCalendar, inputs.plants),
    kpis: inputs.catalog.kpis.map((kpi) => kpiOf(kpi, topics)),
    scoring: scoringOf(inputs.catalog),
    rules: { detection: detectionOf(config, inputs.alertRules), alerts: alertsOf(config, inputs.alertRules) },
    roles: rolesOf(config),
    retention: retentionOf(config, topics),
    outflows: outflowsOf(config, topics),
  };
}

/** Retention in ms as people read it; -1 is Kafka's "kept". */
function retentionText(ms: number): string {
  return ms < 0 ? 'kept' : formatDuration(ms);
}

function topicOfKind(topics: readonly TopicDefinition[], kind: RecordKind): TopicDefinition {
  return topics.find((t) => (kind === 'assignment' ? t.contractName === ASSIGNMENTS_TOPIC : t.kind === kind))!;
}

/** An Avro type as a short word: string, long (timestamp-millis), string or null, array of string. */
function typeText(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const present = type.filter((t) => t !== 'null').map(typeText);
    return present.length < type.length ? `${present.join(' or ')} or null` : present.join(' or ');
  }
  const t = type as { type: string; logicalType?: string; items?: unknown };
  if (t.type === 'array') return `array of ${typeText(t.items)}`;
  return t.logicalType ? `${t.type} (${t.logicalType})` : t.type;
}

/** Columns of the window rows that keep an input's field under its own name, the row's key aside. */
const ROW_FIELDS: ReadonlySet<string> = new Set(CORE_COLUMNS.filter((c) => c !== 'employee_id' && c !== 'station_id'));

function inputOf(kind: RecordKind, topic: TopicDefinition, catalog: KpiCatalog): ManifestInput {
  const schema = schemaOf(kind);
  const readBy =
    kind === 'assignment'
      ? [ASSIGNMENTS_TABLE]
      : [
          ...catalog.kpis.flatMap((kpi) => (kpi.measures ?? []).filter((m) => m.reads === kind).map((m) => `${kpi.name}.${m.name}`)),
          // Fields a window row keeps as they are (the self-report's figures), beside its key.
          ...schema.fields.filter((f) => ROW_FIELDS.has(f.name)).map((f) => `${WINDOW_METRICS_TABLE}.${f.name}`),
        ];
  return {
    topic: topic.name,
    record: RECORD_NAMES[kind],
    source: topic.doc,
    describes: schema.doc ?? '',
    fields: schema.fields.map((f: AvroField) => ({ name: f.name, type: typeText(f.type), ...(f.doc ? { doc: f.doc } : {}) })),
    retention: retentionText(topic.retentionMs),
    cleanup_policy: topic.cleanupPolicy,
    read_by: readBy,
  };
}

const clockTime = (ms: number) => `${String(Math.floor(ms / 3_600_000)).padStart(2, '0')}:${String(Math.floor(ms / 60_000) % 60).padStart(2, '0')}`;

function windowsOf(config: Config, calendar: ShiftCalendarDefinition | undefined, plants: ReadonlyMap<string, PlantDefinition> | undefined): ManifestWindows {
  const common = {
    time_zone: config.timeZone,
    day_start: clockTime(config.dayStart),
    ...(plants
      ? {
          plants: [...plants].map(([id, plant]) => ({
            plant_id: id,
            time_zone: plant.timeZone,
            day_start: clockTime(plant.dayStart),
            windows: plant.shiftCalendar
              ? `shifts: ${plant.shiftCalendar.shifts.map((s) => `${s.name} ${s.start} (${s.hours} h)`).join(', ')}`
              : `tumbling, ${formatDuration(config.windowSize)} each`,
          })),
        }
      : {}),
    allowed_lateness: formatDuration(config.allowedLateness),
    correction_horizon: formatDuration(config.correctionHorizon),
    report_max_delay: formatDuration(config.reportMaxDelay),
  };
  if (calendar === undefined || config.shiftCalendar === undefined) return { windows: 'tumbling', size: formatDuration(config.windowSize), ...common };
  return {
    windows: 'shift calendar',
    ...common,
    shift_calendar: {
      file: config.shiftCalendar,
      shifts: calendar.shifts.map((s) => ({
        name: s.name,
        start: s.start,
        hours: s.hours,
        ...(s.days ? { days: s.days } : {}),
        ...(s.crews ? { crews: s.crews } : {}),
      })),
      holidays: calendar.holidays ?? [],
    },
  };
}

const OWN_KPIS: ReadonlySet<KpiDefinition> = new Set([...BUILTIN_KPIS, oeeKpi]);

function kpiOf(kpi: KpiDefinition, topics: readonly TopicDefinition[]): ManifestKpi {
  return {
    name: kpi.name,
    description: kpi.description,
    ...(kpi.source ? { source: kpi.source } : {}),
    extension: !OWN_KPIS.has(kpi),
    measures: (kpi.measures ?? []).map((m) => ({ name: m.name, reads: topics.find((t) => t.kind === m.reads)!.name, formula: m.description })),
    columns: (kpi.columns ?? []).map((c) => ({ name: c.name, formula: c.description, ...(c.sample ? { sample: c.sample } : {}) })),
    indicators: (kpi.indicators ?? []).map((i) => ({ name: i.name, description: i.description, target: i.target, worst: i.worst })),
  };
}

function scoringOf(catalog: KpiCatalog): ManifestScoring {
  const model = DEFAULT_SCORING;
  return {
    formula: SCORING_FORMULA,
    models: [
      {
        version: model.version,
        origin: `installed by \`kpi-stream migrate\` into ${SCORING_MODELS_TABLE}; the active model until a newer version is added`,
        indicators: catalog.indicators.map((i) => ({ name: i.name, ...ruleOf(model, catalog, i.name)! })),
        bands: model.bands,
        target_distribution: model.targetDistribution,
      },
    ],
    note: `Scoring model versions live in ClickHouse (table ${SCORING_MODELS_TABLE}; the active one is the newest plant-wide version, view scoring_model_active), and \`kpi-stream score add-model FILE\` adds versions there, with station overrides. This manifest is made without a connection: it shows the version migrate installs. A version added since is listed by \`SELECT * FROM ${SCORING_MODELS_TABLE} FINAL\`, and every score names the version it used.`,
  };
}

function detectionOf(config: Config, alertRules: readonly AlertRule[]): ManifestDetection {
  const rules = detectionRules(config);
  return {
    version: rules.version,
    false_alarm_rate: rules.falseAlarmRate,
    flag_kinds: INFLATION_FLAG_KINDS.map((kind) => {
      const figure = figureOf(kind);
      return {
        kind,
        claims: `reported ${figure.words.more}`,
        unit: figure.unit,
        spread_floor: rules.spread.floor[kind],
        spread_ceiling: rules.spread.ceiling[kind],
        material: rules.material[kind],
      };
    }),
    all_flag_kinds: FLAG_KINDS,
    single_window_z: rules.single.z,
    severity: rules.severity,
    output: {
      table: ANOMALIES_TABLE,
      alert_rules: alertRules.filter((r) => r.kind === 'anomaly').map((r) => r.name),
      alerts_on_statuses: FLAG_STATUSES.filter(flagStands),
    },
    feedback: {
      reads: FLAGS_CURRENT_VIEW,
      rules: {
        dismissed:
          "raises the tolerance of its station for its kind of flag: a report's error up to the largest deviation dismissed there (in the 28 days of history a run reads) counts as honest, never more than the kind's honest spread ceiling; the window and kind get no new proposal",
        measurement_problem:
          'makes the window a measurement gap: its report is judged on no figure, teaches no honest spread, adds no evidence, and carries a measurement_gap flag instead',
      },
    },
    settings: rules,
  };
}

function alertsOf(config: Config, alertRules: readonly AlertRule[]): ManifestAlerts {
  const recipients: ManifestRecipient[] =
    alertRules.length === 0
      ? []
      : [
          { name: 'kafka', destination: alertsTopic(config) },
          ...configuredTargets(config).map((t) => ({ name: t.name, destination: t.shown })),
          { name: 'clickhouse', destination: `${config.clickhouseDatabase}.${ALERT_DELIVERIES_TABLE}` },
        ];
  return {
    ...(config.alertRules === undefined ? {} : { file: config.alertRules }),
    rules: alertRules.map((rule) => ({
      name: rule.name,
      kind: rule.kind,
      summary: describeRule(rule),
      scope: rule.scope,
      severity: rule.severity,
      about_a_person: rule.scope === 'employee',
      discloses: rule.scope === 'employee' && rule.disclose,
      settings: rule,
    })),
    recipients,
  };
}

function rolesOf(config: Config): ManifestRole[] {
  const own: ManifestRole = {
    name: config.clickhouse.username,
    for: "kpi-stream's own processes (CLICKHOUSE_USER)",
    sees: 'writes and reads every table of the database',
    reads: [`${config.clickhouseDatabase}.*`],
  };
  return [
    own,
    ...READER_ROLES.map((role) => ({
      name: role.name,
      for: role.for,
      sees: role.sees,
      reads: role.readable(config.clickhouseDatabase).flatMap((r) => (r.tables ? r.tables.map((t) => `${r.database}.${t}`) : [`${r.database}.*`])),
    })),
  ];
}

function retentionOf(config: Config, topics: readonly TopicDefinition[]): ManifestRetention {
  return {
    tables: Object.entries(TABLE_RETENTION).map(([table, { kind, timeColumn }]) => {
      const period = config.retention[kind];
      const standard = DEFAULT_RETENTION[kind];
      return {
        table,
        kind,
        holds: RETENTION_KINDS[kind].holds,
        period: formatPeriod(period),
        default: period.count === standard.count && period.unit === standard.unit,
        ttl: ttlExpression(timeColumn, period),
      };
    }),
    kept: Object.entries(KEPT_TABLES).map(([table, why]) => ({ table, why })),
    topics: topics.map((t) => ({ topic: t.name, retention: retentionText(t.retentionMs), cleanup_policy: t.cleanupPolicy, holds: t.doc })),
  };
}

const PROBE_EMPLOYEE = 'manifest-probe-employee';
const PROBE_EXPLANATION = 'manifest-probe-explanation';
/**
 * An alert event about one person, to see what the targets' payloads carry of
 * them: typed as the contract's event, so a field the contract adds must be
 * given here too.
 */
const PROBE_EVENT: AlertEvent = {
  type: 'alert.firing',
  id: 'manifest-probe-id',
  fingerprint: 'manifest-probe-fingerprint',
  rule: 'manifest-probe-rule',
  severity: 'high',
  scope: 'employee',
  employee_id: PROBE_EMPLOYEE,
  station_id: 'manifest-probe-station',
  window_start: '2026-01-01T00:00:00.000Z',
  window_end: '2026-01-02T00:00:00.000Z',
  metric: 'efficiency',
  value: 0.4,
  threshold: 0.5,
  anomaly: null,
  explanation: PROBE_EXPLANATION,
  started_at: '2026-01-02T00:10:00.000Z',
  ended_at: null,
  observed_at: '2026-01-02T00:10:00.000Z',
  review_url: 'https://app.example/flags/manifest-probe-fingerprint',
};
/** The probe as it leaves by default, through alerting's own step (a rule without `disclose`), under a key of its own. */
const PROBE_SENT = pseudonymised(PROBE_EVENT, pseudonymOf('manifest-probe-key-of-32-characters', PROBE_EMPLOYEE));

/** How a payload built from the probe event shows the person: by id (as is, or not), with the explanation text or without. */
function personIn(payload: unknown, where: string): string {
  const text = JSON.stringify(payload);
  const id = text.includes(PROBE_EMPLOYEE)
    ? `the employee id as is (${where})`
    : /e_[0-9a-f]{24}/.test(text)
      ? `the employee's pseudonym (${where}) and the review page's link`
      : 'no employee id';
  const explanation = text.includes(PROBE_EXPLANATION)
    ? "and the explanation text of the alert or flag (what the person's figures were)"
    : 'without explanation text';
  return `alerts of rules of scope employee: ${id}, ${explanation}; a rule with \`disclose: true\` sends the employee id and the explanation`;
}

function outflowsOf(config: Config, topics: readonly TopicDefinition[]): ManifestOutflow[] {
  const targets = new Map(configuredTargets(config).map((t) => [t.name, t.shown]));
  const written = topics.filter((t) => t.kind === undefined && t.contractName !== ASSIGNMENTS_TOPIC);
  const bi = biDatabase(config.clickhouseDatabase);
  const biReaders = READER_ROLES.filter((role) => role.readable(config.clickhouseDatabase).some((r) => r.database === bi));
  const amPayload = alertmanagerAlert(PROBE_SENT, 0) as { labels: Record<string, string>; annotations: Record<string, string> };
  const outflow = (channel: string, destination: string | undefined, carries: string, person: string, onRequest = false): ManifestOutflow => ({
    channel,
    ...(destination === undefined ? {} : { destination }),
    configured: destination !== undefined,
    on_request: onRequest,
    carries,
    person,
  });
  return [
    outflow(
      'webhook (KPI_ALERT_WEBHOOK_URL)',
      targets.get('webhook'),
      `every alert event as JSON, signed (Standard Webhooks): ${Object.keys(PROBE_EVENT).join(', ')}`,
      personIn(PROBE_SENT, 'field employee_id'),
    ),
    outflow(
      'Alertmanager (KPI_ALERTMANAGER_URL)',
      targets.get('alertmanager'),
      `every alert event: labels ${Object.keys(amPayload.labels).join(', ')}; annotations ${Object.keys(amPayload.annotations).join(', ')}`,
      personIn(amPayload, Object.hasOwn(amPayload.labels, 'employee_id') ? 'label employee_id' : 'the annotations'),
    ),
    ...written.map((t) =>
      outflow(
        `Kafka topic ${t.contractName}`,
        `${t.name} on ${config.kafka.brokers.join(',')}`,
        t.doc,
        `records keyed by an employee's id or naming them, readable by every Kafka client the brokers' ACLs let read the topic, for ${retentionText(t.retentionMs)}`,
      ),
    ),
    outflow(
      `BI (database ${bi})`,
      `${bi} on ${redactUrl(config.clickhouse.url)}`,
      `the views of ${bi}, for ${biReaders.map((r) => `${r.name} (${r.for})`).join(', ')}`,
      biReaders.map((r) => r.sees).join('; '),
    ),
    outflow(
      'subject export (`kpi-stream subject export`)',
      'a JSON file, or stdout, on request',
      `every row of one person in ${PERSONAL_TABLES.map((t) => t.table).join(', ')}, and the Kafka topics that keep their records`,
      'the person, by id: written to the access log with who asked and why, before it is handed out',
      true,
    ),
    outflow(
      'the report (`kpi-stream report`)',
      'an HTML or JSON file, on request',
      'grades, figures and flags per station and plant, and a page per flagged employee',
      'employees by id, and by name with --names: written to the access log with who asked and why',
      true,
    ),
  ];
}
