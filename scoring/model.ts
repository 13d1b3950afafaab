import { SinkError } from '../core/errors.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import type { Measures } from '../kpis/definition.js';
import type { ScoringModelRow } from '../sinks/clickhouse/queries/scoringModels.js';

/**
 * The scoring model: a weighted composite (0–100) of the KPIs' indicators.
 * Each indicator earns 100 points at its target and 0 at its worst value,
 * linearly in between (for the defect rate the target is the lower number).
 * Weights, targets and worst values are versioned configuration: every score
 * records the version it used, so a past score can be reproduced. This module
 * is the one place the formula lives; scoring/score.ts applies it to the
 * windows, weeks and months in ClickHouse.
 */
export interface IndicatorRule {
  readonly weight: number;
  readonly target: number;
  readonly worst: number;
}

export interface ScoringModel {
  readonly version: string;
  /** Rules by indicator name; an indicator without a rule is shown with its KPI's defaults and weight 0. */
  readonly indicators: Readonly<Record<string, IndicatorRule>>;
  /** Lowest score of each grade. */
  readonly bands: { readonly excellent: number; readonly qualified: number };
  /** Target share of each grade, for calibration. */
  readonly targetDistribution: { readonly excellent: number; readonly qualified: number; readonly needsImprovement: number };
}

export const DEFAULT_SCORING: ScoringModel = {
  version: 'default-v1',
  indicators: {
    efficiency: { weight: 0.4, target: 1.0, worst: 0.5 },
    quality: { weight: 0.3, target: 0.01, worst: 0.1 },
    satisfaction: { weight: 0.3, target: 90, worst: 50 },
  },
  bands: { excellent: 90, qualified: 70 },
  targetDistribution: { excellent: 0.25, qualified: 0.55, needsImprovement: 0.2 },
};

export type Grade = 'excellent' | 'qualified' | 'needs_improvement';

/** The formula of indicatorPoints, scoreOf and gradeOf below, in words, for people who judge it (the manifest). */
export const SCORING_FORMULA = {
  points:
    'points = 100 × (value − worst) / (target − worst), clamped to 0…100: 100 at the target, 0 at the worst value (for the defect rate the target is the lower number)',
  score: 'score = Σ weight × points / Σ weight, over the indicators with a weight above 0 that have a value in the period; no such indicator, no score',
  grade:
    "grade = excellent from the model's excellent band, qualified from its qualified band, needs_improvement below; a self-score is graded by the same bands",
  scope: "a station's own rules, where the model version has them, replace the plant-wide ones for the periods worked at that station",
} as const;

/** 100 at the target, 0 at the worst value, linear and clamped in between. */
export function indicatorPoints(value: number, rule: IndicatorRule): number {
  const share = (value - rule.worst) / (rule.target - rule.worst);
  return 100 * Math.min(1, Math.max(0, share));
}

/** The value of every indicator of the catalog over a span's measures (null where it has none). */
export function indicatorValues(catalog: KpiCatalog, measures: Measures): Record<string, number | null> {
  return Object.fromEntries(catalog.indicators.map((i) => [i.name, i.value(measures)]));
}

/** The rule of an indicator: the model's, or the KPI's defaults with weight 0 (shown, not weighed). */
export function ruleOf(model: ScoringModel, catalog: KpiCatalog, indicator: string): IndicatorRule | undefined {
  const rule = model.indicators[indicator];
  if (rule) return rule;
  const definition = catalog.indicators.find((i) => i.name === indicator);
  return definition ? { weight: 0, target: definition.target, worst: definition.worst } : undefined;
}

export interface Score {
  /** Points of every indicator that has a value. */
  readonly points: Record<string, number>;
  /** The weighted mean of the points of indicators with weight > 0 that have a value; null when none has. */
  readonly score: number | null;
  readonly grade: Grade | null;
}

/** Scores a span from its indicator values. */
export function scoreOf(values: Readonly<Record<string, number | null>>, model: ScoringModel, catalog: KpiCatalog): Score {
  const points: Record<string, number> = {};
  let weighted = 0;
  let weights = 0;
  for (const [name, value] of Object.entries(values)) {
    const rule = ruleOf(model, catalog, name);
    if (value === null || !rule) continue;
    points[name] = indicatorPoints(value, rule);
    weighted += rule.weight * points[name];
    weights += rule.weight;
  }
  const score = weights > 0 ? weighted / weights : null;
  return { points, score, grade: score === null ? null : gradeOf(score, model) };
}

export function gradeOf(score: number, model: ScoringModel = DEFAULT_SCORING): Grade {
  if (score >= model.bands.excellent) return 'excellent';
  if (score >= model.bands.qualified) return 'qualified';
  return 'needs_improvement';
}

/** A model version's plant-wide model and the stations' own. */
export interface VersionedModels {
  readonly plant: ScoringModel;
  readonly stations: ReadonlyMap<string, ScoringModel>;
}

const CLASSIC = ['efficiency', 'quality', 'satisfaction'] as const;

/**
 * The models of a version from its kpi.scoring_models rows: the classic
 * indicators have columns, others are in `indicator_rules` (JSON).
 */
export function modelsOf(rows: readonly ScoringModelRow[], version: string): VersionedModels {
  const plant = rows.find((r) => r.scope === '');
  if (!plant) throw new SinkError(`unknown scoring model version ${JSON.stringify(version)}`);
  return { plant: modelOf(plant), stations: new Map(rows.filter((r) => r.scope !== '').map((r) => [r.scope, modelOf(r)])) };
}

function modelOf(row: ScoringModelRow): ScoringModel {
  const indicators: Record<string, IndicatorRule> = {};
  const columns = row as unknown as Record<string, number>;
  for (const name of CLASSIC)
    indicators[name] = { weight: Number(columns[`${name}_weight`]), target: Number(columns[`${name}_target`]), worst: Number(columns[`${name}_worst`]) };
  if (row.indicator_rules) Object.assign(indicators, JSON.parse(row.indicator_rules) as Record<string, IndicatorRule>);
  return {
    version: row.version,
    indicators,
    bands: { excellent: Number(row.excellent_from), qualified: Number(row.qualified_from) },
    targetDistribution: {
      excellent: Number(row.target_excellent),
      qualified: Number(row.target_qualified),
      needsImprovement: Number(row.target_needs_improvement),
    },
  };
}
