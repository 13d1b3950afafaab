-- Indicators beyond efficiency, quality and satisfaction (OEE, extensions' KPIs):
-- a model version keeps their rules as JSON, and every score keeps each
-- indicator's value and points in maps (read indicator_values['oee'] …).
ALTER TABLE scoring_models
    ADD COLUMN IF NOT EXISTS indicator_rules String DEFAULT '' COMMENT 'JSON {"indicator": {"weight", "target", "worst"}} for indicators without columns of their own';

ALTER TABLE employee_scores
    ADD COLUMN IF NOT EXISTS indicator_values Map(String, Float64) COMMENT 'every indicator that has a value in the period, by name',
    ADD COLUMN IF NOT EXISTS indicator_points Map(String, Float64) COMMENT 'the points each earned under the model version';

CREATE OR REPLACE VIEW employee_scores_current AS
SELECT * FROM employee_scores FINAL
WHERE model_version = (SELECT version FROM scoring_model_active);
