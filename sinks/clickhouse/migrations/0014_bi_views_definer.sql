-- The views BI tools query read their tables as the user who made them (kpi-stream's), not as
-- the user who asks: so the BI user (deploy/clickhouse/users.d/kpi-bi.xml) is granted the views
-- alone, not the tables under them. employee_window_metrics_current is made anew by every
-- migrate (queries/windowMetrics.ts), with the same clause.
ALTER TABLE employee_scores_current MODIFY SQL SECURITY DEFINER;
ALTER TABLE calibration MODIFY SQL SECURITY DEFINER;
ALTER TABLE anomalies_current MODIFY SQL SECURITY DEFINER;
ALTER TABLE employee_grades MODIFY SQL SECURITY DEFINER;
