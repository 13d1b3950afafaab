-- A delivery the receiver refuses for good (an HTTP 4xx but 408, 425 and 429) is recorded
-- once, with outcome 'refused' and the receiver's answer, and not retried: the view counts
-- it as a failure and shows it as the event's state for that target.
ALTER TABLE alert_deliveries COMMENT COLUMN outcome 'delivered, failed (retried) or refused (for good, not retried)';

CREATE OR REPLACE VIEW alert_delivery_state AS
SELECT
    event_id, target,
    any(fingerprint) AS fingerprint, any(type) AS type, any(rule) AS rule, any(severity) AS severity, any(scope) AS scope,
    any(employee_id) AS employee_id, any(station_id) AS station_id, any(window_start) AS window_start, any(explanation) AS explanation,
    argMax(outcome, attempted_at) AS state,
    count() AS attempts,
    countIf(outcome != 'delivered') AS failures,
    min(attempted_at) AS first_attempt_at,
    minIf(attempted_at, outcome = 'delivered') AS delivered_at,
    argMaxIf(error, attempted_at, outcome != 'delivered') AS last_error,
    minIf(latency_ms, outcome = 'delivered') AS delivery_latency_ms
FROM alert_deliveries
GROUP BY event_id, target;
