import { CALIBRATION_VIEW } from './calibration.js';
import { PLANT_METRICS_VIEW, TEAM_METRICS_VIEW } from './groupMetrics.js';
import { standingPseudonyms } from './pseudonyms.js';
import { WINDOW_METRICS_VIEW } from './windowMetrics.js';

/**
 * The pseudonymous BI database, beside kpi-stream's own (`kpi_bi` for the
 * default `kpi`): views only, each SQL SECURITY DEFINER (it reads the tables
 * under it as kpi-stream's user, so a reader needs grants on this database
 * alone), made anew by every `migrate`. A person is named by their pseudonym
 * (column `employee`), never by id; flags come without their explanation and
 * evidence; no column holds free text about a person. A person without a
 * pseudonym yet (kpi.pseudonyms, filled by the next analytics pass) is not
 * shown: the views join it, inner.
 */
export function biDatabase(database: string): string {
  return `${database}_bi`;
}

/** The views of the BI database, by name, and what each shows (docs/analysts.md lists their columns). */
export const BI_VIEWS = {
  employee_window_metrics: 'the current window rows, per pseudonym, with plant and team',
  employee_scores: 'scores and grades under the active scoring model, per pseudonym and period, with plant and team',
  employee_grades: 'grades against the bands and calibrated within the station, per pseudonym and period',
  anomalies: 'flags and measurement gaps, per pseudonym and window, without explanation or evidence',
  [TEAM_METRICS_VIEW]: 'figures per team and window, for 5 people or more',
  [PLANT_METRICS_VIEW]: 'figures per plant and window, over the teams shown',
  team_calibration: 'grade distribution per team and period against the target, for 5 graded people or more',
  [CALIBRATION_VIEW]: 'grade distribution per station and period against the target',
} as const;

export type BiView = keyof typeof BI_VIEWS;

/** The columns of a flag the BI database shows: what was found, how and how far, never the text about the person. */
const FLAG_COLUMNS = [
  'station_id',
  'window_start',
  'window_end',
  'kind',
  'method',
  'severity',
  'reported',
  'measured',
  'deviation',
  'z_score',
  'rules_version',
  'detected_at',
  'plant_id',
  'team_id',
] as const;

/**
 * The statements that make the BI database of `database` and its views, in
 * order: the database, then each view over the views of `database` (which
 * must exist: run them after the migrations and the generated views).
 */
export function biStatements(database: string): { what: string; statement: string }[] {
  const bi = biDatabase(database);
  const view = (name: BiView, select: string) => ({
    what: `the view ${bi}.${name}`,
    statement: `CREATE OR REPLACE VIEW ${bi}.${name} SQL SECURITY DEFINER AS\n${select}`,
  });
  // A person's rows, their id replaced by their pseudonym; people without one are left out.
  const perPerson = (name: BiView, source: string, columns: string) =>
    view(
      name,
      `SELECT p.pseudonym AS employee, ${columns}
FROM ${database}.${source} AS r
INNER JOIN (${standingPseudonyms(database)}) AS p ON p.employee_id = r.employee_id`,
    );
  const group = (name: BiView) => view(name, `SELECT * FROM ${database}.${name}`);
  return [
    { what: `the database ${bi}`, statement: `CREATE DATABASE IF NOT EXISTS ${bi}` },
    perPerson('employee_window_metrics', WINDOW_METRICS_VIEW, 'r.* EXCEPT (employee_id)'),
    perPerson('employee_scores', 'employee_scores_current', 'r.* EXCEPT (employee_id)'),
    perPerson('employee_grades', 'employee_grades', 'r.* EXCEPT (employee_id)'),
    perPerson('anomalies', 'anomalies_current', FLAG_COLUMNS.map((c) => `r.${c} AS ${c}`).join(', ')),
    group(TEAM_METRICS_VIEW),
    group(PLANT_METRICS_VIEW),
    group('team_calibration'),
    group(CALIBRATION_VIEW),
  ];
}
