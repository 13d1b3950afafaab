-- Calibrated grades, beside the absolute bands: within each station and period,
-- employees ranked by score (best first) and graded to the target distribution
-- of the active model (default 25/55/20): the top round(n × target_excellent)
-- ranks excellent, the bottom round(n × target_needs_improvement) ranks needs
-- improvement, the rest qualified. Equal scores share a rank (rank()), so they
-- share a grade. HR sees both: `grade` says how good the work was against the
-- bands, `calibrated_grade` where it stands among the station's peers.
CREATE VIEW IF NOT EXISTS employee_grades AS
SELECT
    model_version, period_type, period_start, station_id, employee_id,
    score, grade, station_rank, station_employees,
    multiIf(
        station_rank <= round(station_employees * target_excellent), 'excellent',
        station_rank > station_employees - round(station_employees * target_needs_improvement), 'needs_improvement',
        'qualified') AS calibrated_grade,
    self_score_avg, self_grade
FROM
(
    SELECT
        s.model_version AS model_version, s.period_type AS period_type, s.period_start AS period_start,
        s.station_id AS station_id, s.employee_id AS employee_id, s.score AS score, s.grade AS grade,
        s.self_score_avg AS self_score_avg, s.self_grade AS self_grade,
        rank() OVER (PARTITION BY s.model_version, s.period_type, s.period_start, s.station_id ORDER BY s.score DESC) AS station_rank,
        count() OVER (PARTITION BY s.model_version, s.period_type, s.period_start, s.station_id) AS station_employees,
        m.target_excellent AS target_excellent, m.target_needs_improvement AS target_needs_improvement
    FROM employee_scores_current AS s
    INNER JOIN (SELECT * FROM scoring_models FINAL WHERE scope = '') AS m ON m.version = s.model_version
    WHERE s.grade != ''
);
