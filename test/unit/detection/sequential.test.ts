import { calibrate, evidenceStretches, lundbergExponent, type CusumCalibration } from '../../../detection/sequential.js';
import { Random } from '../../../simulator/random.js';

const calibration: CusumCalibration = { reference: 0.75, falseAlarmRate: 1e-3, reportShare: 0.75, minExponent: 0.5, maxExponent: 4, minReports: 100 };
/** Each test draws from its own generator, so what it sees does not hang on which tests ran before it. */
const random = (stream: string) => new Random(2026, `sequential-test-${stream}`);
const normalErrors = () => {
  const r = random('normal');
  return Array.from({ length: 20_000 }, () => r.normal(0, 1));
};

test('normal honest errors give the textbook exponent 2k', () => {
  const normal = normalErrors();
  expect(lundbergExponent(normal, calibration)).toBeCloseTo(2 * calibration.reference, 1);
});

test('errors that never stray far give a sharper threshold, heavy tails a more careful one, within the bounds', () => {
  const normal = normalErrors();
  const r = random('tails');
  const bounded = Array.from({ length: 20_000 }, () => r.uniform(-1.35, 1.35));
  const heavy = Array.from({ length: 20_000 }, () => (r.chance(0.5) ? 1 : -1) * -Math.log(1 - r.next()) * 0.7);
  const h = (z: number[]) => calibrate(z, calibration).h;
  expect(h(bounded)).toBeLessThan(h(normal));
  expect(h(heavy)).toBeGreaterThan(h(normal));
  expect(lundbergExponent(bounded, calibration)).toBeLessThanOrEqual(calibration.maxExponent);
  // Too few honest reports to learn from: normal errors are assumed.
  expect(calibrate(normal.slice(0, 50), calibration).h).toBeCloseTo(Math.log(1 / calibration.falseAlarmRate) / (2 * calibration.reference), 10);
});

test('the tail is learned from the errors below the median, so inflators among the honest cannot blunt the threshold', () => {
  const normal = normalErrors();
  const r = random('inflators');
  const contaminated = [...normal.slice(0, 9_000), ...Array.from({ length: 1_000 }, () => 6 + r.normal(0, 1))];
  expect(calibrate(contaminated, calibration).h).toBeCloseTo(calibrate(normal.slice(0, 10_000), calibration).h, 0);
});

test('on honest data, alarms come no more often than the false-alarm rate', () => {
  const normal = normalErrors();
  const r = random('honest-people');
  const p = calibrate(normal, calibration);
  let alarms = 0;
  let reports = 0;
  for (let person = 0; person < 20_000; person += 1) {
    const z = Array.from({ length: 22 }, () => r.normal(0, 1));
    reports += z.length;
    const stretches = evidenceStretches(z, p);
    // Count decisions, as a CUSUM would raise them: each first report that completes a stretch.
    alarms += new Set(stretches.flatMap((s) => (s ? [s.decided] : []))).size;
  }
  expect(alarms / reports).toBeLessThanOrEqual(calibration.falseAlarmRate);
  expect(alarms).toBeGreaterThan(0);
});

test('evidence stretches: the decision is the first report where a CUSUM alarms; the stretch reaches back across reports that cancel out', () => {
  const p = { k: 1, h: 3.5, clip: 3.5 };
  // Three small excesses, three neutral reports that cancel them, then five more excesses.
  const z = [2, 2, 2, 0, 0, 0, 2, 2, 2, 2, 2];
  const stretches = evidenceStretches(z, p);
  // A CUSUM resets at 0 after report 5 and alarms at report 9 (1+1+1+1 = 4 ≥ 3.5): the tightest stretch around it.
  expect(stretches[9]).toMatchObject({ from: 6, to: 10, decided: 9 });
  // The first three reports belong to the evidence too, decided at the same report.
  expect(stretches[0]).toMatchObject({ from: 0, to: 10, decided: 9 });
  expect(stretches[0]!.sum).toBe(5);
  expect(stretches.slice(0, 3).every((s) => s !== null)).toBe(true);
});

test('one report, however wild, is never evidence on its own', () => {
  const normal = normalErrors();
  const p = calibrate(normal, calibration);
  expect(evidenceStretches([0, 0, 40, 0, 0], p).every((s) => s === null)).toBe(true);
  expect(evidenceStretches([40, 40], p).every((s) => s !== null)).toBe(true);
});

test('the exponent is learned from exactly minReports honest reports, not from one fewer', () => {
  const bounds = { reference: 0.75, maxExponent: 4, minExponent: 0.5, minReports: 4 };
  expect(lundbergExponent([-1, 0, 1, 0.5], bounds)).toBe(4);
  expect(lundbergExponent([-1, 0, 1], bounds)).toBeNull();
});

test('honest errors without a downward drift past the reference cannot say what the exponent is', () => {
  const bounds = { reference: 0.75, maxExponent: 4, minExponent: 0.5, minReports: 2 };
  // Steps of −1 and +1 about the reference: no drift. A drift of −0.25 can.
  expect(lundbergExponent([-0.25, 1.75], bounds)).toBeNull();
  expect(lundbergExponent([-0.25, 1.5], bounds)).toBe(0.5);
});

test('the tail is mirrored from the errors below the median: those at the median count once, those above not at all', () => {
  const c: CusumCalibration = { reference: 0.75, falseAlarmRate: 1e-3, reportShare: 0.75, minExponent: 0.01, maxExponent: 10, minReports: 5 };
  const exponent = lundbergExponent([-2, -1, -0.5, 0, 0, 0, 2, 1, 0.5], c)!;
  const h = Math.log(1000) / exponent;
  expect(calibrate([-2, -1, -0.5, 0, 0, 0, 0.3, 5], c)).toEqual({ k: 0.75, h, clip: 0.75 + 0.75 * h, exponent });
  // Counted never, or three times, the errors at the median would give another exponent.
  expect([lundbergExponent([-2, -1, -0.5, 2, 1, 0.5], c), lundbergExponent([-2, -1, -0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0.5], c)]).not.toContain(exponent);
});

test('a stretch starts after its lowest point: its sum and decision count from there, and a sum exactly at the threshold is evidence', () => {
  // Excesses over k = 1: −1, then +1 five times.
  expect(evidenceStretches([0, 2, 2, 2, 2, 2], { k: 1, h: 4, clip: 3 })).toEqual([
    { from: 0, to: 5, sum: 4, decided: 5 },
    { from: 1, to: 5, sum: 5, decided: 4 },
    { from: 1, to: 5, sum: 5, decided: 4 },
    { from: 1, to: 5, sum: 5, decided: 4 },
    { from: 1, to: 5, sum: 5, decided: 4 },
    { from: 1, to: 5, sum: 5, decided: 5 },
  ]);
});

test('a stretch ends at its highest sum, the earliest where two tie: reports that add nothing after it, or lower it, are left out', () => {
  // Excesses over k = 1: +1 four times, then 0, then −1.
  expect(evidenceStretches([2, 2, 2, 2, 1, 0], { k: 1, h: 3.5, clip: 3 })).toEqual([
    { from: 0, to: 3, sum: 4, decided: 3 },
    { from: 0, to: 3, sum: 4, decided: 3 },
    { from: 0, to: 3, sum: 4, decided: 3 },
    { from: 0, to: 3, sum: 4, decided: 3 },
    { from: 0, to: 4, sum: 4, decided: 4 },
    null,
  ]);
});
