import type { EventKind, EventOfKind } from '../schemas/kinds.js';

/**
 * The extension point for KPIs. A KPI says which events it reads, how each
 * event adds to an employee-window (measures: exact whole-number sums), which
 * columns it adds to the window rows (computed from the measures), how it is
 * scored (indicators), and which ClickHouse migrations create its columns.
 * kpi-stream's own metrics are defined this way (kpis/builtin.ts, kpis/oee.ts);
 * a deployment adds its own with KPI_EXTENSIONS (see docs/extending.md).
 *
 * Everything a KPI computes is a function of measures, so the same definition
 * serves a window row, a week's score and a station's day: sums add up across
 * windows, ratios are taken last.
 */

/** The exact sums of a span of windows (one employee-window, a week, a station-day), by measure name. */
export type Measures = Readonly<Record<string, number>>;

/** A whole-number sum kept per employee-window, stored in a UInt64 column of the same name. */
export interface MeasureDefinition<K extends EventKind = EventKind> {
  readonly name: string;
  readonly description: string;
  /** The kind of event it reads. */
  readonly reads: K;
  /**
   * The event's contribution: a whole number >= 0 (milliseconds, thousandths,
   * counts), so sums are exact and do not depend on the order events arrive
   * in. A contribution above MAX_CONTRIBUTION dead-letters the record.
   */
  readonly value: (event: EventOfKind[K]) => number;
}

/** A column of the window rows computed from the window's measures (a ratio, hours from milliseconds …). */
export interface ColumnDefinition {
  readonly name: string;
  readonly description: string;
  /** Null when it cannot be computed (a ratio without a denominator). */
  readonly value: (measures: Measures) => number | null;
  /**
   * The measure or column that says how much the value rests on (a ratio's
   * denominator: units inspected, run hours, feedback count). Alert rules
   * judge the column only once this reaches their `min_sample`.
   */
  readonly sample?: string;
  /**
   * The kinds of event whose measures the value sets against each other, when
   * they come from different systems (efficiency: the MES's standard time over
   * telemetry's run time). Systems report at their own pace, so in a window
   * still filling one side runs ahead of the other and the value is not yet
   * meaningful (efficiency 0 on a shift whose units the MES has not reported
   * yet). Alert rules judge such a column in an employee's window only once
   * every kind named here has contributed to it and reached a later window of
   * the employee (a station's or the plant's window: every employee in it).
   */
  readonly compares?: readonly EventKind[];
}

/**
 * A scored indicator: 100 points at `target`, 0 at `worst`, linear and
 * clamped in between (`worst` may be above `target`, as for a defect rate).
 * `weight`, `target` and `worst` are the defaults of new scoring model
 * versions; a model version fixes them for good.
 */
export interface IndicatorDefinition {
  readonly name: string;
  readonly description: string;
  readonly value: (measures: Measures) => number | null;
  readonly target: number;
  readonly worst: number;
  readonly weight: number;
}

export interface KpiDefinition {
  /** Unique, lowercase letters, digits and underscores: names its migrations' namespace. */
  readonly name: string;
  readonly description: string;
  /** Where its definition comes from (a standard, a handbook), for the docs. */
  readonly source?: string;
  readonly measures?: readonly MeasureDefinition[];
  readonly columns?: readonly ColumnDefinition[];
  readonly indicators?: readonly IndicatorDefinition[];
  /**
   * Absolute path of a folder of ClickHouse migrations (`0001_name.sql` …)
   * that add its columns; numbered in the KPI's own namespace, so they never
   * collide with kpi-stream's or another KPI's.
   */
  readonly migrations?: string;
}

/**
 * Largest contribution one event may make to a measure: 2^31, so that even
 * four million events in one window cannot overflow an exact (2^53) sum.
 */
export const MAX_CONTRIBUTION = 2 ** 31;

/** Declares a measure with its event type checked against `reads`. */
export function measure<K extends EventKind>(definition: MeasureDefinition<K>): MeasureDefinition {
  return definition as unknown as MeasureDefinition;
}

/** Declares a KPI (an identity function that gives the object its type; the catalog validates it). */
export function defineKpi(definition: KpiDefinition): KpiDefinition {
  return definition;
}

/** Seconds as a double → whole milliseconds, the resolution kpi-stream sums time in. */
export const toMillis = (seconds: number): number => Math.round(seconds * 1000);
/** A 0..100 value → whole thousandths. */
export const toMilli = (value: number): number => Math.round(value * 1000);
/** a / b, or null without a denominator. */
export const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
