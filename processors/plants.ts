import type { Placement, PlantDefinition } from '../contract/plants.js';
import { ConfigError } from '../core/errors.js';
import { ShiftCalendar } from './shiftCalendar.js';
import { TumblingWindows, type PlantWindow, type WindowAssigner } from './windows.js';

/** Whether `a` replaces `b`: for the same employee and valid_from, the later submission stands (ties: the greater event id). */
const replaces = (a: Placement, b: Placement) => a.submittedTime > b.submittedTime || (a.submittedTime === b.submittedTime && a.eventId > b.eventId);

/**
 * Which plant each employee belongs to, over time: per employee and
 * valid_from the standing submission, as the assignments_current view keeps
 * it; an instant belongs to the latest assignment that began at or before it,
 * if that one still holds then (the rows' plant_id follows the same rule).
 * Immutable: `with` makes a new directory, so a batch keeps the one it began
 * with however the directory learns meanwhile.
 */
export class PlantDirectory {
  static readonly EMPTY = new PlantDirectory(new Map());

  private constructor(
    /** Each employee's standing placements, by valid_from ascending. */
    private readonly byEmployee: ReadonlyMap<string, readonly Placement[]>,
  ) {}

  /** Employees with at least one placement. */
  get employees(): number {
    return this.byEmployee.size;
  }

  /** This directory with `placements` learned: each replaces the one of its employee and valid_from if submitted later. */
  with(placements: readonly Placement[]): PlantDirectory {
    if (placements.length === 0) return this;
    let next: Map<string, readonly Placement[]> | undefined;
    for (const placement of placements) {
      const list = (next ?? this.byEmployee).get(placement.employeeId) ?? [];
      const same = list.findIndex((p) => p.validFrom === placement.validFrom);
      if (same >= 0 && !replaces(placement, list[same]!)) continue; // a reading again of what is known: most of a refresh
      const changed = same < 0 ? [...list, placement].sort((a, b) => a.validFrom - b.validFrom) : list.with(same, placement);
      (next ??= new Map(this.byEmployee)).set(placement.employeeId, changed);
    }
    if (!next) return this;
    return new PlantDirectory(next);
  }

  /** The plant the employee belongs to at `ts`; undefined where no assignment holds. */
  plantAt(employeeId: string, ts: number): string | undefined {
    const list = this.byEmployee.get(employeeId);
    if (!list) return undefined;
    let latest: Placement | undefined;
    for (const placement of list) {
      if (placement.validFrom > ts) break;
      latest = placement;
    }
    return latest && (latest.validTo === null || ts < latest.validTo) ? latest.plantId : undefined;
  }
}

/**
 * The windows of a deployment with several plants (KPI_PLANTS_FILE): an
 * event is placed by the clock and calendar of the plant its employee belongs
 * to at the event's time, and by the deployment's own (KPI_TIME_ZONE,
 * KPI_DAY_START, KPI_SHIFT_CALENDAR) where no assignment holds or the plant
 * is not in the file. A window's end is an instant, so the watermark closes
 * each plant's windows at their own end: one plant's clock never closes
 * another's windows.
 */
export class PlantWindows implements WindowAssigner {
  private directory = PlantDirectory.EMPTY;

  constructor(
    private readonly fallback: WindowAssigner,
    private readonly plants: ReadonlyMap<string, WindowAssigner>,
  ) {}

  /** The windows of each plant of the file, with `windowSize` for plants without a shift calendar. */
  static of(fallback: WindowAssigner, plants: ReadonlyMap<string, PlantDefinition>, windowSize: number): PlantWindows {
    const assigners = new Map<string, WindowAssigner>();
    for (const [id, plant] of plants) {
      try {
        assigners.set(
          id,
          plant.shiftCalendar === undefined
            ? TumblingWindows.of(windowSize, plant.timeZone, plant.dayStart)
            : ShiftCalendar.of(plant.shiftCalendar, plant.timeZone, plant.dayStart),
        );
      } catch (error) {
        // Shifts that overlap on this plant's clock.
        if (error instanceof ConfigError)
          throw new ConfigError('KPI_PLANTS_FILE', `plant ${JSON.stringify(id)}: ${error.message.replace(/^KPI_SHIFT_CALENDAR: /, '')}`);
        throw error;
      }
    }
    return new PlantWindows(fallback, assigners);
  }

  /** Learns placements (from the assignments read so far); batches begun before keep the directory they began with. */
  learn(placements: readonly Placement[]): void {
    this.directory = this.directory.with(placements);
  }

  /** Employees whose plant is known. */
  get employees(): number {
    return this.directory.employees;
  }

  windowFor(ts: number, employeeId: string): PlantWindow {
    return this.assignerAt(this.directory, employeeId, ts).windowFor(ts, employeeId);
  }

  hourOf(ts: number, employeeId: string): number {
    return this.assignerAt(this.directory, employeeId, ts).hourOf(ts, employeeId);
  }

  settled(): WindowAssigner {
    const directory = this.directory;
    return {
      windowFor: (ts, employeeId) => this.assignerAt(directory, employeeId, ts).windowFor(ts, employeeId),
      hourOf: (ts, employeeId) => this.assignerAt(directory, employeeId, ts).hourOf(ts, employeeId),
      settled: () => this.settled(),
    };
  }

  private assignerAt(directory: PlantDirectory, employeeId: string, ts: number): WindowAssigner {
    const plant = directory.plantAt(employeeId, ts);
    return (plant === undefined ? undefined : this.plants.get(plant)) ?? this.fallback;
  }
}
