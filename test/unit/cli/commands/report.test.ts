import { parsePlantDay, plantTimeOf } from '../../../../cli/commands/report.js';
import { ConfigError } from '../../../../core/errors.js';
import { PlantClock } from '../../../../processors/windows.js';

describe('the report’s --from and --to are plant days', () => {
  test('in Europe/Berlin, plant day 2026-10-05 begins at 2026-10-04T22:00Z, and the report names it so', () => {
    const clock = new PlantClock('Europe/Berlin');
    expect(parsePlantDay('2026-10-05', '--from', clock)).toBe(Date.UTC(2026, 9, 4, 22));
    expect(plantTimeOf(clock).plantDateOf(Date.UTC(2026, 9, 4, 22))).toBe('2026-10-05');
    expect(plantTimeOf(clock).plantDateOf(Date.UTC(2026, 9, 4, 21, 59))).toBe('2026-10-04');
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
