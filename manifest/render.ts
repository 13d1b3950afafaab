import type { Manifest, ManifestKpi } from './manifest.js';

/** The manifest's formats: Markdown for people (a works agreement's annex), JSON for tools. */
export const MANIFEST_FORMATS = ['markdown', 'json'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

export function renderManifest(manifest: Manifest, format: ManifestFormat): string {
  return format === 'json' ? renderJson(manifest) : renderMarkdown(manifest);
}

export function renderJson(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** A table cell: one line, pipes escaped. */
const cell = (value: string | number | boolean | undefined): string =>
  value === undefined
    ? ''
    : String(value)
        .replace(/\s*\n\s*/g, ' ')
        .replace(/\|/g, '\\|');

function table(header: readonly string[], rows: readonly (readonly (string | number | boolean | undefined)[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

const code = (text: string) => `\`${text}\``;
const percent = (share: number) => `${Number((share * 100).toPrecision(6))}%`;

function kpiTable(kpi: ManifestKpi): string {
  return table(
    ['figure', 'what', 'formula'],
    [
      ...kpi.measures.map((m) => [code(m.name), `sum of ${code(m.reads)}`, m.formula]),
      ...kpi.columns.map((c) => [code(c.name), c.sample ? `column (rests on ${code(c.sample)})` : 'column', c.formula]),
      ...kpi.indicators.map((i) => [code(i.name), 'scored indicator', `${i.description}: 100 points at ${i.target}, 0 at ${i.worst}`]),
    ],
  );
}

/** The manifest as a Markdown document, in the order a works agreement reads it. */
export function renderMarkdown(m: Manifest): string {
  const { detection, alerts } = m.rules;
  const sections: string[] = [
    '# kpi-stream manifest',
    `Made ${m.generated_at} by kpi-stream ${m.kpi_stream_version} from its running configuration, without a connection to ClickHouse or Kafka. ` +
      `ClickHouse database ${code(m.deployment.clickhouse_database)} at ${m.deployment.clickhouse_url}; Kafka ${m.deployment.kafka_brokers.map(code).join(', ')}` +
      `${m.deployment.topic_prefix === '' ? '' : `; topic prefix ${code(m.deployment.topic_prefix)}`}. ` +
      'What it measures about people, which rules judge it, who sees what, how long it is kept, and where it leaves kpi-stream.',

    '## 1. What is measured: the inputs',
    'Every record kpi-stream reads, its fields, how long Kafka keeps it, and where it goes: the KPI measures summed from it, the window row columns that keep a field as it is, or a table.',
    ...m.inputs.flatMap((input) => [
      `### ${code(input.topic)}: ${input.record}`,
      `${input.describes}\n\nFrom: ${input.source}. Kafka keeps its records: ${input.retention} (cleanup ${input.cleanup_policy}). ` +
        `Goes into: ${input.read_by.map(code).join(', ')}.`,
      table(
        ['field', 'type', 'what it says'],
        input.fields.map((f) => [code(f.name), f.type, f.doc]),
      ),
    ]),

    '## 2. The windows figures are counted in',
    [
      m.windows.windows === 'tumbling'
        ? `- Windows: tumbling, ${m.windows.size} each, per employee`
        : `- Windows: the shifts of the calendar ${code(m.windows.shift_calendar!.file)}, per employee`,
      `- Plant time zone: ${m.windows.time_zone}; the plant day starts at ${m.windows.day_start}`,
      `- A window closes ${m.windows.allowed_lateness} after its end; late events correct it for ${m.windows.correction_horizon} after its end`,
      `- A self-report submitted more than ${m.windows.report_max_delay} after its period is refused`,
    ].join('\n'),
    ...(m.windows.shift_calendar
      ? [
          table(
            ['shift', 'start', 'hours', 'days', 'crews'],
            m.windows.shift_calendar.shifts.map((s) => [s.name, s.start, s.hours, s.days?.join(', ') ?? 'every day', s.crews?.join(', ') ?? '']),
          ),
          `Holidays: ${m.windows.shift_calendar.holidays.length === 0 ? 'none' : m.windows.shift_calendar.holidays.join(', ')}.`,
        ]
      : []),
    ...(m.windows.plants
      ? [
          'Plants with clocks of their own (KPI_PLANTS_FILE): the windows of the people `hr.assignments.v1` places there follow their plant; everyone else the clock above.',
          table(
            ['plant', 'time zone', 'day starts', 'windows'],
            m.windows.plants.map((p) => [code(p.plant_id), p.time_zone, p.day_start, p.windows]),
          ),
        ]
      : []),

    '## 3. The KPIs and their formulas',
    ...m.kpis.flatMap((kpi) => [
      `### ${code(kpi.name)}${kpi.extension ? ' (extension, KPI_EXTENSIONS)' : ''}`,
      `${kpi.description}${kpi.source ? ` After ${kpi.source}.` : ''}`,
      kpiTable(kpi),
    ]),

    '## 4. Scoring',
    Object.values(m.scoring.formula)
      .map((line) => `- ${line}`)
      .join('\n'),
    ...m.scoring.models.flatMap((model) => [
      `### Model ${code(model.version)}`,
      `${model.origin[0]!.toUpperCase()}${model.origin.slice(1)}.`,
      table(
        ['indicator', 'weight', 'target (100 points)', 'worst (0 points)'],
        model.indicators.map((i) => [code(i.name), i.weight === 0 ? '0 (shown, not weighed)' : i.weight, i.target, i.worst]),
      ),
      `Bands: excellent from ${model.bands.excellent}, qualified from ${model.bands.qualified}. Calibration target: ` +
        `${percent(model.target_distribution.excellent)} excellent, ${percent(model.target_distribution.qualified)} qualified, ` +
        `${percent(model.target_distribution.needsImprovement)} needs improvement.`,
    ]),
    m.scoring.note,

    '## 5. The rules that judge people',
    `### Detection of inflated self-reports (${code(detection.version)})`,
    [
      `A flag is a proposal, not a verdict. Each self-report figure is compared with what was measured; an honest person's evidence reaches the sequential test's threshold with a chance of ${detection.false_alarm_rate} per report and figure (KPI_DETECT_FALSE_ALARM_RATE).`,
      `One report more than ${detection.single_window_z} robust standard deviations beyond the honest median is flagged on its own.`,
      `Severity: medium from ${percent(detection.severity.medium)} average excess or evidence ${detection.severity.strength} times the threshold; high needs ${percent(detection.severity.high)} and that strength.`,
      `A report whose measured side is incomplete is not judged on what the gap touches: it gets a ${code('measurement_gap')} flag, which accuses nobody.`,
    ].join(' '),
    table(
      ['flag', 'claims the person', 'unit', 'honest spread floor', 'ceiling', 'smallest difference named'],
      detection.flag_kinds.map((f) => [
        code(f.kind),
        f.claims,
        f.unit,
        f.unit === 'share' ? percent(f.spread_floor) : f.spread_floor,
        f.unit === 'share' ? percent(f.spread_ceiling) : f.spread_ceiling,
        f.material,
      ]),
    ),
    `Flags go to ${code(detection.output.table)}` +
      (detection.output.alert_rules.length > 0
        ? `, and to the alert rules ${detection.output.alert_rules.map(code).join(', ')} (below), which fire only on a flag whose review status is ${detection.output.alerts_on_statuses.map(code).join(' or ')}.`
        : '; no alert rule judges them.'),
    [
      `Detection learns from the reviews of its flags (${code(detection.feedback.reads)}):`,
      ...Object.entries(detection.feedback.rules).map(([status, rule]) => `- A flag ${code(status)} ${rule}.`),
    ].join('\n'),
    '### Alert rules',
    alerts.file === undefined
      ? 'KPI_ALERT_RULES is not set: no alert rules, nothing is judged live and no alert is sent.'
      : `From ${code(alerts.file)}: ${alerts.rules.length} rule${alerts.rules.length === 1 ? '' : 's'}.`,
    ...(alerts.rules.length > 0
      ? [
          table(
            ['rule', 'judges', 'about one person'],
            alerts.rules.map((r) => [
              code(r.name),
              r.summary,
              r.about_a_person ? (r.discloses ? 'yes, by id (`disclose: true`)' : 'yes, by pseudonym') : `no (${r.scope})`,
            ]),
          ),
          `Every rule's events go to: ${alerts.recipients.map((r) => `${r.name} ${code(r.destination)}`).join('; ')}. What each carries of the person: section 8.`,
        ]
      : []),

    '## 6. Who sees what',
    table(
      ['role', 'given to', 'sees', 'reads'],
      m.roles.map((r) => [code(r.name), r.for, r.sees, r.reads.map(code).join(', ')]),
    ),

    '## 7. How long it is kept',
    'ClickHouse deletes a row once its time column plus its period has passed (KPI_RETENTION_FILE; "default" marks a period the file leaves at its default).',
    table(
      ['table', 'kind of data', 'kept for', 'TTL'],
      m.retention.tables.map((t) => [code(t.table), `${code(t.kind)}: ${t.holds}`, `${t.period}${t.default ? ' (default)' : ''}`, code(t.ttl)]),
    ),
    'Kept without a TTL, on purpose:',
    table(
      ['table', 'why'],
      m.retention.kept.map((t) => [code(t.table), t.why]),
    ),
    'Kafka keeps its own copies, whatever the tables keep:',
    table(
      ['topic', 'kept for', 'cleanup', 'holds'],
      m.retention.topics.map((t) => [code(t.topic), t.retention, t.cleanup_policy, t.holds]),
    ),

    '## 8. Where data leaves kpi-stream',
    table(
      ['channel', 'to', 'carries', 'the person in it'],
      m.outflows.map((o) => [
        o.channel,
        o.destination === undefined ? 'not configured' : o.on_request ? o.destination : code(o.destination),
        o.carries,
        o.person,
      ]),
    ),
  ];
  return `${sections.join('\n\n')}\n`;
}
