import type { ShiftCalendarDefinition } from '../contract/shiftCalendar.js';
import { postsOf, type PlantTimeOptions } from './plantTime.js';
import { Random, roundTo } from './random.js';

/** What a planted inflator exaggerates in their self-reports. */
export const INFLATION_KINDS = ['units', 'run_hours', 'defects', 'self_score'] as const;
export type InflationKind = (typeof INFLATION_KINDS)[number];

export interface Product {
  readonly code: string;
  /** Engineered standard time per unit, to 0.1 s. */
  readonly standardSeconds: number;
}

export interface Station {
  readonly id: string;
  readonly products: readonly Product[];
}

export interface Inflator {
  readonly kind: InflationKind;
  /** 0.05 = reports 5% more units/hours (or 5% fewer defects, or a 5% higher self-score). */
  readonly degree: number;
  /** Day index of the first day they may inflate on (0 = from the start). */
  readonly startDay: number;
  /** Share of their working days from startDay on which they inflate. */
  readonly days: number;
}

export interface Employee {
  readonly id: string;
  readonly index: number;
  readonly station: Station;
  /** The shift they work; '' for a crew member, who works the shift the calendar gives their crew. */
  readonly shift: string;
  /** Their crew, when the shifts rotate crews; else ''. */
  readonly crew: string;
  /** Weekdays off (0 = the first simulated day's weekday); none for a crew member, whose rotation gives them rest. */
  readonly restDays: readonly number[];
  /** Output per run hour relative to the standard (1.0 = on standard). */
  readonly performance: number;
  /** Share of shift time the machine runs. */
  readonly availability: number;
  /** Probability that a unit is defective. */
  readonly defectRate: number;
  readonly inflator: Inflator | null;
}

export interface PlantOptions {
  seed: number;
  employees: number;
  stations: number;
  products: number;
  /** Share of employees who inflate their self-reports. */
  inflatorShare: number;
  /** Share of an inflator's working days on which they inflate. */
  inflationDays: number;
  /** Share of inflators who start part-way through the period (on a day drawn from its second to its last). */
  lateStartShare: number;
  /** Share of inflators who inflate only now and then, on `intermittentDays` of their working days. */
  intermittentShare: number;
  intermittentDays: number;
  /** Days the plant is simulated for (late starts fall inside them). */
  days: number;
  /** Each employee's defect rate is drawn between 0.5% and 8%, times this (1.6: about 7% on average, as in the plant docs/design.md starts from). */
  defectRateFactor: number;
  /** The shifts people work: each employee gets one of them, or a place in one of the crews they name. */
  shifts: ShiftCalendarDefinition;
  /**
   * The plants people work in, each by its own clock and calendar
   * (KPI_PLANTS_FILE); unset or empty: one plant, SINGLE_PLANT_ID, by the
   * options' own clock and `shifts`.
   */
  plants?: readonly SimulatedPlant[];
}

/** A plant of the simulation: the plant_id hr.assignments.v1 sends for its people, and its clock, shifts and windows. */
export interface SimulatedPlant extends PlantTimeOptions {
  readonly id: string;
}

/** The plant id of a simulation with one plant. */
export const SINGLE_PLANT_ID = 'plant-1';

/** The plants of a simulation: those of the options, or one plant (SINGLE_PLANT_ID) on the options' own clock. */
export function simulatedPlants(options: PlantTimeOptions & Pick<PlantOptions, 'plants'>): readonly SimulatedPlant[] {
  if (options.plants?.length) return options.plants;
  const { timeZone, dayStart, windowSize, shifts, shiftWindows } = options;
  return [{ id: SINGLE_PLANT_ID, timeZone, dayStart, windowSize, shifts, shiftWindows }];
}

/**
 * Which of `blocks` contiguous, near-even blocks the index-th of `total`
 * items falls in: how people and stations are split between the plants
 * (with one plant, all in block 0).
 */
export function blockOf(index: number, total: number, blocks: number): number {
  return Math.floor((index * blocks) / total);
}

/** The first index of a block (see blockOf). */
export const blockStart = (block: number, total: number, blocks: number) => Math.ceil((block * total) / blocks);

export interface Plant {
  readonly options: PlantOptions;
  readonly stations: readonly Station[];
  readonly employees: readonly Employee[];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** When and how often an inflator inflates; its own random stream, so the rest of the plant stays as it was. */
function inflationSchedule(options: PlantOptions, index: number): Pick<Inflator, 'startDay' | 'days'> {
  const r = new Random(options.seed, 'inflator', index);
  const late = r.chance(options.lateStartShare) && options.days > 1;
  const startDay = late ? r.int(1, options.days - 1) : 0;
  const intermittent = r.chance(options.intermittentShare);
  return { startDay, days: intermittent ? options.intermittentDays : options.inflationDays };
}

/** Builds the plant: a pure function of the options. */
export function buildPlant(options: PlantOptions): Plant {
  const random = new Random(options.seed, 'plant');
  const products: Product[] = Array.from({ length: options.products }, (_, i) => ({
    code: `P${String(i + 1).padStart(3, '0')}`,
    standardSeconds: roundTo(random.uniform(20, 240), 1),
  }));
  const stations: Station[] = Array.from({ length: options.stations }, (_, i) => {
    const count = random.int(1, Math.min(3, products.length));
    const start = random.int(0, products.length - 1);
    return {
      id: `S${String(i + 1).padStart(3, '0')}`,
      products: Array.from({ length: count }, (_, k) => products[(start + k) % products.length]!),
    };
  });
  const width = Math.max(6, String(options.employees).length);
  // Several plants: people and stations in blocks, one per plant, each person working their plant's shifts at its stations.
  const sites = options.plants?.length ? options.plants : [{ shifts: options.shifts }];
  const postsBySite = sites.map((site) => postsOf(site.shifts));
  const stationsBySite = sites.map((_, p) => stations.filter((_, s) => blockOf(s, stations.length, sites.length) === p));
  const employees: Employee[] = Array.from({ length: options.employees }, (_, index) => {
    const r = new Random(options.seed, 'employee', index);
    const inflates = r.chance(options.inflatorShare);
    const firstRest = r.int(0, 6);
    const site = blockOf(index, options.employees, sites.length);
    const posts = postsBySite[site]!;
    const siteStations = stationsBySite[site]!;
    // Two posts are drawn as the two-shift plant always drew them, so its plants stay exactly as they were; more from a stream of their own.
    const first = r.chance(0.5);
    const post = posts.length === 2 ? posts[first ? 0 : 1]! : new Random(options.seed, 'post', index).pick(posts);
    return {
      id: `E${String(index + 1).padStart(width, '0')}`,
      index,
      station: siteStations[(index - blockStart(site, options.employees, sites.length)) % siteStations.length]!,
      shift: post.shift,
      crew: post.crew,
      restDays: post.crew === '' ? [firstRest, (firstRest + 1) % 7] : [],
      performance: clamp(r.normal(1, 0.08), 0.7, 1.3),
      availability: clamp(r.normal(0.82, 0.06), 0.55, 0.97),
      defectRate: Math.min(1, options.defectRateFactor * r.uniform(0.005, 0.08)),
      inflator: inflates ? { kind: r.pick(INFLATION_KINDS), degree: roundTo(r.uniform(0.05, 0.5), 3), ...inflationSchedule(options, index) } : null,
    };
  });
  return { options, stations, employees };
}
