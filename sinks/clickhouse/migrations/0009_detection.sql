-- Detection rules v2: flags come from evidence over a
-- person's reports (sequential) or one report far outside honest error
-- (single_window); reports whose measured side is incomplete get a
-- measurement_gap flag (method coverage), which accuses nobody. Same columns;
-- their comments say so.
ALTER TABLE anomalies COMMENT COLUMN kind 'units_overclaim, run_hours_overclaim, defects_underreport, self_score_inflated; measurement_gap: not judged for want of measurements (never an accusation)';
ALTER TABLE anomalies COMMENT COLUMN method 'sequential, single_window, coverage (rules-v2); tolerance, peer_z, history, round_numbers (rules-v1)';
ALTER TABLE anomalies COMMENT COLUMN deviation 'this report: reported / measured - 1 (units, run hours), defective units not admitted (defects), points above the measured score (self-score)';
ALTER TABLE anomalies COMMENT COLUMN evidence 'JSON: the reports, honest spread, threshold and decision behind the flag; for gaps, what is missing';
