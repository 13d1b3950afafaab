import { SinkError } from '../../../core/errors.js';
import type { ClickHouseClient } from '../client.js';
import { insertRows } from '../insert.js';
import { toClickHouseTime } from '../time.js';

/** kpi.scoring_models: versioned scoring configuration, one row per version and scope (migrations 0003, 0007). */
export const SCORING_MODELS_TABLE = 'scoring_models';

/** A row of kpi.scoring_models: one version of the scoring configuration for one scope. */
export interface ScoringModelRow {
  version: string;
  /** '' for the plant-wide model, or a station id. */
  scope: string;
  efficiency_weight: number;
  efficiency_target: number;
  efficiency_worst: number;
  quality_weight: number;
  quality_target: number;
  quality_worst: number;
  satisfaction_weight: number;
  satisfaction_target: number;
  satisfaction_worst: number;
  excellent_from: number;
  qualified_from: number;
  target_excellent: number;
  target_qualified: number;
  target_needs_improvement: number;
  /** JSON rules of further indicators ({"oee": {"weight": 0.1, "target": 0.85, "worst": 0.4}}); '' for none. */
  indicator_rules?: string;
  note: string;
}

/** The rows (plant-wide and per station) of a model version; none for an unknown version. */
export async function readModelRows(client: ClickHouseClient, version: string): Promise<ScoringModelRow[]> {
  const result = await client.query({
    query: `SELECT * FROM ${SCORING_MODELS_TABLE} FINAL WHERE version = {version:String}`,
    query_params: { version },
    format: 'JSONEachRow',
  });
  return result.json<ScoringModelRow>();
}

/** The active version: the newest plant-wide one. */
export async function activeModelVersion(client: ClickHouseClient): Promise<string> {
  const result = await client.query({ query: 'SELECT version FROM scoring_model_active', format: 'JSONEachRow' });
  const [row] = await result.json<{ version: string }>();
  if (!row) throw new SinkError('no scoring model: run `kpi-stream migrate`, which installs default-v1');
  return row.version;
}

/** Adds a scoring model version (all its scopes). A version that exists is refused: versions never change. */
export async function insertModel(client: ClickHouseClient, rows: readonly ScoringModelRow[]): Promise<void> {
  const versions = [...new Set(rows.map((r) => r.version))];
  if (versions.length !== 1) throw new SinkError('a scoring model file holds exactly one version');
  if (!rows.some((r) => r.scope === '')) throw new SinkError(`model ${versions[0]} needs a plant-wide row (scope '')`);
  for (const row of rows) {
    if (row.indicator_rules) {
      try {
        JSON.parse(row.indicator_rules);
      } catch {
        throw new SinkError(`model ${row.version} scope ${JSON.stringify(row.scope)}: indicator_rules is not JSON`);
      }
    }
  }
  const existing = await client.query({
    query: `SELECT count() AS n FROM ${SCORING_MODELS_TABLE} FINAL WHERE version = {v:String}`,
    query_params: { v: versions[0]! },
    format: 'JSONEachRow',
  });
  if (Number((await existing.json<{ n: number }>())[0]?.n ?? 0) > 0)
    throw new SinkError(`scoring model ${versions[0]} exists already; versions never change, add a new one`);
  const createdAt = toClickHouseTime(Date.now());
  await insertRows(
    client,
    SCORING_MODELS_TABLE,
    rows.map((r) => ({ ...r, indicator_rules: r.indicator_rules ?? '', created_at: createdAt })),
    ({ created_at: _, ...row }) => Object.values(row),
  );
}
