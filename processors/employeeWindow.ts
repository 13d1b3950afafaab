import { eventKeyOf, KEY_SPACE, type WindowRow } from '../contract/windowRow.js';
import { MAX_CONTRIBUTION, toMillis } from '../kpis/definition.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import type { KindedEvent } from '../schemas/kinds.js';
import type { PlantWindow } from './windows.js';
import type { Repeat } from './outcome.js';
import type { Block, WindowArena } from './windowArena.js';

/**
 * The aggregate of one employee in one window. Measures are exact whole
 * numbers (milliseconds, thousandths, counts) in the catalog's slots, so the
 * result does not depend on the order events arrive in, and a row read back
 * from the store restores the state exactly. The fingerprints of the events
 * applied make a repeated event (a producer retry, a replay after a crash) a
 * no-op.
 *
 * A processor holds one per open employee-window, so its numbers live in one
 * block of 32-bit words (laid out below) rather than in objects and arrays of
 * their own: a block of its partition task's arena (processors/windowArena.ts),
 * which the window points at with `cells` and `base`. A window of a working
 * day (about 51 events over 8 hours) holds 888 bytes of cells (BENCHMARKS.md).
 * Read it through the functions here.
 */
export class EmployeeWindow implements Block {
  cells = EMPTY;
  base = 0;
  /** Stations in the order of their first event; their weights are in `cells`. */
  stations: readonly string[] = NO_STATIONS;
  /** The event_id of the self-report that stands ('' when none). */
  reportEventId = '';

  constructor(
    readonly employeeId: string,
    readonly window: PlantWindow,
    /** Where its cells are blocks (its partition task's), or undefined for a window on its own (cells of their own). */
    readonly arena?: WindowArena,
  ) {}
}

/** A kind of EmployeeWindow (a partition task's has its bookkeeping beside the numbers). */
export type WindowClass<W extends EmployeeWindow> = new (employeeId: string, window: PlantWindow, arena?: WindowArena) => W;

const EMPTY = new Uint32Array(0);
const NO_STATIONS: readonly string[] = Object.freeze([]);

export interface SelfReportFigures {
  eventId: string;
  submittedTime: number;
  periodStart: number;
  periodEnd: number;
  units: number;
  runHours: number;
  defectiveUnits: number;
  selfScore: number | null;
}

/*
 * Layout of a window's block (32-bit words from `base`; a double takes two, low word first):
 *   0 events (the row's version)   1 event capacity   2 hour capacity   3 station capacity
 *   4 events applied (key count)   5 hours with measures   6 stations   7 flags (HAS_REPORT, WIDE_HOURS)
 *   8…  the self-report: submitted, period start, period end, units, run hours, defective units, self-score (NaN: null), doubles
 *   then per station its weight (standard plus run ms), a double
 *   then per hour: its start as milliseconds after the window's start plus an hour (one word: an hour
 *     holding an event of the window starts less than an hour before it), and one cell per measure,
 *     32-bit (WIDE_HOURS: a double each, once a sum outgrew 32 bits). The window's measures are the sums
 *     of its hours'. An hour word of UNKNOWN_HOUR holds what a row read back had beyond its hours (a row
 *     written before rows had hours): in the measures, not in the row's hours.
 *   then per event, ascending by key, two words: the key's low 32 bits; its high 16 bits above the
 *     16-bit digest of the event's bytes
 */
const VERSION = 0;
const KEY_CAPACITY = 1;
const HOUR_CAPACITY = 2;
const STATION_CAPACITY = 3;
const KEYS = 4;
const HOURS = 5;
const STATIONS = 6;
const FLAGS = 7;
const HAS_REPORT = 1;
const WIDE_HOURS = 2;
const HEADER = 8;
const REPORT_FIELDS = 7;
const TWO_32 = 2 ** 32;
/** An hour's start is kept as milliseconds after its window's start plus this (never negative). */
const HOUR_BIAS = 3_600_000;
const UNKNOWN_HOUR = 0xffffffff;
/** Below this many hours of 32-bit cells, no sum of them and a contribution can pass 2^53. */
const HOURS_SAFE_UNLESS_WIDE = 2 ** 20;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

function readDouble(cells: Uint32Array, at: number): number {
  scratchWords[0] = cells[at]!;
  scratchWords[1] = cells[at + 1]!;
  return scratch[0]!;
}

function writeDouble(cells: Uint32Array, at: number, value: number): void {
  scratch[0] = value;
  cells[at] = scratchWords[0]!;
  cells[at + 1] = scratchWords[1]!;
}

/** Words per hour. */
const hourWordsOf = (measures: number, wide: boolean): number => 1 + (wide ? 2 : 1) * measures;

/** Where each part of a window's block begins in its cells, for its catalog and capacities. */
function layout(measures: number, cells: Uint32Array, base: number) {
  const report = base + HEADER;
  const stations = report + 2 * REPORT_FIELDS;
  const hours = stations + 2 * cells[base + STATION_CAPACITY]!;
  const hourWords = hourWordsOf(measures, (cells[base + FLAGS]! & WIDE_HOURS) !== 0);
  const keys = hours + hourWords * cells[base + HOUR_CAPACITY]!;
  return { report, stations, hours, hourWords, keys };
}

/** Where the keys begin: the last part of the block. */
function keysAt(measures: number, cells: Uint32Array, base: number): number {
  const hours = base + HEADER + 2 * REPORT_FIELDS + 2 * cells[base + STATION_CAPACITY]!;
  return hours + hourWordsOf(measures, (cells[base + FLAGS]! & WIDE_HOURS) !== 0) * cells[base + HOUR_CAPACITY]!;
}

function sizeOf(measures: number, keyCapacity: number, hourCapacity: number, stationCapacity: number, wide: boolean): number {
  return HEADER + 2 * REPORT_FIELDS + 2 * stationCapacity + hourWordsOf(measures, wide) * hourCapacity + 2 * keyCapacity;
}

/** Words of the window's block. */
export function wordsOf(catalog: KpiCatalog, state: EmployeeWindow): number {
  const { cells, base } = state;
  return sizeOf(
    catalog.measures.length,
    cells[base + KEY_CAPACITY]!,
    cells[base + HOUR_CAPACITY]!,
    cells[base + STATION_CAPACITY]!,
    (cells[base + FLAGS]! & WIDE_HOURS) !== 0,
  );
}

/** Points `block` at a new zeroed block of `words` words: its arena's when it has one, else an array of its own. */
function allocate(arena: WindowArena | undefined, words: number, block: Block): void {
  if (arena) arena.allocate(words, block);
  else {
    block.cells = new Uint32Array(words);
    block.base = 0;
  }
}

/** Gives the window's block back to its arena: the window leaves memory. */
export function releaseCells(catalog: KpiCatalog, state: EmployeeWindow): void {
  state.arena?.release(state.cells, state.base, wordsOf(catalog, state));
}

/**
 * Copies the window into a block of other capacities (or with wide hours),
 * part by part; the counts stay.
 */
function regrow(catalog: KpiCatalog, state: EmployeeWindow, capacity: { keys?: number; hours?: number; stations?: number; wide?: boolean }): void {
  const m = catalog.measures.length;
  const { cells: old, base: oldBase } = state;
  const oldWords = wordsOf(catalog, state);
  const from = layout(m, old, oldBase);
  const wasWide = (old[oldBase + FLAGS]! & WIDE_HOURS) !== 0;
  const wide = capacity.wide ?? wasWide;
  const keyCapacity = capacity.keys ?? old[oldBase + KEY_CAPACITY]!;
  const hourCapacity = capacity.hours ?? old[oldBase + HOUR_CAPACITY]!;
  const stationCapacity = capacity.stations ?? old[oldBase + STATION_CAPACITY]!;
  allocate(state.arena, sizeOf(m, keyCapacity, hourCapacity, stationCapacity, wide), state);
  const { cells, base } = state;
  cells.set(old.subarray(oldBase, from.stations), base); // header, report
  cells[base + KEY_CAPACITY] = keyCapacity;
  cells[base + HOUR_CAPACITY] = hourCapacity;
  cells[base + STATION_CAPACITY] = stationCapacity;
  cells[base + FLAGS] = wide ? old[oldBase + FLAGS]! | WIDE_HOURS : old[oldBase + FLAGS]!;
  const to = layout(m, cells, base);
  cells.set(old.subarray(from.stations, from.stations + 2 * old[oldBase + STATIONS]!), to.stations);
  for (let h = 0; h < old[oldBase + HOURS]!; h += 1) {
    const source = from.hours + h * from.hourWords;
    const target = to.hours + h * to.hourWords;
    cells[target] = old[source]!;
    for (let slot = 0; slot < m; slot += 1) {
      const value = wasWide ? readDouble(old, source + 1 + 2 * slot) : old[source + 1 + slot]!;
      if (wide) writeDouble(cells, target + 1 + 2 * slot, value);
      else cells[target + 1 + slot] = value;
    }
  }
  cells.set(old.subarray(from.keys, from.keys + 2 * old[oldBase + KEYS]!), to.keys);
  state.arena?.release(old, oldBase, oldWords);
}

/**
 * A window without events; its cells a block of `arena` when given (a
 * partition task's), else an array of their own. `Kind` makes it a subclass
 * of EmployeeWindow.
 */
export function newEmployeeWindow(catalog: KpiCatalog, employeeId: string, window: PlantWindow, arena?: WindowArena): EmployeeWindow;
export function newEmployeeWindow<W extends EmployeeWindow>(
  catalog: KpiCatalog,
  employeeId: string,
  window: PlantWindow,
  arena: WindowArena | undefined,
  Kind: WindowClass<W>,
): W;
export function newEmployeeWindow(
  catalog: KpiCatalog,
  employeeId: string,
  window: PlantWindow,
  arena?: WindowArena,
  Kind: WindowClass<EmployeeWindow> = EmployeeWindow,
): EmployeeWindow {
  const m = catalog.measures.length;
  const state = new Kind(employeeId, window, arena);
  // Room for 24 events and 4 hours: a working day (about 51 events in 8 hours) regrows three times, to 36 and 54
  // events and 8 hours, rather than five from 16 events and 2 hours; its final size is the same.
  allocate(arena, sizeOf(m, 24, 4, 1, false), state);
  state.cells[state.base + KEY_CAPACITY] = 24;
  state.cells[state.base + HOUR_CAPACITY] = 4;
  state.cells[state.base + STATION_CAPACITY] = 1;
  return state;
}

/** The window's measures by catalog slot: the sums of its hours'. */
export function measuresOf(catalog: KpiCatalog, state: EmployeeWindow): Float64Array {
  const m = catalog.measures.length;
  const { cells, base } = state;
  const at = layout(m, cells, base);
  const wide = at.hourWords !== 1 + m;
  const measures = new Float64Array(m);
  for (let h = 0; h < cells[base + HOURS]!; h += 1) {
    const first = at.hours + h * at.hourWords + 1;
    for (let slot = 0; slot < m; slot += 1) measures[slot] = measures[slot]! + (wide ? readDouble(cells, first + 2 * slot) : cells[first + slot]!);
  }
  return measures;
}

/** The sum of one measure over the window's hours. */
function totalOf(m: number, state: EmployeeWindow, slot: number): number {
  const { cells, base } = state;
  const at = layout(m, cells, base);
  const wide = at.hourWords !== 1 + m;
  let total = 0;
  for (let h = 0; h < cells[base + HOURS]!; h += 1) {
    const first = at.hours + h * at.hourWords + 1;
    total += wide ? readDouble(cells, first + 2 * slot) : cells[first + slot]!;
  }
  return total;
}

/** Events applied: the row's version. */
export const versionOf = (state: EmployeeWindow): number => state.cells[state.base + VERSION]!;

/** The self-report that stands: latest submitted_time, ties to the greater event_id. */
export function reportOf(state: EmployeeWindow): SelfReportFigures | null {
  const { cells, base } = state;
  if (!(cells[base + FLAGS]! & HAS_REPORT)) return null;
  const at = base + HEADER;
  const field = (i: number) => readDouble(cells, at + 2 * i);
  const selfScore = field(6);
  return {
    eventId: state.reportEventId,
    submittedTime: field(0),
    periodStart: field(1),
    periodEnd: field(2),
    units: field(3),
    runHours: field(4),
    defectiveUnits: field(5),
    selfScore: Number.isNaN(selfScore) ? null : selfScore,
  };
}

function setReport(state: EmployeeWindow, report: SelfReportFigures): void {
  const { cells, base } = state;
  const at = base + HEADER;
  const fields = [
    report.submittedTime,
    report.periodStart,
    report.periodEnd,
    report.units,
    report.runHours,
    report.defectiveUnits,
    report.selfScore ?? Number.NaN,
  ];
  for (const [i, value] of fields.entries()) writeDouble(cells, at + 2 * i, value);
  cells[base + FLAGS] = cells[base + FLAGS]! | HAS_REPORT;
  state.reportEventId = report.eventId;
}

/** The fingerprint of an event: its kind and event_id. */
export const eventKey = (tagged: KindedEvent): number => eventKeyOf(tagged.kind, tagged.event.event_id);

/** Where `key` is among the window's keys (ascending), or where it would go, as −(index + 1). */
function findKey(cells: Uint32Array, at: number, count: number, key: number): number {
  const high = Math.floor(key / TWO_32);
  const low = key - high * TWO_32;
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const midHigh = cells[at + 2 * mid + 1]! >>> 16;
    const midLow = cells[at + 2 * mid]!;
    if (midHigh < high || (midHigh === high && midLow < low)) lo = mid + 1;
    else if (midHigh > high || midLow > low) hi = mid - 1;
    else return mid;
  }
  return -(lo + 1);
}

/** The digest kept with the key at `index`. */
const digestAt = (cells: Uint32Array, at: number, index: number): number => cells[at + 2 * index + 1]! & 0xffff;

/** Inserts a new key at `index` (keys stay ascending), with its digest. */
function insertKey(catalog: KpiCatalog, state: EmployeeWindow, index: number, key: number, digest: number): void {
  const m = catalog.measures.length;
  if (state.cells[state.base + KEYS]! === state.cells[state.base + KEY_CAPACITY]!) {
    regrow(catalog, state, { keys: Math.ceil(state.cells[state.base + KEY_CAPACITY]! * 1.5) });
  }
  const { cells, base } = state;
  const at = keysAt(m, cells, base);
  const count = cells[base + KEYS]!;
  cells.copyWithin(at + 2 * index + 2, at + 2 * index, at + 2 * count);
  const high = Math.floor(key / TWO_32);
  cells[at + 2 * index] = key - high * TWO_32;
  cells[at + 2 * index + 1] = (high << 16) | (digest & 0xffff);
  cells[base + KEYS] = count + 1;
}

function addKeys(catalog: KpiCatalog, state: EmployeeWindow, keys: readonly number[], digests: readonly number[]): void {
  const m = catalog.measures.length;
  for (const [i, key] of keys.entries()) {
    // Rows written before keys had 48 bits kept 53: the same hash, its low 48 bits are the key now.
    const current = key % KEY_SPACE || 1;
    const found = findKey(state.cells, keysAt(m, state.cells, state.base), state.cells[state.base + KEYS]!, current);
    if (found < 0) insertKey(catalog, state, -found - 1, current, digests[i] ?? 0);
  }
}

/**
 * Why applying the event would break the window's exact sums (a contribution
 * that is not a whole number in 0..MAX_CONTRIBUTION, or a sum past 2^53), or
 * undefined. Checked before `applyEvent`, so a refused event changes nothing.
 */
export function contributionProblem(catalog: KpiCatalog, state: EmployeeWindow, tagged: KindedEvent): string | undefined {
  const values = contributionsOf(catalog, tagged);
  const measures = catalog.measuresOf(tagged.kind);
  for (let i = 0; i < measures.length; i += 1) {
    const { slot, definition } = measures[i]!;
    const value = values[i]!;
    if (!Number.isInteger(value) || value < 0 || value > MAX_CONTRIBUTION) {
      return `${definition.name} would grow by ${value}; one event adds a whole number within 0..${MAX_CONTRIBUTION}`;
    }
    const { cells, base } = state;
    if (!(cells[base + FLAGS]! & WIDE_HOURS) && cells[base + HOURS]! < HOURS_SAFE_UNLESS_WIDE) continue;
    if (totalOf(catalog.measures.length, state, slot) + value > Number.MAX_SAFE_INTEGER) return `${definition.name} would overflow its exact sum`;
  }
  return undefined;
}

/** The event whose contributions `contributions` holds, in the order of its kind's measures (the task checks them, then applies them). */
let contributionsFor: KindedEvent | undefined;
let contributionsIn: KpiCatalog | undefined;
let contributions = new Float64Array(16);

/** What the event adds to each of its kind's measures, computed once per event: checked by contributionProblem, then added by applyEvent. */
function contributionsOf(catalog: KpiCatalog, tagged: KindedEvent): Float64Array {
  if (contributionsFor === tagged && contributionsIn === catalog) return contributions;
  const measures = catalog.measuresOf(tagged.kind);
  if (measures.length > contributions.length) contributions = new Float64Array(measures.length);
  for (let i = 0; i < measures.length; i += 1) contributions[i] = measures[i]!.definition.value(tagged.event as never);
  contributionsFor = tagged;
  contributionsIn = catalog;
  return contributions;
}

/** Whether the window holds the event already: 'duplicate', 'conflicting-duplicate' (other bytes), or undefined when it is new. */
export function repeatOf(catalog: KpiCatalog, state: EmployeeWindow, key: number, digest: number): Repeat | undefined {
  const { cells, base } = state;
  const at = keysAt(catalog.measures.length, cells, base);
  const found = findKey(cells, at, cells[base + KEYS]!, key);
  if (found < 0) return undefined;
  return digestAt(cells, at, found) === (digest & 0xffff) ? 'duplicate' : 'conflicting-duplicate';
}

/** The hour's index among the window's hours, adding it (with zero measures) when new. */
function hourIndex(catalog: KpiCatalog, state: EmployeeWindow, hour: number): number {
  const m = catalog.measures.length;
  const word = hour - state.window.start + HOUR_BIAS;
  if (!(word >= 0 && word < UNKNOWN_HOUR)) throw new RangeError(`an hour starting at ${hour} lies outside the window starting at ${state.window.start}`);
  let { cells, base } = state;
  const count = cells[base + HOURS]!;
  let at = layout(m, cells, base);
  for (let h = 0; h < count; h += 1) if (cells[at.hours + h * at.hourWords] === word) return h;
  if (count === cells[base + HOUR_CAPACITY]!) {
    regrow(catalog, state, { hours: Math.max(4, 2 * count) });
    ({ cells, base } = state);
    at = layout(m, cells, base);
  }
  cells[at.hours + count * at.hourWords] = word;
  cells[base + HOURS] = count + 1;
  return count;
}

function addToHour(catalog: KpiCatalog, state: EmployeeWindow, h: number, slot: number, value: number): void {
  const m = catalog.measures.length;
  if (!(state.cells[state.base + FLAGS]! & WIDE_HOURS)) {
    const cell = layout(m, state.cells, state.base).hours + h * (1 + m) + 1 + slot;
    const sum = state.cells[cell]! + value;
    if (sum < TWO_32) {
      state.cells[cell] = sum;
      return;
    }
    regrow(catalog, state, { wide: true }); // a sum outgrew 32 bits: every hour's cells become doubles
  }
  const cell = layout(m, state.cells, state.base).hours + h * (1 + 2 * m) + 1 + 2 * slot;
  writeDouble(state.cells, cell, readDouble(state.cells, cell) + value);
}

function addStationWeight(catalog: KpiCatalog, state: EmployeeWindow, station: string, ms: number): void {
  let at = state.stations.indexOf(station);
  if (at < 0) {
    if (state.stations.length === state.cells[state.base + STATION_CAPACITY]!) regrow(catalog, state, { stations: 2 * state.stations.length });
    at = state.stations.length;
    // Exact size (a push would reserve room for 16 more); a window's first station, the usual only one, in an array shared by every window that names it.
    state.stations = state.stations.length === 0 ? soleStation(station) : [...state.stations, internStation(station)];
    state.cells[state.base + STATIONS] = state.stations.length;
  }
  const cell = layout(catalog.measures.length, state.cells, state.base).stations + 2 * at;
  writeDouble(state.cells, cell, readDouble(state.cells, cell) + ms);
}

/** One string per station id, shared by every window that names it. */
const stationIds = new Map<string, string>();

function internStation(station: string): string {
  const known = stationIds.get(station);
  if (known !== undefined) return known;
  if (stationIds.size >= 100_000) stationIds.clear();
  stationIds.set(station, station);
  return station;
}

/** One frozen array per station id naming only it: what most windows' `stations` are. */
const soleStations = new Map<string, readonly string[]>();

function soleStation(station: string): readonly string[] {
  const known = soleStations.get(station);
  if (known !== undefined) return known;
  if (soleStations.size >= 100_000) soleStations.clear();
  const stations = Object.freeze([internStation(station)]);
  soleStations.set(station, stations);
  return stations;
}

/**
 * Adds one event to the aggregate, in place, unless an event with the same
 * kind and event_id was applied before ('duplicate'; 'conflicting-duplicate'
 * when its bytes differ from the first copy's). `hour` is the start of the
 * local hour of the time that places the event in the window.
 */
export function applyEvent(catalog: KpiCatalog, state: EmployeeWindow, tagged: KindedEvent, digest: number, hour: number): 'accepted' | Repeat {
  const key = eventKey(tagged);
  const at = keysAt(catalog.measures.length, state.cells, state.base);
  const found = findKey(state.cells, at, state.cells[state.base + KEYS]!, key);
  if (found >= 0) return digestAt(state.cells, at, found) === (digest & 0xffff) ? 'duplicate' : 'conflicting-duplicate';
  insertKey(catalog, state, -found - 1, key, digest);
  state.cells[state.base + VERSION] = state.cells[state.base + VERSION]! + 1;
  const measures = catalog.measuresOf(tagged.kind);
  if (measures.length > 0) {
    const values = contributionsOf(catalog, tagged);
    const h = hourIndex(catalog, state, hour);
    for (let i = 0; i < measures.length; i += 1) {
      const value = values[i]!;
      const slot = measures[i]!.slot;
      if (value !== 0) addToHour(catalog, state, h, slot, value);
    }
  }
  switch (tagged.kind) {
    case 'production':
      addStationWeight(catalog, state, tagged.event.station_id, tagged.event.units * toMillis(tagged.event.standard_seconds_per_unit));
      break;
    case 'telemetry':
      addStationWeight(catalog, state, tagged.event.station_id, toMillis(tagged.event.run_seconds));
      break;
    case 'selfReport': {
      const e = tagged.event;
      const current = reportOf(state);
      if (!current || e.submitted_time > current.submittedTime || (e.submitted_time === current.submittedTime && e.event_id > current.eventId)) {
        setReport(state, {
          eventId: e.event_id,
          submittedTime: e.submitted_time,
          periodStart: e.period_start,
          periodEnd: e.period_end,
          units: e.reported_units,
          runHours: e.reported_run_hours,
          defectiveUnits: e.reported_defective_units,
          selfScore: e.self_score,
        });
      }
      break;
    }
    default:
      break;
  }
  return 'accepted';
}

/** The station with the largest weight; ties go to the smaller id. Empty when none. */
export function primaryStation(catalog: KpiCatalog, state: EmployeeWindow): string {
  const at = layout(catalog.measures.length, state.cells, state.base).stations;
  let best = '';
  let bestWeight = -1;
  for (const [i, station] of state.stations.entries()) {
    const weight = readDouble(state.cells, at + 2 * i);
    if (weight > bestWeight || (weight === bestWeight && station < best)) {
      best = station;
      bestWeight = weight;
    }
  }
  return best;
}

/** The row's measures and KPI columns by column name (catalog.valuesOf of the measures). */
function valuesOf(catalog: KpiCatalog, state: EmployeeWindow): Record<string, number | null> {
  const sums = measuresOf(catalog, state);
  const measures: Record<string, number> = {};
  const values: Record<string, number | null> = {};
  const names = catalog.measureNames;
  for (let slot = 0; slot < names.length; slot += 1) {
    const value = sums[slot]!;
    measures[names[slot]!] = value;
    values[names[slot]!] = value;
  }
  const columns = catalog.columns;
  for (let i = 0; i < columns.length; i += 1) values[columns[i]!.name] = columns[i]!.value(measures);
  return values;
}

export function toRow(catalog: KpiCatalog, state: EmployeeWindow): WindowRow {
  const report = reportOf(state);
  const { cells, base } = state;
  const m = catalog.measures.length;
  const at = layout(m, cells, base);
  const names = catalog.measureNames;
  const keyCount = cells[base + KEYS]!;
  const eventKeys = new Array<number>(keyCount);
  const eventDigests = new Array<number>(keyCount);
  for (let i = 0; i < keyCount; i += 1) {
    eventKeys[i] = (cells[at.keys + 2 * i + 1]! >>> 16) * TWO_32 + cells[at.keys + 2 * i]!;
    eventDigests[i] = digestAt(cells, at.keys, i);
  }
  const stationWeights: Record<string, number> = {};
  for (const [i, station] of state.stations.entries()) stationWeights[station] = readDouble(cells, at.stations + 2 * i);
  const wide = at.hourWords !== 1 + m;
  const hourly: { hour: number; measures: Record<string, number> }[] = [];
  for (let h = 0; h < cells[base + HOURS]!; h += 1) {
    const first = at.hours + h * at.hourWords;
    if (cells[first] === UNKNOWN_HOUR) continue;
    const measures: Record<string, number> = {};
    for (let slot = 0; slot < m; slot += 1) {
      const value = wide ? readDouble(cells, first + 1 + 2 * slot) : cells[first + 1 + slot]!;
      if (value !== 0) measures[names[slot]!] = value;
    }
    hourly.push({ hour: state.window.start + cells[first]! - HOUR_BIAS, measures });
  }
  hourly.sort((a, b) => a.hour - b.hour);
  return {
    employee_id: state.employeeId,
    window_start: state.window.start,
    window_end: state.window.end,
    plant_day: state.window.plantDay,
    shift: state.window.shift,
    crew: state.window.crew,
    station_id: primaryStation(catalog, state),
    version: cells[base + VERSION]!,
    reported_units: report ? report.units : null,
    reported_run_hours: report ? report.runHours : null,
    reported_defective_units: report ? report.defectiveUnits : null,
    self_score: report ? report.selfScore : null,
    report_submitted_time: report ? report.submittedTime : null,
    report_event_id: report ? report.eventId : '',
    report_period_start: report ? report.periodStart : null,
    report_period_end: report ? report.periodEnd : null,
    station_weights: stationWeights,
    event_keys: eventKeys,
    event_digests: eventDigests,
    values: valuesOf(catalog, state),
    hourly,
  };
}

/**
 * The state a row was written from: the inverse of toRow. A measure the row
 * does not have (a KPI added after it was written) starts at 0.
 */
export function fromRow(catalog: KpiCatalog, row: WindowRow, arena?: WindowArena): EmployeeWindow;
export function fromRow<W extends EmployeeWindow>(catalog: KpiCatalog, row: WindowRow, arena: WindowArena | undefined, Kind: WindowClass<W>): W;
export function fromRow(catalog: KpiCatalog, row: WindowRow, arena?: WindowArena, Kind: WindowClass<EmployeeWindow> = EmployeeWindow): EmployeeWindow {
  const m = catalog.measures.length;
  const stations = Object.keys(row.station_weights);
  const window = { start: row.window_start, end: row.window_end, plantDay: row.plant_day, shift: row.shift, crew: row.crew };
  const state = newEmployeeWindow(catalog, row.employee_id, window, arena, Kind);
  // What the row's measures have beyond its hours' sums (a row written before rows had hours): an hour of its own.
  // Hours that sum to more than a measure (never written so) are taken as they are.
  const beyondHours = catalog.measures.map(({ name }) => (row.values[name] ?? 0) - row.hourly.reduce((sum, h) => sum + (h.measures[name] ?? 0), 0));
  const unknownHour = beyondHours.some((v) => v > 0);
  const hours = [...row.hourly.map(({ hour, measures }) => ({ word: hour - row.window_start + HOUR_BIAS, measures }))];
  if (unknownHour)
    hours.push({ word: UNKNOWN_HOUR, measures: Object.fromEntries(catalog.measures.map(({ name }, slot) => [name, Math.max(0, beyondHours[slot]!)])) });
  const wide = hours.some((h) => Object.values(h.measures).some((v) => v >= TWO_32));
  regrow(catalog, state, { keys: Math.max(16, row.event_keys.length), hours: Math.max(2, hours.length), stations: Math.max(1, stations.length), wide });
  const { cells, base } = state;
  state.stations = stations.length === 1 ? soleStation(stations[0]!) : stations.map(internStation);
  cells[base + STATIONS] = stations.length;
  const at = layout(m, cells, base);
  for (const [i, station] of stations.entries()) writeDouble(cells, at.stations + 2 * i, row.station_weights[station]!);
  for (const [h, { word, measures }] of hours.entries()) {
    const first = at.hours + h * at.hourWords;
    cells[first] = word;
    for (const [slot, definition] of catalog.measures.entries()) {
      const value = measures[definition.name] ?? 0;
      if (wide) writeDouble(cells, first + 1 + 2 * slot, value);
      else cells[first + 1 + slot] = value;
    }
  }
  cells[base + HOURS] = hours.length;
  addKeys(catalog, state, row.event_keys, row.event_digests);
  state.cells[state.base + VERSION] = row.version;
  if (row.report_submitted_time !== null) {
    setReport(state, {
      eventId: row.report_event_id,
      submittedTime: row.report_submitted_time,
      periodStart: row.report_period_start ?? row.window_start,
      periodEnd: row.report_period_end ?? row.window_end,
      units: row.reported_units ?? 0,
      runHours: row.reported_run_hours ?? 0,
      defectiveUnits: row.reported_defective_units ?? 0,
      selfScore: row.self_score,
    });
  }
  return state;
}
