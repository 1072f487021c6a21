# ruff: noqa: S608  # SQL is assembled from constants and catalogue paths; values are bound
"""The rollup step of the DuckDB store's maintenance: aggregate the minutes that closed, and those
late rows touched, into ``rollup_1m``, their hours into ``rollup_1h``, in short transactions.

A minute stays open (its rows pending, aggregated at query time) until the data's own clock (the
newest device time seen, capped at the wall clock + ``FUTURE_SLACK_MS``; see :func:`data_clock`) is
``ROLLUP_GRACE_MS`` past its end, so in-order data is aggregated once. Every bucket of an affected minute is
re-aggregated from all its raw readings (hot and compacted), which is what makes late and
out-of-order readings exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import duckdb

from seamline.store._duckdb_sql import (
    ROLLUP_LIST,
    aggregate_sql,
    bucket,
    compose_hours_sql,
    minute_source,
    raw_source,
    rollback,
    watermark,
)
from seamline.store.base import HOUR_MS, MINUTE_MS, STATE_HOLD_MS

if TYPE_CHECKING:
    from seamline.store.duckdb import DuckDBStore

FUTURE_SLACK_MS: Final = 60_000  # device clocks ahead of the wall clock by more do not close anything
ROLLUP_CHUNK_ROWS: Final = 4_000_000  # hot rows rolled up per transaction
ROLLUP_GRACE_MS: Final = 60_000  # a minute is rolled up once the data's clock is this far past its end
SLICE_MS: Final = 120_000  # compaction unit: 2 minutes of device time keep the hot table small
IDLE_CLOSE_MS: Final = 3_600_000  # when no data came for this long, the wall clock closes the last minutes
_FOREVER: Final = 1 << 62


def data_clock(store: DuckDBStore, now_ms: int) -> int:
    """The time maintenance closes minutes and slices by: the newest device time seen, capped at
    the wall clock + ``FUTURE_SLACK_MS``. When the data stopped (a factory shut for the weekend),
    the wall clock less ``IDLE_CLOSE_MS`` takes over, so the last minutes are rolled up, compacted
    and, in time, retired like the rest; a reading that still comes later is a late reading."""
    return min(max(store.max_ts, now_ms - IDLE_CLOSE_MS), now_ms + FUTURE_SLACK_MS)


def roll_up(store: DuckDBStore, cur: duckdb.DuckDBPyConnection, now_ms: int, close_all: bool) -> int:
    """Aggregate the minutes that closed since the last pass and those late rows touched.

    A minute stays open (its rows pending, aggregated at query time) until the data's clock is
    ``ROLLUP_GRACE_MS`` past its end, so in-order data is aggregated once, not at every pass.
    """
    limit = store.wseq  # every commit up to here is visible to the queries below
    wm, open_ms = watermark(cur)
    clock = _FOREVER if close_all else data_clock(store, now_ms) - ROLLUP_GRACE_MS
    new_open = max(open_ms, clock - clock % MINUTE_MS)
    pending = cur.execute(
        f"SELECT {bucket('ts_ms', MINUTE_MS)} AS m, count(*), min(sensor_id), max(sensor_id)"
        " FROM readings_hot WHERE ts_ms < ? AND wseq <= ? AND (wseq > ? OR ts_ms >= ?) GROUP BY m ORDER BY m",
        [new_open, limit, wm, open_ms],
    ).fetchall()
    total, rows = 0, 0
    chunk: dict[int, tuple[int, int]] = {}
    for m, n, lo_id, hi_id in pending:
        if chunk and rows + n > ROLLUP_CHUNK_ROWS:
            total += _roll_up_chunk(store, cur, chunk, now_ms)
            chunk, rows = {}, 0
        chunk[int(m)] = (int(lo_id), int(hi_id))
        rows += int(n)
    if chunk:
        total += _roll_up_chunk(store, cur, chunk, now_ms)
    cur.begin()
    cur.execute("UPDATE seamline_state SET value = ? WHERE key = 'rollup_wseq'", [limit])
    cur.execute("UPDATE seamline_state SET value = ? WHERE key = 'rollup_open_ms'", [new_open])
    cur.commit()
    return total


def _roll_up_chunk(
    store: DuckDBStore, cur: duckdb.DuckDBPyConnection, minutes: dict[int, tuple[int, int]], now_ms: int
) -> int:
    """Re-aggregate every bucket of these minutes (within each run's sensor range): a superset of
    the touched buckets, which costs less than finding exactly those."""
    runs: list[list[int]] = []  # [lo, hi, lo_id, hi_id]
    for m in sorted(minutes):
        lo_id, hi_id = minutes[m]
        if runs and runs[-1][1] == m:
            run = runs[-1]
            run[1], run[2], run[3] = m + MINUTE_MS, min(run[2], lo_id), max(run[3], hi_id)
        else:
            runs.append([m, m + MINUTE_MS, lo_id, hi_id])
    parts, params = [], []
    for lo, hi, lo_id, hi_id in runs:
        files = _files_overlapping(cur, "raw", lo, hi)
        parts.append(
            raw_source(store.cold_root, files, "sensor_id BETWEEN ? AND ? AND ts_ms >= ? AND ts_ms < ?")
        )
        params += [lo_id, hi_id, lo, hi] * (2 if files else 1)
    cur.begin()
    try:
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _new AS {aggregate_sql(' UNION ALL '.join(parts))}", params
        )
        # Retention may already have dropped raw readings of a bucket past the horizon it applied
        # last: re-aggregating it would replace its rollup with a partial one. A reading that
        # arrives that late is dropped by retention instead (base.RetentionPolicy allows it).
        retained = int(
            cur.execute("SELECT value FROM seamline_state WHERE key = 'retention_now_ms'").fetchall()[0][0]
        )
        cur.execute(
            "DELETE FROM _new t USING sensor_retention c WHERE t.sensor_id = c.sensor_id"
            f" AND c.raw_ms IS NOT NULL AND t.bucket + {MINUTE_MS} <= ? - c.raw_ms",
            [retained],
        )
        for table in ("rollup_1m", "state_breaks"):
            cur.execute(
                f"DELETE FROM {table} r USING _new t WHERE r.sensor_id = t.sensor_id AND r.bucket = t.bucket"
            )
        cur.execute(f"INSERT INTO rollup_1m SELECT {ROLLUP_LIST} FROM _new")
        cur.execute(
            "INSERT INTO state_breaks SELECT sensor_id, bucket, b.ts_ms, b.code, b.prev_ts"
            " FROM (SELECT sensor_id, bucket, unnest(breaks) AS b FROM _new WHERE breaks IS NOT NULL)"
        )
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _hours AS SELECT DISTINCT sensor_id, {bucket('bucket', HOUR_MS)}"
            " AS bucket FROM _new"
        )
        h_lo = runs[0][0] - runs[0][0] % HOUR_MS
        h_hi = runs[-1][1] - runs[-1][1] % HOUR_MS + HOUR_MS
        files = _files_for(cur, "1m", "_hours", "bucket", h_lo, h_hi)
        src = (
            f"SELECT m.* FROM ({minute_source(store.cold_root, files, 'bucket >= ? AND bucket < ?')}) m"
            f" SEMI JOIN _hours h ON m.sensor_id = h.sensor_id AND {bucket('m.bucket', HOUR_MS)} = h.bucket"
        )
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _m1 AS {src}", [h_lo, h_hi] * (2 if files else 1))
        compose_hours(cur)
        touched = int(cur.execute("SELECT count(*) FROM _new").fetchall()[0][0])
        cur.commit()
    except BaseException:
        rollback(cur)
        raise
    return touched


def compose_hours(cur: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the hours in temp table ``_hours`` from their 1-minute rows in ``_m1``: the 1-hour
    rollups, and the hour-level state breaks (the breaks inside its minutes, plus each minute whose
    first reading changed code from, or came more than the hold after, the minute before's last),
    so state timelines over long ranges need one row per sensor and hour."""
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _new_h AS {compose_hours_sql('SELECT * FROM _m1')}")
    for table in ("rollup_1h", "state_breaks_1h"):
        cur.execute(
            f"DELETE FROM {table} r USING _hours h WHERE r.sensor_id = h.sensor_id AND r.bucket = h.bucket"
        )
    cur.execute(f"INSERT INTO rollup_1h SELECT {ROLLUP_LIST} FROM _new_h")
    code = "CASE WHEN isfinite({0}) THEN TRY_CAST(trunc({0}) AS BIGINT) END"
    cur.execute(
        f"""INSERT INTO state_breaks_1h
WITH m AS (
    SELECT m.sensor_id, {bucket("m.bucket", HOUR_MS)} AS hour, m.first_ts, {code.format("m.first")} AS code,
        lag({code.format("m.last")}) OVER w AS pcode, lag(m.last_ts) OVER w AS pts
    FROM _m1 m JOIN sensors s ON s.sensor_id = m.sensor_id AND s.kind = 'state'
    WINDOW w AS (PARTITION BY m.sensor_id, {bucket("m.bucket", HOUR_MS)} ORDER BY m.bucket)
)
SELECT sensor_id, hour, first_ts, code, pts FROM m
WHERE pts IS NOT NULL AND (code IS DISTINCT FROM pcode OR first_ts - pts > {STATE_HOLD_MS})
UNION ALL
SELECT b.sensor_id, {bucket("b.bucket", HOUR_MS)}, b.ts_ms, b.code, b.prev_ts FROM state_breaks b
SEMI JOIN _hours h ON b.sensor_id = h.sensor_id AND {bucket("b.bucket", HOUR_MS)} = h.bucket"""
    )


def _files_overlapping(cur: duckdb.DuckDBPyConnection, kind: str, lo: int, hi: int) -> list[str]:
    rows = cur.execute(
        "SELECT path FROM cold_files WHERE kind = ? AND t0 < ? AND t1 > ? ORDER BY t0", [kind, hi, lo]
    ).fetchall()
    return [r[0] for r in rows]


def _files_for(
    cur: duckdb.DuckDBPyConnection, kind: str, keys: str, column: str, lo: int, hi: int
) -> list[str]:
    """Files of ``kind`` overlapping the slices (or hours) the keys in temp table ``keys`` fall in."""
    width = SLICE_MS if kind == "raw" else HOUR_MS
    starts = {
        int(r[0]) for r in cur.execute(f"SELECT DISTINCT {bucket(column, width)} FROM {keys}").fetchall()
    }
    rows = cur.execute(
        "SELECT path, t0, t1 FROM cold_files WHERE kind = ? AND t0 < ? AND t1 > ? ORDER BY t0", [kind, hi, lo]
    ).fetchall()
    return [p for p, t0, t1 in rows if any(t0 < s + width and t1 > s for s in starts)]
