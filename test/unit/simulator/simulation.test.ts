import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { DEFAULT_HONEST_ERRORS } from '../../../simulator/day.js';
import { defaultStart, simulateOptions, simulatePlant, type SimulateOptions } from '../../../simulator/run.js';
import type { WindowTruth } from '../../../simulator/day.js';
import type { ExpectedRow } from '../../../simulator/expected.js';
import { Simulation, type OutboundMessage } from '../../../simulator/simulation.js';

const ids = { production: 11, telemetry: 12, inspection: 13, feedback: 14, selfReport: 15 };

function run(extra: Partial<SimulateOptions> = {}) {
  const options = simulateOptions({ employees: 30, days: 6, ...extra });
  const simulation = new Simulation(options, ids);
  const expected: ExpectedRow[] = [];
  const truth: WindowTruth[] = [];
  const tooLate: string[] = [];
  const messages: OutboundMessage[] = [
    ...simulation.messages({ expected: (r) => expected.push(r), truth: (t) => truth.push(t), tooLate: (id) => tooLate.push(id) }),
  ];
  return { simulation, messages, expected, truth, tooLate };
}

test('the same seed gives the same records, rows and truth; another seed does not', () => {
  const a = run({ seed: 3, malformedRate: 0.01 });
  const b = run({ seed: 3, malformedRate: 0.01 });
  expect(b.messages.map((m) => m.value)).toEqual(a.messages.map((m) => m.value));
  expect(b.expected).toEqual(a.expected);
  expect(b.truth).toEqual(a.truth);
  const c = run({ seed: 4, malformedRate: 0.01 });
  expect(c.messages.map((m) => m.value)).not.toEqual(a.messages.map((m) => m.value));
});

test('records leave in arrival order, and every message is counted', () => {
  const { simulation, messages } = run({ malformedRate: 0.02, tooLateRate: 0.2 });
  for (let i = 1; i < messages.length; i += 1) expect(messages[i]!.arrival).toBeGreaterThanOrEqual(messages[i - 1]!.arrival);
  const sent = Object.values(simulation.counts.messages).reduce((a, b) => a + b, 0);
  expect(messages).toHaveLength(sent);
  const byLabel = (label: string) => messages.filter((m) => m.label === label).length;
  expect(byLabel('duplicate')).toBe(simulation.counts.duplicates);
  expect(byLabel('too-late')).toBe(simulation.counts.tooLate);
  expect(byLabel('event')).toBe(Object.values(simulation.counts.events).reduce((a, b) => a + b, 0));
});

test('inspections and feedback arrive hours to weeks after the production they belong to', () => {
  const { messages, simulation } = run();
  const firstArrival = (kind: string) => messages.find((m) => m.kind === kind)!.arrival;
  const start = simulation.options.start;
  expect(firstArrival('production')).toBeGreaterThanOrEqual(start);
  expect(firstArrival('production') - start).toBeLessThan(24 * 3_600_000);
  expect(firstArrival('inspection') - firstArrival('production')).toBeGreaterThan(3_600_000);
  expect(firstArrival('feedback') - firstArrival('production')).toBeGreaterThan(2 * 24 * 3_600_000);
});

test('duplicates repeat an earlier record byte for byte, minutes later', () => {
  const { messages } = run({ duplicateRate: 0.05 });
  const seen = new Map<string, number>();
  let duplicates = 0;
  for (const m of messages) {
    const key = m.value.toString('base64');
    if (m.label === 'duplicate') {
      expect(seen.has(key)).toBe(true);
      const gap = m.arrival - seen.get(key)!;
      expect(gap).toBeGreaterThanOrEqual(60_000);
      expect(gap).toBeLessThanOrEqual(20 * 60_000 + 5 * 60_000);
      duplicates += 1;
    } else {
      seen.set(key, m.arrival);
    }
  }
  expect(duplicates).toBeGreaterThan(0);
});

test('ground truth: honest reports stay close to what was measured, planted inflation shows in the report', () => {
  const { truth, simulation } = run({ employees: 60, inflatorShare: 0.5, seed: 11 });
  const honest = truth.filter((t) => !t.inflation);
  const inflated = truth.filter((t) => t.inflation);
  expect(inflated.length).toBeGreaterThan(20);
  for (const t of honest) {
    expect(Math.abs(t.reported.units - t.measured.units)).toBeLessThanOrEqual(Math.max(2, 0.05 * t.measured.units));
    expect(Math.abs(t.reported.run_hours - t.measured.run_hours)).toBeLessThanOrEqual(0.1 * t.measured.run_hours + 0.01);
    expect(Math.abs(t.reported.defective_units - t.measured.defective_units)).toBeLessThanOrEqual(1);
  }
  for (const t of inflated) {
    const { kind, degree } = t.inflation!;
    const employee = simulation.plant.employees.find((e) => e.id === t.employee_id)!;
    expect(employee.inflator).toMatchObject({ kind, degree, startDay: 0, days: 0.8 });
    if (kind === 'units') expect(t.reported.units).toBeGreaterThanOrEqual(Math.round(t.measured.units * (1 + degree)));
    if (kind === 'run_hours') expect(t.reported.run_hours).toBeGreaterThan(t.measured.run_hours * (1 + degree) - 0.01);
    if (kind === 'defects') expect(t.reported.defective_units).toBeLessThanOrEqual(t.measured.defective_units);
  }
});

test('expected rows: one per working employee-day, consistent with the truth', () => {
  const { expected, truth } = run();
  expect(expected.length).toBe(truth.length);
  for (const [i, row] of expected.entries()) {
    const t = truth[i]!;
    expect(row.employee_id).toBe(t.employee_id);
    expect(row.window_start).toBe(t.window_start);
    expect(row.window_end - row.window_start).toBe(86_400_000);
    expect(row.units).toBe(t.measured.units);
    expect(row.units_defective).toBe(t.measured.defective_units);
    expect(row.reported_units).toBe(t.reported.units);
    expect(row.efficiency).toBeCloseTo(row.standard_hours / row.run_hours, 12);
  }
  // Two rest days a week: 30 employees × 6 days leaves between 4/7 and 5/7 of them working on average.
  expect(expected.length).toBeGreaterThan(30 * 6 * (4 / 7));
  expect(expected.length).toBeLessThan(30 * 6);
});

test('planted measurement gaps: honest shifts only, the measured side short of what was done, lost records dead-lettered with their send time', () => {
  const { truth, expected, messages, simulation } = run({ employees: 60, inflatorShare: 0.3, gapShare: 0.3, seed: 5 });
  const gapped = truth.filter((t) => t.gap);
  expect(new Set(gapped.map((t) => t.gap!.kind))).toEqual(new Set(['iot_outage', 'mes_outage', 'dead_letters']));
  const inflators = new Set(simulation.plant.employees.filter((e) => e.inflator).map((e) => e.id));
  expect(gapped.some((t) => inflators.has(t.employee_id))).toBe(false);
  for (const t of gapped) {
    const row = expected[truth.indexOf(t)]!;
    expect(row.units).toBe(t.measured.units);
    expect(row.run_hours).toBe(t.measured.run_hours);
    if (t.gap!.kind === 'iot_outage') expect(t.measured.telemetry_hours).toBe(8 - t.gap!.hours);
    if (t.gap!.kind === 'mes_outage') expect(t.reported.units).toBeGreaterThan(t.measured.units * 1.05);
  }
  const lost = gapped.reduce((n, t) => n + (t.gap!.kind === 'dead_letters' ? t.gap!.records.production + t.gap!.records.telemetry : 0), 0);
  const stamped = messages.filter((m) => m.timestamp !== undefined);
  expect(stamped).toHaveLength(lost);
  expect(simulation.counts.deadLettered).toBe(lost);
  expect(stamped.every((m) => m.timestamp === m.arrival && m.label !== 'event' && (m.kind === 'production' || m.kind === 'telemetry'))).toBe(true);
  // Without --gaps, the same plant sends every record intact.
  expect(run({ employees: 60, inflatorShare: 0.3, seed: 5 }).messages.some((m) => m.timestamp !== undefined)).toBe(false);
});

test('honest error settings: uniform errors stay within their bound; late and intermittent inflators inflate on their schedule', () => {
  const { truth, simulation } = run({
    employees: 60,
    inflatorShare: 0.5,
    honestErrors: { ...DEFAULT_HONEST_ERRORS, shape: 'uniform', units: 0.1, runHours: 0.1 },
    lateStartShare: 1,
    intermittentShare: 0.5,
    seed: 9,
  });
  const inflatorOf = new Map(simulation.plant.employees.map((e) => [e.id, e.inflator]));
  const honest = truth.filter((t) => !t.inflation && t.measured.units > 50);
  expect(honest.some((t) => Math.abs(t.reported.units / t.measured.units - 1) > 0.05)).toBe(true);
  for (const t of honest) expect(Math.abs(t.reported.units / t.measured.units - 1)).toBeLessThanOrEqual(0.1 + 1 / t.measured.units);
  for (const t of truth.filter((x) => x.inflation)) {
    const inflator = inflatorOf.get(t.employee_id)!;
    expect((t.window_start - simulation.options.start) / 86_400_000).toBeGreaterThanOrEqual(inflator.startDay);
  }
  expect(simulation.plant.employees.every((e) => !e.inflator || e.inflator.startDay >= 1)).toBe(true);
  expect(new Set(simulation.plant.employees.flatMap((e) => (e.inflator ? [e.inflator.days] : [])))).toEqual(new Set([0.8, 0.3]));
});

test('without a start, the plant ends well before today: every record it sends lies in the past', () => {
  const { messages, simulation } = run({ tooLateRate: 0.5 });
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  expect(simulation.options.start).toBe(defaultStart(6));
  expect(Math.max(...messages.map((m) => m.arrival))).toBeLessThan(today);
});

test('a plant whose records would be sent after now is simulated with a warning that says why and what to do', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => lines.push((JSON.parse(line) as { msg: string }).msg) });
  const out = mkdtempSync(join(tmpdir(), 'kpi-sim-future-'));
  try {
    const recent = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;
    await simulatePlant({ employees: 5, days: 3, start: recent, dryRun: true, out }, loadConfig({}), log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d+ records would be sent after now .* KPI_ERR_INVALID_TIME.* choose an earlier --start/);
    lines.length = 0;
    await simulatePlant({ employees: 5, days: 3, dryRun: true, out }, loadConfig({}), log);
    expect(lines).toEqual([]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.each([
  [{ gapShare: 1.5 }, 'gapShare'],
  [{ employees: 0 }, 'employees'],
  [{ employees: 10, stations: 11 }, 'stations'],
  [{ honestErrors: { ...DEFAULT_HONEST_ERRORS, defects: 1.5 } }, 'honestErrors.defects'],
  [{ start: Date.UTC(2026, 9, 5, 6) }, 'start'],
] as [Partial<SimulateOptions>, string][])('bad options %j are refused naming %s', (options, key) => {
  expect(() => simulateOptions(options)).toThrow(ConfigError);
  expect(() => simulateOptions(options)).toThrow(key);
});
