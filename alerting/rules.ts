import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError, messageOf } from '../core/errors.js';
import { formatDuration, parseDuration } from '../core/time.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { INFLATION_FLAG_KINDS, SEVERITIES, type Severity } from '../contract/flag.js';
import { SCOPES, type Scope } from '../contract/alertEvent.js';

/**
 * Alert rules: the YAML file named by KPI_ALERT_RULES (docs/contract.md, "Alert events").
 * A metric rule sets a threshold on a window column or the score, per
 * employee, station or plant; an anomaly rule raises an alert for inflation
 * flags of a kind and a least severity. Events of a rule about a person
 * (scope employee) carry a pseudonym and a neutral line unless the rule says
 * `disclose: true` (alerting/people.ts). Rules are validated once, at
 * start-up: a bad rule throws a ConfigError (exit 78) naming the rule and
 * the field.
 */

export interface MetricRule {
  readonly kind: 'metric';
  readonly name: string;
  readonly metric: string;
  readonly scope: Scope;
  /** 'above': breaches when the value is above the threshold; 'below': under it. */
  readonly direction: 'above' | 'below';
  readonly threshold: number;
  /** The value must pass this back (at or beyond it) to resolve; default: the threshold. */
  readonly clear: number;
  /** The metric's sample (its denominator) must reach this before the window is judged; 0: always judged. */
  readonly minSample: number;
  /** Consecutive judged windows of the scope key that must breach. */
  readonly forWindows: number;
  /** After a resolution, the same alert does not fire again for this long (ms). */
  readonly cooldownMs: number;
  readonly severity: Severity;
  /** Employee scope: its events name the employee and explain with figures (`disclose: true`), instead of a pseudonym and a neutral line. */
  readonly disclose: boolean;
}

export interface AnomalyRule {
  readonly kind: 'anomaly';
  readonly name: string;
  /** An inflation flag kind, or 'any'; measurement gaps never match. */
  readonly anomaly: string;
  readonly minSeverity: Severity;
  readonly scope: 'employee';
  readonly cooldownMs: number;
  readonly severity: Severity;
  /** Its events name the employee and carry the flag's explanation (`disclose: true`), instead of a pseudonym and a neutral line. */
  readonly disclose: boolean;
}

export type AlertRule = MetricRule | AnomalyRule;

/** Columns of a window row that are not computed from measures: the employee's own self-report. */
export const REPORT_METRICS = ['reported_units', 'reported_run_hours', 'reported_defective_units', 'self_score'] as const;
/** The score (0–100) of the window under the active scoring model. */
export const SCORE_METRIC = 'score';
export const DEFAULT_COOLDOWN = '15m';

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const cooldown = z
  .string()
  .refine((raw) => parseDuration(raw) !== undefined, { message: 'expected a duration such as 30s, 15m or 1h' })
  .default(DEFAULT_COOLDOWN);
const common = {
  name: z.string().regex(NAME, { message: 'lowercase letters, digits and dashes' }),
  severity: z.enum(SEVERITIES),
  cooldown,
  description: z.string().optional(),
  disclose: z.boolean().default(false),
};
const metricSchema = z.strictObject({
  ...common,
  metric: z.string().min(1),
  scope: z.enum(SCOPES),
  above: z.number().finite().optional(),
  below: z.number().finite().optional(),
  min_sample: z.number().finite().nonnegative().optional(),
  for_windows: z.number().int().min(1).max(1000).default(1),
  clear: z.number().finite().optional(),
});
const anomalySchema = z.strictObject({
  ...common,
  anomaly: z.string().min(1),
  min_severity: z.enum(SEVERITIES).default('low'),
  scope: z.literal('employee').optional(),
});
const fileSchema = z.strictObject({ rules: z.array(z.unknown()).min(1, { message: 'list at least one rule' }) });

/** A problem with one field of one rule; `loadRules` turns it into a ConfigError. */
class RuleProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function firstIssue(error: z.ZodError): RuleProblem {
  const issue = error.issues[0]!;
  const keys = (issue as { keys?: string[] }).keys;
  const field = issue.path.length > 0 ? issue.path.join('.') : keys && keys.length > 0 ? keys.join(', ') : '(rule)';
  return new RuleProblem(field, issue.code === 'unrecognized_keys' ? 'is not a field of a rule' : issue.message);
}

/** The metrics a rule of a scope may name: the window columns, the score, and (per employee) the self-report's figures. */
export function metricsFor(catalog: KpiCatalog, scope: Scope): string[] {
  return [...catalog.valueColumns, SCORE_METRIC, ...(scope === 'employee' ? REPORT_METRICS : [])];
}

function parseRule(raw: unknown, catalog: KpiCatalog): AlertRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RuleProblem('(rule)', 'expected a mapping of fields');
  const isAnomaly = 'anomaly' in raw;
  if (isAnomaly && 'metric' in raw) throw new RuleProblem('anomaly', 'a rule has a metric or an anomaly, not both');
  if (isAnomaly) {
    const parsed = anomalySchema.safeParse(raw);
    if (!parsed.success) throw firstIssue(parsed.error);
    const r = parsed.data;
    if (r.anomaly !== 'any' && !(INFLATION_FLAG_KINDS as readonly string[]).includes(r.anomaly)) {
      throw new RuleProblem('anomaly', `expected one of ${[...INFLATION_FLAG_KINDS, 'any'].join(', ')}, got ${JSON.stringify(r.anomaly)}`);
    }
    return {
      kind: 'anomaly',
      name: r.name,
      anomaly: r.anomaly,
      minSeverity: r.min_severity,
      scope: 'employee',
      cooldownMs: parseDuration(r.cooldown)!,
      severity: r.severity,
      disclose: r.disclose,
    };
  }
  if (!('metric' in raw)) throw new RuleProblem('metric', 'a rule needs a metric (with above or below) or an anomaly');
  const parsed = metricSchema.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error);
  const r = parsed.data;
  const known = metricsFor(catalog, r.scope);
  if (!known.includes(r.metric)) {
    throw new RuleProblem('metric', `${JSON.stringify(r.metric)} is not a metric of scope ${r.scope}; expected one of ${known.join(', ')}`);
  }
  if ((r.above === undefined) === (r.below === undefined)) throw new RuleProblem(r.above === undefined ? 'above' : 'below', 'give either above or below');
  const direction = r.above !== undefined ? 'above' : 'below';
  const threshold = (r.above ?? r.below)!;
  const clear = r.clear ?? threshold;
  if (direction === 'above' ? clear > threshold : clear < threshold) {
    throw new RuleProblem('clear', `must not be ${direction === 'above' ? 'above' : 'below'} the threshold (${threshold}) it resolves from, got ${clear}`);
  }
  if (r.disclose && r.scope !== 'employee') throw new RuleProblem('disclose', `only a rule of scope employee is about a person, not one of scope ${r.scope}`);
  if (r.min_sample !== undefined && r.min_sample > 0 && catalog.sampleOf(r.metric) === undefined) {
    throw new RuleProblem('min_sample', `${r.metric} declares no sample (denominator) to count; leave min_sample out`);
  }
  return {
    kind: 'metric',
    name: r.name,
    metric: r.metric,
    scope: r.scope,
    direction,
    threshold,
    clear,
    minSample: r.min_sample ?? 0,
    forWindows: r.for_windows,
    cooldownMs: parseDuration(r.cooldown)!,
    severity: r.severity,
    disclose: r.disclose,
  };
}

/**
 * Validates a rules document (already parsed from YAML). Throws ConfigError
 * (key KPI_ALERT_RULES) naming the source, the rule and the field.
 */
export function parseRules(document: unknown, catalog: KpiCatalog, source = 'KPI_ALERT_RULES'): AlertRule[] {
  const fail = (where: string, problem: string): never => {
    throw new ConfigError('KPI_ALERT_RULES', `${source}: ${where}: ${problem}`);
  };
  const file = fileSchema.safeParse(document);
  if (!file.success) {
    const problem = firstIssue(file.error);
    return fail(`field ${problem.field}`, problem.message);
  }
  const rules: AlertRule[] = [];
  for (const [index, raw] of file.data.rules.entries()) {
    const name = typeof (raw as { name?: unknown })?.name === 'string' ? (raw as { name: string }).name : undefined;
    const where = `rule ${name === undefined ? '' : `${JSON.stringify(name)} `}(rules[${index}])`;
    try {
      const rule = parseRule(raw, catalog);
      if (rules.some((r) => r.name === rule.name)) throw new RuleProblem('name', `${rule.name} names an earlier rule too; names are unique`);
      rules.push(rule);
    } catch (error) {
      if (error instanceof RuleProblem) fail(`${where}, field ${error.field}`, error.message);
      throw error;
    }
  }
  return rules;
}

/** Reads and validates a rules file. */
export function loadRules(path: string, catalog: KpiCatalog): AlertRule[] {
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('KPI_ALERT_RULES', `cannot read ${path}: ${messageOf(error)}`);
  }
  return parseRules(document, catalog, path);
}

/** One line per rule, for `alerts check` and logs. */
export function describeRule(rule: AlertRule): string {
  if (rule.kind === 'anomaly') {
    return `${rule.name}: ${rule.anomaly === 'any' ? 'any inflation flag' : rule.anomaly} of ${rule.minSeverity} severity or worse per employee-window → ${rule.severity}${disclosure(rule)}`;
  }
  const sample = rule.minSample > 0 ? ` with at least ${rule.minSample} ${rule.metric}'s sample` : '';
  const windows = rule.forWindows > 1 ? ` for ${rule.forWindows} consecutive windows` : '';
  const clear = rule.clear !== rule.threshold ? `, clears at ${rule.clear}` : '';
  return `${rule.name}: ${rule.metric} per ${rule.scope} ${rule.direction} ${rule.threshold}${sample}${windows}${clear}, cooldown ${formatDuration(rule.cooldownMs)} → ${rule.severity}${disclosure(rule)}`;
}

/** How a rule's events speak of the employee, for `describeRule` (station and plant rules are about nobody). */
function disclosure(rule: AlertRule): string {
  if (rule.scope !== 'employee') return '';
  return rule.disclose ? ', naming the employee (disclose)' : ', by pseudonym';
}
