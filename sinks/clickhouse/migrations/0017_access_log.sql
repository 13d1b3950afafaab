-- The audit trail of personal data: every read of a person's data through
-- kpi-stream's own interfaces (the report, subject export) and every erasure,
-- with who did it, when and why (the purpose they gave). Written before the
-- data is handed out or removed. `subject erase` leaves this table alone: it is
-- how a plant shows what was read and erased (docs/privacy.md).
CREATE TABLE IF NOT EXISTS access_log
(
    at DateTime64(3, 'UTC'),
    actor String COMMENT 'who: --actor, by default the operating-system user that ran kpi-stream',
    action String COMMENT 'subject_export, subject_erase, report_with_names',
    employee_id String COMMENT 'the person whose data it was; empty when the read covers many people',
    purpose String COMMENT 'why, as the actor gave it (--purpose)',
    details String COMMENT 'JSON: what was read or erased (tables and row counts, the report''s period)'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (employee_id, at)
SETTINGS non_replicated_deduplication_window = 10000;
