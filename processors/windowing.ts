import { readShiftCalendar } from '../contract/shiftCalendar.js';
import type { Config } from '../core/config.js';
import { ShiftCalendar } from './shiftCalendar.js';
import { TumblingWindows, type WindowAssigner } from './windows.js';

/**
 * The windows a deployment uses: the shifts of KPI_SHIFT_CALENDAR when set,
 * else tumbling windows of KPI_WINDOW_SIZE; either way aligned to the plant
 * day (KPI_DAY_START) in KPI_TIME_ZONE. A calendar file that cannot be read
 * or does not hold together throws ConfigError naming KPI_SHIFT_CALENDAR.
 */
export function windowAssignerOf(config: Pick<Config, 'shiftCalendar' | 'windowSize' | 'timeZone' | 'dayStart'>): WindowAssigner {
  if (config.shiftCalendar === undefined) return TumblingWindows.of(config.windowSize, config.timeZone, config.dayStart);
  return ShiftCalendar.of(readShiftCalendar(config.shiftCalendar), config.timeZone, config.dayStart);
}
