-- Every insert carries a deduplication token derived from what it holds
-- (sinks/clickhouse/insert.ts), so an insert retried after a lost answer or a
-- crash is dropped by ClickHouse itself. A table on one node remembers tokens
-- only with a deduplication window: employee_window_metrics has had one since
-- 0001; these are the other tables kpi-stream writes. (On a cluster the
-- replicated tables keep the same window in Keeper: replicated_deduplication_window.)
ALTER TABLE dead_letters MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE scoring_models MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE employee_scores MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE anomalies MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE alert_deliveries MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE analytics_progress MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE applied_migrations MODIFY SETTING non_replicated_deduplication_window = 10000;
