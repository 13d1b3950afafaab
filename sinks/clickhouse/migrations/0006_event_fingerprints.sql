-- Events are remembered by fingerprint, not by id: a 53-bit hash of (kind,
-- event_id) per event and a 16-bit digest of its bytes (core/hash.ts). Rows
-- written before this keep their event_ids; new rows leave event_ids empty.
ALTER TABLE employee_window_metrics
    ADD COLUMN IF NOT EXISTS event_keys Array(UInt64) COMMENT 'fingerprints of (kind, event_id) of the events applied, ascending' AFTER event_ids,
    ADD COLUMN IF NOT EXISTS event_digests Array(UInt16) COMMENT 'digests of those events'' bytes, aligned with event_keys' AFTER event_keys;
