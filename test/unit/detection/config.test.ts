import { loadConfig } from '../../../core/config.js';
import { detectionRules } from '../../../detection/config.js';
import { DEFAULT_RULES } from '../../../detection/rules.js';

test("the deployment's detection settings replace the rules' defaults, figure by figure", () => {
  const rules = detectionRules(
    loadConfig({ KPI_DETECT_FALSE_ALARM_RATE: '0.001', KPI_DETECT_SPREAD_FLOOR: 'units=2%', KPI_DETECT_SPREAD_CEILING: 'defects=4' }),
  );
  expect(rules.falseAlarmRate).toBe(0.001);
  expect(rules.spread.floor).toEqual({ ...DEFAULT_RULES.spread.floor, units_overclaim: 0.02 });
  expect(rules.spread.ceiling).toEqual({ ...DEFAULT_RULES.spread.ceiling, defects_underreport: 4 });
  // Unset, the settings are the rules' own defaults.
  expect(detectionRules(loadConfig({}))).toEqual(DEFAULT_RULES);
});
