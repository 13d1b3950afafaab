import type { Config, ReportFigure } from '../core/config.js';
import { DEFAULT_RULES, type DetectionRules } from './rules.js';
import type { InflationFlagKind } from '../contract/flag.js';

const KIND_OF: Record<ReportFigure, InflationFlagKind> = {
  units: 'units_overclaim',
  run_hours: 'run_hours_overclaim',
  defects: 'defects_underreport',
  self_score: 'self_score_inflated',
};

const byKind = (values: Readonly<Record<ReportFigure, number>>) =>
  Object.fromEntries(Object.entries(values).map(([figure, value]) => [KIND_OF[figure as ReportFigure], value])) as Record<InflationFlagKind, number>;

/** The detection rules with the deployment's settings (KPI_DETECT_…) in place of the defaults. */
export function detectionRules(config: Pick<Config, 'detectFalseAlarmRate' | 'detectSpreadFloor' | 'detectSpreadCeiling'>): DetectionRules {
  return {
    ...DEFAULT_RULES,
    falseAlarmRate: config.detectFalseAlarmRate,
    spread: { ...DEFAULT_RULES.spread, floor: byKind(config.detectSpreadFloor), ceiling: byKind(config.detectSpreadCeiling) },
  };
}
