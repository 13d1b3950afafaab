-- Decisions about flags and disputes (docs/privacy.md "Decisions"): one row per event of
-- kpi.reviews.v1, written by the applier (`kpi-stream reviews run`) in the topic's order, with
-- what became of it: applied (and the subjects' statuses after it) or a conflict (and why).
-- The events' fields are all here, so the applier rebuilds its state from this table alone.
CREATE TABLE IF NOT EXISTS reviews
(
    event_id String COMMENT 'the event''s UUID: an event read twice is recorded once',
    type LowCardinality(String) COMMENT 'flag_reviewed, dispute_opened, dispute_decided, dispute_withdrawn',
    subject_id String COMMENT 'the flag id (f_…) or the dispute id (d_…): the record''s key',
    employee_id String COMMENT 'the person the flag or dispute is about',
    flag_id String COMMENT 'the flag the event is about: the subject, or the flag a dispute is about; empty for a score''s dispute',
    disputed LowCardinality(String) COMMENT 'dispute_opened: flag or score; empty otherwise',
    disputed_id String COMMENT 'dispute_opened: the flag id or the score''s id',
    decision LowCardinality(String) COMMENT 'confirmed, dismissed, measurement_problem (flags); upheld, rejected (disputes); empty otherwise',
    text String COMMENT 'the reason, the statement or the resolution, as the person wrote it',
    actor_id String COMMENT 'who decided',
    actor_role LowCardinality(String) COMMENT 'employee, supervisor, hr',
    at DateTime64(3, 'UTC') COMMENT 'when they decided',
    expected_status LowCardinality(String) COMMENT 'the status the person saw when deciding',
    outcome LowCardinality(String) COMMENT 'applied, or conflict: the subject was no longer in the expected status, or the decision is not allowed from it',
    conflict_reason String COMMENT 'why it conflicted, naming who decided first',
    status_after LowCardinality(String) COMMENT 'the subject''s status after the event (unchanged by a conflict; empty if it has none)',
    flag_status_after LowCardinality(String) COMMENT 'the flag''s status after an applied event that changed it; empty otherwise',
    topic_partition UInt32,
    topic_offset UInt64 COMMENT 'the order the events were applied in (kpi.reviews.v1 has one partition)',
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(at)
ORDER BY event_id
SETTINGS non_replicated_deduplication_window = 10000;

-- Every current flag with its id (people/flagId.ts computes the same: the first 24 hexadecimal
-- characters of the SHA-256 of employee_id, window_start in epoch ms, kind and method, joined by
-- newlines) and where its review stands: proposed until someone decided it.
CREATE VIEW IF NOT EXISTS flags_current SQL SECURITY DEFINER AS
SELECT
    f.*,
    if(r.flag_id = '', 'proposed', r.status) AS status,
    r.reviewed_by AS reviewed_by,
    r.reviewer_role AS reviewer_role,
    if(r.flag_id = '', NULL, r.reviewed_at) AS reviewed_at,
    r.reason AS reason,
    if(r.flag_id = '', NULL, r.status_changed_at) AS status_changed_at
FROM
(
    SELECT
        concat('f_', substring(lower(hex(SHA256(concat(employee_id, '\n', toString(toUnixTimestamp64Milli(window_start)), '\n', kind, '\n', method)))), 1, 24)) AS flag_id,
        *
    FROM anomalies_current
) AS f
LEFT JOIN
(
    SELECT
        flag_id,
        argMaxIf(flag_status_after, topic_offset, flag_status_after != '') AS status,
        argMaxIf(at, topic_offset, flag_status_after != '') AS status_changed_at,
        argMaxIf(actor_id, topic_offset, type = 'flag_reviewed') AS reviewed_by,
        argMaxIf(actor_role, topic_offset, type = 'flag_reviewed') AS reviewer_role,
        argMaxIf(at, topic_offset, type = 'flag_reviewed') AS reviewed_at,
        argMaxIf(text, topic_offset, type = 'flag_reviewed') AS reason
    FROM reviews FINAL
    WHERE outcome = 'applied' AND flag_status_after != ''
    GROUP BY flag_id
) AS r ON f.flag_id = r.flag_id;

-- Every dispute and where it stands, with the plant and team the employee belonged to when they
-- opened it.
CREATE VIEW IF NOT EXISTS disputes_current SQL SECURITY DEFINER AS
SELECT
    d.dispute_key AS dispute_id,
    d.employee AS employee_id,
    d.about AS subject,
    d.about_id AS subject_id,
    d.state AS status,
    d.opening_statement AS statement,
    d.opened AS opened_at,
    d.decider AS decided_by,
    d.decider_role AS decider_role,
    if(d.decisions = 0, NULL, d.decided) AS decided_at,
    d.decision_text AS resolution,
    if(a.valid_to IS NULL OR a.valid_to > d.opened, a.plant_id, '') AS plant_id,
    if(a.valid_to IS NULL OR a.valid_to > d.opened, a.team_id, '') AS team_id
FROM
(
    SELECT
        subject_id AS dispute_key,
        argMaxIf(employee_id, topic_offset, type = 'dispute_opened') AS employee,
        argMaxIf(disputed, topic_offset, type = 'dispute_opened') AS about,
        argMaxIf(disputed_id, topic_offset, type = 'dispute_opened') AS about_id,
        argMax(status_after, topic_offset) AS state,
        argMaxIf(text, topic_offset, type = 'dispute_opened') AS opening_statement,
        argMaxIf(at, topic_offset, type = 'dispute_opened') AS opened,
        countIf(type != 'dispute_opened') AS decisions,
        argMaxIf(actor_id, topic_offset, type != 'dispute_opened') AS decider,
        argMaxIf(actor_role, topic_offset, type != 'dispute_opened') AS decider_role,
        argMaxIf(at, topic_offset, type != 'dispute_opened') AS decided,
        argMaxIf(text, topic_offset, type != 'dispute_opened') AS decision_text
    FROM reviews FINAL
    WHERE outcome = 'applied' AND type IN ('dispute_opened', 'dispute_decided', 'dispute_withdrawn')
    GROUP BY dispute_key
) AS d
ASOF LEFT JOIN assignments_current AS a ON d.employee = a.employee_id AND d.opened >= a.valid_from;

-- The view dispute_figures reads the current window rows' plants: it is made with the views
-- generated from the KPIs (sinks/clickhouse/queries/reviews.ts, disputeFiguresStatement).
