import { readPlants } from '../contract/plants.js';
import { readShiftCalendar } from '../contract/shiftCalendar.js';
import type { Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { PlantWindows } from './plants.js';
import { ShiftCalendar } from './shiftCalendar.js';
import { TumblingWindows, type WindowAssigner } from './windows.js';

const DAY = 86_400_000;

type WindowSettings = Pick<Config, 'shiftCalendar' | 'windowSize' | 'timeZone' | 'dayStart' | 'plantsFile'>;

/**
 * The windows a deployment uses: the shifts of KPI_SHIFT_CALENDAR when set,
 * else tumbling windows of KPI_WINDOW_SIZE; either way aligned to the plant
 * day (KPI_DAY_START) in KPI_TIME_ZONE. With KPI_PLANTS_FILE, each plant of
 * the file by its own clock and calendar, and those for everyone else. A file
 * that cannot be read or does not hold together throws ConfigError naming
 * its setting.
 */
export function windowAssignerOf(config: WindowSettings): WindowAssigner {
  const own =
    config.shiftCalendar === undefined
      ? TumblingWindows.of(config.windowSize, config.timeZone, config.dayStart)
      : ShiftCalendar.of(readShiftCalendar(config.shiftCalendar), config.timeZone, config.dayStart);
  if (config.plantsFile === undefined) return own;
  const plants = readPlants(config.plantsFile);
  const shifting = [...plants].find(([, plant]) => plant.shiftCalendar !== undefined);
  if (shifting && config.windowSize !== DAY) {
    throw new ConfigError('KPI_WINDOW_SIZE', `plant ${JSON.stringify(shifting[0])} of KPI_PLANTS_FILE follows a shift calendar: leave KPI_WINDOW_SIZE at 1d`);
  }
  return PlantWindows.of(own, plants, config.windowSize);
}
