import { ProcessorReadiness } from '../../../../processors/kafka/readiness.js';

const STALL = 120_000;
let now = 0;
const readiness = () => new ProcessorReadiness('kpi-stream-processors', STALL, () => now);

beforeEach(() => {
  now = Date.UTC(2026, 11, 1);
});

test('not ready while starting or rebalancing; ready as a member with partitions, or as a standby without', () => {
  const r = readiness();
  expect(r.group()).toEqual({ ok: false, detail: 'starting: creating topics, migrating ClickHouse, joining group kpi-stream-processors' });
  r.joined(3);
  expect(r.group()).toEqual({ ok: true, detail: 'member of group kpi-stream-processors with 3 partitions' });
  r.rebalancing();
  expect(r.group()).toEqual({ ok: false, detail: 'group kpi-stream-processors is rebalancing' });
  r.joined(0);
  expect(r.group()).toEqual({ ok: true, detail: 'standby in group kpi-stream-processors: no partitions (more members than partitions)' });
  r.rejoining();
  expect(r.group().ok).toBe(false);
  r.joined(2);
  r.stopping();
  r.rebalancing();
  expect(r.group()).toEqual({ ok: false, detail: 'stopping' });
});

test('stalled once no flush has finished for the stall timeout', () => {
  const r = readiness();
  r.joined(6);
  now += STALL;
  expect(r.progress().ok).toBe(true);
  now += 1;
  expect(r.progress()).toEqual({
    ok: false,
    detail: 'stalled: no flush has finished for 120.0s (KPI_STALL_TIMEOUT=2m): ClickHouse inserts or offset commits do not get through',
  });
  r.flushDone();
  expect(r.progress().ok).toBe(true);
});

test('stalled once records wait in the broker and no batch has finished for the stall timeout; an idle processor is not', () => {
  const r = readiness();
  r.joined(6);
  const idle = () => {
    now += 60_000;
    r.flushDone();
  };
  r.lag(0);
  idle();
  idle();
  idle();
  expect(r.progress()).toEqual({ ok: true, detail: 'last flush 0.0s ago, last batch 180.0s ago, 0 records waiting' });
  r.lag(1500);
  expect(r.progress()).toEqual({
    ok: false,
    detail: 'stalled: 1500 records wait in the broker, but no batch has finished for 180.0s (KPI_STALL_TIMEOUT=2m)',
  });
  r.batchDone();
  expect(r.progress().ok).toBe(true);
  // Joining starts the batch clock again: the new partitions' first batch is on its way.
  idle();
  idle();
  idle();
  expect(r.progress().ok).toBe(false);
  r.joined(3);
  expect(r.progress().ok).toBe(true);
  // A lag the broker could not tell is not a stall.
  idle();
  idle();
  idle();
  r.lag(undefined);
  expect(r.progress()).toMatchObject({ ok: true, detail: expect.stringContaining('consumer lag unknown') });
});

test('its checks are the group and the progress', async () => {
  const r = readiness();
  const checks = r.checks();
  expect(checks.map((c) => c.name)).toEqual(['consumer-group', 'progress']);
  expect(await checks[0]!.check()).toEqual(r.group());
  expect(await checks[1]!.check()).toEqual(r.progress());
});
