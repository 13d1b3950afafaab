import { createHash } from 'node:crypto';
import type { WindowSnapshot } from '../contract/windowSnapshot.js';
import { formatTime } from '../core/time.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import type { EventKind } from '../schemas/kinds.js';
import { indicatorValues, scoreOf, type ScoringModel } from '../scoring/model.js';
import { SCORE_METRIC, type AlertRule, type AnomalyRule, type MetricRule } from './rules.js';
import { SEVERITIES, flagStands, type FlagStatus, type FlagSummary, type Severity } from '../contract/flag.js';
import { flagId } from '../contract/flagId.js';
import type { AlertEvent, Scope } from '../contract/alertEvent.js';
import { Pseudonyms, pseudonymised, reviewUrlOf, type AlertPrivacy } from './people.js';

/** What the evaluator keeps of one alert; persisted beside its inputs, so a restarted evaluator goes on where it was. */
export interface AlertState {
  readonly fingerprint: string;
  readonly firing: boolean;
  /** Times it fired: part of each event's id. */
  readonly generation: number;
  readonly started_at: number | null;
  readonly resolved_at: number | null;
  /**
   * The last event it raised (what a resolution repeats), as the evaluator
   * knows it: with the employee's id and the full explanation. It stays in
   * kpi.alert_inputs.v1, which holds the window snapshots and flags too; only
   * the event as sent is pseudonymised.
   */
  readonly last: AlertEvent;
}

/** A scope key's sums in one window. */
interface Aggregate {
  windowEnd: number;
  readonly measures: Record<string, number>;
  /** Employee-windows summed in (station and plant scopes). */
  contributors: number;
  /** Their employees (station and plant scopes). */
  readonly members: Set<string>;
  observedAt: number;
  /** Employee scope only: the station and the self-report. */
  stationId: string;
  report: WindowSnapshot['report'];
}

const SEP = '\u0000';
/** Why a flag that was reviewed no longer stands, for a resolution's explanation. */
const WITHDRAWN: Record<FlagStatus, string> = {
  proposed: 'it awaits review',
  confirmed: 'it was confirmed',
  disputed: 'it is disputed',
  dismissed: 'it was dismissed on review',
  measurement_problem: 'a reviewer found a measurement problem',
  overturned: 'a dispute overturned it',
};
const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Stable for (rule, scope key, window). For the employee scope `key` is the
 * employee's pseudonym, never the id: a plain hash of an id would give the id
 * back to anyone who hashes every id they know.
 */
export function fingerprintOf(rule: string, scope: Scope, key: string, windowStart: number): string {
  return sha([rule, scope, key, String(windowStart)].join(SEP)).slice(0, 32);
}

/** Unique per alert event, and the same for the same event however often it is raised again after a crash. */
export function eventIdOf(fingerprint: string, type: AlertEvent['type'], generation: number): string {
  return sha([fingerprint, type, String(generation)].join(SEP)).slice(0, 32);
}

const show = (x: number) => String(Number(x.toPrecision(4)));

/**
 * Judges alert rules on every employee, station and plant window as their
 * inputs change: pure, time passed in. Inputs are window snapshots (the
 * highest version of an employee-window wins, so repeats and replays change
 * nothing) and anomaly flags; a station's and the plant's windows are the
 * exact sums of their employees' latest snapshots (an employee-window counts
 * at its primary station). Each (rule, scope key, window) is one alert with a
 * lifecycle: it fires when the window breaches (and the rule's
 * `for_windows − 1` judged windows before it did), stays firing until the
 * value passes `clear` (hysteresis) or a correction removes the breach, and
 * after a resolution does not fire again within the rule's cooldown.
 *
 * A column that sets one system's measures against another's (its
 * `compares`: efficiency, the MES's standard time over telemetry's run time)
 * is not meaningful while one side has reported and the other not yet, so it
 * is judged in a window only once each of those kinds has contributed to the
 * window and reached a later window of the employee (of every employee in a
 * station's or the plant's window): a shift whose units are still on their
 * way is never called inefficient.
 *
 * An anomaly rule fires on a flag only while its review leaves it standing
 * (confirmed, or disputed and not yet overturned: contract/flag.ts
 * `flagStands`); a proposed flag raises nothing, and a flag overturned on
 * dispute resolves its alert under the same fingerprint.
 *
 * An event about a person (employee scope) carries the employee's pseudonym,
 * a neutral line and the review page's link, unless its rule discloses the
 * employee (alerting/people.ts); what it keeps for itself names them.
 */
export class AlertEvaluator {
  private readonly snapshots = new Map<string, WindowSnapshot>();
  private readonly aggregates = new Map<string, Map<number, Aggregate>>();
  /** Window starts of each scope key, ascending. */
  private readonly order = new Map<string, number[]>();
  private readonly flags = new Map<string, FlagSummary>();
  private readonly flagsOf = new Map<string, Set<string>>();
  /** Each decided flag's review status, by flag id (contract/flagId.ts); a flag without one is proposed. */
  private readonly statuses = new Map<string, FlagStatus>();
  /** The input key of each flag held, by flag id. */
  private readonly flagKeys = new Map<string, string>();
  private readonly alerts = new Map<string, AlertState>();
  /** Scope-windows to judge at the next evaluation. */
  private readonly dirty = new Set<string>();
  /** Scope-windows with an alert held back by its cooldown: judged again at every evaluation. */
  private readonly held = new Set<string>();
  private readonly lookBack: number;
  /** Per employee and event kind, the latest window start it contributed to. */
  private readonly reached = new Map<string, Map<EventKind, number>>();
  private readonly kindOf: ReadonlyMap<string, EventKind>;
  private readonly pseudonyms: Pseudonyms;
  /**
   * Alerts raised before fingerprints were taken of the pseudonym (restored
   * from the inputs topic): today's fingerprint → the one they were raised
   * under, which they keep until they are forgotten, so receivers see them
   * resolve.
   */
  private readonly formerly = new Map<string, string>();

  /**
   * @param privacy how events about a person leave (alerting/people.ts)
   * @param options.closed the windows applied are closed rows (`alerts test`
   *   replays them from ClickHouse): every system has reported on them
   */
  constructor(
    private readonly rules: readonly AlertRule[],
    private readonly catalog: KpiCatalog,
    private readonly model: ScoringModel,
    private readonly privacy: AlertPrivacy,
    private readonly options: { readonly closed?: boolean } = {},
  ) {
    this.pseudonyms = new Pseudonyms(privacy.pseudonymKey);
    this.lookBack = Math.max(1, ...rules.map((r) => (r.kind === 'metric' ? r.forWindows : 1)));
    this.kindOf = new Map(catalog.measures.map((m) => [m.name, m.reads]));
    // The score weighs every KPI: it waits for every pair of systems a column compares (not for late sources such as
    // feedback, which correct a score as they do a closed window's).
    this.scoreCompares = [...new Set(catalog.columns.flatMap((c) => c.compares ?? []))];
  }

  private readonly scoreCompares: readonly EventKind[];

  /** Applies an employee-window's snapshot; an older or equal version than the one held changes nothing. */
  applyWindow(snapshot: WindowSnapshot): boolean {
    const key = `${snapshot.employee_id}${SEP}${snapshot.window_start}`;
    const old = this.snapshots.get(key);
    if (old && old.version >= snapshot.version) return false;
    this.snapshots.set(key, snapshot);
    this.latestWindowEnd = Math.max(this.latestWindowEnd, snapshot.window_end);
    const employee = this.aggregate('employee', snapshot.employee_id, snapshot.window_start, snapshot.window_end);
    for (const name of Object.keys(employee.measures)) employee.measures[name] = 0;
    add(employee.measures, snapshot.measures, 1);
    employee.contributors = 1;
    employee.stationId = snapshot.station_id;
    employee.report = snapshot.report;
    employee.observedAt = snapshot.observed_at;
    if (old) this.contribute(old, -1);
    this.contribute(snapshot, 1);
    this.advance(snapshot);
    return true;
  }

  /**
   * Notes the kinds of event that contributed to the snapshot's window; where
   * one reaches a later window than before, the employee's earlier windows
   * (and their stations' and the plant's) may now be judged on columns that
   * compare it.
   */
  private advance(snapshot: WindowSnapshot): void {
    const id = snapshot.employee_id;
    let reached = this.reached.get(id);
    if (!reached) this.reached.set(id, (reached = new Map()));
    for (const kind of this.kindsIn(snapshot)) {
      const before = reached.get(kind);
      if (before !== undefined && before >= snapshot.window_start) continue;
      reached.set(kind, snapshot.window_start);
      for (const start of this.order.get(`employee${SEP}${id}`) ?? []) {
        if (start >= snapshot.window_start) break;
        if (before !== undefined && start < before) continue;
        this.dirty.add(scopeWindow('employee', id, start));
        this.dirty.add(scopeWindow('plant', '', start));
        const station = this.snapshots.get(`${id}${SEP}${start}`)?.station_id;
        if (station) this.dirty.add(scopeWindow('station', station, start));
      }
    }
  }

  /** The kinds of event with a contribution (a measure above 0) in the snapshot. */
  private kindsIn(snapshot: WindowSnapshot): Set<EventKind> {
    const kinds = new Set<EventKind>();
    for (const [name, value] of Object.entries(snapshot.measures)) {
      const kind = this.kindOf.get(name);
      if (kind !== undefined && value > 0) kinds.add(kind);
    }
    return kinds;
  }

  /** Whether every kind a rule's column compares has reported on the scope-window (see the class comment). */
  private settled(agg: Aggregate, scope: Scope, key: string, start: number, kinds: readonly EventKind[]): boolean {
    if (kinds.length === 0 || this.options.closed) return true;
    const employees = scope === 'employee' ? [key] : [...agg.members];
    return employees.every((id) => {
      const snapshot = this.snapshots.get(`${id}${SEP}${start}`);
      if (!snapshot) return false;
      const present = this.kindsIn(snapshot);
      const reached = this.reached.get(id);
      return kinds.every((kind) => present.has(kind) && (reached?.get(kind) ?? Number.NEGATIVE_INFINITY) > start);
    });
  }

  /** Sets (or with null removes) the flag under `key` (employee, window, kind, method). */
  applyFlag(key: string, flag: FlagSummary | null): void {
    const old = this.flags.get(key);
    if (old) {
      this.flagsOf.get(`${old.employeeId}${SEP}${old.windowStart}`)?.delete(key);
      this.dirty.add(scopeWindow('employee', old.employeeId, old.windowStart));
    }
    if (flag === null) {
      if (old) this.flagKeys.delete(flagId(old));
      this.flags.delete(key);
      return;
    }
    this.flags.set(key, flag);
    this.flagKeys.set(flagId(flag), key);
    const at = `${flag.employeeId}${SEP}${flag.windowStart}`;
    let keys = this.flagsOf.get(at);
    if (!keys) this.flagsOf.set(at, (keys = new Set()));
    keys.add(key);
    this.dirty.add(scopeWindow('employee', flag.employeeId, flag.windowStart));
  }

  /**
   * Sets a flag's review status (kpi.reviews.v1, through the applier). An
   * anomaly rule fires on a flag only while it stands (confirmed, or disputed
   * and not yet overturned): a flag confirmed fires, one overturned on
   * dispute resolves its alert. The status may come before its flag.
   */
  applyFlagStatus(id: string, status: FlagStatus): void {
    if (this.statuses.get(id) === status) return;
    this.statuses.set(id, status);
    const flag = this.flags.get(this.flagKeys.get(id) ?? '');
    if (flag) this.dirty.add(scopeWindow('employee', flag.employeeId, flag.windowStart));
  }

  /** A flag's review status: proposed until someone decided it. */
  private statusOf(flag: FlagSummary): FlagStatus {
    return this.statuses.get(flagId(flag)) ?? 'proposed';
  }

  /** Takes back the state of an alert from before a restart (a newer generation wins). */
  restoreAlert(state: AlertState): void {
    const held = this.alerts.get(state.fingerprint);
    if (held && (held.generation > state.generation || (held.generation === state.generation && !held.firing))) return;
    this.alerts.set(state.fingerprint, state);
    const e = state.last;
    const today = this.fingerprint(e.rule, e.scope, keyOf(e), Date.parse(e.window_start));
    if (today !== state.fingerprint) this.formerly.set(today, state.fingerprint);
  }

  /** The fingerprint of (rule, scope key, window): of the pseudonym for an employee; an alert raised before keeps its own. */
  private fingerprint(rule: string, scope: Scope, key: string, start: number): string {
    const fingerprint = fingerprintOf(rule, scope, scope === 'employee' ? this.pseudonyms.of(key) : key, start);
    return this.formerly.get(fingerprint) ?? fingerprint;
  }

  /** The alert states changed by the events of the last evaluation, to persist beside the inputs. */
  statesOf(events: readonly AlertEvent[]): AlertState[] {
    return [...new Set(events.map((e) => e.fingerprint))].map((fp) => this.alerts.get(fp)!);
  }

  /** Judges every scope-window known (after a restart: whatever changed while the evaluator was down). */
  evaluateAll(now: number): AlertEvent[] {
    for (const [scopeKey, windows] of this.aggregates) for (const start of windows.keys()) this.dirty.add(`${scopeKey}${SEP}${start}`);
    for (const flag of this.flags.values()) this.dirty.add(scopeWindow('employee', flag.employeeId, flag.windowStart));
    for (const state of this.alerts.values()) {
      if (!state.firing) continue;
      const e = state.last;
      this.dirty.add(scopeWindow(e.scope, keyOf(e), Date.parse(e.window_start)));
    }
    return this.evaluate(now);
  }

  /**
   * Judges the rules on the scope-windows changed since the last call (and
   * the windows after them that a `for_windows` chain reaches, and those held
   * back by a cooldown); returns the events raised, in order.
   */
  evaluate(now: number): AlertEvent[] {
    const targets = new Set<string>([...this.held]);
    this.held.clear();
    for (const id of this.dirty) {
      targets.add(id);
      if (this.lookBack > 1) {
        // A chain runs over judged windows, and windows in between may not be judged: every later window may be reached.
        const { scopeKey, start } = parseScopeWindow(id);
        const order = this.order.get(scopeKey) ?? [];
        for (const next of order.slice(order.indexOf(start) + 1)) targets.add(`${scopeKey}${SEP}${next}`);
      }
    }
    this.dirty.clear();
    const events: AlertEvent[] = [];
    for (const id of targets) {
      const { scope, key, start } = parseScopeWindow(id);
      for (const rule of this.rules) {
        if (rule.scope !== scope) continue;
        const event = this.judge(rule, key, start, now);
        if (event === 'held') this.held.add(id);
        else if (event) events.push(event);
      }
    }
    return events;
  }

  /**
   * Forgets the windows that ended before `before` (no correction can reach
   * them any more: the caller passes the correction horizon back from the
   * latest window), and the alerts that are not firing on them.
   */
  forget(before: number): void {
    for (const [key, s] of this.snapshots) if (s.window_end < before) this.snapshots.delete(key);
    for (const [scopeKey, windows] of this.aggregates) {
      for (const [start, agg] of windows) {
        if (agg.windowEnd >= before) continue;
        windows.delete(start);
        const order = this.order.get(scopeKey)!;
        order.splice(order.indexOf(start), 1);
      }
      if (windows.size === 0) {
        this.aggregates.delete(scopeKey);
        this.order.delete(scopeKey);
      }
    }
    // A flag of such a window stands as it is: it leaves memory, it is not withdrawn (an alert on it does not resolve).
    for (const [key, flag] of this.flags) {
      if (flag.windowEnd >= before) continue;
      this.flags.delete(key);
      this.flagKeys.delete(flagId(flag));
      this.statuses.delete(flagId(flag));
      this.flagsOf.delete(`${flag.employeeId}${SEP}${flag.windowStart}`);
    }
    for (const [fingerprint, state] of this.alerts) if (!state.firing && Date.parse(state.last.window_end) < before) this.alerts.delete(fingerprint);
    for (const [today, former] of this.formerly) if (!this.alerts.has(former)) this.formerly.delete(today);
  }

  /** The latest window end seen (ms), or 0. */
  latestWindowEnd = 0;

  /** The current value of a metric for a scope key's window, or null (for tests and `alerts test`). */
  valueOf(metric: string, scope: Scope, key: string, windowStart: number): number | null {
    const agg = this.aggregates.get(`${scope}${SEP}${key}`)?.get(windowStart);
    return agg ? this.values(agg, scope, metric) : null;
  }

  private values(agg: Aggregate, scope: Scope, metric: string): number | null {
    const measures: Record<string, number> = {};
    for (const m of this.catalog.measures) measures[m.name] = agg.measures[m.name] ?? 0;
    if (metric === SCORE_METRIC) return scoreOf(indicatorValues(this.catalog, measures), this.model, this.catalog).score;
    if (scope === 'employee' && agg.report !== null) {
      const report: Record<string, number | null> = {
        reported_units: agg.report.units,
        reported_run_hours: agg.report.run_hours,
        reported_defective_units: agg.report.defective_units,
        self_score: agg.report.self_score,
      };
      if (metric in report) return report[metric]!;
    }
    return this.catalog.valuesOf(measures)[metric] ?? null;
  }

  private judge(rule: AlertRule, key: string, start: number, now: number): AlertEvent | 'held' | undefined {
    const fingerprint = this.fingerprint(rule.name, rule.scope, key, start);
    const state = this.alerts.get(fingerprint);
    const verdict = rule.kind === 'metric' ? this.metricVerdict(rule, key, start) : this.anomalyVerdict(rule, key, start);
    if (state?.firing) {
      if (verdict.holds) return undefined;
      return this.raise(rule, 'alert.resolved', fingerprint, state, verdict.event(state.last), now);
    }
    if (!verdict.breaches) return undefined;
    if (state !== undefined && state.resolved_at !== null && now < state.resolved_at + rule.cooldownMs) return 'held';
    return this.raise(rule, 'alert.firing', fingerprint, state, verdict.event(state?.last), now);
  }

  private raise(
    rule: AlertRule,
    type: AlertEvent['type'],
    fingerprint: string,
    state: AlertState | undefined,
    fields: Omit<AlertEvent, 'type' | 'id' | 'fingerprint' | 'started_at' | 'ended_at' | 'review_url'>,
    now: number,
  ): AlertEvent {
    const firing = type === 'alert.firing';
    const generation = (state?.generation ?? 0) + (firing ? 1 : 0);
    const startedAt = firing ? now : (state?.started_at ?? now);
    const event: AlertEvent = {
      type,
      id: eventIdOf(fingerprint, type, generation),
      fingerprint,
      ...fields,
      severity: rule.severity,
      started_at: formatTime(startedAt),
      ended_at: firing ? null : formatTime(now),
      review_url: rule.scope === 'employee' ? reviewUrlOf(this.privacy.appUrl, fingerprint) : null,
    };
    this.alerts.set(fingerprint, { fingerprint, firing, generation, started_at: startedAt, resolved_at: firing ? null : now, last: event });
    // The one place an event about a person is made fit to leave: every target gets what the outbox holds.
    if (rule.scope !== 'employee' || rule.disclose) return event;
    return pseudonymised(event, this.pseudonyms.of(event.employee_id!));
  }

  private metricVerdict(rule: MetricRule, key: string, start: number) {
    const scopeKey = `${rule.scope}${SEP}${key}`;
    const windows = this.aggregates.get(scopeKey);
    const agg = windows?.get(start);
    const compares = rule.metric === SCORE_METRIC ? this.scoreCompares : this.catalog.comparesOf(rule.metric);
    const judged = (at: number) => {
      const a = windows?.get(at);
      if (!a) return undefined;
      if (!this.settled(a, rule.scope, key, at, compares)) return undefined;
      const value = this.values(a, rule.scope, rule.metric);
      if (value === null) return undefined;
      if (rule.minSample > 0) {
        const sample = this.values(a, rule.scope, this.catalog.sampleOf(rule.metric)!);
        if (sample === null || sample < rule.minSample) return undefined;
      }
      return value;
    };
    const beyond = (value: number, line: number) => (rule.direction === 'above' ? value > line : value < line);
    const value = judged(start);
    // The judged windows of the scope key before this one: a for_windows chain runs over them.
    const order = this.order.get(scopeKey) ?? [];
    const before: { start: number; value: number }[] = [];
    for (let i = order.indexOf(start) - 1; i >= 0 && before.length < rule.forWindows - 1; i -= 1) {
      const v = judged(order[i]!);
      if (v !== undefined) before.push({ start: order[i]!, value: v });
    }
    const chainOf = (line: number) => before.length === rule.forWindows - 1 && before.every((w) => beyond(w.value, line));
    const breaches = value !== undefined && beyond(value, rule.threshold) && chainOf(rule.threshold);
    // Firing holds until the value (or a window of its chain) comes back to `clear`: a value that is not judged
    // (yet) changes nothing.
    const holds = value === undefined ? agg !== undefined : beyond(value, rule.clear) && (rule.forWindows === 1 || chainOf(rule.clear));
    const subject = rule.scope === 'employee' ? `employee ${key}` : rule.scope === 'station' ? `station ${key}` : 'the plant';
    const sampleName = this.catalog.sampleOf(rule.metric);
    const sample = agg && sampleName ? this.values(agg, rule.scope, sampleName) : null;
    const windowEnd = agg?.windowEnd ?? start;
    const explain = (resolving: boolean): string => {
      const where = `${rule.metric} of ${subject} in the window from ${formatTime(start)}`;
      // Firing needs a value; a resolution without one is a window whose employees all left (station, plant).
      if (value === undefined) return `${where} has no value any more`;
      if (!resolving) {
        return `${where} is ${show(value)}${sample !== null ? ` (${sampleName} ${show(sample)})` : ''}, ${rule.direction} ${show(rule.threshold)}${rule.forWindows > 1 ? ` for ${rule.forWindows} windows in a row` : ''}`;
      }
      const backTo = (v: number) => `back to ${show(v)} (${rule.direction === 'above' ? 'at or below' : 'at or above'} ${show(rule.clear)})`;
      if (!beyond(value, rule.clear)) return `${where} is ${backTo(value)}`;
      // The value is still past clear: a window of its chain came back, or the chain lost a window.
      const chainBack = before.find((w) => !beyond(w.value, rule.clear));
      const why = chainBack
        ? `the window from ${formatTime(chainBack.start)} before it is ${backTo(chainBack.value)}`
        : 'not enough judged windows before it remain';
      return `${where} is ${show(value)}, but ${why}: no longer ${rule.forWindows} windows in a row`;
    };
    return {
      breaches,
      holds,
      event: (last?: AlertEvent) => {
        const resolving = last !== undefined && last.type === 'alert.firing';
        return {
          rule: rule.name,
          severity: rule.severity,
          scope: rule.scope,
          employee_id: rule.scope === 'employee' ? key : null,
          station_id: rule.scope === 'station' ? key : rule.scope === 'employee' ? agg?.stationId || (last?.station_id ?? null) : null,
          window_start: formatTime(start),
          window_end: formatTime(windowEnd),
          metric: rule.metric,
          value: value ?? null,
          threshold: rule.threshold,
          anomaly: null,
          explanation: explain(resolving),
          observed_at: agg ? formatTime(agg.observedAt) : null,
        };
      },
    };
  }

  private anomalyVerdict(rule: AnomalyRule, employee: string, start: number) {
    const matching = [...(this.flagsOf.get(`${employee}${SEP}${start}`) ?? [])]
      .map((k) => this.flags.get(k)!)
      .filter((f) => f.kind !== 'measurement_gap' && (rule.anomaly === 'any' || f.kind === rule.anomaly) && RANK[f.severity] >= RANK[rule.minSeverity])
      .sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.kind.localeCompare(b.kind));
    // A flag is a proposal: only one a reviewer confirmed (and no dispute overturned) may raise an alert about the person.
    const flag = matching.find((f) => flagStands(this.statusOf(f)));
    // What a resolution names: a flag that was reviewed and no longer stands.
    const withdrawn = matching.find((f) => !flagStands(this.statusOf(f)) && this.statusOf(f) !== 'proposed');
    return {
      breaches: flag !== undefined,
      holds: flag !== undefined,
      event: (last?: AlertEvent) => ({
        rule: rule.name,
        severity: rule.severity,
        scope: 'employee' as const,
        employee_id: employee,
        station_id: flag?.stationId ?? last?.station_id ?? null,
        window_start: formatTime(start),
        window_end: flag ? formatTime(flag.windowEnd) : (last?.window_end ?? formatTime(start)),
        metric: null,
        value: null,
        threshold: null,
        anomaly: flag?.kind ?? last?.anomaly ?? null,
        explanation: flag
          ? flag.explanation
          : withdrawn
            ? `The ${withdrawn.kind} flag of employee ${employee} in the window from ${formatTime(start)} no longer stands: ${WITHDRAWN[this.statusOf(withdrawn)]}`
            : `No ${rule.anomaly === 'any' ? 'inflation' : rule.anomaly} flag of ${SEVERITIES.slice(RANK[rule.minSeverity]).join(' or ')} severity stands any more for employee ${employee} in the window from ${formatTime(start)}`,
        observed_at: null,
      }),
    };
  }

  /** Adds (sign 1) or takes back (−1) an employee-window's measures to its station's and the plant's window. */
  private contribute(snapshot: WindowSnapshot, sign: 1 | -1): void {
    const targets: [Scope, string][] = [['plant', '']];
    if (snapshot.station_id !== '') targets.push(['station', snapshot.station_id]);
    for (const [scope, key] of targets) {
      const agg = this.aggregate(scope, key, snapshot.window_start, snapshot.window_end);
      add(agg.measures, snapshot.measures, sign);
      agg.contributors += sign;
      if (sign > 0) agg.members.add(snapshot.employee_id);
      else agg.members.delete(snapshot.employee_id);
      if (sign > 0) agg.observedAt = Math.max(agg.observedAt, snapshot.observed_at);
      if (agg.contributors === 0) this.drop(scope, key, snapshot.window_start);
    }
  }

  private aggregate(scope: Scope, key: string, start: number, end: number): Aggregate {
    const scopeKey = `${scope}${SEP}${key}`;
    let windows = this.aggregates.get(scopeKey);
    if (!windows) this.aggregates.set(scopeKey, (windows = new Map()));
    let agg = windows.get(start);
    if (!agg) {
      windows.set(start, (agg = { windowEnd: end, measures: {}, contributors: 0, members: new Set(), observedAt: 0, stationId: '', report: null }));
      const order = this.order.get(scopeKey) ?? [];
      order.splice(sortedIndex(order, start), 0, start);
      this.order.set(scopeKey, order);
    }
    this.dirty.add(`${scopeKey}${SEP}${start}`);
    return agg;
  }

  private drop(scope: Scope, key: string, start: number): void {
    const scopeKey = `${scope}${SEP}${key}`;
    this.aggregates.get(scopeKey)?.delete(start);
    const order = this.order.get(scopeKey);
    if (order) order.splice(order.indexOf(start), 1);
  }
}

function add(into: Record<string, number>, measures: Readonly<Record<string, number>>, sign: 1 | -1): void {
  for (const [name, value] of Object.entries(measures)) into[name] = (into[name] ?? 0) + sign * value;
}

function sortedIndex(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function scopeWindow(scope: Scope, key: string, start: number): string {
  return `${scope}${SEP}${key}${SEP}${start}`;
}

function parseScopeWindow(id: string): { scope: Scope; key: string; scopeKey: string; start: number } {
  const first = id.indexOf(SEP);
  const last = id.lastIndexOf(SEP);
  return { scope: id.slice(0, first) as Scope, key: id.slice(first + 1, last), scopeKey: id.slice(0, last), start: Number(id.slice(last + 1)) };
}

function keyOf(event: AlertEvent): string {
  return event.scope === 'employee' ? event.employee_id! : event.scope === 'station' ? event.station_id! : '';
}
