-- Each employee's pseudonym, for the views of the BI database (<database>_bi) and whatever else
-- names people by pseudonym: a keyed hash (HMAC-SHA-256 with KPI_PSEUDONYM_KEY) of the id,
-- computed by kpi-stream in Node (privacy/pseudonymise.ts), so the key never enters ClickHouse.
-- key_fingerprint says which key made the row (a keyed hash of a fixed text, not the key): a pass
-- under another key writes every person's row anew, and the latest row per employee stands.
CREATE TABLE IF NOT EXISTS pseudonyms
(
    employee_id String,
    pseudonym String COMMENT 'e_ and 24 hexadecimal characters: HMAC-SHA-256 of employee_id under KPI_PSEUDONYM_KEY',
    key_fingerprint String COMMENT 'which key made it: HMAC-SHA-256 of a fixed text under the key',
    made_at DateTime64(3, 'UTC') COMMENT 'when kpi-stream wrote it; the latest row per employee stands'
)
ENGINE = ReplacingMergeTree(made_at)
ORDER BY employee_id
SETTINGS non_replicated_deduplication_window = 10000;
