-- Live alerting: every attempt to deliver an alert event (from the outbox
-- kpi.alerts.v1) to the webhook or Alertmanager, whether it was delivered or
-- failed and why. A replay after a crash attempts again and adds rows: the
-- table is the honest record of what was tried. The view shows each event's
-- state per target (`state`: delivered, or failed while it is being retried).
CREATE TABLE IF NOT EXISTS alert_deliveries
(
    event_id String COMMENT 'the alert event''s id (the webhook-id)',
    fingerprint String COMMENT 'stable for (rule, scope key, window)',
    type LowCardinality(String) COMMENT 'alert.firing or alert.resolved',
    rule String,
    severity LowCardinality(String),
    scope LowCardinality(String) COMMENT 'employee, station or plant',
    employee_id Nullable(String),
    station_id Nullable(String),
    window_start DateTime64(3, 'UTC'),
    metric Nullable(String),
    value Nullable(Float64),
    threshold Nullable(Float64),
    anomaly Nullable(String),
    explanation String,
    target LowCardinality(String) COMMENT 'webhook or alertmanager',
    attempt UInt32 COMMENT '1 for the first attempt of this delivery run',
    outcome LowCardinality(String) COMMENT 'delivered or failed',
    http_status UInt16 COMMENT '0 when the receiver did not answer',
    error String COMMENT 'why it failed (never a secret)',
    attempted_at DateTime64(3, 'UTC'),
    latency_ms Nullable(Int64) COMMENT 'delivered: from the change that raised or resolved it (observed_at, else started_at/ended_at) to delivery'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (event_id, target, attempted_at);

CREATE VIEW IF NOT EXISTS alert_delivery_state AS
SELECT
    event_id, target,
    any(fingerprint) AS fingerprint, any(type) AS type, any(rule) AS rule, any(severity) AS severity, any(scope) AS scope,
    any(employee_id) AS employee_id, any(station_id) AS station_id, any(window_start) AS window_start, any(explanation) AS explanation,
    argMax(outcome, attempted_at) AS state,
    count() AS attempts,
    countIf(outcome = 'failed') AS failures,
    min(attempted_at) AS first_attempt_at,
    minIf(attempted_at, outcome = 'delivered') AS delivered_at,
    argMaxIf(error, attempted_at, outcome = 'failed') AS last_error,
    minIf(latency_ms, outcome = 'delivered') AS delivery_latency_ms
FROM alert_deliveries
GROUP BY event_id, target;

-- Batch alerting (detect --alert) is gone: inflation flags reach receivers only through anomaly rules.
DROP TABLE IF EXISTS alerts_sent;

-- When each window row was written: the analytics service scores and checks the windows written since its last cycle.
ALTER TABLE employee_window_metrics ADD COLUMN IF NOT EXISTS written_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'when this version was written';

ALTER TABLE employee_window_metrics MATERIALIZE COLUMN written_at SETTINGS mutations_sync = 2;

-- Where the analytics service got to: windows written up to `through` are scored and checked.
CREATE TABLE IF NOT EXISTS analytics_progress
(
    name String,
    through DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name;
