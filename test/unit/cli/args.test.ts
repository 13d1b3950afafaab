import { parsePlantDay, parseSimulateFlags } from '../../../cli/args.js';
import { ConfigError } from '../../../core/errors.js';
import { PlantClock } from '../../../processors/windows.js';
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

describe('the report’s --from and --to are plant days', () => {
  test('in Europe/Berlin, plant day 2026-10-05 begins at 2026-10-04T22:00Z, and the report names it so', () => {
    const clock = new PlantClock('Europe/Berlin');
    expect(parsePlantDay('2026-10-05', '--from', clock)).toBe(Date.UTC(2026, 9, 4, 22));
    expect(clock.plantDateOf(Date.UTC(2026, 9, 4, 22))).toBe('2026-10-05');
    expect(clock.plantDateOf(Date.UTC(2026, 9, 4, 21, 59))).toBe('2026-10-04');
  });

  test('with plant days from 06:00, a day begins at its day start; after the clocks go back, an hour later in UTC', () => {
    const clock = new PlantClock('Europe/Berlin', 6 * 3_600_000);
    expect(parsePlantDay('2026-10-24', '--from', clock)).toBe(Date.UTC(2026, 9, 24, 4));
    expect(parsePlantDay('2026-10-26', '--to', clock)).toBe(Date.UTC(2026, 9, 26, 5));
  });

  test('in UTC a day is its midnight; an ISO 8601 time is that instant; no option is no bound; a bad one names the option', () => {
    expect(parsePlantDay('2026-10-05', '--from', new PlantClock())).toBe(Date.UTC(2026, 9, 5));
    expect(parsePlantDay('2026-10-05T06:00:00+02:00', '--from', new PlantClock('Europe/Berlin'))).toBe(Date.UTC(2026, 9, 5, 4));
    expect(parsePlantDay(undefined, '--to', new PlantClock())).toBeUndefined();
    expect(() => parsePlantDay('5 Oct', '--to', new PlantClock())).toThrow(ConfigError);
    expect(() => parsePlantDay('5 Oct', '--to', new PlantClock())).toThrow('--to');
  });
});
