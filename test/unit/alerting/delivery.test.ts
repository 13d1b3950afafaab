import { Registry } from 'prom-client';
import { AttemptRecorder, DeliveryMetrics } from '../../../alerting/delivery.js';
import { createLogger } from '../../../core/logger.js';
import type { ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import { deliveryAttempt } from '../support/alerts.js';

/** The inserts a client was asked for (their event ids and tokens); the first `failures` fail as a lost answer would. */
function insertsFailing(failures: number) {
  const inserts: { events: string[]; token: string }[] = [];
  const client = {
    insert: async (params: { values: { event_id: string }[]; clickhouse_settings: { insert_deduplication_token: string } }) => {
      inserts.push({ events: params.values.map((v) => v.event_id), token: params.clickhouse_settings.insert_deduplication_token });
      if (inserts.length <= failures) throw new Error('socket hang up');
    },
  } as unknown as ClickHouseClient;
  return { client, inserts };
}

test('a batch whose write failed is sent again alone and as it was (the same token), before newer rows', async () => {
  const { client, inserts } = insertsFailing(2);
  const recorder = new AttemptRecorder(client, new DeliveryMetrics(new Registry()), createLogger('silent'));
  recorder.add(deliveryAttempt('a', Date.UTC(2026, 10, 2)));
  recorder.add(deliveryAttempt('b', Date.UTC(2026, 10, 2)));
  await recorder.flush(); // fails
  recorder.add(deliveryAttempt('c', Date.UTC(2026, 10, 2)));
  await recorder.flush(); // the same batch fails again; c waits
  await recorder.flush(); // the batch, then c
  expect(inserts.map((i) => i.events)).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['c']]);
  expect(new Set(inserts.slice(0, 3).map((i) => i.token)).size).toBe(1);
  expect(inserts[3]!.token).not.toBe(inserts[0]!.token);
});
