import { join } from 'node:path';
import { AlertEvaluator, eventIdOf, fingerprintOf, type AlertState } from '../../../alerting/evaluator.js';
import type { FlagSummary } from '../../../contract/flag.js';
import { flagInputKey } from '../../../alerting/inputs.js';
import { flagId } from '../../../contract/flagId.js';
import { loadRules, parseRules } from '../../../alerting/rules.js';
import type { WindowSnapshot } from '../../../contract/windowSnapshot.js';
import { projectRoot } from '../../../core/paths.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { DEFAULT_SCORING } from '../../../scoring/model.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';
import { isPseudonym, pseudonymOf } from '../../../privacy/pseudonym.js';

const catalog = KpiCatalog.of();
const DAY = 86_400_000;
const W0 = Date.UTC(2026, 10, 2);
const MINUTE = 60_000;

/** How events about a person leave in these tests (alerting/people.ts). */
const PRIVACY = { pseudonymKey: 'k'.repeat(32), appUrl: 'https://people.example' };
const pseudonym = (employee: string) => pseudonymOf(PRIVACY.pseudonymKey, employee);
const evaluatorOf = (rules: unknown[]) => new AlertEvaluator(parseRules({ rules }, catalog), catalog, DEFAULT_SCORING, PRIVACY);

/** A snapshot with the given measures (the others 0). */
function snapshot(employee: string, station: string, day: number, version: number, measures: Record<string, number>, observedAt = W0): WindowSnapshot {
  return {
    employee_id: employee,
    window_start: W0 + day * DAY,
    window_end: W0 + (day + 1) * DAY,
    station_id: station,
    version,
    measures: { ...Object.fromEntries(catalog.measures.map((m) => [m.name, 0])), ...measures },
    report: null,
    observed_at: observedAt,
  };
}
const inspected = (employee: string, station: string, day: number, version: number, inspectedUnits: number, defective: number, observedAt = W0) =>
  snapshot(employee, station, day, version, { units_inspected: inspectedUnits, units_defective: defective }, observedAt);
/** Employee a's window of `day` at efficiency `ratio` over `runHours` (standard time from the MES, run time from telemetry). */
const efficiency = (day: number, ratio: number, runHours = 8, version = 1) =>
  snapshot('a', 'S1', day, version, { standard_ms: Math.round(ratio * runHours * 3_600_000), run_ms: runHours * 3_600_000 });

const stationDefects = {
  name: 'station-defects',
  metric: 'defect_rate',
  scope: 'station',
  above: 0.05,
  clear: 0.04,
  min_sample: 50,
  severity: 'high',
  cooldown: '10m',
};

describe('aggregates', () => {
  test("a station's and the plant's window are the sums of their employees' latest snapshots; older versions change nothing", () => {
    const e = evaluatorOf([stationDefects]);
    expect(e.applyWindow(inspected('a', 'S1', 0, 1, 100, 2))).toBe(true);
    e.applyWindow(inspected('b', 'S1', 0, 3, 60, 3));
    e.applyWindow(inspected('c', 'S2', 0, 1, 40, 4));
    expect(e.applyWindow(inspected('b', 'S1', 0, 2, 10, 10))).toBe(false);
    expect(e.applyWindow(inspected('b', 'S1', 0, 3, 10, 10))).toBe(false);
    expect(e.valueOf('defect_rate', 'station', 'S1', W0)).toBeCloseTo(5 / 160);
    expect(e.valueOf('defect_rate', 'plant', '', W0)).toBeCloseTo(9 / 200);
    // A newer version replaces the employee's contribution; moving station moves it.
    e.applyWindow(inspected('b', 'S2', 0, 4, 80, 8));
    expect(e.valueOf('defect_rate', 'station', 'S1', W0)).toBeCloseTo(2 / 100);
    expect(e.valueOf('defect_rate', 'station', 'S2', W0)).toBeCloseTo(12 / 120);
    expect(e.valueOf('defect_rate', 'plant', '', W0)).toBeCloseTo(14 / 220);
    expect(e.valueOf('defect_rate', 'employee', 'b', W0)).toBeCloseTo(0.1);
  });

  test('an employee-window without a station counts for the plant only; the latest window end is remembered', () => {
    const e = evaluatorOf([stationDefects]);
    e.applyWindow(inspected('a', 'S1', 2, 1, 100, 2));
    e.applyWindow(inspected('b', '', 0, 1, 100, 8)); // feedback only, say: no station known
    expect(e.valueOf('defect_rate', 'station', '', W0)).toBeNull();
    expect(e.valueOf('defect_rate', 'plant', '', W0)).toBeCloseTo(0.08);
    expect(e.latestWindowEnd).toBe(W0 + 3 * DAY);
  });

  test("a station's window counts each employee at their latest station: one who moves leaves it", () => {
    const e = evaluatorOf([stationDefects]);
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 2, W0 + 5 * MINUTE));
    e.applyWindow(inspected('b', 'S1', 0, 1, 100, 10, W0 + 2 * MINUTE));
    const [firing] = e.evaluate(W0 + 10 * MINUTE); // 12 of 200
    // observed_at: when the processors applied the latest change in the window, of any of its employees.
    expect(firing).toMatchObject({ station_id: 'S1', value: 0.06, observed_at: '2026-11-02T00:05:00.000Z' });
    e.applyWindow(inspected('b', 'S2', 0, 2, 100, 10, W0 + 3 * MINUTE));
    expect(e.valueOf('defect_rate', 'station', 'S1', W0)).toBe(0.02);
    expect(e.evaluate(W0 + 11 * MINUTE).map((x) => [x.type, x.station_id, x.value])).toEqual([
      ['alert.resolved', 'S1', 0.02],
      ['alert.firing', 'S2', 0.1],
    ]);
  });
});

describe('identity', () => {
  test('fingerprints and event ids are 32 hex digits, stable, and differ in every part they are made of', () => {
    const fingerprint = fingerprintOf('r', 'station', 'S1', W0);
    const fingerprints = [
      fingerprint,
      fingerprintOf('q', 'station', 'S1', W0),
      fingerprintOf('r', 'plant', 'S1', W0),
      fingerprintOf('r', 'station', 'S2', W0),
      fingerprintOf('r', 'station', 'S1', W0 + DAY),
    ];
    const ids = [
      eventIdOf(fingerprint, 'alert.firing', 1),
      eventIdOf(fingerprint, 'alert.resolved', 1),
      eventIdOf(fingerprint, 'alert.firing', 2),
      eventIdOf(fingerprints[1]!, 'alert.firing', 1),
    ];
    for (const id of [...fingerprints, ...ids]) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(fingerprintOf('r', 'station', 'S1', W0)).toBe(fingerprint);
    expect(eventIdOf(fingerprint, 'alert.firing', 1)).toBe(ids[0]);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('metric rules', () => {
  test('a flapping value raises one alert and one resolution; the cooldown holds a re-breach back, then it fires again', () => {
    const e = evaluatorOf([stationDefects]);
    const events: AlertEvent[] = [];
    let version = 0;
    let now = W0;
    const set = (inspectedUnits: number, defective: number) => {
      e.applyWindow(inspected('a', 'S1', 0, ++version, inspectedUnits, defective));
      events.push(...e.evaluate((now += MINUTE)));
    };
    set(40, 10); // 25 %, but only 40 inspected: not judged
    expect(events).toEqual([]);
    set(100, 6); // 6 %: fires
    for (let i = 0; i < 20; i += 1) set(100 + i, i % 2 === 0 ? 5 : 7); // between 4.2 % and 7 %: flaps around 5 %, never at or below 4 %
    expect(events.map((x) => x.type)).toEqual(['alert.firing']);
    set(200, 8); // 4 %: resolves
    for (let i = 0; i < 5; i += 1) set(200, i % 2 === 0 ? 12 : 8); // 6 %, 4 %… within the cooldown: held back
    expect(events.map((x) => x.type)).toEqual(['alert.firing', 'alert.resolved']);
    set(200, 12);
    events.push(...e.evaluate((now += 11 * MINUTE))); // cooldown over, still above: fires again
    expect(events.map((x) => x.type)).toEqual(['alert.firing', 'alert.resolved', 'alert.firing']);

    const fingerprint = fingerprintOf('station-defects', 'station', 'S1', W0);
    expect(events.map((x) => x.fingerprint)).toEqual([fingerprint, fingerprint, fingerprint]);
    expect(events.map((x) => x.id)).toEqual([
      eventIdOf(fingerprint, 'alert.firing', 1),
      eventIdOf(fingerprint, 'alert.resolved', 1),
      eventIdOf(fingerprint, 'alert.firing', 2),
    ]);
    expect(events[0]).toMatchObject({
      rule: 'station-defects',
      severity: 'high',
      scope: 'station',
      employee_id: null,
      station_id: 'S1',
      window_start: '2026-11-02T00:00:00.000Z',
      window_end: '2026-11-03T00:00:00.000Z',
      metric: 'defect_rate',
      value: 0.06,
      threshold: 0.05,
      anomaly: null,
      ended_at: null,
    });
    expect(events[0]!.explanation).toBe('defect_rate of station S1 in the window from 2026-11-02T00:00:00.000Z is 0.06 (units_inspected 100), above 0.05');
    expect(events[1]).toMatchObject({ type: 'alert.resolved', value: 0.04, started_at: events[0]!.started_at });
    expect(events[1]!.ended_at).not.toBeNull();
  });

  test('a late correction that removes the breach resolves the alert of a closed window', () => {
    const e = evaluatorOf([{ ...stationDefects, scope: 'employee' }]);
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 9));
    expect(e.evaluate(W0).map((x) => x.type)).toEqual(['alert.firing']);
    e.applyWindow(inspected('a', 'S1', 1, 1, 100, 0)); // the next day, fine
    expect(e.evaluate(W0 + DAY)).toEqual([]);
    e.applyWindow(inspected('a', 'S1', 0, 2, 300, 9)); // three days later: 200 more units inspected, none defective
    const [resolved] = e.evaluate(W0 + 3 * DAY);
    expect(resolved).toMatchObject({ type: 'alert.resolved', employee_id: pseudonym('a'), window_start: '2026-11-02T00:00:00.000Z', value: 0.03 });
  });

  test('for_windows: consecutive judged windows of the scope key must breach; a window that is not judged does not break the run', () => {
    const e = evaluatorOf([
      { name: 'slow', metric: 'efficiency', scope: 'employee', below: 0.6, min_sample: 4, for_windows: 2, clear: 0.65, severity: 'medium', disclose: true },
    ]);
    e.applyWindow(efficiency(0, 0.5));
    expect(e.evaluate(W0)).toEqual([]);
    e.applyWindow(efficiency(1, 0.5, 2)); // 2 run hours: not judged
    expect(e.evaluate(W0)).toEqual([]);
    e.applyWindow(efficiency(2, 0.55));
    expect(e.evaluate(W0)).toEqual([]); // efficiency is judged once the MES and telemetry have reached a later window
    e.applyWindow(efficiency(3, 1));
    const [firing] = e.evaluate(W0);
    expect(firing).toMatchObject({ type: 'alert.firing', window_start: '2026-11-04T00:00:00.000Z', value: 0.55 });
    expect(firing!.explanation).toContain('for 2 windows in a row');
    // A correction of the first window past `clear` breaks the chain: the alert on the third resolves.
    e.applyWindow(efficiency(0, 0.7, 8, 2));
    expect(e.evaluate(W0).map((x) => [x.type, x.window_start])).toEqual([['alert.resolved', '2026-11-04T00:00:00.000Z']]);
  });

  test('for_windows: 2 fires on each window that breaches after one that did, not on the first; holds above clear; resolves at clear', () => {
    const e = evaluatorOf([{ ...stationDefects, name: 'two-days', scope: 'employee', for_windows: 2, disclose: true }]);
    const events: AlertEvent[] = [];
    const judge = (day: number, version: number, defective: number) => {
      e.applyWindow(inspected('a', 'S1', day, version, 100, defective));
      events.push(...e.evaluate(W0 + 3 * DAY));
    };
    const shown = () => events.map((x) => [x.type, x.window_start.slice(0, 10), x.value]);
    judge(0, 1, 6); // 6 % on one window: not yet
    expect(events).toEqual([]);
    judge(1, 1, 6); // 6 % on two in a row: fires on the second
    judge(2, 1, 6); // and on the third, whose chain is the second
    expect(shown()).toEqual([
      ['alert.firing', '2026-11-03', 0.06],
      ['alert.firing', '2026-11-04', 0.06],
    ]);
    judge(1, 2, 5); // the second window back to 5 %, the threshold, not to clear (4 %): both alerts hold
    judge(0, 2, 5); // so does the first window, the second's chain
    expect(events).toHaveLength(2);
    judge(1, 3, 4); // the second window at clear: its alert resolves, and so does the third's, whose chain it is
    expect(shown().slice(2)).toEqual([
      ['alert.resolved', '2026-11-03', 0.04],
      ['alert.resolved', '2026-11-04', 0.06],
    ]);
    // Each resolution says what came back.
    expect(events.slice(2).map((x) => x.explanation)).toEqual([
      'defect_rate of employee a in the window from 2026-11-03T00:00:00.000Z is back to 0.04 (at or below 0.04)',
      'defect_rate of employee a in the window from 2026-11-04T00:00:00.000Z is 0.06, but the window from 2026-11-03T00:00:00.000Z before it is back to 0.04 (at or below 0.04): no longer 2 windows in a row',
    ]);
  });

  test("a station's alert resolves when the window, or its chain's, loses its employees to another station", () => {
    const e = evaluatorOf([stationDefects, { ...stationDefects, name: 'two-days', for_windows: 2 }]);
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    e.applyWindow(inspected('a', 'S1', 1, 1, 100, 6));
    expect(e.evaluate(W0).map((x) => [x.type, x.rule, x.window_start.slice(0, 10)])).toEqual([
      ['alert.firing', 'station-defects', '2026-11-02'],
      ['alert.firing', 'station-defects', '2026-11-03'],
      ['alert.firing', 'two-days', '2026-11-03'],
    ]);
    // The first day's units were a's at S2 after all: S1 has no window that day, and no longer two in a row.
    e.applyWindow(inspected('a', 'S2', 0, 2, 100, 6));
    const resolved = e.evaluate(W0 + MINUTE).filter((x) => x.station_id === 'S1');
    expect(resolved.map((x) => [x.type, x.rule, x.window_start.slice(0, 10), x.value, x.explanation])).toEqual([
      ['alert.resolved', 'station-defects', '2026-11-02', null, 'defect_rate of station S1 in the window from 2026-11-02T00:00:00.000Z has no value any more'],
      [
        'alert.resolved',
        'two-days',
        '2026-11-03',
        0.06,
        'defect_rate of station S1 in the window from 2026-11-03T00:00:00.000Z is 0.06, but not enough judged windows before it remain: no longer 2 windows in a row',
      ],
    ]);
  });

  test('after a resolution the same alert fires again once the cooldown is over, not 1 ms before, and says so as a firing', () => {
    const e = evaluatorOf([stationDefects]); // cooldown 10m
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    e.evaluate(W0);
    e.applyWindow(inspected('a', 'S1', 0, 2, 100, 4));
    expect(e.evaluate(W0 + MINUTE).map((x) => x.type)).toEqual(['alert.resolved']);
    e.applyWindow(inspected('a', 'S1', 0, 3, 100, 6));
    expect(e.evaluate(W0 + MINUTE + 10 * MINUTE - 1)).toEqual([]);
    expect(e.evaluate(W0 + MINUTE + 10 * MINUTE).map((x) => [x.type, x.explanation])).toEqual([
      ['alert.firing', 'defect_rate of station S1 in the window from 2026-11-02T00:00:00.000Z is 0.06 (units_inspected 100), above 0.05'],
    ]);
  });

  test('a firing alert whose window is no longer judged (its sample fell under min_sample) holds; judged again, it can resolve', () => {
    const e = evaluatorOf([stationDefects]); // min_sample 50
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    expect(e.evaluate(W0).map((x) => x.type)).toEqual(['alert.firing']);
    e.applyWindow(inspected('a', 'S1', 0, 2, 40, 1)); // a recount: 40 inspected, fewer than 50
    expect(e.evaluate(W0 + MINUTE)).toEqual([]);
    e.applyWindow(inspected('a', 'S1', 0, 3, 100, 4));
    expect(e.evaluate(W0 + 2 * MINUTE).map((x) => [x.type, x.value])).toEqual([['alert.resolved', 0.04]]);
  });

  test("a report's own figures are metrics of the employee's window; other metrics come from the measures", () => {
    const e = evaluatorOf([{ name: 'claims', metric: 'reported_units', scope: 'employee', above: 100, severity: 'low', disclose: true }]);
    e.applyWindow({ ...inspected('a', 'S1', 0, 1, 100, 1), report: { units: 120, run_hours: 7.5, defective_units: 0, self_score: 95 } });
    expect(e.evaluate(W0)).toEqual([
      expect.objectContaining({
        rule: 'claims',
        employee_id: 'a',
        station_id: 'S1',
        value: 120,
        explanation: 'reported_units of employee a in the window from 2026-11-02T00:00:00.000Z is 120, above 100',
      }),
    ]);
    expect(e.valueOf('self_score', 'employee', 'a', W0)).toBe(95);
    expect(e.valueOf('reported_run_hours', 'employee', 'a', W0)).toBe(7.5);
    expect(e.valueOf('reported_defective_units', 'employee', 'a', W0)).toBe(0);
    expect(e.valueOf('defect_rate', 'employee', 'a', W0)).toBe(0.01);
    expect(e.valueOf('self_score', 'station', 'S1', W0)).toBeNull();
  });

  test('windows that arrive out of order chain in time order', () => {
    const e = evaluatorOf([{ ...stationDefects, name: 'two-days', scope: 'employee', for_windows: 2 }]);
    for (const day of [2, 0, 1]) e.applyWindow(inspected('a', 'S1', day, 1, 100, 6));
    expect(
      e
        .evaluate(W0)
        .map((x) => x.window_start.slice(0, 10))
        .sort(),
    ).toEqual(['2026-11-03', '2026-11-04']);
  });

  test('the shipped low-efficiency rule holds while a window of its chain is corrected to between threshold and clear', () => {
    // deploy/alert-rules.yaml: below 0.6 for 2 windows in a row (8 run hours each at least), clears at 0.65.
    const shipped = loadRules(join(projectRoot(), 'deploy', 'alert-rules.yaml'), catalog).filter((r) => r.name === 'low-efficiency');
    expect(shipped).toEqual([expect.objectContaining({ forWindows: 2, threshold: 0.6, clear: 0.65, minSample: 8, disclose: false })]);
    const rules = shipped.map((r) => ({ ...r, disclose: true })); // its explanation, as a disclosing rule sends it
    const e = new AlertEvaluator(rules, catalog, DEFAULT_SCORING, PRIVACY);
    e.applyWindow(efficiency(0, 0.5));
    e.applyWindow(efficiency(1, 0.55));
    e.applyWindow(efficiency(2, 1)); // both systems have reached a later window: the first two are judged
    expect(e.evaluate(W0).map((x) => [x.type, x.window_start, x.value])).toEqual([['alert.firing', '2026-11-03T00:00:00.000Z', 0.55]]);
    e.applyWindow(efficiency(0, 0.62, 8, 2)); // the chain's window: above the threshold, still below clear
    expect(e.evaluate(W0 + MINUTE)).toEqual([]);
    e.applyWindow(efficiency(1, 0.64, 8, 2)); // the alert's own window, likewise
    expect(e.evaluate(W0 + 2 * MINUTE)).toEqual([]);
    e.applyWindow(efficiency(0, 0.65, 8, 3)); // the chain's window at clear: resolves
    expect(e.evaluate(W0 + 3 * MINUTE).map((x) => [x.type, x.window_start, x.explanation])).toEqual([
      [
        'alert.resolved',
        '2026-11-03T00:00:00.000Z',
        'efficiency of employee a in the window from 2026-11-03T00:00:00.000Z is 0.64, but the window from 2026-11-02T00:00:00.000Z before it is back to 0.65 (at or above 0.65): no longer 2 windows in a row',
      ],
    ]);
  });
});

describe('columns that compare systems', () => {
  const HOUR = 3_600_000;
  const slow = { name: 'slow', metric: 'efficiency', scope: 'employee', below: 0.6, min_sample: 4, severity: 'medium', disclose: true };
  /** An employee-window with `runHours` of telemetry and `standardHours` of units reported by the MES. */
  const shift = (employee: string, station: string, day: number, version: number, runHours: number, standardHours: number) =>
    snapshot(employee, station, day, version, { run_ms: runHours * HOUR, standard_ms: standardHours * HOUR, units: standardHours > 0 ? 10 : 0 });

  test("efficiency is not judged while a shift's units are still on their way, only once the MES and telemetry have moved on", () => {
    const e = evaluatorOf([slow]);
    // The shift's telemetry arrived before the MES reported its units: efficiency 0 with 6.47 run hours must not accuse anyone.
    e.applyWindow(shift('a', 'S1', 0, 1, 6.47, 0));
    expect(e.evaluate(W0)).toEqual([]);
    // Part of the units are in, and telemetry has reached the next shift: still not judged (0.15 would be a false alert).
    e.applyWindow(shift('a', 'S1', 0, 2, 6.47, 1));
    e.applyWindow(shift('a', 'S1', 1, 1, 2, 0));
    expect(e.evaluate(W0 + DAY)).toEqual([]);
    // The MES has reported the whole shift and moved on to the next one: judged, and fine.
    e.applyWindow(shift('a', 'S1', 0, 3, 6.47, 5.5));
    e.applyWindow(shift('a', 'S1', 1, 2, 6.5, 1));
    expect(e.evaluate(W0 + DAY)).toEqual([]);
    expect(e.valueOf('efficiency', 'employee', 'a', W0)).toBeCloseTo(5.5 / 6.47);
    // A shift that really was slow is judged as soon as both systems reached the next one.
    e.applyWindow(shift('a', 'S1', 1, 3, 6.5, 2.6));
    expect(e.evaluate(W0 + DAY)).toEqual([]);
    e.applyWindow(shift('a', 'S1', 2, 1, 1, 0.9));
    const events = e.evaluate(W0 + 2 * DAY);
    expect(events.map((x) => [x.type, x.window_start, x.value])).toEqual([['alert.firing', '2026-11-03T00:00:00.000Z', 0.4]]);
    expect(events[0]!.explanation).toBe('efficiency of employee a in the window from 2026-11-03T00:00:00.000Z is 0.4 (run_hours 6.5), below 0.6');
  });

  test("a station's window waits for every employee in it; a shift without any units from the MES (an outage) is never judged", () => {
    const e = evaluatorOf([slow, { ...slow, name: 'slow-station', scope: 'station', min_sample: 8, disclose: false }]);
    e.applyWindow(shift('a', 'S1', 0, 1, 7, 6));
    e.applyWindow(shift('a', 'S1', 1, 1, 7, 6));
    e.applyWindow(shift('b', 'S1', 0, 1, 7, 0.5)); // b's units of day 0 still on their way: S1 would be at 6.5 / 14
    expect(e.evaluate(W0 + DAY)).toEqual([]);
    e.applyWindow(shift('b', 'S1', 0, 2, 7, 1.4));
    e.applyWindow(shift('b', 'S1', 1, 1, 1, 1));
    const events = e.evaluate(W0 + DAY);
    expect(events.map((x) => [x.rule, x.scope, x.window_start, x.value])).toEqual([
      ['slow', 'employee', '2026-11-02T00:00:00.000Z', 0.2],
      ['slow-station', 'station', '2026-11-02T00:00:00.000Z', 7.4 / 14],
    ]);
    // c's telemetry ran all shift and the MES sent nothing for it (then reported the next shift): a gap, not a slow shift.
    e.applyWindow(shift('c', 'S2', 0, 1, 7, 0));
    e.applyWindow(shift('c', 'S2', 1, 1, 7, 6));
    expect(e.evaluate(W0 + DAY)).toEqual([]);
  });

  test("a station's and the plant's window are judged once the employee's systems reach a later window, at any station", () => {
    const e = evaluatorOf([
      { ...slow, name: 'slow-station', scope: 'station', disclose: false },
      { ...slow, name: 'slow-plant', scope: 'plant', disclose: false },
    ]);
    e.applyWindow(shift('a', 'S1', 0, 1, 8, 4));
    expect(e.evaluate(W0)).toEqual([]);
    e.applyWindow(shift('a', 'S2', 1, 1, 8, 8)); // the next shift, at another station
    const events = e.evaluate(W0 + DAY).sort((x, y) => x.rule.localeCompare(y.rule));
    expect(events.map((x) => [x.rule, x.scope, x.employee_id, x.station_id, x.value, x.explanation])).toEqual([
      ['slow-plant', 'plant', null, null, 0.5, 'efficiency of the plant in the window from 2026-11-02T00:00:00.000Z is 0.5 (run_hours 8), below 0.6'],
      ['slow-station', 'station', null, 'S1', 0.5, 'efficiency of station S1 in the window from 2026-11-02T00:00:00.000Z is 0.5 (run_hours 8), below 0.6'],
    ]);
  });

  test("an employee who moves to another station leaves the first station's window, which no longer waits for them", () => {
    const e = evaluatorOf([{ ...slow, name: 'slow-station', scope: 'station', disclose: false }]);
    e.applyWindow(shift('a', 'S1', 0, 1, 8, 4));
    e.applyWindow(shift('b', 'S1', 0, 1, 8, 0)); // b's units still on their way
    e.applyWindow(shift('a', 'S1', 1, 1, 8, 8));
    expect(e.evaluate(W0 + DAY)).toEqual([]); // S1 waits for b's units
    e.applyWindow(shift('b', 'S2', 0, 2, 8, 0)); // b worked at S2 that day
    expect(e.evaluate(W0 + DAY).map((x) => [x.rule, x.station_id, x.value])).toEqual([['slow-station', 'S1', 0.5]]);
  });

  test('closed windows (alerts test replays rows from ClickHouse) are judged at once: every system has reported', () => {
    const rules = parseRules({ rules: [slow] }, catalog);
    const live = new AlertEvaluator(rules, catalog, DEFAULT_SCORING, PRIVACY);
    const closed = new AlertEvaluator(rules, catalog, DEFAULT_SCORING, PRIVACY, { closed: true });
    for (const e of [live, closed]) e.applyWindow(shift('a', 'S1', 0, 1, 8, 4));
    expect(live.evaluate(W0)).toEqual([]);
    expect(closed.evaluate(W0).map((x) => [x.rule, x.value])).toEqual([['slow', 0.5]]);
  });

  test('a score waits for the systems the columns compare as well', () => {
    const e = evaluatorOf([{ name: 'any-score', metric: 'score', scope: 'employee', below: 101, severity: 'low' }]);
    e.applyWindow(shift('a', 'S1', 0, 1, 6, 0));
    e.applyWindow(shift('a', 'S1', 1, 1, 1, 0));
    expect(e.evaluate(W0 + DAY)).toEqual([]);
    e.applyWindow(shift('a', 'S1', 0, 2, 6, 5));
    e.applyWindow(shift('a', 'S1', 1, 2, 1, 1));
    expect(e.evaluate(W0 + DAY).map((x) => [x.rule, x.window_start])).toEqual([['any-score', '2026-11-02T00:00:00.000Z']]);
  });
});

/** A flag of employee a's first window at S1. */
const flagOf = (o: Partial<FlagSummary> = {}): FlagSummary => ({
  employeeId: 'a',
  stationId: 'S1',
  windowStart: W0,
  windowEnd: W0 + DAY,
  kind: 'units_overclaim',
  method: 'sequential',
  severity: 'high',
  explanation: 'Reported more units than the MES counted on 9 of 10 shifts',
  ...o,
});

/** Applies a flag as one that stands: detection raised it and a reviewer confirmed it. */
function standing(e: AlertEvaluator, flag: FlagSummary): void {
  e.applyFlag(flagInputKey(flag), flag);
  e.applyFlagStatus(flagId(flag), 'confirmed');
}

describe('anomaly rules', () => {
  test('a flag of the kind and severity fires, its removal resolves; a measurement gap never alerts, whatever the rule', () => {
    const e = evaluatorOf([
      { name: 'inflated-units', anomaly: 'units_overclaim', min_severity: 'medium', severity: 'high', disclose: true },
      { name: 'any-inflation', anomaly: 'any', severity: 'low' },
    ]);
    standing(e, flagOf({ kind: 'measurement_gap', method: 'coverage' }));
    standing(e, flagOf({ severity: 'low' }));
    expect(e.evaluate(W0).map((x) => [x.rule, x.anomaly])).toEqual([['any-inflation', 'units_overclaim']]);
    const high = flagOf({ method: 'single_window' });
    standing(e, high);
    const [firing] = e.evaluate(W0);
    expect(firing).toMatchObject({
      type: 'alert.firing',
      rule: 'inflated-units',
      employee_id: 'a',
      station_id: 'S1',
      anomaly: 'units_overclaim',
      value: null,
      metric: null,
    });
    expect(firing!.explanation).toBe(high.explanation);
    e.applyFlag(flagInputKey(high), null);
    e.applyFlag(flagInputKey(flagOf({ severity: 'low' })), null);
    expect(e.evaluate(W0 + MINUTE).map((x) => [x.type, x.rule])).toEqual([
      ['alert.resolved', 'inflated-units'],
      ['alert.resolved', 'any-inflation'],
    ]);
  });
});

describe('anomaly rules follow the review of each flag', () => {
  const anyFlag = { name: 'any-inflation', anomaly: 'any', severity: 'low' };
  const flag = flagOf();

  test.each([
    ['confirmed', 1],
    ['disputed', 1],
    ['proposed', 0],
    ['dismissed', 0],
    ['measurement_problem', 0],
    ['overturned', 0],
  ] as const)('a flag %s raises %i alerts', (status, alerts) => {
    const e = evaluatorOf([anyFlag]);
    e.applyFlag(flagInputKey(flag), flag);
    e.applyFlagStatus(flagId(flag), status);
    expect(e.evaluate(W0)).toHaveLength(alerts);
  });

  test('a proposed flag raises nothing; once confirmed it fires; a dispute holds it; upheld, it resolves under the same fingerprint', () => {
    const e = evaluatorOf([anyFlag]);
    e.applyFlag(flagInputKey(flag), flag);
    expect(e.evaluate(W0)).toEqual([]);
    e.applyFlagStatus(flagId(flag), 'confirmed');
    const [firing] = e.evaluate(W0 + MINUTE);
    expect(firing).toMatchObject({ type: 'alert.firing', employee_id: pseudonym('a'), anomaly: 'units_overclaim' });
    e.applyFlagStatus(flagId(flag), 'disputed');
    expect(e.evaluate(W0 + 2 * MINUTE)).toEqual([]);
    e.applyFlagStatus(flagId(flag), 'overturned');
    const [resolved] = e.evaluate(W0 + 3 * MINUTE);
    expect(resolved).toMatchObject({ type: 'alert.resolved', fingerprint: firing!.fingerprint, employee_id: pseudonym('a'), anomaly: 'units_overclaim' });
    expect(resolved!.explanation).toBe(`A flag about a person no longer stands: ${firing!.review_url}`);
    // What the evaluator keeps says why.
    expect(e.statesOf([resolved!])[0]!.last.explanation).toBe(
      'The units_overclaim flag of employee a in the window from 2026-11-02T00:00:00.000Z no longer stands: a dispute overturned it',
    );
    // The same status read again (a replay of the inputs topic) raises nothing.
    e.applyFlagStatus(flagId(flag), 'overturned');
    expect(e.evaluate(W0 + 4 * MINUTE)).toEqual([]);
  });

  test('a dispute rejected leaves the flag confirmed: the alert keeps firing', () => {
    const e = evaluatorOf([anyFlag]);
    standing(e, flag);
    expect(e.evaluate(W0)).toHaveLength(1);
    e.applyFlagStatus(flagId(flag), 'disputed');
    e.applyFlagStatus(flagId(flag), 'confirmed');
    expect(e.evaluate(W0 + MINUTE)).toEqual([]);
  });

  test('a status read before its flag (the inputs in another order) counts once the flag comes', () => {
    const e = evaluatorOf([anyFlag]);
    e.applyFlagStatus(flagId(flag), 'confirmed');
    expect(e.evaluate(W0)).toEqual([]);
    e.applyFlag(flagInputKey(flag), flag);
    expect(e.evaluate(W0).map((x) => x.type)).toEqual(['alert.firing']);
  });

  test("a status is the flag's own: another flag of the same window stays proposed", () => {
    const e = evaluatorOf([anyFlag]);
    const hours = flagOf({ kind: 'run_hours_overclaim' });
    e.applyFlag(flagInputKey(flag), flag);
    e.applyFlag(flagInputKey(hours), hours);
    e.applyFlagStatus(flagId(hours), 'dismissed');
    expect(e.evaluate(W0)).toEqual([]);
    e.applyFlagStatus(flagId(flag), 'confirmed');
    expect(e.evaluate(W0).map((x) => x.anomaly)).toEqual(['units_overclaim']);
  });
});

describe('anomaly rules: several flags', () => {
  const flag = (o: Partial<FlagSummary> = {}) => flagOf({ severity: 'medium', explanation: 'units', ...o });
  // Disclosing: which flag names an alert shows in the explanation it carries.
  const rules = [
    { name: 'inflated-units', anomaly: 'units_overclaim', min_severity: 'medium', severity: 'high', disclose: true },
    { name: 'any-inflation', anomaly: 'any', severity: 'low', disclose: true },
  ];

  test('the most severe flag of a window names the alert (ties: the first kind by name); a rule for one kind ignores others', () => {
    const e = evaluatorOf(rules);
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 1)); // a window without flags raises nothing
    expect(e.evaluate(W0)).toEqual([]);
    const flags = [
      flag({ kind: 'self_score_inflated', severity: 'medium', explanation: 'score' }),
      flag({ kind: 'run_hours_overclaim', severity: 'high', explanation: 'hours' }),
      flag({ kind: 'units_overclaim', severity: 'low', explanation: 'units' }),
    ];
    for (const f of flags) standing(e, f);
    // units_overclaim is only low: inflated-units does not fire; the high flag names the other alert.
    expect(e.evaluate(W0).map((x) => [x.rule, x.anomaly, x.explanation, x.station_id])).toEqual([['any-inflation', 'run_hours_overclaim', 'hours', 'S1']]);

    const tie = evaluatorOf(rules);
    for (const f of [flag({ kind: 'units_overclaim' }), flag({ kind: 'run_hours_overclaim', explanation: 'hours' })]) standing(tie, f);
    expect(tie.evaluate(W0).map((x) => [x.rule, x.anomaly])).toEqual([
      ['inflated-units', 'units_overclaim'],
      ['any-inflation', 'run_hours_overclaim'],
    ]);
  });

  test('an alert holds while any matching flag stands, and its resolution says which flags no longer do', () => {
    const e = evaluatorOf(rules);
    const units = flag();
    const hours = flag({ kind: 'run_hours_overclaim' });
    standing(e, units);
    standing(e, hours);
    expect(e.evaluate(W0)).toHaveLength(2);
    e.applyFlag(flagInputKey(hours), null); // the units flag still stands
    expect(e.evaluate(W0 + MINUTE)).toEqual([]);
    e.applyFlag(flagInputKey(units), null);
    expect(e.evaluate(W0 + 2 * MINUTE).map((x) => [x.type, x.anomaly, x.station_id, x.explanation])).toEqual([
      [
        'alert.resolved',
        'units_overclaim',
        'S1',
        'No units_overclaim flag of medium or high severity stands any more for employee a in the window from 2026-11-02T00:00:00.000Z',
      ],
      [
        'alert.resolved',
        'run_hours_overclaim',
        'S1',
        'No inflation flag of low or medium or high severity stands any more for employee a in the window from 2026-11-02T00:00:00.000Z',
      ],
    ]);
  });
});

describe('restart', () => {
  test('a restarted evaluator with its states raises nothing again; without the last state it raises the same event, same id', () => {
    const rules = [stationDefects];
    const inputs = [inspected('a', 'S1', 0, 1, 100, 6), inspected('b', 'S1', 0, 1, 100, 4), inspected('a', 'S1', 1, 1, 100, 9)];
    const first = evaluatorOf(rules);
    for (const s of inputs) first.applyWindow(s);
    const events = first.evaluate(W0);
    expect(events.map((x) => [x.type, x.window_start])).toEqual([['alert.firing', '2026-11-03T00:00:00.000Z']]);
    const states = first.statesOf(events);

    const restarted = evaluatorOf(rules);
    for (const s of [...inputs].reverse()) restarted.applyWindow(s);
    for (const state of states) restarted.restoreAlert(state);
    expect(restarted.evaluateAll(W0 + MINUTE)).toEqual([]);

    const crashedBeforeItsState = evaluatorOf(rules);
    for (const s of inputs) crashedBeforeItsState.applyWindow(s);
    expect(crashedBeforeItsState.evaluateAll(W0 + MINUTE).map((x) => x.id)).toEqual(events.map((x) => x.id));
  });
});

describe('restart and memory', () => {
  /** The states of one alert over its life: fired (generation 1), resolved, fired again (generation 2); the window ends at 4 %. */
  function lifeOfAnAlert() {
    const e = evaluatorOf([{ ...stationDefects, cooldown: '0s' }]);
    const states: AlertState[] = [];
    let version = 0;
    for (const defective of [6, 4, 6, 4]) {
      e.applyWindow(inspected('a', 'S1', 0, ++version, 100, defective));
      const events = e.evaluate(W0 + version * MINUTE);
      states.push(...e.statesOf(events));
    }
    const inputs = inspected('a', 'S1', 0, version, 100, 4);
    const restarted = () => {
      const r = evaluatorOf([{ ...stationDefects, cooldown: '0s' }]);
      r.applyWindow(inputs);
      return r;
    };
    return { states, restarted };
  }

  test('restored states: a newer generation wins; of the same generation, the resolution', () => {
    const { states, restarted } = lifeOfAnAlert();
    const [firing1, resolved1, firing2] = states;
    expect([firing1, resolved1, firing2].map((x) => [x!.firing, x!.generation])).toEqual([
      [true, 1],
      [false, 1],
      [true, 2],
    ]);
    const resolutionOf = (...restored: AlertState[]) => {
      const r = restarted();
      for (const state of restored) r.restoreAlert(state);
      return r.evaluateAll(W0 + DAY).map((x) => x.id);
    };
    const fingerprint = firing1!.fingerprint;
    // Generation 2 still firing: the restart resolves it (the window is at 4 %), with generation 2's resolution id.
    expect(resolutionOf(firing2!, resolved1!, firing1!)).toEqual([eventIdOf(fingerprint, 'alert.resolved', 2)]);
    expect(resolutionOf(resolved1!, firing1!)).toEqual([]);
    expect(resolutionOf(firing1!, resolved1!)).toEqual([]);
    expect(resolutionOf(firing1!)).toEqual([eventIdOf(fingerprint, 'alert.resolved', 1)]);
    // A resolution restored first does not keep a newer generation's firing out.
    expect(resolutionOf(resolved1!, firing2!)).toEqual([eventIdOf(fingerprint, 'alert.resolved', 2)]);
  });

  test('evaluateAll judges every window again, and every firing alert, even on a window that has no value any more', () => {
    const e = evaluatorOf([stationDefects]);
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    const [firing] = e.evaluate(W0);
    // An alert state written as resolved, though its window still breaches: evaluateAll fires it again.
    const again = evaluatorOf([stationDefects]);
    again.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    again.evaluate(W0);
    again.restoreAlert({ ...e.statesOf([firing!])[0]!, firing: false, resolved_at: W0 });
    expect(again.evaluateAll(W0 + DAY).map((x) => [x.type, x.id])).toEqual([['alert.firing', eventIdOf(firing!.fingerprint, 'alert.firing', 2)]]);
    // The station's window lost its only employee to S2 while the evaluator was down: its firing alert resolves.
    const moved = evaluatorOf([stationDefects]);
    moved.applyWindow(inspected('a', 'S2', 0, 2, 100, 1));
    moved.restoreAlert(e.statesOf([firing!])[0]!);
    expect(moved.evaluateAll(W0 + DAY).map((x) => [x.type, x.station_id, x.explanation])).toEqual([
      ['alert.resolved', 'S1', 'defect_rate of station S1 in the window from 2026-11-02T00:00:00.000Z has no value any more'],
    ]);
    // Likewise the plant's, whose window has no key.
    const plantRule = { ...stationDefects, name: 'plant-defects', scope: 'plant' };
    const plant = evaluatorOf([plantRule]);
    plant.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    const plantFiring = plant.statesOf(plant.evaluate(W0));
    const empty = evaluatorOf([plantRule]);
    for (const state of plantFiring) empty.restoreAlert(state);
    expect(empty.evaluateAll(W0 + DAY).map((x) => [x.type, x.rule, x.explanation])).toEqual([
      ['alert.resolved', 'plant-defects', 'defect_rate of the plant in the window from 2026-11-02T00:00:00.000Z has no value any more'],
    ]);
  });

  test('forget drops the windows that ended before a time, and their alerts that are not firing; their flags stand', () => {
    const flagged = flagOf({ explanation: 'units' });
    const recent = { ...flagged, windowStart: W0 + DAY, windowEnd: W0 + 2 * DAY };
    const e = evaluatorOf([
      { ...stationDefects, scope: 'employee' },
      { name: 'any-inflation', anomaly: 'any', severity: 'low' },
    ]);
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    e.applyWindow(inspected('a', 'S1', 1, 1, 100, 1));
    for (const f of [flagged, recent]) standing(e, f);
    expect(e.evaluate(W0)).toHaveLength(3);
    e.applyWindow(inspected('a', 'S1', 0, 2, 100, 4));
    const [resolved] = e.evaluate(W0 + MINUTE);
    expect(resolved).toMatchObject({ type: 'alert.resolved', rule: 'station-defects' });

    e.forget(W0 + DAY); // the first window ends at W0 + DAY: not before it
    expect(e.valueOf('defect_rate', 'employee', 'a', W0)).toBe(0.04);
    e.forget(W0 + DAY + 1);
    expect(e.valueOf('defect_rate', 'employee', 'a', W0)).toBeNull();
    expect(e.valueOf('defect_rate', 'employee', 'a', W0 + DAY)).toBe(0.01);
    // Its flag left memory without being withdrawn: the alert on it does not resolve, and stays firing.
    expect(e.evaluate(W0 + 2 * MINUTE)).toEqual([]);
    // Were the forgotten window's inputs read again (a replay), its first version counts anew; the resolved alert on
    // it was forgotten (it fires as generation 1 again), the firing one was not (its flag raises nothing new).
    expect(e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6))).toBe(true);
    standing(e, flagged);
    expect(e.evaluate(W0 + 3 * MINUTE).map((x) => [x.type, x.rule, x.id])).toEqual([
      ['alert.firing', 'station-defects', eventIdOf(resolved!.fingerprint, 'alert.firing', 1)],
    ]);
    // The recent window's flag is still known: withdrawing it resolves its alert.
    e.applyFlag(flagInputKey(recent), null);
    expect(e.evaluate(W0 + 4 * MINUTE).map((x) => [x.type, x.window_start])).toEqual([['alert.resolved', '2026-11-03T00:00:00.000Z']]);
  });

  test('forget keeps what ends exactly at the time: a repeat of its snapshot changes nothing, and its resolved alert keeps its cooldown', () => {
    const e = evaluatorOf([{ ...stationDefects, scope: 'employee' }]); // cooldown 10m
    for (const day of [0, 1, 2]) e.applyWindow(inspected('a', 'S1', day, 1, 100, 6));
    expect(e.evaluate(W0)).toHaveLength(3);
    for (const day of [0, 1, 2]) e.applyWindow(inspected('a', 'S1', day, 2, 100, 1));
    expect(e.evaluate(W0 + MINUTE).map((x) => x.type)).toEqual(['alert.resolved', 'alert.resolved', 'alert.resolved']);

    e.forget(W0 + 2 * DAY); // day 0 ended before it, day 1 ends at it
    expect([1, 2].map((day) => e.applyWindow(inspected('a', 'S1', day, 2, 100, 1)))).toEqual([false, false]);
    expect(e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6))).toBe(true); // read anew: day 0's snapshots were forgotten
    for (const day of [1, 2]) e.applyWindow(inspected('a', 'S1', day, 3, 100, 6));
    // All three breach again within the cooldown: only day 0's alert, whose resolution was forgotten, fires (as generation 1).
    const shown = (events: AlertEvent[]) => events.map((x) => [x.type, x.window_start.slice(0, 10), x.id]);
    const fingerprint = (day: number) => fingerprintOf('station-defects', 'employee', pseudonym('a'), W0 + day * DAY);
    expect(shown(e.evaluate(W0 + 2 * MINUTE))).toEqual([['alert.firing', '2026-11-02', eventIdOf(fingerprint(0), 'alert.firing', 1)]]);
    expect(shown(e.evaluate(W0 + 11 * MINUTE))).toEqual([
      ['alert.firing', '2026-11-03', eventIdOf(fingerprint(1), 'alert.firing', 2)],
      ['alert.firing', '2026-11-04', eventIdOf(fingerprint(2), 'alert.firing', 2)],
    ]);
  });

  test('a withdrawal comes too late for a flag of a window that ended before the time forgotten, not for one ending at it', () => {
    const e = evaluatorOf([{ name: 'any-inflation', anomaly: 'any', severity: 'low' }]);
    const old = flagOf({ explanation: 'units' }); // ends at W0 + DAY
    const last = flagOf({ explanation: 'units', windowStart: W0 + DAY, windowEnd: W0 + 2 * DAY });
    for (const f of [old, last]) standing(e, f);
    expect(e.evaluate(W0)).toHaveLength(2);
    e.forget(W0 + 2 * DAY);
    for (const f of [old, last]) e.applyFlag(flagInputKey(f), null);
    expect(e.evaluate(W0 + MINUTE).map((x) => [x.type, x.window_start])).toEqual([['alert.resolved', '2026-11-03T00:00:00.000Z']]);
    // A flag newly raised on the forgotten window stands beside nothing forgotten: the alert holds on it, and resolves when it goes.
    const late = flagOf({ kind: 'run_hours_overclaim', explanation: 'hours' });
    standing(e, late);
    expect(e.evaluate(W0 + 2 * MINUTE)).toEqual([]);
    e.applyFlag(flagInputKey(late), null);
    expect(e.evaluate(W0 + 3 * MINUTE).map((x) => [x.type, x.window_start])).toEqual([['alert.resolved', '2026-11-02T00:00:00.000Z']]);
  });

  test('a firing alert on a forgotten window is not judged again: not once its cooldown is over, nor when a later window moves a system on', () => {
    const e = evaluatorOf([{ ...stationDefects, scope: 'employee' }]); // cooldown 10m
    // Day 0 fires, resolves, breaches again within the cooldown (held back) and fires once the cooldown is over.
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 6));
    e.evaluate(W0);
    e.applyWindow(inspected('a', 'S1', 0, 2, 100, 1));
    e.evaluate(W0 + MINUTE);
    e.applyWindow(inspected('a', 'S1', 0, 3, 100, 6));
    expect(e.evaluate(W0 + 2 * MINUTE)).toEqual([]);
    e.applyWindow(inspected('a', 'S1', 1, 1, 100, 1)); // day 1 keeps a in memory after day 0 is forgotten
    e.applyWindow(inspected('b', 'S2', 0, 1, 100, 1)); // b has no window left after it
    expect(e.evaluate(W0 + 11 * MINUTE).map((x) => [x.type, x.window_start])).toEqual([['alert.firing', '2026-11-02T00:00:00.000Z']]);

    e.forget(W0 + DAY + 1);
    expect(e.evaluate(W0 + 12 * MINUTE)).toEqual([]);
    // Telemetry reaches a window of a's for the first time: the windows before it may be judged anew, day 0 is not among them.
    e.applyWindow(snapshot('a', 'S1', 2, 1, { run_ms: 3_600_000 }));
    expect(e.evaluate(W0 + 13 * MINUTE)).toEqual([]);
    expect([e.valueOf('defect_rate', 'employee', 'b', W0), e.valueOf('defect_rate', 'employee', 'a', W0 + DAY)]).toEqual([null, 0.01]);
  });
});

describe('what an evaluation judges', () => {
  const rule = { ...stationDefects, scope: 'employee' };
  /** The state of `rule`'s alert firing on a window where `breaching` breached it (as restored after a restart). */
  const firingOn = (breaching: WindowSnapshot, rules: unknown[] = [rule]): AlertState => {
    const before = evaluatorOf(rules);
    before.applyWindow(breaching);
    return before.statesOf(before.evaluate(W0))[0]!;
  };
  /** Each event's type, employee (by the id whose pseudonym it carries) and day. */
  const resolutions = (events: AlertEvent[]) =>
    events.map((x) => [x.type, ['a', 'S1'].find((id) => pseudonym(id) === x.employee_id), x.window_start.slice(0, 10)]);

  test('evaluate judges the windows changed since the last call and no others: a state restored on another waits for evaluateAll', () => {
    const e = evaluatorOf([rule]);
    e.applyWindow(snapshot('a', 'S1', 0, 2, { units_inspected: 100, units_defective: 1, run_ms: 3_600_000 }));
    e.applyWindow(snapshot('a', 'S1', 1, 2, { run_ms: 3_600_000 }));
    e.applyWindow(inspected('a', 'S1', 3, 2, 100, 1));
    expect(e.evaluate(W0)).toEqual([]);
    // Alerts that fired on days 0 and 3 before a restart; their windows were corrected since.
    for (const day of [0, 3]) e.restoreAlert(firingOn(inspected('a', 'S1', day, 1, 100, 9)));
    // Telemetry moves on from day 1 to day 2: day 1 may be judged anew on what compares telemetry; days 0 and 3 have not changed.
    e.applyWindow(snapshot('a', 'S1', 2, 1, { run_ms: 3_600_000 }));
    expect(e.evaluate(W0 + MINUTE)).toEqual([]);
    expect(resolutions(e.evaluateAll(W0 + 2 * MINUTE))).toEqual([
      ['alert.resolved', 'a', '2026-11-02'],
      ['alert.resolved', 'a', '2026-11-05'],
    ]);
  });

  test('with a for_windows rule, evaluate judges the windows after a changed one too (a chain reaches them), none before it', () => {
    const rules = [rule, { ...rule, name: 'two-days', for_windows: 2 }];
    const e = evaluatorOf(rules);
    for (const day of [0, 1, 3]) e.applyWindow(inspected('a', 'S1', day, 2, 100, 1));
    expect(e.evaluate(W0)).toEqual([]);
    for (const day of [0, 3]) e.restoreAlert(firingOn(inspected('a', 'S1', day, 1, 100, 9), rules));
    e.applyWindow(inspected('a', 'S1', 2, 1, 100, 1));
    expect(resolutions(e.evaluate(W0 + MINUTE))).toEqual([['alert.resolved', 'a', '2026-11-05']]);
    expect(resolutions(e.evaluateAll(W0 + 2 * MINUTE))).toEqual([['alert.resolved', 'a', '2026-11-02']]);
  });

  test("a rule is judged on its own scope's windows only, even where an employee and a station share a name", () => {
    const e = evaluatorOf([rule]);
    e.applyWindow(inspected('S1', 'S2', 0, 2, 100, 1)); // employee S1, at station S2
    e.applyWindow(inspected('a', 'S1', 0, 1, 100, 1));
    expect(e.evaluate(W0)).toEqual([]);
    e.restoreAlert(firingOn(inspected('S1', 'S2', 0, 1, 100, 9)));
    e.applyWindow(inspected('a', 'S1', 0, 2, 100, 2)); // station S1's window changes, employee S1's does not
    expect(e.evaluate(W0 + MINUTE)).toEqual([]);
    expect(resolutions(e.evaluateAll(W0 + 2 * MINUTE))).toEqual([['alert.resolved', 'S1', '2026-11-02']]);
  });

  test('withdrawing a flag that is not there (a withdrawal read twice) changes nothing', () => {
    const anyFlag = { name: 'any-inflation', anomaly: 'any', severity: 'low' };
    const flag = flagOf();
    const before = evaluatorOf([anyFlag]);
    standing(before, flag);
    const [firing] = before.statesOf(before.evaluate(W0));
    const e = evaluatorOf([anyFlag]);
    standing(e, flag);
    e.applyFlag(flagInputKey(flag), null);
    expect(e.evaluate(W0)).toEqual([]);
    e.restoreAlert(firing!);
    e.applyFlag(flagInputKey(flag), null);
    expect(e.evaluate(W0 + MINUTE)).toEqual([]);
    expect(resolutions(e.evaluateAll(W0 + 2 * MINUTE))).toEqual([['alert.resolved', 'a', '2026-11-02']]);
  });
});

describe('people in alert events', () => {
  const person = 'E-4711';
  const employeeDefects = { ...stationDefects, name: 'employee-defects', scope: 'employee' };
  const named = { ...employeeDefects, name: 'employee-defects-named', disclose: true };
  const anyFlag = { name: 'any-inflation', anomaly: 'any', severity: 'high' };
  const flag = flagOf({ employeeId: person, explanation: 'Reported 300 units, the MES counted 200' });

  test('by default an event about a person carries the pseudonym, a neutral line without figures and the review page', () => {
    const e = evaluatorOf([employeeDefects]);
    e.applyWindow(inspected(person, 'S1', 0, 1, 100, 9));
    const [firing] = e.evaluate(W0);
    const reviewUrl = `https://people.example/flags/${firing!.fingerprint}`;
    expect(firing).toMatchObject({ scope: 'employee', employee_id: pseudonym(person), station_id: 'S1', value: 0.09, review_url: reviewUrl });
    expect(isPseudonym(firing!.employee_id!)).toBe(true);
    expect(firing!.explanation).toBe(`A person's defect_rate breaches an alert rule; see ${reviewUrl}`);
    expect(JSON.stringify(firing)).not.toContain(person);
    expect(firing!.explanation.replace(reviewUrl, '')).not.toMatch(/\d/);
    // The resolution likewise; what the evaluator keeps for itself (kpi.alert_inputs.v1) names the employee.
    e.applyWindow(inspected(person, 'S1', 0, 2, 100, 1));
    const [resolved] = e.evaluate(W0 + MINUTE);
    expect(resolved).toMatchObject({ type: 'alert.resolved', employee_id: pseudonym(person), review_url: reviewUrl });
    expect(resolved!.explanation).toBe(`A person's defect_rate no longer breaches the alert rule; see ${reviewUrl}`);
    expect(e.statesOf([resolved!])[0]!.last).toMatchObject({ employee_id: person, explanation: expect.stringContaining(`employee ${person}`) });
  });

  test("an anomaly rule's events say a flag was confirmed, never the flag's explanation", () => {
    const e = evaluatorOf([anyFlag]);
    standing(e, flag);
    const [firing] = e.evaluate(W0);
    expect(firing).toMatchObject({
      employee_id: pseudonym(person),
      anomaly: 'units_overclaim',
      review_url: `https://people.example/flags/${firing!.fingerprint}`,
    });
    expect(firing!.explanation).toBe(`A flag about a person was confirmed on review: ${firing!.review_url}`);
    e.applyFlag(flagInputKey(flag), null);
    const [resolved] = e.evaluate(W0 + MINUTE);
    expect(resolved!.explanation).toBe(`A flag about a person no longer stands: ${firing!.review_url}`);
    expect(JSON.stringify([firing, resolved])).not.toMatch(/E-4711|Reported 300/);
  });

  test('a rule with disclose: true names the employee and explains with the figures, and links the review page too', () => {
    const e = evaluatorOf([named, { ...anyFlag, disclose: true }]);
    e.applyWindow(inspected(person, 'S1', 0, 1, 100, 9));
    standing(e, flag);
    const [metric, anomaly] = e.evaluate(W0);
    expect(metric).toMatchObject({
      employee_id: person,
      explanation: `defect_rate of employee ${person} in the window from 2026-11-02T00:00:00.000Z is 0.09 (units_inspected 100), above 0.05`,
      review_url: `https://people.example/flags/${metric!.fingerprint}`,
    });
    expect(anomaly).toMatchObject({ employee_id: person, explanation: flag.explanation, review_url: `https://people.example/flags/${anomaly!.fingerprint}` });
  });

  test('events about a station or the plant name nobody and stay as they were, without a review page', () => {
    const e = evaluatorOf([stationDefects, { ...stationDefects, name: 'plant-defects', scope: 'plant' }]);
    e.applyWindow(inspected(person, 'S1', 0, 1, 100, 9));
    const events = e.evaluate(W0).sort((x, y) => x.scope.localeCompare(y.scope));
    expect(events.map((x) => [x.scope, x.employee_id, x.station_id, x.review_url, x.fingerprint])).toEqual([
      ['plant', null, null, null, fingerprintOf('plant-defects', 'plant', '', W0)],
      ['station', null, 'S1', null, fingerprintOf('station-defects', 'station', 'S1', W0)],
    ]);
    expect(events.map((x) => x.explanation)).toEqual([
      'defect_rate of the plant in the window from 2026-11-02T00:00:00.000Z is 0.09 (units_inspected 100), above 0.05',
      'defect_rate of station S1 in the window from 2026-11-02T00:00:00.000Z is 0.09 (units_inspected 100), above 0.05',
    ]);
  });

  test("a person's fingerprint is taken of the pseudonym: the same under the same key, not to be had from the id alone", () => {
    const fingerprintUnder = (key: string, rules: unknown[] = [employeeDefects]) => {
      const e = new AlertEvaluator(parseRules({ rules }, catalog), catalog, DEFAULT_SCORING, { ...PRIVACY, pseudonymKey: key });
      e.applyWindow(inspected(person, 'S1', 0, 1, 100, 9));
      return e.evaluate(W0)[0]!.fingerprint;
    };
    expect(fingerprintUnder(PRIVACY.pseudonymKey)).toBe(fingerprintOf('employee-defects', 'employee', pseudonym(person), W0));
    expect(fingerprintUnder(PRIVACY.pseudonymKey)).toBe(fingerprintUnder(PRIVACY.pseudonymKey));
    expect(fingerprintUnder('another key of at least 32 characters')).not.toBe(fingerprintUnder(PRIVACY.pseudonymKey));
    expect(fingerprintUnder(PRIVACY.pseudonymKey)).not.toBe(fingerprintOf('employee-defects', 'employee', person, W0));
    // A disclosing rule's fingerprint is taken the same way: the id is in its events, not in how they are keyed.
    expect(fingerprintUnder(PRIVACY.pseudonymKey, [named])).toBe(fingerprintOf('employee-defects-named', 'employee', pseudonym(person), W0));
  });

  test('an alert raised before fingerprints were taken of the pseudonym keeps its fingerprint: receivers see it resolve', () => {
    const e = evaluatorOf([employeeDefects]);
    e.applyWindow(inspected(person, 'S1', 0, 1, 100, 9));
    const state = e.statesOf(e.evaluate(W0))[0]!;
    // As an earlier version wrote it to kpi.alert_inputs.v1: the fingerprint of the plain id.
    const before = fingerprintOf('employee-defects', 'employee', person, W0);
    const upgraded = evaluatorOf([employeeDefects]);
    upgraded.applyWindow(inspected(person, 'S1', 0, 2, 100, 1));
    upgraded.restoreAlert({ ...state, fingerprint: before, last: { ...state.last, fingerprint: before, review_url: null } });
    const [resolved] = upgraded.evaluateAll(W0 + MINUTE);
    expect(resolved).toMatchObject({
      type: 'alert.resolved',
      fingerprint: before,
      id: eventIdOf(before, 'alert.resolved', 1),
      employee_id: pseudonym(person),
      review_url: `https://people.example/flags/${before}`,
    });
  });
});
