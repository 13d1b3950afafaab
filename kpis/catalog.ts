import { existsSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { EVENT_KINDS, type EventKind } from '../schemas/kinds.js';
import { BUILTIN_KPIS } from './builtin.js';
import type { ColumnDefinition, IndicatorDefinition, KpiDefinition, MeasureDefinition, Measures } from './definition.js';
import { oeeKpi } from './oee.js';

/** Columns of kpi.employee_window_metrics that are not KPI columns: key, report, station, bookkeeping. */
export const CORE_COLUMNS = [
  'employee_id',
  'window_start',
  'window_end',
  'station_id',
  'version',
  'reported_units',
  'reported_run_hours',
  'reported_defective_units',
  'self_score',
  'report_submitted_time',
  'report_event_id',
  'station_weights',
  'event_ids',
  'event_keys',
  'event_digests',
] as const;

const NAME = /^[a-z][a-z0-9_]*$/;

/** A measure's place in a window's measure array, and how an event adds to it. */
export interface MeasureSlot {
  readonly slot: number;
  readonly definition: MeasureDefinition;
}

/**
 * The KPIs a deployment runs: kpi-stream's own (built-ins and OEE) and its
 * extensions, checked once at start-up. Gives every measure a slot in a
 * window's measure array and answers, per event kind, which measures it feeds.
 */
export class KpiCatalog {
  readonly measures: readonly MeasureDefinition[];
  /** The measures' names, by slot. */
  readonly measureNames: readonly string[];
  readonly columns: readonly ColumnDefinition[];
  readonly indicators: readonly IndicatorDefinition[];
  private readonly byKind: ReadonlyMap<EventKind, readonly MeasureSlot[]>;

  private constructor(readonly kpis: readonly KpiDefinition[]) {
    this.measures = kpis.flatMap((k) => k.measures ?? []);
    this.measureNames = this.measures.map((m) => m.name);
    this.columns = kpis.flatMap((k) => k.columns ?? []);
    this.indicators = kpis.flatMap((k) => k.indicators ?? []);
    this.byKind = new Map(
      EVENT_KINDS.map((kind) => [kind, this.measures.flatMap((definition, slot) => (definition.reads === kind ? [{ slot, definition }] : []))]),
    );
  }

  /** kpi-stream's KPIs plus `extensions`; throws ConfigError (naming KPI_EXTENSIONS) for a definition that does not hold together. */
  static of(extensions: readonly KpiDefinition[] = []): KpiCatalog {
    const kpis = [...BUILTIN_KPIS, oeeKpi, ...extensions];
    validate(kpis);
    return new KpiCatalog(kpis);
  }

  /** The measures an event of `kind` adds to. */
  measuresOf(kind: EventKind): readonly MeasureSlot[] {
    return this.byKind.get(kind) ?? [];
  }

  /** Measure values by name, from a window's measure array. */
  named(values: ArrayLike<number>): Measures {
    const named: Record<string, number> = {};
    for (const [slot, definition] of this.measures.entries()) named[definition.name] = values[slot]!;
    return named;
  }

  /** Every measure and KPI column of a span, by column name: what a window row stores beside its core columns. */
  valuesOf(measures: Measures): Record<string, number | null> {
    const values: Record<string, number | null> = { ...measures };
    for (const column of this.columns) values[column.name] = column.value(measures);
    return values;
  }

  /** The measure or column a column's value rests on (its `sample`), if it declares one. */
  sampleOf(column: string): string | undefined {
    return this.columns.find((c) => c.name === column)?.sample;
  }

  /** The kinds of event a column sets against each other (its `compares`), or none. */
  comparesOf(column: string): readonly EventKind[] {
    return this.columns.find((c) => c.name === column)?.compares ?? [];
  }

  /** The columns a window row holds beyond CORE_COLUMNS, measures first. */
  get valueColumns(): string[] {
    return [...this.measures.map((m) => m.name), ...this.columns.map((c) => c.name)];
  }

  /**
   * The KPI columns BI tools see: every computed column, and the measures of
   * extensions (kpi-stream's own measures are internal sums, shown as hours
   * and ratios).
   */
  get publicColumns(): string[] {
    const builtin = new Set<KpiDefinition>(BUILTIN_KPIS);
    return [...this.columns.map((c) => c.name), ...this.kpis.filter((k) => !builtin.has(k)).flatMap((k) => (k.measures ?? []).map((m) => m.name))];
  }
}

function validate(kpis: readonly KpiDefinition[]): void {
  const fail = (kpi: KpiDefinition, message: string): never => {
    throw new ConfigError('KPI_EXTENSIONS', `KPI ${JSON.stringify(kpi.name)}: ${message}`);
  };
  const kpiNames = new Set<string>();
  const columnOwners = new Map<string, string>(CORE_COLUMNS.map((c) => [c, 'kpi-stream']));
  const indicatorOwners = new Map<string, string>();
  for (const kpi of kpis) {
    if (typeof kpi.name !== 'string' || !NAME.test(kpi.name)) fail(kpi, 'name must be lowercase letters, digits and underscores, starting with a letter');
    if (kpiNames.has(kpi.name)) fail(kpi, 'is defined twice');
    kpiNames.add(kpi.name);
    const claim = (name: string, what: string) => {
      if (!NAME.test(name)) fail(kpi, `${what} name ${JSON.stringify(name)} must be lowercase letters, digits and underscores`);
      const owner = columnOwners.get(name);
      if (owner) fail(kpi, `${what} ${name} is already a column of ${owner}`);
      columnOwners.set(name, `KPI ${kpi.name}`);
    };
    for (const m of kpi.measures ?? []) {
      claim(m.name, 'measure');
      if (!(EVENT_KINDS as readonly string[]).includes(m.reads))
        fail(kpi, `measure ${m.name} reads ${JSON.stringify(m.reads)}, which is not one of ${EVENT_KINDS.join(', ')}`);
      if (typeof m.value !== 'function') fail(kpi, `measure ${m.name} has no value function`);
    }
    for (const c of kpi.columns ?? []) {
      claim(c.name, 'column');
      if (typeof c.value !== 'function') fail(kpi, `column ${c.name} has no value function`);
      for (const kind of c.compares ?? []) {
        if (!(EVENT_KINDS as readonly string[]).includes(kind))
          fail(kpi, `column ${c.name} compares ${JSON.stringify(kind)}, which is not one of ${EVENT_KINDS.join(', ')}`);
      }
    }
    for (const i of kpi.indicators ?? []) {
      if (!NAME.test(i.name)) fail(kpi, `indicator name ${JSON.stringify(i.name)} must be lowercase letters, digits and underscores`);
      if (indicatorOwners.has(i.name)) fail(kpi, `indicator ${i.name} is already defined by ${indicatorOwners.get(i.name)}`);
      indicatorOwners.set(i.name, `KPI ${kpi.name}`);
      if (![i.target, i.worst, i.weight].every(Number.isFinite) || i.target === i.worst || i.weight < 0) {
        fail(kpi, `indicator ${i.name} needs finite target and worst that differ, and a weight >= 0`);
      }
    }
    if (kpi.migrations !== undefined && !existsSync(kpi.migrations)) fail(kpi, `its migrations folder ${kpi.migrations} does not exist`);
  }
  // A sample names a measure or column of any KPI, so it is checked once every name is claimed.
  for (const kpi of kpis) {
    for (const c of kpi.columns ?? []) {
      if (c.sample !== undefined && (!columnOwners.has(c.sample) || (CORE_COLUMNS as readonly string[]).includes(c.sample))) {
        fail(kpi, `column ${c.name} names ${JSON.stringify(c.sample)} as its sample, which is no measure or column of any KPI`);
      }
    }
  }
}
