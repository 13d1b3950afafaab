-- Flags of inflated self-reports, written by `kpi-stream detect`. Each flag names
-- the employee-window, what was reported and what was measured, how it was found
-- (tolerance band, peer robust z-score, own history, round numbers) and a line a
-- manager can check. A detection run replaces the flags of the windows it covers.
CREATE TABLE IF NOT EXISTS anomalies
(
    employee_id String,
    station_id String,
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    kind LowCardinality(String) COMMENT 'units_overclaim, run_hours_overclaim, defects_underreport, self_score_inflated, round_numbers',
    method LowCardinality(String) COMMENT 'tolerance, peer_z, history, round_numbers',
    severity LowCardinality(String) COMMENT 'low, medium, high',
    reported Float64,
    measured Float64,
    deviation Float64 COMMENT 'reported / measured - 1 (for defects: 1 - reported / measured; for scores: points)',
    z_score Nullable(Float64),
    explanation String,
    evidence String COMMENT 'JSON: the windows and figures behind the flag',
    rules_version String,
    detected_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(window_start)
ORDER BY (employee_id, window_start, kind, method);

CREATE VIEW IF NOT EXISTS anomalies_current AS
SELECT * FROM anomalies FINAL;
