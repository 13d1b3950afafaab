import { NO_FEEDBACK, feedbackOf, type ReviewedFlag } from '../../../detection/feedback.js';
import type { SelfReportRecord } from '../../../detection/reports.js';
import { DEFAULT_RULES, detect } from '../../../detection/rules.js';
import { Random } from '../../../simulator/random.js';
import { isInflationFlag, type Flag } from '../../../contract/flag.js';
import { flagId } from '../../../contract/flagId.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 5);
const all = { from: 0, to: Date.UTC(2100, 0, 1) };

/** One shift of a steady operator (200 units, 6.4 run hours over 8 telemetry hours), reporting `units` relative to the count. */
function record(employee: string, station: string, day: number, units = 0, hours = 0): SelfReportRecord {
  return {
    employeeId: employee,
    stationId: station,
    window: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    period: { start: T0 + day * DAY, end: T0 + (day + 1) * DAY },
    reported: { units: Math.round(200 * (1 + units)), runHours: Math.round(640 * (1 + hours)) / 100, defectiveUnits: 8, selfScore: 80 },
    measured: { units: 200, standardHours: 6, runHours: 6.4, defectiveUnits: 8, score: 80 },
    coverage: { telemetryHours: 8, deadLetters: { production: 0, telemetry: 0 } },
  };
}

/** Honest operators of a station, off by up to ±2% (seeded). */
function honest(station: string, people = 12, days = 8): SelfReportRecord[] {
  const r = new Random(1, 'feedback', station);
  return Array.from({ length: people * days }, (_, i) =>
    record(`${station}-E${i % people}`, station, Math.floor(i / people), r.uniform(-0.02, 0.02), r.uniform(-0.02, 0.02)),
  );
}

/** A veteran of the station, exact on every shift but `day`, when they report `units` more. */
const veteran = (employee: string, station: string, day: number, units: number) =>
  Array.from({ length: 8 }, (_, d) => record(employee, station, d, d === day ? units : 0));

const inflation = (flags: readonly Flag[], employee: string) => flags.filter((f) => isInflationFlag(f) && f.employeeId === employee);
const reviewed = (flag: Flag, status: ReviewedFlag['status']): ReviewedFlag => ({ ...flag, status });
const feedback = (flags: readonly ReviewedFlag[]) => feedbackOf(flags, DEFAULT_RULES.spread);

describe('feedbackOf', () => {
  const base = { employeeId: 'E1', stationId: 'S1', windowStart: T0, kind: 'units_overclaim', method: 'single_window', deviation: 0.1 } as const;

  test("a dismissal raises its station's tolerance of its kind to the largest deviation dismissed, and no other", () => {
    const f = feedback([
      { ...base, status: 'dismissed' },
      { ...base, employeeId: 'E2', deviation: 0.14, status: 'dismissed' },
      { ...base, employeeId: 'E3', deviation: 0.3, status: 'measurement_problem' },
    ]);
    expect(f.tolerance('S1', 'units_overclaim')).toBe(0.14);
    expect(f.tolerance('S2', 'units_overclaim')).toBe(0);
    expect(f.tolerance('S1', 'run_hours_overclaim')).toBe(0);
  });

  test("a tolerance never passes the figure's spread ceiling; a deviation in the person's disfavour or a dismissed gap teaches none", () => {
    expect(feedback([{ ...base, deviation: 0.9, status: 'dismissed' }]).tolerance('S1', 'units_overclaim')).toBe(DEFAULT_RULES.spread.ceiling.units_overclaim);
    expect(feedback([{ ...base, deviation: 0.25, status: 'dismissed' }]).tolerance('S1', 'units_overclaim')).toBe(0.25);
    expect(feedback([{ ...base, deviation: -0.1, status: 'dismissed' }]).tolerance('S1', 'units_overclaim')).toBe(0);
    const gap = { ...base, kind: 'measurement_gap', method: 'coverage', status: 'dismissed' } as const;
    expect(feedback([gap]).tolerance('S1', 'units_overclaim')).toBe(0);
  });

  test('a measurement problem makes its window faulty, a dismissal does not; both settle their window and kind only', () => {
    const f = feedback([
      { ...base, status: 'measurement_problem' },
      { ...base, employeeId: 'E2', status: 'dismissed' },
    ]);
    expect([f.faulty('E1', T0), f.faulty('E2', T0), f.faulty('E1', T0 + DAY)]).toEqual([true, false, false]);
    expect(f.problemsOf('E1', T0).map((p) => p.employeeId)).toEqual(['E1']);
    expect(f.settled({ employeeId: 'E2', windowStart: T0, kind: 'units_overclaim' })).toBe(true);
    expect(f.settled({ employeeId: 'E2', windowStart: T0, kind: 'run_hours_overclaim' })).toBe(false);
    expect(f.settled({ employeeId: 'E2', windowStart: T0 + DAY, kind: 'units_overclaim' })).toBe(false);
  });
});

describe('detection with feedback', () => {
  const plant = [...honest('S1'), ...honest('S2'), ...veteran('E-old', 'S1', 6, 0.15)];
  const [dismissedFlag] = inflation(detect(plant, all), 'E-old');

  test('without reviews detection is as it was', () => {
    expect(dismissedFlag).toMatchObject({ kind: 'units_overclaim', method: 'single_window', windowStart: T0 + 6 * DAY, deviation: 0.15 });
    expect(detect(plant, all, DEFAULT_RULES, NO_FEEDBACK)).toEqual(detect(plant, all));
  });

  test('a dismissed deviation is not flagged again at its station, by anyone; at another station, or beyond it, it still is', () => {
    const learned = feedback([reviewed(dismissedFlag!, 'dismissed')]);
    const later = [...plant, ...veteran('E-same', 'S1', 5, 0.15), ...veteran('E-elsewhere', 'S2', 5, 0.15), ...veteran('E-beyond', 'S1', 5, 0.5)];
    const flags = detect(later, all, DEFAULT_RULES, learned);
    expect(inflation(flags, 'E-old')).toEqual([]);
    expect(inflation(flags, 'E-same')).toEqual([]);
    expect(inflation(flags, 'E-elsewhere').map((f) => [f.kind, f.method])).toEqual([['units_overclaim', 'single_window']]);
    const [beyond] = inflation(flags, 'E-beyond');
    expect(beyond).toMatchObject({ kind: 'units_overclaim', method: 'single_window' });
    // Its z is measured from the tolerance, and its explanation and evidence say so.
    expect(beyond!.explanation).toMatch(/; reviewers dismissed flags at S1 up to 15\.0%\.$/);
    expect(beyond!.evidence).toMatchObject({ honest_spread: { dismissed_tolerance: 0.15 } });
    const { sigma } = (beyond!.evidence as { honest_spread: { sigma: number } }).honest_spread;
    expect(beyond!.z!).toBeCloseTo((beyond!.deviation - 0.15) / sigma, 9);
    const without = inflation(detect(later, all), 'E-beyond')[0]!;
    expect(without.evidence).not.toHaveProperty('honest_spread.dismissed_tolerance');
  });

  test('a window with a measurement problem is not judged again: it gets a measurement gap and teaches no spread', () => {
    const learned = feedback([reviewed(dismissedFlag!, 'measurement_problem')]);
    const flags = detect(plant, all, DEFAULT_RULES, learned);
    expect(inflation(flags, 'E-old')).toEqual([]);
    const [gap] = flags.filter((f) => f.employeeId === 'E-old');
    expect(gap).toMatchObject({ kind: 'measurement_gap', method: 'coverage', windowStart: T0 + 6 * DAY, severity: 'low', z: null });
    expect(gap!.explanation).toBe('Measurement gap for 2026-10-11: a reviewer found a problem with what was measured; no figure judged.');
    expect(gap!.evidence).toMatchObject({ gaps: [{ source: 'review', reason: 'measurement_problem', flags: [flagId(dismissedFlag!)] }] });

    // An honest report whose window is faulty leaves the spread another flag is judged by.
    const spreadOf = (f: Flag | undefined) => (f!.evidence as { honest_spread: { reports: number } }).honest_spread.reports;
    const honestWindow = { ...dismissedFlag!, employeeId: 'S1-E0', windowStart: T0, kind: 'run_hours_overclaim' as const };
    const before = inflation(detect(plant, all), 'E-old')[0];
    const after = inflation(detect(plant, all, DEFAULT_RULES, feedback([reviewed(honestWindow, 'measurement_problem')])), 'E-old')[0];
    expect(spreadOf(after)).toBe(spreadOf(before) - 1);
  });

  test('a reviewed window and kind gets no new proposal, by any method; its other kinds are judged as before', () => {
    const both = [...honest('S1'), ...Array.from({ length: 8 }, (_, d) => record('E-two', 'S1', d, d === 6 ? 0.6 : 0, d === 6 ? 0.6 : 0))];
    const raised = inflation(detect(both, all), 'E-two');
    expect(raised.map((f) => f.kind).sort()).toEqual(['run_hours_overclaim', 'units_overclaim']);
    const units = raised.find((f) => f.kind === 'units_overclaim')!;
    const learned = feedback([reviewed({ ...units, method: 'sequential' }, 'dismissed')]);
    expect(inflation(detect(both, all, DEFAULT_RULES, learned), 'E-two').map((f) => f.kind)).toEqual(['run_hours_overclaim']);
  });
});
