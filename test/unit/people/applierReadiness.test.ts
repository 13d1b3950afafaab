import { ApplierReadiness } from '../../../people/applierReadiness.js';

const STALL = 120_000;
const GROUP = 'kpi-stream-processors.reviews';
const TOPIC = 'kpi.reviews.v1';
let now = 0;
const readiness = () => new ApplierReadiness(GROUP, TOPIC, STALL, () => now);

beforeEach(() => {
  now = Date.UTC(2026, 11, 1);
});

test('not ready until its consumer joined the group, nor while the group rebalances, the consumer restarts or it stops', () => {
  const r = readiness();
  expect(r.check(0)).toEqual({ ok: false, detail: `starting: creating topics, migrating ClickHouse, joining group ${GROUP}` });
  expect(r.holdsPartitions).toBe(false);
  r.joined(1);
  expect(r.holdsPartitions).toBe(true);
  expect(r.check(0)).toEqual({ ok: true, detail: `member of group ${GROUP}, caught up with ${TOPIC}` });
  r.rebalancing();
  expect(r.check(0)).toEqual({ ok: false, detail: `group ${GROUP} is rebalancing` });
  r.rejoining();
  expect(r.check(0)).toEqual({ ok: false, detail: `the consumer restarts after a failure and joins group ${GROUP} again` });
  r.joined(1);
  r.stopping();
  r.rebalancing();
  expect(r.check(0)).toEqual({ ok: false, detail: 'stopping' });
});

test('a standby (another member holds the partition) is ready without a lag of its own', () => {
  const r = readiness();
  r.joined(0);
  expect(r.holdsPartitions).toBe(false);
  expect(r.check(undefined)).toEqual({ ok: true, detail: `standby in group ${GROUP}: another member applies ${TOPIC}` });
});

test('a member that cannot learn its lag is not ready: it cannot tell whether decisions wait', () => {
  const r = readiness();
  r.joined(1);
  expect(r.check(undefined)).toEqual({ ok: false, detail: `member of group ${GROUP}, but the broker did not say how far ${TOPIC} goes` });
});

test('decisions waiting are fine while batches finish; stalled once none has finished for the stall timeout', () => {
  const r = readiness();
  r.joined(1);
  now += 1_500;
  expect(r.check(3)).toEqual({ ok: true, detail: `member of group ${GROUP}, 3 decisions waiting on ${TOPIC}, last batch 1.5s ago` });
  now += STALL;
  expect(r.check(3)).toEqual({
    ok: false,
    detail: `stalled: 3 decisions wait on ${TOPIC}, but no batch has finished for 121.5s (KPI_STALL_TIMEOUT=2m)`,
  });
  // Idle is not stalled: nothing waits.
  expect(r.check(0).ok).toBe(true);
  r.batchDone();
  expect(r.check(3).ok).toBe(true);
});
