# ruff: noqa: S608  # SQL is assembled from constants and catalogue paths; values are bound
"""SQL the DuckDB store builds its rollups and queries from.

One aggregation (:func:`aggregate_sql`) serves both the maintenance pass, which materialises
buckets, and the queries, which aggregate not-yet-materialised buckets from raw readings at query
time, so both always agree.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Final

import duckdb

from seamline.store._coldfiles import HOUR, MINUTE
from seamline.store._duckdb_schema import ROLLUP_NAMES, raw_scan, rollup_scan
from seamline.store.base import HOUR_MS, STATE_HOLD_MS

ROLLUP_LIST = ", ".join(ROLLUP_NAMES)
DOUBLE_COLUMNS = ("min", "max", "sum", "first", "last", "inc")


def bucket(column: str, width_ms: int) -> str:
    """Start of the epoch-aligned bucket of ``column`` (floor, also for times before 1970)."""
    return f"({column} - (({column} % {width_ms}) + {width_ms}) % {width_ms})"


def raw_source(root: Path | None, files: list[str], where: str) -> str:
    """``sensor_id, ts_ms, value`` of hot rows and of the listed raw files, filtered by ``where``.

    ``where`` may use ``sensor_id`` and ``ts_ms``; its ``?`` parameters must be bound twice when
    files are listed (once per side of the union).
    """
    hot = f"SELECT sensor_id, ts_ms, value FROM readings_hot WHERE {where}"
    if root is None or not files:
        return hot
    scan, value = raw_scan(root, files)
    return f"{hot} UNION ALL SELECT sensor_id, ts_ms, {value} AS value FROM {scan} WHERE {where}"


def aggregate_sql(src: str, width_ms: int = 60_000) -> str:
    """Rollup rows (``ROLLUP_NAMES``) plus ``breaks``, a list of state breaks, of the raw rows of
    ``src`` (``sensor_id, ts_ms, value``), one row per (sensor, bucket of ``width_ms``).

    Plain aggregates cover every row; the ordered pass (``lag``), which counters' increases and
    states' breaks need, runs only over counter and state rows (a quarter of the workload).
    ``first``/``last`` follow reading order (time, then value) through a struct key. ``sum`` adds
    integer steps when every value is an exact multiple of the sensor's step, so it is exact.
    """
    return f"""
WITH r AS (
    SELECT r.sensor_id, {bucket("r.ts_ms", width_ms)} AS bucket, r.ts_ms, r.value,
        COALESCE(s.kind, 'gauge') AS kind, COALESCE(s.mul, 1) AS mul, COALESCE(s.div, 1) AS div
    FROM ({src}) r LEFT JOIN sensors s USING (sensor_id)
), g AS (
    SELECT sensor_id, bucket, count(*)::BIGINT AS count, min(value) AS min, max(value) AS max,
        CASE WHEN bool_and(st IS NOT NULL AND st * mul / div = value AND NOT (value = 0 AND signbit(value)))
             THEN sum(st)::DOUBLE * any_value(mul) / any_value(div) ELSE sum(value) END AS sum,
        arg_min(value, {{'t': ts_ms, 'v': value}}) AS first,
        arg_max(value, {{'t': ts_ms, 'v': value}}) AS last,
        min(ts_ms) AS first_ts, max(ts_ms) AS last_ts
    FROM (SELECT *, TRY_CAST(round(value * div / mul) AS BIGINT) AS st FROM r)
    GROUP BY sensor_id, bucket
), w AS (
    SELECT sensor_id, bucket, kind, ts_ms, value, code,
        lag(value) OVER win AS pv, lag(ts_ms) OVER win AS pts, lag(code) OVER win AS pcode
    FROM (SELECT *, CASE WHEN isfinite(value) THEN TRY_CAST(trunc(value) AS BIGINT) END AS code
          FROM r WHERE kind <> 'gauge')
    WINDOW win AS (PARTITION BY sensor_id, bucket ORDER BY ts_ms, value)
), x AS (
    SELECT sensor_id, bucket,
        CASE WHEN any_value(kind) = 'counter' THEN
            COALESCE(sum(CASE WHEN pv IS NULL THEN NULL WHEN value >= pv THEN value - pv ELSE value END), 0)
        END AS inc,
        list({{'ts_ms': ts_ms, 'code': code, 'prev_ts': pts}} ORDER BY ts_ms, value) FILTER (
            WHERE kind = 'state' AND pv IS NOT NULL
            AND (code IS DISTINCT FROM pcode OR ts_ms - pts > {STATE_HOLD_MS})
        ) AS breaks
    FROM w GROUP BY sensor_id, bucket
)
SELECT g.*, x.inc, x.breaks FROM g LEFT JOIN x USING (sensor_id, bucket)
"""


def compose_hours_sql(src: str) -> str:
    """1-hour rollup rows from the 1-minute rows of ``src`` (see :func:`seamline.store.rollup.compose`)."""
    return f"""
WITH m AS (
    SELECT *, {bucket("bucket", HOUR_MS)} AS hour,
        lag(last) OVER (PARTITION BY sensor_id, {bucket("bucket", HOUR_MS)} ORDER BY bucket) AS plast
    FROM ({src})
)
SELECT sensor_id, hour AS bucket, sum(count)::BIGINT AS count, min(min) AS min, max(max) AS max,
    sum(sum) AS sum, arg_min(first, bucket) AS first, arg_max(last, bucket) AS last,
    min(first_ts) AS first_ts, max(last_ts) AS last_ts,
    sum(inc) + sum(CASE WHEN plast IS NULL THEN 0 WHEN first >= plast THEN first - plast ELSE first END)
        AS inc
FROM m GROUP BY sensor_id, hour
"""


def rollback(cur: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open: nothing to undo
        cur.rollback()


def watermark(cur: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """``(wseq, open_ms)``: the rollups hold every hot row with ``wseq <= wseq`` and
    ``ts_ms < open_ms``; any other hot row's bucket is aggregated from raw readings when queried."""
    rows = dict(cur.execute("SELECT key, value FROM seamline_state").fetchall())
    return int(rows.get("rollup_wseq", 0)), int(rows.get("rollup_open_ms", 0))


PENDING: Final = "(wseq > ? OR ts_ms >= ?)"  # a hot row the rollups do not hold yet (bind watermark())


ROLLUP_TABLES: Final = {MINUTE: "rollup_1m", HOUR: "rollup_1h"}  # file kind -> its table


def rollup_union(kind: str, root: Path | None, files: list[str], where: str) -> str:
    """Like :func:`rollup_source`, but keeping both versions of a bucket, with a ``prio`` column
    (1 for the table's) for the caller to pick from: cheaper than ranking them in SQL."""
    hot = f"SELECT {ROLLUP_LIST}, 1 AS prio FROM {ROLLUP_TABLES[kind]} WHERE {where}"
    if root is None or not files:
        return hot
    scan, decoded = rollup_scan(root, files)
    return f"{hot} UNION ALL SELECT {decoded}, 0 AS prio FROM {scan} WHERE {where}"


def rollup_source(kind: str, root: Path | None, files: list[str], where: str) -> str:
    """Rollup rows of ``kind`` (``"1m"`` or ``"1h"``) from its table and these files; a table row
    replaces a file's row for the same bucket (it was re-aggregated after a late reading).
    ``where`` is bound twice when files are listed.

    An anti-join against the table (small) rather than ranking both sides: no sort, so a 6-hour
    block of rows merges within the memory limit."""
    table = ROLLUP_TABLES[kind]
    hot = f"SELECT {ROLLUP_LIST} FROM {table} WHERE {where}"
    if root is None or not files:
        return hot
    scan, decoded = rollup_scan(root, files)
    return (
        f"{hot} UNION ALL SELECT {decoded} FROM {scan} c WHERE {where}"
        f" AND NOT EXISTS (SELECT 1 FROM {table} h WHERE h.sensor_id = c.sensor_id AND h.bucket = c.bucket)"
    )


def minute_source(root: Path | None, files: list[str], where: str) -> str:
    """1-minute rollup rows from ``rollup_1m`` and these files (see :func:`rollup_source`)."""
    return rollup_source(MINUTE, root, files, where)


def hour_source(root: Path | None, files: list[str], where: str) -> str:
    """1-hour rollup rows from ``rollup_1h`` and these files (see :func:`rollup_source`)."""
    return rollup_source(HOUR, root, files, where)
