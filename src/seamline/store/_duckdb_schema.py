# ruff: noqa: S608  # SQL is assembled from constants and catalogue paths; values are bound
"""The DuckDB store's schema (version 5), the upgrades from versions 1 to 4, and the formats of
the compacted files.

Layout (see :mod:`seamline.store.duckdb` for why):

- ``readings_hot``: the write-optimised area. The single writer appends Arrow batches; ``wseq``
  numbers its commits, so maintenance knows which rows it has rolled up. Compaction moves rows of
  closed time blocks out into Parquet files listed in ``cold_files``.
- ``rollup_1m`` and ``rollup_1h`` (open hours, and buckets re-aggregated after late readings;
  closed hours live in Parquet files, which a table row overrides for its bucket), ``state_breaks``
  and ``state_breaks_1h`` (where a state channel changed code, or paused longer than the hold,
  inside a minute or an hour): the rollups.
- ``messages`` (recent, with the de-duplication key) and ``message_ranges`` (older messages as
  runs of consecutive sequence numbers, enough to refuse a resent message forever).
- ``events`` (each with the ``wseq`` of the commit that stored it) and ``saved_state`` (the
  production ledger as the engine last saved it, with the commit it includes everything up to:
  :mod:`seamline.production.saved`).
- ``readings`` (a view over hot rows and every raw Parquet file) and ``readings_t`` for ad-hoc SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from seamline.store import _coldfiles
from seamline.store._coldfiles import parquet_list

# 3: compacted files in the relative format (files of 2 stay readable); 4: closed hours of
# rollup_1h in files too (a store of 3 needs no change: maintenance moves them); 5: events carry
# their commit's number (``wseq``) and ``saved_state`` keeps the production ledger
SCHEMA_VERSION: Final = 5

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

# The rollup, compaction and maintenance tables: in a new store, and added by the upgrade from 1.
_MAINTENANCE_TABLES: Final = f"""CREATE TABLE rollup_1m ({ROLLUP_COLUMNS});
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

# Added by the upgrade to 5 (events stored before it carry wseq 0: older than any saved state).
_SAVED_STATE: Final = """CREATE TABLE saved_state (
    name VARCHAR PRIMARY KEY, upto BIGINT NOT NULL, saved_ms BIGINT NOT NULL, data BLOB NOT NULL);
"""
UPGRADE_TO_5: Final = f"ALTER TABLE events ADD COLUMN wseq BIGINT NOT NULL DEFAULT 0;\n{_SAVED_STATE}"

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
    type VARCHAR NOT NULL, data JSON NOT NULL, wseq BIGINT NOT NULL DEFAULT 0);
{_MAINTENANCE_TABLES}{_SAVED_STATE}"""

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
        "saved_state",
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
{_MAINTENANCE_TABLES}"""


def readings_view_sql(root: Path | None, raw_files: list[str]) -> str:
    """The ``readings`` and ``readings_t`` views over the hot rows and these raw Parquet files."""
    cold = ""
    if root is not None and raw_files:
        scan, value = raw_scan(root, raw_files)
        cold = f" UNION ALL SELECT sensor_id, ts_ms, {value} AS value FROM {scan}"
    return (
        f"CREATE OR REPLACE VIEW readings AS SELECT sensor_id, ts_ms, value FROM readings_hot{cold};"
        " CREATE OR REPLACE VIEW readings_t AS"
        " SELECT r.sensor_id, s.device_id, s.channel, make_timestamptz(r.ts_ms * 1000) AS ts, r.value"
        " FROM readings r JOIN sensors s USING (sensor_id);"
    )


# -- file formats ---------------------------------------------------------------------------------
#
# Every double is stored as integer steps of its sensor's resolution (``steps * mul / div`` gives
# back the very same double) or, when no whole number of steps does that, raw. Files of the first
# format ("absolute") keep each double's steps as they are (``<column>_st``). Files of the second
# ("relative", see _coldfiles.relative) store what stays small, measured on the standard synthetic
# workload (values are mostly noise around a slow drift):
#
# - raw readings: ``value_b``, the mean steps of the block of RAW_BLOCK_ROWS readings of the sensor
#   the reading belongs to, less RAW_OFFSET (repeated, so it costs little), and ``value_z``, the
#   reading's steps above that base: the noise around the mean, centred in the lowest byte, so
#   that byte-stream-split leaves the other bytes zero. 0.53 B/reading instead of 0.58 for
#   delta-packed absolute steps; each reading decodes on its own with one addition (no window
#   over its neighbours at query time; a zigzag instead of the offset saves 0.01 B/reading but
#   doubles the decoding time of a scan).
# - rollups (1-minute and 1-hour ones alike): ``min_st`` absolute, first/max/last as steps above
#   the minimum, the sum as steps above ``count * min``, the counter increase relative to
#   ``last - first``, and times as offsets from the bucket: 3.6 B/row instead of 7.9 (1-minute).

RAW_BLOCK_ROWS: Final = 64
RAW_OFFSET: Final = _coldfiles.RAW_CENTRE


def decode(column: str) -> str:
    """SQL giving back the exact double of ``column`` from its ``_st``/``_raw`` pair in an absolute file."""
    return f"COALESCE({column}_raw, {column}_st * mul / div)"


def steps(column: str) -> str:
    """SQL of the integer steps of the double ``column`` when they give back the very same double
    (bit for bit; ``-0.0``, NaN and infinities have none), else NULL."""
    st = f"TRY_CAST(round({column} * div / mul) AS BIGINT)"
    ok = f"{st} IS NOT NULL AND {st} * mul / div = {column} AND NOT ({column} = 0 AND signbit({column}))"
    return f"CASE WHEN {ok} THEN {st} END"


DECODE_VALUE: Final = decode("value")
_RAW_STEPS: Final = "(value_b + value_z)"
RAW_VALUE: Final = f"COALESCE(value_raw, {_RAW_STEPS} * mul / div)"


def encode_raw_sql(src: str) -> str:
    """The rows of ``src`` (``sensor_id, ts_ms, value, mul, div``) in the relative format, sorted by
    (sensor, time, value). A reading whose steps do not fit a BIGINT, or its distance from the
    block's base an INTEGER, stays raw."""
    return f"""
WITH s AS (
    SELECT sensor_id, ts_ms, value, mul, div, {steps("value")} AS st,
        (row_number() OVER (PARTITION BY sensor_id ORDER BY ts_ms, value) - 1) // {RAW_BLOCK_ROWS} AS blk
    FROM ({src})
), m AS (  -- a join, not a second window: a third less time
    SELECT sensor_id, blk, TRY_CAST(round(avg(st)) - {RAW_OFFSET} AS BIGINT) AS b
    FROM s GROUP BY sensor_id, blk
), z AS (
    SELECT s.*, m.b, TRY_CAST(st::HUGEINT - m.b AS INTEGER) AS z FROM s JOIN m USING (sensor_id, blk)
)
SELECT sensor_id, ts_ms, CASE WHEN z IS NOT NULL THEN b END AS value_b, z AS value_z,
    CASE WHEN z IS NULL THEN value END AS value_raw, mul, div
FROM z ORDER BY sensor_id, ts_ms, value
"""


def raw_scan(root: Path, files: list[str]) -> tuple[str, str]:
    """``read_parquet(...)`` of these raw files and the SQL of each row's exact ``value``, whichever
    format each file has."""
    relative = [_coldfiles.relative(f) for f in files]
    if all(relative):
        return f"read_parquet({parquet_list(root, files)})", RAW_VALUE
    if not any(relative):
        return f"read_parquet({parquet_list(root, files)})", DECODE_VALUE
    return (
        f"read_parquet({parquet_list(root, files)}, union_by_name = true)",
        f"COALESCE(value_raw, value_st * mul / div, {_RAW_STEPS} * mul / div)",
    )


def encode_rollups_sql(src: str) -> str:
    """Select list of rollup rows of ``src`` (``ROLLUP_NAMES``, ``mul``, ``div``) in the relative
    format. A column whose offset does not fit a BIGINT stays raw."""
    big = "::HUGEINT"
    fits = "TRY_CAST({} AS BIGINT)"
    off = {c: fits.format(f"{c}_st{big} - min_st") for c in ("first", "max", "last")}
    base = fits.format(f"count{big} * min_st")
    sum_d = f"CASE WHEN {base} IS NOT NULL THEN {fits.format(f'sum_st{big} - count{big} * min_st')} END"
    inc_d = (
        f"CASE WHEN {off['first']} IS NOT NULL AND {off['last']} IS NOT NULL"
        f" THEN {fits.format(f'inc_st{big} - (last_st{big} - first_st)')} END"
    )
    cols = [
        "sensor_id",
        "bucket",
        "count",
        "min_st",
        "CASE WHEN min_st IS NULL THEN min END AS min_raw",
        *(f"{off[c]} AS {c}_d, CASE WHEN {off[c]} IS NULL THEN {c} END AS {c}_raw" for c in off),
        f"{sum_d} AS sum_d, CASE WHEN {sum_d} IS NULL THEN sum END AS sum_raw",
        f"{inc_d} AS inc_d, CASE WHEN {inc_d} IS NULL THEN inc END AS inc_raw",
        "first_ts - bucket AS first_dt",
        "last_ts - first_ts AS span",
        "mul",
        "div",
    ]
    encoded = ", ".join(cols)
    st = ", ".join(f"{steps(c)} AS {c}_st" for c in ("min", "max", "sum", "first", "last", "inc"))
    return f"SELECT {encoded} FROM (SELECT *, {st} FROM ({src}))"


def _minute_relative(c: str) -> str:
    if c == "min":
        return "min_st * mul / div"
    if c == "sum":
        return "CASE WHEN sum_d IS NOT NULL THEN (count * min_st + sum_d) * mul / div END"
    if c == "inc":
        return "(inc_d + (last_d - first_d)) * mul / div"
    return f"(min_st + {c}_d) * mul / div"


def rollup_scan(root: Path, files: list[str]) -> tuple[str, str]:
    """``read_parquet(...)`` of these rollup files and a select list of ``ROLLUP_NAMES`` (exact
    doubles), whichever format each file has."""
    relative = [_coldfiles.relative(f) for f in files]
    listed = parquet_list(root, files)
    doubles = ("min", "max", "sum", "first", "last", "inc")
    if not any(relative):
        cols = {c: decode(c) for c in doubles} | {"first_ts": "first_ts", "last_ts": "last_ts"}
        scan = f"read_parquet({listed})"
    else:
        new = {c: f"COALESCE({c}_raw, {_minute_relative(c)})" for c in doubles}
        cols = new | {"first_ts": "bucket + first_dt", "last_ts": "bucket + first_dt + span"}
        scan = f"read_parquet({listed})"
        if not all(relative):
            old = {c: f"{c}_st * mul / div" for c in doubles}
            cols = {c: f"COALESCE({c}_raw, {old[c]}, {_minute_relative(c)})" for c in doubles} | {
                "first_ts": "COALESCE(first_ts, bucket + first_dt)",
                "last_ts": "COALESCE(last_ts, bucket + first_dt + span)",
            }
            scan = f"read_parquet({listed}, union_by_name = true)"
    return scan, ", ".join(f"{cols[c]} AS {c}" if c in cols else c for c in ROLLUP_NAMES)
