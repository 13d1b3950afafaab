import { parseSimulateFlags } from '../../../cli/commands/simulate.js';
import { ConfigError } from '../../../core/errors.js';
import { SHIFT_PRESETS } from '../../../simulator/plantTime.js';
import { SIMULATION_DEFAULTS } from '../../../simulator/run.js';

test('flags become the options they name; honest-error flags change only their own part of the defaults', () => {
  expect(parseSimulateFlags(['--employees', '40', '--gaps', '0.1', '--disorder', '20m', '--start', '2026-10-05', '--dry-run'])).toEqual({
    employees: 40,
    gapShare: 0.1,
    disorderMs: 20 * 60_000,
    start: Date.UTC(2026, 9, 5),
    dryRun: true,
  });
  expect(parseSimulateFlags(['--honest-shape', 'uniform', '--honest-units', '0.1'])).toEqual({
    honestErrors: { ...SIMULATION_DEFAULTS.honestErrors, shape: 'uniform', units: 0.1 },
  });
});

test.each([
  [['--honest-shape', 'gaussian'], '--honest-shape'],
  [['--honest-units', '2'], '--honest-units'],
  [['--gaps', '1.5'], '--gaps'],
  [['--employees', '0'], '--employees'],
  [['--duplicates', '2'], '--duplicates'],
  [['--start', '05/10/2026'], '--start'],
  [['--disorder', 'soon'], '--disorder'],
  [['--shifts', 'four'], '--shifts'],
])('bad flags %j are refused naming %s', (args, key) => {
  expect(() => parseSimulateFlags(args)).toThrow(ConfigError);
  expect(() => parseSimulateFlags(args)).toThrow(key);
});

test('--shifts names the shifts people work', () => {
  expect(parseSimulateFlags(['--shifts', 'three'])).toEqual({ shifts: SHIFT_PRESETS.three });
  expect(parseSimulateFlags(['--shifts', 'all']).shifts!.shifts.map((s) => s.name)).toEqual(['day', 'swing', 'night', 'day-12h', 'night-12h']);
});
