import { join } from 'node:path';
import { parse } from 'yaml';
import { describeRule, loadRules, parseRules } from '../../../alerting/rules.js';
import { ConfigError } from '../../../core/errors.js';
import { projectRoot } from '../../../core/paths.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { readContractDoc } from '../support/contractDoc.js';

const catalog = KpiCatalog.of();
const rules = (yaml: string) => parseRules(parse(yaml), catalog, 'rules.yaml');
const failure = (yaml: string): ConfigError => {
  try {
    rules(yaml);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

test("docs/contract.md's example rules parse, with their defaults", () => {
  const parsed = rules(readContractDoc().exampleRules);
  expect(parsed).toEqual([
    {
      kind: 'metric',
      name: 'station-defect-rate',
      metric: 'defect_rate',
      scope: 'station',
      direction: 'above',
      threshold: 0.05,
      clear: 0.04,
      minSample: 50,
      forWindows: 1,
      cooldownMs: 15 * 60_000,
      severity: 'high',
      disclose: false,
    },
    {
      kind: 'anomaly',
      name: 'inflated-units',
      anomaly: 'units_overclaim',
      minSeverity: 'medium',
      scope: 'employee',
      cooldownMs: 15 * 60_000,
      severity: 'high',
      disclose: false,
    },
  ]);
  expect(describeRule(parsed[0]!)).toBe(
    "station-defect-rate: defect_rate per station above 0.05 with at least 50 defect_rate's sample, clears at 0.04, cooldown 15m → high",
  );
});

test('a below rule clears at its threshold unless told; score, extension columns and (per employee) self-report figures are metrics', () => {
  const [efficiency, score, reported, oee] = rules(`
rules:
  - { name: slow, metric: efficiency, scope: employee, below: 0.6, for_windows: 2, cooldown: 1h, severity: medium }
  - { name: low-score, metric: score, scope: plant, below: 70, severity: low }
  - { name: big-claims, metric: reported_units, scope: employee, above: 1000, severity: low }
  - { name: oee, metric: oee_quality, scope: station, below: 0.9, min_sample: 50, severity: low }
`);
  expect(efficiency).toMatchObject({ direction: 'below', threshold: 0.6, clear: 0.6, forWindows: 2, cooldownMs: 3_600_000 });
  expect(score).toMatchObject({ metric: 'score', scope: 'plant' });
  expect(reported).toMatchObject({ metric: 'reported_units' });
  expect(oee).toMatchObject({ metric: 'oee_quality', minSample: 50 });
});

test.each([
  ['rules: []', 'field rules', 'at least one rule'],
  ['rules:\n  - { name: Bad_Name, metric: defect_rate, scope: station, above: 0.05, severity: high }', 'rule "Bad_Name" (rules[0]), field name', 'lowercase'],
  ['rules:\n  - { name: a, metric: defect_rate, scope: station, above: 0.05, severity: urgent }', 'rule "a" (rules[0]), field severity', ''],
  [
    'rules:\n  - { name: a, metric: defect_rate, scope: station, above: 0.05, below: 0.01, severity: high }',
    'rule "a" (rules[0]), field below',
    'either above or below',
  ],
  ['rules:\n  - { name: a, metric: defect_rate, scope: station, severity: high }', 'rule "a" (rules[0]), field above', 'either above or below'],
  [
    'rules:\n  - { name: a, metric: defect_rate, scope: station, above: 0.05, clear: 0.06, severity: high }',
    'rule "a" (rules[0]), field clear',
    'must not be above',
  ],
  [
    'rules:\n  - { name: a, metric: efficiency, scope: station, below: 0.5, clear: 0.4, severity: high }',
    'rule "a" (rules[0]), field clear',
    'must not be below',
  ],
  ['rules:\n  - { name: a, metric: scrap, scope: station, above: 1, severity: high }', 'rule "a" (rules[0]), field metric', 'not a metric of scope station'],
  [
    'rules:\n  - { name: a, metric: self_score, scope: station, above: 1, severity: high }',
    'rule "a" (rules[0]), field metric',
    'not a metric of scope station',
  ],
  [
    'rules:\n  - { name: a, metric: units, scope: station, above: 1, min_sample: 5, severity: high }',
    'rule "a" (rules[0]), field min_sample',
    'declares no sample',
  ],
  ['rules:\n  - { name: a, metric: units, scope: station, above: 1, for_windows: 0, severity: high }', 'rule "a" (rules[0]), field for_windows', ''],
  ['rules:\n  - { name: a, metric: units, scope: station, above: 1, cooldown: soon, severity: high }', 'rule "a" (rules[0]), field cooldown', 'duration'],
  ['rules:\n  - { name: a, metric: units, scope: team, above: 1, severity: high }', 'rule "a" (rules[0]), field scope', ''],
  ['rules:\n  - { name: a, metric: units, scope: station, above: 1, severity: high, treshold: 2 }', 'rule "a" (rules[0]), field treshold', 'not a field'],
  ['rules:\n  - { name: a, anomaly: measurement_gap, severity: high }', 'rule "a" (rules[0]), field anomaly', 'units_overclaim'],
  ['rules:\n  - { name: a, anomaly: any, metric: units, severity: high }', 'rule "a" (rules[0]), field anomaly', 'not both'],
  ['rules:\n  - { name: a, severity: high }', 'rule "a" (rules[0]), field metric', 'a metric'],
  [
    'rules:\n  - { name: a, metric: units, scope: station, above: 1, severity: high }\n  - { name: a, anomaly: any, severity: low }',
    'rule "a" (rules[1]), field name',
    'unique',
  ],
])('a bad rule stops start-up naming the rule and the field: %s', (yaml, where, words) => {
  const error = failure(yaml);
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.key).toBe('KPI_ALERT_RULES');
  expect(error.message).toContain(`rules.yaml: ${where}`);
  expect(error.message).toContain(words);
});

test('a file that cannot be read or parsed names the file', () => {
  expect(() => loadRules('/nonexistent/rules.yaml', catalog)).toThrow('KPI_ALERT_RULES: cannot read /nonexistent/rules.yaml');
});

test('the example rules of deploy/ are valid', () => {
  expect(loadRules(join(projectRoot(), 'deploy', 'alert-rules.yaml'), catalog).map((r) => r.name)).toEqual([
    'station-defect-rate',
    'low-efficiency',
    'inflated-self-report',
  ]);
});

test('a rules file that is not a mapping, or a rule that is not one, is refused with the whole message', () => {
  expect(failure('just text').message).toBe('KPI_ALERT_RULES: rules.yaml: field (rule): Invalid input: expected object, received string');
  // Without a name the rule is known by its place alone.
  for (const item of ['42', '[a]', 'null']) {
    expect(failure(`rules:\n  - ${item}`).message).toBe('KPI_ALERT_RULES: rules.yaml: rule (rules[0]), field (rule): expected a mapping of fields');
  }
  expect(failure('rules:\n  - { metric: units, scope: station, above: 1, severity: high }').message).toBe(
    'KPI_ALERT_RULES: rules.yaml: rule (rules[0]), field name: Invalid input: expected string, received undefined',
  );
});

test('describeRule: one line per rule, naming only the options a rule sets', () => {
  const [any, units, plain, chained] = rules(`
rules:
  - { name: any-flag, anomaly: any, severity: low }
  - { name: units-claims, anomaly: units_overclaim, min_severity: high, severity: high, cooldown: 1h }
  - { name: many-units, metric: units, scope: employee, above: 100, severity: low, disclose: true }
  - { name: slow-plant, metric: efficiency, scope: plant, below: 0.6, for_windows: 3, cooldown: 30s, severity: medium }
`);
  expect([any, units, plain, chained].map((r) => describeRule(r!))).toEqual([
    'any-flag: any inflation flag of low severity or worse per employee-window → low, by pseudonym',
    'units-claims: units_overclaim of high severity or worse per employee-window → high, by pseudonym',
    'many-units: units per employee above 100, cooldown 15m → low, naming the employee (disclose)',
    'slow-plant: efficiency per plant below 0.6 for 3 consecutive windows, cooldown 30s → medium',
  ]);
});

test('disclose: a yes or no on a rule about a person, default no; refused on a station or the plant, which are about nobody', () => {
  const [named, anomaly, plain] = rules(`
rules:
  - { name: named, metric: efficiency, scope: employee, below: 0.6, severity: low, disclose: true }
  - { name: named-flags, anomaly: any, severity: high, disclose: true }
  - { name: plain, metric: efficiency, scope: employee, below: 0.6, severity: low }
`);
  expect([named!.disclose, anomaly!.disclose, plain!.disclose]).toEqual([true, true, false]);
  expect(failure('rules:\n  - { name: a, metric: units, scope: station, above: 1, severity: high, disclose: true }').message).toBe(
    'KPI_ALERT_RULES: rules.yaml: rule "a" (rules[0]), field disclose: only a rule of scope employee is about a person, not one of scope station',
  );
  expect(failure('rules:\n  - { name: a, anomaly: any, severity: high, disclose: names }').message).toBe(
    'KPI_ALERT_RULES: rules.yaml: rule "a" (rules[0]), field disclose: Invalid input: expected boolean, received string',
  );
});

test('a rule with several fields it does not know is refused naming each of them', () => {
  expect(failure('rules:\n  - { name: a, metric: units, scope: station, above: 1, severity: high, treshold: 2, colour: red }').message).toBe(
    'KPI_ALERT_RULES: rules.yaml: rule "a" (rules[0]), field treshold, colour: is not a field of a rule',
  );
});

test("an unknown metric is refused listing exactly the scope's metrics: the self-report's figures for an employee only", () => {
  const columns =
    'units, standard_ms, run_ms, idle_ms, down_ms, units_inspected, units_defective, feedback_count, complaints, satisfaction_milli, ' +
    'standard_hours, run_hours, idle_hours, down_hours, efficiency, defect_rate, satisfaction_avg, oee_availability, oee_performance, oee_quality, oee, score';
  expect(failure('rules:\n  - { name: a, metric: scrap, scope: station, above: 1, severity: high }').message).toBe(
    `KPI_ALERT_RULES: rules.yaml: rule "a" (rules[0]), field metric: "scrap" is not a metric of scope station; expected one of ${columns}`,
  );
  expect(failure('rules:\n  - { name: a, metric: scrap, scope: employee, above: 1, severity: high }').message).toBe(
    `KPI_ALERT_RULES: rules.yaml: rule "a" (rules[0]), field metric: "scrap" is not a metric of scope employee; expected one of ${columns}, ` +
      'reported_units, reported_run_hours, reported_defective_units, self_score',
  );
});

test('an anomaly rule for a kind that is not an inflation flag is refused listing the kinds and "any"', () => {
  expect(failure('rules:\n  - { name: a, anomaly: measurement_gap, severity: high }').message).toBe(
    'KPI_ALERT_RULES: rules.yaml: rule "a" (rules[0]), field anomaly: ' +
      'expected one of units_overclaim, run_hours_overclaim, defects_underreport, self_score_inflated, any, got "measurement_gap"',
  );
});

test('min_sample 0 asks for no sample, so a metric without one takes it; min_sample 1 on such a metric is refused', () => {
  expect(rules('rules:\n  - { name: a, metric: units, scope: station, above: 1, min_sample: 0, severity: high }')).toEqual([
    {
      kind: 'metric',
      name: 'a',
      metric: 'units',
      scope: 'station',
      direction: 'above',
      threshold: 1,
      clear: 1,
      minSample: 0,
      forWindows: 1,
      cooldownMs: 15 * 60_000,
      severity: 'high',
      disclose: false,
    },
  ]);
  expect(failure('rules:\n  - { name: a, metric: units, scope: station, above: 1, min_sample: 1, severity: high }').message).toBe(
    'KPI_ALERT_RULES: rules.yaml: rule "a" (rules[0]), field min_sample: units declares no sample (denominator) to count; leave min_sample out',
  );
});

test('rules given without a source are known by the setting that names them', () => {
  // toThrow with an Error compares the whole message.
  expect(() => parseRules({ rules: [] }, KpiCatalog.of())).toThrow(new Error('KPI_ALERT_RULES: KPI_ALERT_RULES: field rules: list at least one rule'));
});
