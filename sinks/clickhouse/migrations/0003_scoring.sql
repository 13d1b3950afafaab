-- Scoring models: versioned configuration. A version never changes once written;
-- each score records the version it used, so any past score can be recomputed.
-- scope '' is the plant-wide model; a station id overrides it for that station.
-- The newest version (by created_at of its plant-wide row) is the active one.
CREATE TABLE IF NOT EXISTS scoring_models
(
    version String,
    scope String COMMENT 'empty for the plant-wide model, or the station id it applies to',
    efficiency_weight Float64,
    efficiency_target Float64 COMMENT 'efficiency earning 100 points',
    efficiency_worst Float64 COMMENT 'efficiency earning 0 points',
    quality_weight Float64,
    quality_target Float64 COMMENT 'defect rate earning 100 points',
    quality_worst Float64 COMMENT 'defect rate earning 0 points',
    satisfaction_weight Float64,
    satisfaction_target Float64,
    satisfaction_worst Float64,
    excellent_from Float64 COMMENT 'lowest score graded excellent',
    qualified_from Float64 COMMENT 'lowest score graded qualified',
    target_excellent Float64 COMMENT 'target share of excellent grades, for calibration',
    target_qualified Float64,
    target_needs_improvement Float64,
    note String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (version, scope);

INSERT INTO scoring_models VALUES
    ('default-v1', '', 0.4, 1.0, 0.5, 0.3, 0.01, 0.1, 0.3, 90, 50, 90, 70, 0.25, 0.55, 0.2, 'kpi-stream defaults: 40/30/30, bands 90/70, target 25/55/20', '2026-01-01 00:00:00.000');

CREATE VIEW IF NOT EXISTS scoring_model_active AS
SELECT version FROM scoring_models FINAL WHERE scope = '' ORDER BY created_at DESC, version DESC LIMIT 1;

-- Scores per employee per period ('window', 'week' or 'month'), computed by
-- `kpi-stream score` from employee_window_metrics_current with one model version.
CREATE TABLE IF NOT EXISTS employee_scores
(
    model_version String,
    period_type LowCardinality(String) COMMENT 'window, week (from Monday) or month, in the plant time zone',
    period_start DateTime64(3, 'UTC'),
    employee_id String,
    station_id String COMMENT 'where the employee earned the most standard and run time in the period',
    windows UInt32,
    units UInt64,
    standard_hours Float64,
    run_hours Float64,
    efficiency Nullable(Float64),
    units_inspected UInt64,
    units_defective UInt64,
    defect_rate Nullable(Float64),
    feedback_count UInt64,
    complaints UInt64,
    satisfaction_avg Nullable(Float64),
    efficiency_points Nullable(Float64),
    quality_points Nullable(Float64),
    satisfaction_points Nullable(Float64),
    score Nullable(Float64) COMMENT 'weighted mean of the points that exist, 0..100',
    grade LowCardinality(String) COMMENT 'excellent, qualified, needs_improvement; empty without a score',
    self_score_avg Nullable(Float64) COMMENT 'mean self_score the employee reported in the period',
    self_grade LowCardinality(String),
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (model_version, period_type, period_start, employee_id);

CREATE VIEW IF NOT EXISTS employee_scores_current AS
SELECT * FROM employee_scores FINAL
WHERE model_version = (SELECT version FROM scoring_model_active);

-- Each station's grade distribution against the model's target distribution and
-- against the employees' own self-scores; station_id 'ALL' is the whole plant.
CREATE VIEW IF NOT EXISTS calibration AS
SELECT station AS station_id, * EXCEPT (station)
FROM
(
    SELECT
        s.model_version AS model_version,
        s.period_type AS period_type,
        s.period_start AS period_start,
        if(grouping(s.station_id) = 1, 'ALL', s.station_id) AS station,
        countIf(s.grade != '') AS employees,
        countIf(s.grade = 'excellent') / greatest(employees, 1) AS share_excellent,
        countIf(s.grade = 'qualified') / greatest(employees, 1) AS share_qualified,
        countIf(s.grade = 'needs_improvement') / greatest(employees, 1) AS share_needs_improvement,
        any(m.target_excellent) AS target_excellent,
        any(m.target_qualified) AS target_qualified,
        any(m.target_needs_improvement) AS target_needs_improvement,
        share_excellent - target_excellent AS gap_excellent,
        share_qualified - target_qualified AS gap_qualified,
        share_needs_improvement - target_needs_improvement AS gap_needs_improvement,
        avgIf(s.score, s.grade != '') AS avg_score,
        countIf(s.self_grade != '') AS self_scored,
        avgIf(s.self_score_avg, s.self_grade != '') AS avg_self_score,
        countIf(s.self_grade = 'excellent') / greatest(self_scored, 1) AS self_share_excellent,
        countIf(s.self_grade = 'qualified') / greatest(self_scored, 1) AS self_share_qualified,
        countIf(s.self_grade = 'needs_improvement') / greatest(self_scored, 1) AS self_share_needs_improvement
    FROM employee_scores_current AS s
    INNER JOIN (SELECT * FROM scoring_models FINAL WHERE scope = '') AS m ON m.version = s.model_version
    GROUP BY GROUPING SETS ((s.model_version, s.period_type, s.period_start, s.station_id), (s.model_version, s.period_type, s.period_start))
);
