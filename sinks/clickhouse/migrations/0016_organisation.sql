-- Who belongs where, over time: every AssignmentChanged of hr.assignments.v1, as sent. A later
-- submission for the same employee and valid_from replaces the earlier (ties: the greater event_id);
-- the table keeps every submission (a replay's copies collapse into one row), the view below the
-- standing one. Employee rows take their plant and team from it as of their window's start
-- (employee_window_metrics_current, made anew by every migrate: queries/windowMetrics.ts).
CREATE TABLE IF NOT EXISTS assignments
(
    employee_id String,
    valid_from DateTime64(3, 'UTC'),
    valid_to Nullable(DateTime64(3, 'UTC')) COMMENT 'null: open',
    plant_id String,
    team_id String,
    supervisor_id Nullable(String) COMMENT 'the employee who leads the team',
    submitted_time DateTime64(3, 'UTC'),
    event_id String,
    source_partition UInt32,
    source_offset UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (employee_id, valid_from, submitted_time, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- The standing assignment per employee and valid_from. An assignment holds from valid_from until
-- valid_to (null: open); where an employee has several, a window belongs to the latest that began
-- at or before its start, if that one still holds then.
CREATE VIEW IF NOT EXISTS assignments_current SQL SECURITY DEFINER AS
SELECT
    a.employee_id AS employee_id,
    a.valid_from AS valid_from,
    argMax(a.valid_to, (a.submitted_time, a.event_id)) AS valid_to,
    argMax(a.plant_id, (a.submitted_time, a.event_id)) AS plant_id,
    argMax(a.team_id, (a.submitted_time, a.event_id)) AS team_id,
    argMax(a.supervisor_id, (a.submitted_time, a.event_id)) AS supervisor_id,
    max(a.submitted_time) AS submitted_time
FROM assignments AS a
GROUP BY a.employee_id, a.valid_from;
