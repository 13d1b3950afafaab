import type { AlertEvent } from '../contract/alertEvent.js';
import type { KpiCatalog } from '../kpis/catalog.js';
import { modelsOf } from '../scoring/model.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { readAnomalies } from '../sinks/clickhouse/queries/anomalies.js';
import { readFlagStatuses } from '../sinks/clickhouse/queries/reviews.js';
import { activeModelVersion, readModelRows } from '../sinks/clickhouse/queries/scoringModels.js';
import { readWindowSnapshots, windowSpan } from '../sinks/clickhouse/queries/windowMetrics.js';
import { AlertEvaluator } from './evaluator.js';
import { flagInputKey } from './inputs.js';
import type { AlertRule } from './rules.js';
import type { AlertPrivacy } from './people.js';

export interface Replay {
  readonly from: number;
  readonly to: number;
  /** Employee-windows replayed. */
  readonly windows: number;
  /** What the rules would have raised, in order. */
  readonly events: readonly AlertEvent[];
}

/**
 * `alerts test`: the windows in ClickHouse whose start lies in [from, to)
 * (default: every window) and the flags of kpi.anomalies with their review
 * status as it is now (kpi.flags_current), through `rules`,
 * window by window as time passed in the stream. Nothing is sent; the
 * events are as they would be sent (pseudonymised unless a rule discloses).
 */
export async function replayRules(
  client: ClickHouseClient,
  rules: readonly AlertRule[],
  catalog: KpiCatalog,
  privacy: AlertPrivacy,
  range: { from?: number | undefined; to?: number | undefined } = {},
): Promise<Replay> {
  const span = (await windowSpan(client)) ?? { from: 0, to: 0 };
  const from = range.from ?? span.from;
  const to = range.to ?? span.to;
  const version = await activeModelVersion(client);
  // The rows are of windows written as they closed: every system has reported on them.
  const evaluator = new AlertEvaluator(rules, catalog, modelsOf(await readModelRows(client, version), version).plant, privacy, {
    closed: true,
  });
  for (const flag of await readAnomalies(client, { from, to })) evaluator.applyFlag(flagInputKey(flag), flag);
  // As reviewed today: a flag raises an alert only once confirmed (and not overturned).
  for (const { flagId, status } of await readFlagStatuses(client, { from, to })) evaluator.applyFlagStatus(flagId, status);
  const events: AlertEvent[] = [];
  const snapshots = await readWindowSnapshots(client, catalog, { from, to });
  for (let i = 0; i < snapshots.length;) {
    const start = snapshots[i]!.window_start;
    for (; i < snapshots.length && snapshots[i]!.window_start === start; i += 1) evaluator.applyWindow(snapshots[i]!);
    events.push(...evaluator.evaluate(snapshots[i - 1]!.window_end));
  }
  return { from, to, windows: snapshots.length, events };
}
