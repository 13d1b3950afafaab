-- Time as the plant keeps it: each row names the plant day (KPI_DAY_START) and,
-- with a shift calendar, the shift and crew of its window; the period the
-- self-report covers; and its measures per local hour, so that a report is
-- judged against exactly what was measured over its own period, whatever
-- windows the period spans (a night shift across midnight).
ALTER TABLE employee_window_metrics
    ADD COLUMN IF NOT EXISTS plant_day Date COMMENT 'the local date the plant day begins on' AFTER window_end,
    ADD COLUMN IF NOT EXISTS shift LowCardinality(String) COMMENT 'the shift of a shift-calendar window (unscheduled between shifts); empty for day windows' AFTER plant_day,
    ADD COLUMN IF NOT EXISTS crew LowCardinality(String) COMMENT 'the crew working that shift; empty when none' AFTER shift,
    ADD COLUMN IF NOT EXISTS report_period_start Nullable(DateTime64(3, 'UTC')) COMMENT 'the period the self-report that stands covers' AFTER report_event_id,
    ADD COLUMN IF NOT EXISTS report_period_end Nullable(DateTime64(3, 'UTC')) AFTER report_period_start,
    ADD COLUMN IF NOT EXISTS hourly Array(Tuple(hour DateTime64(3, 'UTC'), measures Map(String, UInt64))) COMMENT 'the measures per local hour of the events in the window';
