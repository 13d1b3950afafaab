import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { readShiftCalendar } from '../../../contract/shiftCalendar.js';
import { CONTRACT_COLUMNS, metricsOf, PLANT_TIME_COLUMNS, type WindowRow } from '../../../contract/windowRow.js';
import { loadConfig } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';
import { ShiftCalendar } from '../../../processors/shiftCalendar.js';
import { TEST_SCHEMA_IDS, TopologyTestDriver } from '../../../processors/testDriver.js';
import { TumblingWindows, type WindowAssigner } from '../../../processors/windows.js';
import { ConfigError } from '../../../core/errors.js';
import { DEFAULT_HONEST_ERRORS } from '../../../simulator/day.js';
import { defaultStart, simulateOptions, simulatePlant, withPlantTime, type SimulateOptions } from '../../../simulator/run.js';
import type { WindowTruth } from '../../../simulator/day.js';
import type { ExpectedRow } from '../../../simulator/expected.js';
import { SHIFT_PRESETS } from '../../../simulator/plantTime.js';
import { Simulation, type OutboundMessage } from '../../../simulator/simulation.js';

const ids = TEST_SCHEMA_IDS;

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

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("today's plant", () => {
  /**
   * SHA-256 of what the simulator made before it planted shifts (main at
   * f4b85fc): every record sent (kind, key, bytes, arrival, label, timestamp),
   * the contract columns of every expected row, the ground truth's fields of
   * then, and the stations and employees (the shift then named by its start
   * hour). The same options, and so any old configuration, must give them still.
   */
  const BEFORE_SHIFTS = {
    defaults: {
      options: { employees: 60, days: 14, seed: 7, start: Date.UTC(2026, 9, 19) },
      records: '84b1d7016affd436a03843516f38bedceee21327c235d50be69a0dc0c9664d02',
      rows: '6bcad04cb6d2392e57b9113d0a2d24431fbdb5e4c135e5d6cde0b06c69dc8d75',
      truth: '976169fa98e606391eb285d3a2714fe9965e7e0cfbcb330b4837b5fd7b52f13f',
      employees: '7fb25680b422400af4baf1ea86f12477877483cd919b98e1d2834567b1b7940c',
    },
    'gaps, malformed and too-late records, late and intermittent inflators': {
      options: {
        employees: 60,
        days: 14,
        seed: 11,
        start: Date.UTC(2026, 9, 19),
        gapShare: 0.1,
        malformedRate: 0.01,
        tooLateRate: 0.02,
        inflatorShare: 0.25,
        lateStartShare: 0.3,
        intermittentShare: 0.2,
      },
      records: '06b64e3c7816ce31ef0257a51b0ea59b1273901ba487c3491c7d8aa68df86f4a',
      rows: '47d6b6cef76b0db560f3360d089643b9be2c732bc17c65a2cb79a24c34054e2d',
      truth: 'bfdf38b9818fc917b33e1af0c44308b3741ddd2d9cc17450a7f1d20ac67a6f58',
      employees: '0cec6468e6cb576ed173f4dc33ae1b560e9396c49f6291d8cf63bc0980504554',
    },
  };
  const OLD_TRUTH = ['employee_id', 'window_start', 'station_id', 'measured', 'reported', 'inflation', 'gap'] as const;
  const sha256 = (lines: readonly string[]) => createHash('sha256').update(lines.join('')).digest('hex');

  test.each(Object.entries(BEFORE_SHIFTS))('%s: the same plant, records, rows and truth as before shifts were planted', (_name, before) => {
    // An old deployment's settings: UTC, plant days from midnight, one-day windows, no calendar.
    const options = simulateOptions(withPlantTime(before.options, { timeZone: 'UTC', dayStart: 0, windowSize: DAY, shiftCalendar: undefined }));
    const simulation = new Simulation(options, { production: 1, telemetry: 2, inspection: 3, feedback: 4, selfReport: 5 });
    const rows: string[] = [];
    const truth: string[] = [];
    const records = [
      ...simulation.messages({
        expected: (r) => rows.push(`${JSON.stringify(Object.fromEntries(CONTRACT_COLUMNS.map((c) => [c, r[c]])))}\n`),
        truth: (t) => truth.push(`${JSON.stringify(Object.fromEntries(OLD_TRUTH.map((c) => [c, t[c]])))}\n`),
        tooLate: () => undefined,
      }),
    ].map((m) => `${m.kind}|${m.key}|${m.value.toString('hex')}|${m.arrival}|${m.label}|${m.timestamp ?? ''}\n`);
    const employees = simulation.plant.employees.map(({ shift, crew: _crew, id, index, station, restDays, ...rest }) => ({
      id,
      index,
      station,
      shiftStartHour: shift === 'day' ? 6 : 14,
      restDays,
      ...rest,
    }));
    expect(simulation.plant.employees.every((e) => ['day', 'swing'].includes(e.shift) && e.crew === '')).toBe(true);
    expect({
      records: sha256(records),
      rows: sha256(rows),
      truth: sha256(truth),
      employees: sha256([JSON.stringify([simulation.plant.stations, employees])]),
    }).toEqual({ records: before.records, rows: before.rows, truth: before.truth, employees: before.employees });
  });
});

/** The processors' own StreamRunner on a simulation's records: its rows must be the simulator's expected rows, every column. */
async function expectProcessorsToAgree(simulation: { messages: OutboundMessage[]; expected: ExpectedRow[] }, windows: WindowAssigner): Promise<void> {
  const driver = new TopologyTestDriver({ windows, idleClose: HOUR });
  for (const m of simulation.messages) await driver.pipeBytes(m.kind, m.value, { partition: Number(m.key.slice(1)) % 3, key: m.key });
  driver.advanceWallClock(2 * HOUR);
  await driver.flush();
  const columns = [...CONTRACT_COLUMNS, ...PLANT_TIME_COLUMNS];
  const project = (row: Record<string, unknown>) => Object.fromEntries(columns.map((c) => [c, row[c]]));
  const order = (a: { window_start: number; employee_id: string }, b: { window_start: number; employee_id: string }) =>
    a.window_start - b.window_start || a.employee_id.localeCompare(b.employee_id);
  const rows = driver.rows().map((row: WindowRow) => project({ ...metricsOf(row), ...row }));
  expect(driver.deadLetters).toEqual([]);
  expect(rows).toEqual([...simulation.expected].sort(order).map((row) => project({ ...row })));
}

describe('shifts, plant days and daylight saving', () => {
  const berlin = { timeZone: 'Europe/Berlin', dayStart: 6 * HOUR, shifts: SHIFT_PRESETS.all, start: Date.UTC(2026, 9, 20) };
  const plant = run({ employees: 30, days: 8, seed: 21, inflatorShare: 0.2, duplicateRate: 0.02, ...berlin });

  test('every shift kind is worked, each report covers its shift, and the night the clocks go back lasts 9 hours', () => {
    const { truth, messages } = plant;
    expect(new Set(truth.map((t) => t.shift))).toEqual(new Set(['day', 'swing', 'night', 'day-12h', 'night-12h']));
    const hours = (t: WindowTruth) => (t.period_end - t.period_start) / HOUR;
    for (const t of truth) {
      expect(t.window_start <= t.period_start && t.period_end <= t.window_end).toBe(true);
      const long = t.shift.endsWith('12h') ? 4 : 0;
      const dst = t.period_start < Date.UTC(2026, 9, 25, 1) && t.period_end > Date.UTC(2026, 9, 25, 1) ? 1 : 0;
      expect(hours(t)).toBe(8 + long + dst);
    }
    const longNight = truth.find((t) => t.shift === 'night' && hours(t) === 9)!;
    expect(longNight.window_end - longNight.window_start).toBe(25 * HOUR);
    const telemetry = messages.filter((m) => m.kind === 'telemetry' && m.label === 'event' && m.key === longNight.employee_id);
    expect(telemetry.length).toBeGreaterThan(0);
    // A 9-hour night: 36 quarter hours of telemetry in its report's period, and the report says so.
    const quarters = plant.expected.find((r) => r.employee_id === longNight.employee_id && r.window_start === longNight.window_start)!;
    expect(quarters.report_period_end! - quarters.report_period_start!).toBe(9 * HOUR);
    expect(longNight.measured.telemetry_hours).toBeCloseTo(9, 9);
  });

  test('plant days from 06:00 in Europe/Berlin: the processors make exactly the expected rows', async () => {
    expect(plant.expected.every((r) => r.plant_day !== undefined && r.shift === '' && r.crew === '')).toBe(true);
    await expectProcessorsToAgree(plant, TumblingWindows.of(DAY, 'Europe/Berlin', 6 * HOUR));
  });

  test('plant days from midnight: night shifts fall in two windows, and the processors make exactly the expected rows', async () => {
    const midnight = run({ employees: 24, days: 7, seed: 22, ...berlin, dayStart: 0 });
    const nights = midnight.truth.filter((t) => t.shift.startsWith('night'));
    expect(nights.length).toBeGreaterThan(10);
    for (const t of nights) expect(t.period_end).toBeGreaterThan(t.window_end);
    // More rows than reports: a night's hours after midnight have a window of their own when the next night falls on a rest day.
    expect(midnight.expected.length).toBeGreaterThan(midnight.truth.length);
    await expectProcessorsToAgree(midnight, TumblingWindows.of(DAY, 'Europe/Berlin', 0));
  });

  test('windows that are the shifts of a calendar with rotating crews: the processors make exactly the expected rows', async () => {
    const calendar = readShiftCalendar(join(projectRoot(), 'examples', 'shifts', 'rotating-crews.yaml'));
    const crews = run({ employees: 24, days: 9, seed: 23, ...berlin, shifts: calendar, shiftWindows: true });
    expect(new Set(crews.simulation.plant.employees.map((e) => e.crew))).toEqual(new Set(['A', 'B', 'C', 'D']));
    expect(new Set(crews.expected.map((r) => `${r.shift}/${r.crew}`)).size).toBe(12);
    // A crew works two days, two swings, two nights, then has two days off: nine days of crew A are nine days of that cycle.
    const a = crews.simulation.plant.employees.find((e) => e.crew === 'A')!.id;
    const shiftOn = new Map(crews.expected.filter((r) => r.employee_id === a).map((r) => [r.plant_day!, r.shift!]));
    const dates = Array.from({ length: 9 }, (_, d) => new Date(berlin.start + d * DAY).toISOString().slice(0, 10));
    const worked = dates.map((date) => shiftOn.get(date) ?? 'off').join(',');
    expect('day,day,swing,swing,night,night,off,off,'.repeat(3)).toContain(`${worked},`);
    expect(worked.split(',').filter((w) => w === 'off')).toHaveLength(2);
    await expectProcessorsToAgree(crews, ShiftCalendar.of(calendar, 'Europe/Berlin', 6 * HOUR));
  });

  test.each([
    ['overlapping shifts as windows', { shifts: SHIFT_PRESETS.all, shiftWindows: true }, /shift "day-12h" starts before shift "day" ends/],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, /timeZone/],
    ['windows that do not divide a day', { windowSize: 7 * HOUR }, /windowSize/],
    ['a shift off the quarter hours', { shifts: { shifts: [{ name: 'odd', start: '06:10', hours: 8 }] } }, /whole quarter hours/],
  ] as [string, Partial<SimulateOptions>, RegExp][])('%s is refused', (_name, o, message) => {
    expect(() => simulateOptions(o)).toThrow(ConfigError);
    expect(() => simulateOptions(o)).toThrow(message);
  });

  test('with KPI_SHIFT_CALENDAR set, the plant works its shifts, and a choice of shifts is refused', () => {
    const config = { timeZone: 'Europe/Berlin', dayStart: 0, windowSize: DAY, shiftCalendar: join(projectRoot(), 'examples', 'shifts', 'rotating-crews.yaml') };
    expect(withPlantTime({}, config)).toMatchObject({
      shiftWindows: true,
      timeZone: 'Europe/Berlin',
      shifts: { shifts: [{ name: 'day' }, { name: 'swing' }, { name: 'night' }] },
    });
    expect(() => withPlantTime({ shifts: SHIFT_PRESETS.three }, config)).toThrow(/KPI_SHIFT_CALENDAR is set/);
  });
});
