-- Scores and flags carry the plant and team that held at the start of their period or window,
-- like the window rows (employee_window_metrics_current): the latest assignment that began at or
-- before it, if it had not ended by then; empty where none held.
CREATE OR REPLACE VIEW employee_scores_current SQL SECURITY DEFINER AS
SELECT
    s.*,
    if(a.valid_to IS NULL OR a.valid_to > s.period_start, a.plant_id, '') AS plant_id,
    if(a.valid_to IS NULL OR a.valid_to > s.period_start, a.team_id, '') AS team_id
FROM employee_scores AS s FINAL
ASOF LEFT JOIN assignments_current AS a ON s.employee_id = a.employee_id AND s.period_start >= a.valid_from
WHERE s.model_version = (SELECT version FROM scoring_model_active);

CREATE OR REPLACE VIEW anomalies_current SQL SECURITY DEFINER AS
SELECT
    f.*,
    if(a.valid_to IS NULL OR a.valid_to > f.window_start, a.plant_id, '') AS plant_id,
    if(a.valid_to IS NULL OR a.valid_to > f.window_start, a.team_id, '') AS team_id
FROM anomalies AS f FINAL
ASOF LEFT JOIN assignments_current AS a ON f.employee_id = a.employee_id AND f.window_start >= a.valid_from;

-- Each team's grade distribution against the model's target and against the employees' own
-- self-scores, like calibration per station: HR sees whether a team's grades look like the
-- target. A team with fewer than 5 graded people in a period is left out, not rounded, and the
-- self-score figures where fewer than 5 of them scored themselves.
CREATE VIEW IF NOT EXISTS team_calibration SQL SECURITY DEFINER AS
SELECT
    s.model_version AS model_version,
    s.period_type AS period_type,
    s.period_start AS period_start,
    s.plant_id AS plant_id,
    s.team_id AS team_id,
    countIf(s.grade != '') AS employees,
    countIf(s.grade = 'excellent') / greatest(employees, 1) AS share_excellent,
    countIf(s.grade = 'qualified') / greatest(employees, 1) AS share_qualified,
    countIf(s.grade = 'needs_improvement') / greatest(employees, 1) AS share_needs_improvement,
    any(m.target_excellent) AS target_excellent,
    any(m.target_qualified) AS target_qualified,
    any(m.target_needs_improvement) AS target_needs_improvement,
    avgIf(s.score, s.grade != '') AS avg_score,
    countIf(s.self_grade != '') AS self_scored,
    if(self_scored >= 5, avgIf(s.self_score_avg, s.self_grade != ''), NULL) AS avg_self_score,
    if(self_scored >= 5, countIf(s.self_grade = 'excellent') / self_scored, NULL) AS self_share_excellent
FROM employee_scores_current AS s
INNER JOIN (SELECT * FROM scoring_models FINAL WHERE scope = '') AS m ON m.version = s.model_version
WHERE s.team_id != ''
GROUP BY s.model_version, s.period_type, s.period_start, s.plant_id, s.team_id
HAVING employees >= 5;
