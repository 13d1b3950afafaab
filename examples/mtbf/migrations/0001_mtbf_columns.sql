-- The columns of the MTBF example KPI (examples/mtbf/mtbf.js), in its own
-- migration namespace "mtbf": numbering never collides with kpi-stream's.
ALTER TABLE employee_window_metrics
    ADD COLUMN IF NOT EXISTS failures UInt64 COMMENT 'telemetry intervals with down time',
    ADD COLUMN IF NOT EXISTS mtbf_hours Nullable(Float64) COMMENT 'run time per failure, hours',
    ADD COLUMN IF NOT EXISTS mttr_minutes Nullable(Float64) COMMENT 'down time per failure, minutes';
