import { AlertEvaluator } from '../../../alerting/evaluator.js';
import { parseRules } from '../../../alerting/rules.js';
import type { WindowSnapshot } from '../../../contract/windowSnapshot.js';
import { KpiCatalog } from '../../../kpis/catalog.js';
import { TopologyTestDriver } from '../../../processors/testDriver.js';
import { DEFAULT_SCORING } from '../../../scoring/model.js';
import { inspection, production } from '../support/events.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';

const catalog = KpiCatalog.of();
const DAY = 86_400_000;
const W0 = Date.UTC(2026, 10, 2);
const seed = process.env.KPI_TEST_SEED ? Number(process.env.KPI_TEST_SEED.split(',')[0]) : Math.floor(Math.random() * 1_000_000);
process.stdout.write(`live windows seed ${seed} (KPI_TEST_SEED=${seed} repeats it)\n`);

/** A small deterministic generator (mulberry32). */
function random(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EMPLOYEES = Array.from({ length: 8 }, (_, i) => ({ id: `e${i}`, station: i < 5 ? 'S1' : 'S2', partition: i % 3 }));

/** A day of events per employee, inspections hours later, and some repeated (producer retries). */
function events(rand: () => number) {
  const list: { kind: 'production' | 'inspection'; event: ReturnType<typeof production> | ReturnType<typeof inspection>; partition: number }[] = [];
  for (let day = 0; day < 3; day += 1) {
    for (const e of EMPLOYEES) {
      for (let hour = 0; hour < 6; hour += 1) {
        const at = W0 + day * DAY + (6 + hour) * 3_600_000;
        list.push({
          kind: 'production',
          event: production({ event_id: `p-${e.id}-${day}-${hour}`, employee_id: e.id, station_id: e.station, event_time: at }),
          partition: e.partition,
        });
        const inspectedUnits = 10 + Math.floor(rand() * 20);
        list.push({
          kind: 'inspection',
          event: inspection({
            event_id: `i-${e.id}-${day}-${hour}`,
            employee_id: e.id,
            station_id: e.station,
            production_time: at,
            inspected_time: at + 3_600_000,
            units_inspected: inspectedUnits,
            units_defective: Math.floor(rand() * inspectedUnits * 0.15),
          }),
          partition: e.partition,
        });
      }
    }
  }
  // Shuffled a little: out of order within bounds, and some repeats.
  for (let i = list.length - 1; i > 0; i -= 1) {
    const j = Math.max(0, i - Math.floor(rand() * 6));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return [...list, ...list.filter(() => rand() < 0.05)];
}

/** Runs the events through the processors' test driver, crashing now and then; returns every snapshot published, in order. */
async function publishedSnapshots(crashes: boolean): Promise<WindowSnapshot[]> {
  const published: WindowSnapshot[] = [];
  const driver = new TopologyTestDriver({ liveWindows: { publish: async (s) => void published.push(...s) }, idleClose: 365 * DAY });
  const rand = random(seed);
  const all = events(rand);
  const crashRand = random(seed + 1);
  for (const [i, { kind, event, partition }] of all.entries()) {
    await driver.pipe(kind, event as never, { partition });
    if (i % 17 === 16) await driver.flush();
    if (crashes && crashRand() < 0.02) await driver.crash();
  }
  await driver.flush();
  return published;
}

const THRESHOLD = 0.07;
const CLEAR = 0.06;
const rules = parseRules(
  {
    rules: [
      { name: 'station-defects', metric: 'defect_rate', scope: 'station', above: THRESHOLD, clear: CLEAR, min_sample: 100, severity: 'high', cooldown: '0s' },
    ],
  },
  catalog,
);

function judged(snapshots: readonly WindowSnapshot[]) {
  const evaluator = new AlertEvaluator(rules, catalog, DEFAULT_SCORING, { pseudonymKey: 'k'.repeat(32), appUrl: 'https://people.example' });
  const events: AlertEvent[] = [];
  for (const s of snapshots) {
    evaluator.applyWindow(s);
    events.push(...evaluator.evaluate(W0));
  }
  return { evaluator, events };
}

test('station and plant windows are exact under crashes and replays: the sums of the distinct events', async () => {
  const withCrashes = await publishedSnapshots(true);
  const clean = await publishedSnapshots(false);
  expect(withCrashes.length).toBeGreaterThan(clean.length); // the replays published again

  // Ground truth from the events themselves, each event once.
  const truth = new Map<string, { inspected: number; defective: number }>();
  const seen = new Set<string>();
  for (const { kind, event } of events(random(seed))) {
    if (kind !== 'inspection' || seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    const e = event as ReturnType<typeof inspection>;
    const day = Math.floor((e.production_time - W0) / DAY);
    for (const key of [`${e.station_id}@${day}`, `plant@${day}`]) {
      const t = truth.get(key) ?? { inspected: 0, defective: 0 };
      t.inspected += e.units_inspected;
      t.defective += e.units_defective;
      truth.set(key, t);
    }
  }
  const { evaluator, events: crashedEvents } = judged(withCrashes);
  for (let day = 0; day < 3; day += 1) {
    for (const station of ['S1', 'S2']) {
      const t = truth.get(`${station}@${day}`)!;
      expect(evaluator.valueOf('units_inspected', 'station', station, W0 + day * DAY)).toBe(t.inspected);
      expect(evaluator.valueOf('units_defective', 'station', station, W0 + day * DAY)).toBe(t.defective);
    }
    expect(evaluator.valueOf('units_inspected', 'plant', '', W0 + day * DAY)).toBe(truth.get(`plant@${day}`)!.inspected);
  }
  // The alerts in force at the end agree with the final figures, in both runs: a window past the threshold has its
  // alert in force; a window at or below clear has none. Between clear and the threshold hysteresis decides, and the
  // path does: a partial window that one interleaving of replays shows past the threshold fires, and holds once
  // complete; the other interleaving never showed it.
  const inForce = (events: AlertEvent[]) =>
    new Set(
      [...new Map(events.map((e) => [e.fingerprint, e]))]
        .filter(([, e]) => e.type === 'alert.firing')
        .map(([, e]) => `${e.station_id}@${(Date.parse(e.window_start) - W0) / DAY}`),
    );
  for (const firing of [inForce(crashedEvents), inForce(judged(clean).events)]) {
    for (let day = 0; day < 3; day += 1) {
      for (const station of ['S1', 'S2']) {
        const t = truth.get(`${station}@${day}`)!;
        const rate = t.defective / t.inspected;
        if (rate > THRESHOLD) expect([station, day, firing.has(`${station}@${day}`)]).toEqual([station, day, true]);
        if (rate <= CLEAR) expect([station, day, firing.has(`${station}@${day}`)]).toEqual([station, day, false]);
      }
    }
  }
});
