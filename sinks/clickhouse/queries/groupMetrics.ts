import type { ClickHouseClient } from '../client.js';
import { WINDOW_METRICS_VIEW } from './windowMetrics.js';

/** Team and plant figures per window, over the current rows (made anew by every migrate). */
export const TEAM_METRICS_VIEW = 'team_window_metrics';
export const PLANT_METRICS_VIEW = 'plant_window_metrics';

/**
 * The fewest people a group's figures are shown for: a smaller group's figures
 * say too much about each of its members (and a works council's agreement
 * usually sets this floor). Smaller groups are withheld, not rounded.
 */
export const MIN_GROUP_SIZE = 5;

/**
 * The views of team and plant figures per window: sums of the current rows of
 * the people assigned there at the window's start, the ratios of those sums,
 * and `employees`, how many people the figures cover. A group of fewer than
 * MIN_GROUP_SIZE people is left out, and so is each figure that fewer than
 * MIN_GROUP_SIZE of its people contribute to (quality when fewer were
 * inspected, say): it would be theirs alone. A plant counts only the people of
 * the teams shown, so that no withheld team is the plant less the teams shown.
 * People with no assignment are in no group.
 */
export function groupViewStatements(): { what: string; statement: string }[] {
  // Each figure with the people it needs: shown where MIN_GROUP_SIZE of the group contribute to it, else NULL.
  const floor = (contributors: string, figure: string) => `if(countIf(${contributors}) >= ${MIN_GROUP_SIZE}, ${figure}, NULL)`;
  const ran = 'w.run_hours > 0';
  const inspected = 'w.units_inspected > 0';
  const reviewed = 'w.feedback_count > 0';
  const figures = `count() AS employees,
    sum(w.units) AS units,
    sum(w.standard_hours) AS standard_hours,
    ${floor(ran, 'sum(w.run_hours)')} AS run_hours,
    ${floor(ran, 'sum(w.standard_hours) / sum(w.run_hours)')} AS efficiency,
    ${floor(inspected, 'sum(w.units_inspected)')} AS units_inspected,
    ${floor(inspected, 'sum(w.units_defective)')} AS units_defective,
    ${floor(inspected, 'sum(w.units_defective) / sum(w.units_inspected)')} AS defect_rate,
    ${floor(reviewed, 'sum(w.feedback_count)')} AS feedback_count,
    ${floor(reviewed, 'sum(w.complaints)')} AS complaints,
    ${floor(reviewed, 'sum(w.satisfaction_avg * w.feedback_count) / sum(w.feedback_count)')} AS satisfaction_avg`;
  const view = (name: string, keys: readonly string[], where: string) =>
    `CREATE OR REPLACE VIEW ${name} SQL SECURITY DEFINER AS
SELECT
    ${keys.map((k) => `w.${k} AS ${k}`).join(', ')}, w.window_start AS window_start, any(w.window_end) AS window_end,
    ${figures}
FROM ${WINDOW_METRICS_VIEW} AS w
WHERE ${where}
GROUP BY ${keys.map((k) => `w.${k}`).join(', ')}, w.window_start
HAVING employees >= ${MIN_GROUP_SIZE}`;
  return [
    { what: `the view ${TEAM_METRICS_VIEW}`, statement: view(TEAM_METRICS_VIEW, ['plant_id', 'team_id'], `w.plant_id != '' AND w.team_id != ''`) },
    {
      what: `the view ${PLANT_METRICS_VIEW}`,
      statement: view(
        PLANT_METRICS_VIEW,
        ['plant_id'],
        `(w.plant_id, w.team_id, w.window_start) IN (SELECT plant_id, team_id, window_start FROM ${TEAM_METRICS_VIEW})`,
      ),
    },
  ];
}

/** A team's figures per window (groups under MIN_GROUP_SIZE withheld by the view), oldest first, times in ISO 8601. */
export async function readTeamWindows(client: ClickHouseClient, teamId: string): Promise<Record<string, unknown>[]> {
  const result = await client.query({
    query: `SELECT * FROM ${TEAM_METRICS_VIEW} WHERE team_id = {team:String} ORDER BY window_start, plant_id`,
    query_params: { team: teamId },
    format: 'JSONEachRow',
    clickhouse_settings: { date_time_output_format: 'iso' },
  });
  return result.json<Record<string, unknown>>();
}

/** A plant's figures per window (groups under MIN_GROUP_SIZE withheld by the views), oldest first, times in ISO 8601. */
export async function readPlantWindows(client: ClickHouseClient): Promise<Record<string, unknown>[]> {
  const result = await client.query({
    query: `SELECT * FROM ${PLANT_METRICS_VIEW} ORDER BY window_start, plant_id`,
    format: 'JSONEachRow',
    clickhouse_settings: { date_time_output_format: 'iso' },
  });
  return result.json<Record<string, unknown>>();
}

/** The teams whose figures are shown (5 people or more in some window), by plant. */
export async function readShownTeams(client: ClickHouseClient): Promise<{ plant_id: string; team_id: string }[]> {
  const result = await client.query({
    query: `SELECT DISTINCT plant_id, team_id FROM ${TEAM_METRICS_VIEW} ORDER BY plant_id, team_id`,
    format: 'JSONEachRow',
  });
  return result.json<{ plant_id: string; team_id: string }>();
}
