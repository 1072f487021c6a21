# ruff: noqa: S608  # SQL is assembled from constants and catalogue paths; values are bound
"""The DuckDB store's schema (version 2) and the upgrade from version 1.

Layout (see :mod:`seamline.store.duckdb` for why):

- ``readings_hot``: the write-optimised area. The single writer appends Arrow batches; ``wseq``
  numbers its commits, so maintenance knows which rows it has rolled up. Compaction moves rows of
  closed time blocks out into Parquet files listed in ``cold_files``.
- ``rollup_1m`` (recent buckets; older ones live in Parquet files), ``rollup_1h`` (all buckets),
  ``state_breaks`` and ``state_breaks_1h`` (where a state channel changed code, or paused longer
  than the hold, inside a minute or an hour): the rollups.
- ``messages`` (recent, with the de-duplication key) and ``message_ranges`` (older messages as
  runs of consecutive sequence numbers, enough to refuse a resent message forever).
- ``readings`` (a view over hot rows and every raw Parquet file) and ``readings_t`` for ad-hoc SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from seamline.store._coldfiles import parquet_list

SCHEMA_VERSION: Final = 2

ROLLUP_COLUMNS: Final = (
    "sensor_id INTEGER NOT NULL, bucket BIGINT NOT NULL, count BIGINT NOT NULL, min DOUBLE NOT NULL,"
    " max DOUBLE NOT NULL, sum DOUBLE NOT NULL, first DOUBLE NOT NULL, last DOUBLE NOT NULL,"
    " first_ts BIGINT NOT NULL, last_ts BIGINT NOT NULL, inc DOUBLE"
)
ROLLUP_NAMES: Final = (
    "sensor_id",
    "bucket",
    "count",
    "min",
    "max",
    "sum",
    "first",
    "last",
    "first_ts",
    "last_ts",
    "inc",
)

SCHEMA: Final = f"""
CREATE TABLE seamline_schema (version INTEGER NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE devices (
    device_id VARCHAR NOT NULL, machine_type VARCHAR NOT NULL, area_id VARCHAR NOT NULL,
    line_id VARCHAR, workstation_id VARCHAR, sensor_base INTEGER NOT NULL, sensor_count INTEGER NOT NULL);
CREATE TABLE sensors (
    sensor_id INTEGER NOT NULL, device_id VARCHAR NOT NULL, channel VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, unit VARCHAR NOT NULL, mul DOUBLE NOT NULL, div DOUBLE NOT NULL);
CREATE TABLE sensor_retention (
    sensor_id INTEGER NOT NULL, raw_ms BIGINT, minute_ms BIGINT, hour_ms BIGINT);
CREATE TABLE readings_hot (
    sensor_id INTEGER NOT NULL, ts_ms BIGINT NOT NULL, value DOUBLE NOT NULL, wseq BIGINT NOT NULL);
CREATE TABLE messages (
    device_id VARCHAR NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL, sent_ts_ms BIGINT NOT NULL,
    received_ts_ms BIGINT NOT NULL, n_readings INTEGER NOT NULL, n_events INTEGER NOT NULL,
    wseq BIGINT NOT NULL, PRIMARY KEY (device_id, boot, seq));
CREATE TABLE message_ranges (
    device_id VARCHAR NOT NULL, boot BIGINT NOT NULL, seq_lo BIGINT NOT NULL, seq_hi BIGINT NOT NULL);
CREATE TABLE events (
    device_id VARCHAR NOT NULL, ts_ms BIGINT NOT NULL, received_ts_ms BIGINT NOT NULL,
    type VARCHAR NOT NULL, data JSON NOT NULL);
CREATE TABLE rollup_1m ({ROLLUP_COLUMNS});
CREATE TABLE rollup_1h ({ROLLUP_COLUMNS});
CREATE TABLE state_breaks (
    sensor_id INTEGER NOT NULL, bucket BIGINT NOT NULL, ts_ms BIGINT NOT NULL, code BIGINT,
    prev_ts BIGINT NOT NULL);
CREATE TABLE state_breaks_1h (
    sensor_id INTEGER NOT NULL, bucket BIGINT NOT NULL, ts_ms BIGINT NOT NULL, code BIGINT,
    prev_ts BIGINT NOT NULL);
CREATE TABLE cold_files (
    path VARCHAR NOT NULL, kind VARCHAR NOT NULL, t0 BIGINT NOT NULL, t1 BIGINT NOT NULL,
    level INTEGER NOT NULL, rows BIGINT NOT NULL, bytes BIGINT NOT NULL, pruned VARCHAR NOT NULL);
CREATE TABLE cold_garbage (path VARCHAR NOT NULL, since_ms BIGINT NOT NULL);
CREATE TABLE seamline_state (key VARCHAR NOT NULL, value BIGINT NOT NULL);
INSERT INTO seamline_state VALUES ('rollup_wseq', 0), ('rollup_open_ms', 0), ('retention_now_ms', 0);
"""

TABLES: Final = frozenset(
    {
        "seamline_schema",
        "devices",
        "sensors",
        "sensor_retention",
        "readings_hot",
        "messages",
        "message_ranges",
        "events",
        "rollup_1m",
        "rollup_1h",
        "state_breaks",
        "state_breaks_1h",
        "cold_files",
        "cold_garbage",
        "seamline_state",
    }
)

# Version 1 kept every reading in ``readings`` and had no rollups: move the readings to the hot
# area (the first maintenance pass rolls them up and compacts them) and add the new tables.
UPGRADE_FROM_1: Final = f"""
DROP VIEW IF EXISTS readings_t;
CREATE TABLE readings_hot AS SELECT sensor_id, ts_ms, value, 1::BIGINT AS wseq FROM readings;
DROP TABLE readings;
ALTER TABLE sensors ADD COLUMN mul DOUBLE DEFAULT 1;
ALTER TABLE sensors ADD COLUMN div DOUBLE DEFAULT 1;
CREATE TABLE messages_v2 (
    device_id VARCHAR NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL, sent_ts_ms BIGINT NOT NULL,
    received_ts_ms BIGINT NOT NULL, n_readings INTEGER NOT NULL, n_events INTEGER NOT NULL,
    wseq BIGINT NOT NULL, PRIMARY KEY (device_id, boot, seq));
INSERT INTO messages_v2 SELECT *, 1 FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE TABLE sensor_retention (
    sensor_id INTEGER NOT NULL, raw_ms BIGINT, minute_ms BIGINT, hour_ms BIGINT);
CREATE TABLE message_ranges (
    device_id VARCHAR NOT NULL, boot BIGINT NOT NULL, seq_lo BIGINT NOT NULL, seq_hi BIGINT NOT NULL);
CREATE TABLE rollup_1m ({ROLLUP_COLUMNS});
CREATE TABLE rollup_1h ({ROLLUP_COLUMNS});
CREATE TABLE state_breaks (
    sensor_id INTEGER NOT NULL, bucket BIGINT NOT NULL, ts_ms BIGINT NOT NULL, code BIGINT,
    prev_ts BIGINT NOT NULL);
CREATE TABLE state_breaks_1h (
    sensor_id INTEGER NOT NULL, bucket BIGINT NOT NULL, ts_ms BIGINT NOT NULL, code BIGINT,
    prev_ts BIGINT NOT NULL);
CREATE TABLE cold_files (
    path VARCHAR NOT NULL, kind VARCHAR NOT NULL, t0 BIGINT NOT NULL, t1 BIGINT NOT NULL,
    level INTEGER NOT NULL, rows BIGINT NOT NULL, bytes BIGINT NOT NULL, pruned VARCHAR NOT NULL);
CREATE TABLE cold_garbage (path VARCHAR NOT NULL, since_ms BIGINT NOT NULL);
CREATE TABLE seamline_state (key VARCHAR NOT NULL, value BIGINT NOT NULL);
INSERT INTO seamline_state VALUES ('rollup_wseq', 0), ('rollup_open_ms', 0), ('retention_now_ms', 0);
"""


def readings_view_sql(root: Path | None, raw_files: list[str]) -> str:
    """The ``readings`` and ``readings_t`` views over the hot rows and these raw Parquet files."""
    cold = ""
    if root is not None and raw_files:
        cold = (
            f" UNION ALL SELECT sensor_id, ts_ms, {DECODE_VALUE} AS value"
            f" FROM read_parquet({parquet_list(root, raw_files)})"
        )
    return (
        f"CREATE OR REPLACE VIEW readings AS SELECT sensor_id, ts_ms, value FROM readings_hot{cold};"
        " CREATE OR REPLACE VIEW readings_t AS"
        " SELECT r.sensor_id, s.device_id, s.channel, make_timestamptz(r.ts_ms * 1000) AS ts, r.value"
        " FROM readings r JOIN sensors s USING (sensor_id);"
    )


def decode(column: str) -> str:
    """SQL giving back the exact double of ``column`` from its ``_st``/``_raw`` pair in a file."""
    return f"COALESCE({column}_raw, {column}_st * mul / div)"


def encode(column: str) -> str:
    """SQL splitting the double ``column`` into integer steps (when lossless) or the raw double.

    ``steps * mul / div`` must give back the very same double (bit for bit; ``-0.0``, NaN and
    infinities stay raw), which the decode expression then reproduces in the same engine.
    """
    st = f"TRY_CAST(round({column} * div / mul) AS BIGINT)"
    ok = f"({st} IS NOT NULL AND {st} * mul / div = {column} AND NOT ({column} = 0 AND signbit({column})))"
    return (
        f"CASE WHEN {ok} THEN {st} END AS {column}_st, CASE WHEN NOT {ok} THEN {column} END AS {column}_raw"
    )


DECODE_VALUE: Final = decode("value")
