import type { ClickHouseClient } from '../client.js';

/** kpi.calibration: grade distributions per station and period against the target (view of migration 0003). */
export const CALIBRATION_VIEW = 'calibration';

export interface PlantCalibration {
  readonly periodStart: number;
  readonly employees: number;
  readonly shares: { readonly excellent: number; readonly qualified: number; readonly needsImprovement: number };
  readonly selfShares: { readonly excellent: number; readonly qualified: number; readonly needsImprovement: number };
  readonly avgScore: number | null;
  readonly avgSelfScore: number | null;
}

/** The plant's grade distribution per period of a type, with the active model, oldest first. */
export async function readPlantCalibration(client: ClickHouseClient, periodType: 'window' | 'week' | 'month'): Promise<PlantCalibration[]> {
  const result = await client.query({
    query: `SELECT toUnixTimestamp64Milli(period_start) AS period_start_ms, employees, share_excellent, share_qualified, share_needs_improvement,
                   self_share_excellent, self_share_qualified, self_share_needs_improvement, avg_score, avg_self_score
            FROM ${CALIBRATION_VIEW} WHERE period_type = {periodType:String} AND station_id = 'ALL' ORDER BY period_start_ms`,
    query_params: { periodType },
    format: 'JSONEachRow',
  });
  const num = (v: unknown) => (v === null || Number.isNaN(Number(v)) ? null : Number(v));
  return (await result.json<Record<string, unknown>>()).map((r) => ({
    periodStart: Number(r.period_start_ms),
    employees: Number(r.employees),
    shares: { excellent: Number(r.share_excellent), qualified: Number(r.share_qualified), needsImprovement: Number(r.share_needs_improvement) },
    selfShares: {
      excellent: Number(r.self_share_excellent),
      qualified: Number(r.self_share_qualified),
      needsImprovement: Number(r.self_share_needs_improvement),
    },
    avgScore: num(r.avg_score),
    avgSelfScore: num(r.avg_self_score),
  }));
}
