-- Alerts already sent (to kpi.alerts.v1 and the webhook), so each flag alerts once.
CREATE TABLE IF NOT EXISTS alerts_sent
(
    alert_id String COMMENT 'sha1 of employee, window, kind and method',
    employee_id String,
    station_id String,
    window_start DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    method LowCardinality(String),
    severity LowCardinality(String),
    explanation String,
    sent_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY alert_id;
