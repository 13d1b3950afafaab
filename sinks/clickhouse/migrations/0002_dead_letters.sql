-- Every record the processors could not use, as written to the dead-letter topic
-- kpi.dlq.v1: one row per source record (a replay after a restart writes the same
-- row again; ReplacingMergeTree keeps one).
CREATE TABLE IF NOT EXISTS dead_letters
(
    source_topic String,
    source_partition Int32,
    source_offset Int64,
    source_timestamp DateTime64(3, 'UTC'),
    employee_id String COMMENT 'the record key, when it has one',
    error_code LowCardinality(String) COMMENT 'KPI_ERR_… class: not Avro, unknown schema, malformed, invalid value, too late',
    error_message String,
    schema_id Nullable(UInt32),
    value_base64 String COMMENT 'the original record value',
    processor_version String,
    dead_lettered_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(source_timestamp)
ORDER BY (source_topic, source_partition, source_offset);
