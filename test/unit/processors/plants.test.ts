import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Placement } from '../../../contract/plants.js';
import { readPlants } from '../../../contract/plants.js';
import { loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { DAY, HOUR } from '../../../core/time.js';
import { PlantDirectory, PlantWindows } from '../../../processors/plants.js';
import { windowAssignerOf } from '../../../processors/windowing.js';
import { projectRoot } from '../../../core/paths.js';

const TWO_PLANTS = join(projectRoot(), 'examples', 'shifts', 'two-plants.yaml');
const NOV_2 = Date.UTC(2026, 10, 2); // Monday 2 November 2026

const placement = (employeeId: string, plantId: string, validFrom: number, extra: Partial<Placement> = {}): Placement => ({
  employeeId,
  plantId,
  validFrom,
  validTo: null,
  submittedTime: 0,
  eventId: `${employeeId}-${plantId}-${validFrom}`,
  ...extra,
});

describe('PlantDirectory', () => {
  it('places an instant by the latest assignment that began at or before it, while it holds', () => {
    const directory = PlantDirectory.EMPTY.with([placement('e1', 'berlin', NOV_2), placement('e1', 'suzhou', NOV_2 + 10 * DAY, { validTo: NOV_2 + 20 * DAY })]);
    expect(directory.plantAt('e1', NOV_2 - 1)).toBeUndefined();
    expect(directory.plantAt('e1', NOV_2)).toBe('berlin');
    expect(directory.plantAt('e1', NOV_2 + 10 * DAY - 1)).toBe('berlin');
    expect(directory.plantAt('e1', NOV_2 + 10 * DAY)).toBe('suzhou');
    // The later assignment ended: the earlier one does not hold again after it, as in assignments_current.
    expect(directory.plantAt('e1', NOV_2 + 20 * DAY)).toBeUndefined();
    expect(directory.plantAt('e2', NOV_2)).toBeUndefined();
  });

  it('keeps the later submission for one employee and valid_from, whatever order they are learned in (ties: the greater event id)', () => {
    const first = placement('e1', 'berlin', NOV_2, { submittedTime: 1, eventId: 'b' });
    const later = placement('e1', 'suzhou', NOV_2, { submittedTime: 2, eventId: 'a' });
    const tie = placement('e1', 'porto', NOV_2, { submittedTime: 2, eventId: 'c' });
    expect(PlantDirectory.EMPTY.with([first, later]).plantAt('e1', NOV_2)).toBe('suzhou');
    expect(PlantDirectory.EMPTY.with([later]).with([first]).plantAt('e1', NOV_2)).toBe('suzhou');
    expect(PlantDirectory.EMPTY.with([tie, later]).plantAt('e1', NOV_2)).toBe('porto');
  });

  it('is immutable: learning makes a new directory and leaves the old one as it was', () => {
    const before = PlantDirectory.EMPTY.with([placement('e1', 'berlin', NOV_2)]);
    const after = before.with([placement('e2', 'suzhou', NOV_2)]);
    expect(before.plantAt('e2', NOV_2)).toBeUndefined();
    expect(after.plantAt('e2', NOV_2)).toBe('suzhou');
    expect([before.employees, after.employees]).toEqual([1, 2]);
  });
});

describe('PlantWindows', () => {
  const windows = () => windowAssignerOf(loadConfig({ KPI_PLANTS_FILE: TWO_PLANTS, KPI_TIME_ZONE: 'UTC' })) as PlantWindows;

  it("cuts each employee's windows by their plant's clock, and everyone else's by the deployment's", () => {
    const w = windows();
    w.learn([placement('berlin-1', 'plant-berlin', NOV_2 - 30 * DAY), placement('suzhou-1', 'plant-suzhou', NOV_2 - 30 * DAY)]);
    const at = NOV_2 + 10 * HOUR; // 11:00 in Berlin (CET), 18:00 in Suzhou (CST, UTC+8)
    // Berlin: the day shift of the rotating calendar, 06:00–14:00 local = 05:00–13:00 UTC.
    expect(w.windowFor(at, 'berlin-1')).toMatchObject({ start: NOV_2 + 5 * HOUR, end: NOV_2 + 13 * HOUR, plantDay: '2026-11-02', shift: 'day' });
    // Suzhou: plant days from 06:00 local = 22:00 UTC the evening before.
    expect(w.windowFor(at, 'suzhou-1')).toMatchObject({ start: NOV_2 - 2 * HOUR, end: NOV_2 + 22 * HOUR, plantDay: '2026-11-02', shift: '' });
    // No assignment: the deployment's own day, UTC midnight.
    expect(w.windowFor(at - 10 * HOUR - 1, 'nobody')).toMatchObject({ start: NOV_2 - DAY, end: NOV_2, plantDay: '2026-11-01' });
    // The local hour follows the plant too: Suzhou is a whole number of hours ahead, Berlin as well.
    expect(w.hourOf(at + 30 * 60_000, 'suzhou-1')).toBe(at);
  });

  it('keeps, for a batch under way, the directory it began with', () => {
    const w = windows();
    const batch = w.settled();
    w.learn([placement('mover', 'plant-suzhou', NOV_2 - DAY)]);
    expect(batch.windowFor(NOV_2 - HOUR, 'mover').start).toBe(NOV_2 - DAY); // the UTC day: the plant not yet known
    expect(w.settled().windowFor(NOV_2 - HOUR, 'mover').start).toBe(NOV_2 - 2 * HOUR); // Suzhou's day from 06:00 local
    expect(w.windowFor(NOV_2 - HOUR, 'mover').start).toBe(NOV_2 - 2 * HOUR);
  });

  it("a move between plants changes the clock from the move's instant", () => {
    const w = windows();
    w.learn([placement('mover', 'plant-berlin', NOV_2 - 30 * DAY), placement('mover', 'plant-suzhou', NOV_2 + 7 * DAY)]);
    expect(w.windowFor(NOV_2 + 6 * DAY + 10 * HOUR, 'mover').shift).toBe('day');
    expect(w.windowFor(NOV_2 + 7 * DAY + 10 * HOUR, 'mover')).toMatchObject({ start: NOV_2 + 7 * DAY - 2 * HOUR, shift: '' });
  });
});

describe('the plants file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kpi-plants-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (text: string) => {
    const path = join(dir, 'plants.yaml');
    writeFileSync(path, text);
    return path;
  };
  const refusal = (text: string, env: Record<string, string> = {}) => {
    try {
      windowAssignerOf(loadConfig({ KPI_PLANTS_FILE: file(text), ...env }));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('the plants file was accepted');
  };

  it('reads each plant, a calendar relative to the file, and a day start of midnight by default', () => {
    writeFileSync(join(dir, 'shifts.yaml'), 'shifts:\n  - { name: early, start: "06:00", hours: 8 }\n');
    const plants = readPlants(file('plants:\n  a:\n    time_zone: Europe/Berlin\n    shift_calendar: shifts.yaml\n  b:\n    time_zone: Asia/Shanghai\n'));
    expect([...plants.keys()]).toEqual(['a', 'b']);
    expect(plants.get('a')).toEqual({ timeZone: 'Europe/Berlin', dayStart: 0, shiftCalendar: { shifts: [{ name: 'early', start: '06:00', hours: 8 }] } });
    expect(plants.get('b')).toEqual({ timeZone: 'Asia/Shanghai', dayStart: 0 });
  });

  it('stops start-up naming KPI_PLANTS_FILE and the plant for what does not hold together', () => {
    expect(refusal('plants: {}')).toContain('KPI_PLANTS_FILE');
    expect(refusal('plants:\n  a:\n    time_zone: Mars/Olympus\n')).toContain('plant "a": "time_zone" must be an IANA time zone');
    expect(refusal('plants:\n  a:\n    time_zone: UTC\n    day_start: "6am"\n')).toContain('plant "a": "day_start" must be a local time of day HH:MM');
    expect(refusal('plants:\n  a:\n    time_zone: UTC\n    zone: UTC\n')).toContain('plant "a": unknown field "zone"');
    expect(refusal('plants:\n  a:\n    time_zone: UTC\n    shift_calendar: missing.yaml\n')).toMatch(/plant "a": shift_calendar: cannot read .*missing\.yaml/);
    writeFileSync(join(dir, 'overlap.yaml'), 'shifts:\n  - { name: one, start: "06:00", hours: 10 }\n  - { name: two, start: "14:00", hours: 8 }\n');
    expect(refusal('plants:\n  a:\n    time_zone: UTC\n    shift_calendar: overlap.yaml\n')).toMatch(/^KPI_PLANTS_FILE: plant "a": .*overlap/);
  });

  it('asks for day windows where a plant follows a shift calendar', () => {
    writeFileSync(join(dir, 'shifts.yaml'), 'shifts:\n  - { name: early, start: "06:00", hours: 8 }\n');
    expect(refusal('plants:\n  a:\n    time_zone: UTC\n    shift_calendar: shifts.yaml\n', { KPI_WINDOW_SIZE: '8h' })).toContain(
      'KPI_WINDOW_SIZE: plant "a" of KPI_PLANTS_FILE follows a shift calendar',
    );
  });

  it('reads nothing without KPI_PLANTS_FILE: one plant, as before', () => {
    expect(windowAssignerOf(loadConfig({}))).not.toBeInstanceOf(PlantWindows);
  });
});
