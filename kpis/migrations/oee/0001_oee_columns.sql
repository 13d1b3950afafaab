-- OEE per employee-window (kpis/oee.ts computes the values; rows written before
-- this migration show NULL until a correction rewrites them).
ALTER TABLE employee_window_metrics
    ADD COLUMN IF NOT EXISTS oee_availability Nullable(Float64) COMMENT 'run time / (run + idle + down time)',
    ADD COLUMN IF NOT EXISTS oee_performance Nullable(Float64) COMMENT 'standard time of the units completed / run time',
    ADD COLUMN IF NOT EXISTS oee_quality Nullable(Float64) COMMENT '(units inspected - units defective) / units inspected',
    ADD COLUMN IF NOT EXISTS oee Nullable(Float64) COMMENT 'oee_availability * oee_performance * oee_quality';
