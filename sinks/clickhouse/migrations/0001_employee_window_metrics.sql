-- One logical row per (employee_id, window_start): every correction writes a new
-- version of the whole row; ReplacingMergeTree keeps the highest version, and the
-- view below shows exactly that one current row per key. The columns after
-- self_score are kpi-stream's own: extra measures, then the exact state a
-- processor needs to correct the row later (integer sums, the chosen self-report,
-- the ids of the events applied, which make duplicates and replays no-ops).
CREATE TABLE IF NOT EXISTS employee_window_metrics
(
    employee_id String,
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
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
    reported_units Nullable(Int64),
    reported_run_hours Nullable(Float64),
    reported_defective_units Nullable(Int64),
    self_score Nullable(Float64),
    station_id String COMMENT 'station where the employee earned the most standard and run time in the window',
    idle_hours Float64,
    down_hours Float64,
    version UInt64 COMMENT 'number of events applied to this row; the highest version is current',
    standard_ms UInt64 COMMENT 'exact sum of units * standard time, in milliseconds',
    run_ms UInt64,
    idle_ms UInt64,
    down_ms UInt64,
    satisfaction_milli UInt64 COMMENT 'exact sum of satisfaction, in thousandths',
    station_weights Map(String, UInt64) COMMENT 'standard plus run milliseconds per station',
    report_submitted_time Nullable(DateTime64(3, 'UTC')),
    report_event_id String,
    event_ids Array(String) COMMENT 'ids of the events applied: a repeated or replayed event changes nothing'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (employee_id, window_start)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE VIEW IF NOT EXISTS employee_window_metrics_current AS
SELECT
    employee_id, window_start, window_end,
    units, standard_hours, run_hours, efficiency,
    units_inspected, units_defective, defect_rate,
    feedback_count, complaints, satisfaction_avg,
    reported_units, reported_run_hours, reported_defective_units, self_score,
    station_id, idle_hours, down_hours, version
FROM employee_window_metrics FINAL;
