/**
 * The scoring model: a weighted composite (0–100) of normalised indicators.
 * Each indicator earns 100 points at its target and 0 at its worst value, linearly
 * in between (for the defect rate the target is the lower number). Weights,
 * targets and worst values are versioned configuration: every score records the
 * version it used, so a past score can be reproduced.
 */
export interface IndicatorRule {
  readonly weight: number;
  readonly target: number;
  readonly worst: number;
}

export interface ScoringModel {
  readonly version: string;
  readonly efficiency: IndicatorRule;
  readonly quality: IndicatorRule;
  readonly satisfaction: IndicatorRule;
  /** Lowest score of each grade. */
  readonly bands: { readonly excellent: number; readonly qualified: number };
  /** Target share of each grade, for calibration. */
  readonly targetDistribution: { readonly excellent: number; readonly qualified: number; readonly needsImprovement: number };
}

export const DEFAULT_SCORING: ScoringModel = {
  version: 'default-v1',
  efficiency: { weight: 0.4, target: 1.0, worst: 0.5 },
  quality: { weight: 0.3, target: 0.01, worst: 0.1 },
  satisfaction: { weight: 0.3, target: 90, worst: 50 },
  bands: { excellent: 90, qualified: 70 },
  targetDistribution: { excellent: 0.25, qualified: 0.55, needsImprovement: 0.2 },
};

export interface MeasuredFigures {
  efficiency: number | null;
  defect_rate: number | null;
  satisfaction_avg: number | null;
}

/** 100 at the target, 0 at the worst value, linear and clamped in between. */
export function indicatorPoints(value: number, rule: IndicatorRule): number {
  const share = (value - rule.worst) / (rule.target - rule.worst);
  return 100 * Math.min(1, Math.max(0, share));
}

/** The weighted mean of the indicators that have a value; null when none has. */
export function compositeScore(figures: MeasuredFigures, model: ScoringModel = DEFAULT_SCORING): number | null {
  let points = 0;
  let weights = 0;
  const add = (value: number | null, rule: IndicatorRule) => {
    if (value === null) return;
    points += rule.weight * indicatorPoints(value, rule);
    weights += rule.weight;
  };
  add(figures.efficiency, model.efficiency);
  add(figures.defect_rate, model.quality);
  add(figures.satisfaction_avg, model.satisfaction);
  return weights > 0 ? points / weights : null;
}

export type Grade = 'excellent' | 'qualified' | 'needs_improvement';

export function gradeOf(score: number, model: ScoringModel = DEFAULT_SCORING): Grade {
  if (score >= model.bands.excellent) return 'excellent';
  if (score >= model.bands.qualified) return 'qualified';
  return 'needs_improvement';
}
