"""State durations of the PostgreSQL store, from minute rollups and state breaks, or raw readings.

A state reading holds its code from its time until the sensor's next reading, for at most
:data:`~seamline.store.base.STATE_HOLD_MS`, so the minutes of ``[start - hold, end)`` decide a range.
A rolled-up minute is described exactly by its ``rollup_1m`` row (first and last reading) and its
``state_breaks``, which outlive raw retention as long as the minute rollups do; a minute still
marked dirty comes from its raw readings. The timeline arithmetic is the DuckDB store's
(:mod:`seamline.store.rollup`), so both backends answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from psycopg import sql

from seamline.store.base import MINUTE_MS, STATE_HOLD_MS, StateDurations, StoreQueryError
from seamline.store.postgres_conn import Conn
from seamline.store.postgres_copy import decode_readings
from seamline.store.postgres_rollup import bucket_runs
from seamline.store.rollup import (
    NO_SPANS,
    StateBuckets,
    codes_of,
    durations,
    merge_states,
    segments,
    state_from_readings,
)

MAX_INTERVALS: Final = 10_000
MIN_INTERVAL_MS: Final = 1000
_F = npt.NDArray[np.float64]
_I = npt.NDArray[np.int64]
_Rows = list[npt.NDArray[np.float64]]  # columns of fetched rows


def _ms(column: str) -> sql.Composable:
    return sql.SQL("(extract(epoch FROM {}) * 1000)::int8").format(sql.Identifier(column))


def _ts(ms: int) -> sql.Composable:
    return sql.SQL("(timestamptz 'epoch' + {}::int8 * interval '1 millisecond')").format(sql.Literal(int(ms)))


def state_durations(
    con: Conn,
    kinds: Mapping[int, str],
    sensor_ids: Sequence[int],
    start_ms: int,
    end_ms: int,
    interval_ms: int,
) -> StateDurations:
    """See :meth:`seamline.store.base.Store.state_durations`."""
    ids = [int(s) for s in sensor_ids]
    not_state = [s for s in ids if kinds.get(s) != "state"]
    if not_state:
        raise StoreQueryError(
            f"sensors {not_state[:10]} are not state channels; state durations need state sensors",
            field="sensor_ids",
        )
    if interval_ms < MIN_INTERVAL_MS:
        raise StoreQueryError(
            f"interval_ms must be at least {MIN_INTERVAL_MS}, got {interval_ms}", field="interval_ms"
        )
    n = max(0, -(-(end_ms - start_ms) // interval_ms))
    if n > MAX_INTERVALS:
        raise StoreQueryError(
            f"the range holds {n} intervals of {interval_ms} ms, more than {MAX_INTERVALS}; use a longer"
            " interval or a shorter range",
            field="interval_ms",
        )
    ids_t = tuple(ids)
    if not n or not ids:
        return durations(ids_t, NO_SPANS, start_ms, max(end_ms, start_ms), interval_ms)
    # Readings further than the hold before the range cannot reach into it; one after the range only
    # ends a hold there. Clean minutes come from their rollup rows and breaks, which describe the
    # timeline exactly (clipping happens in durations()); minutes not rolled up yet, from raw readings.
    lo = start_ms - STATE_HOLD_MS - (start_ms - STATE_HOLD_MS) % MINUTE_MS
    hi = end_ms + (-end_ms) % MINUTE_MS
    dirty = np.array(sorted(_dirty_minutes(con, lo, hi)), np.int64)
    rows = _minute_table(con, "rollup_1m", ("first_ts", "first_v", "last_ts"), ids, lo, hi)
    breaks = _minute_table(con, "state_breaks", ("ts", "code", "prev_ts"), ids, lo, hi)
    runs = bucket_runs(dirty.tolist(), MINUTE_MS)
    raw = _read_states(con, ids, runs) if runs else _no_readings()
    sid, ts, values = raw
    fresh = state_from_readings(sid, ts, values, MINUTE_MS)
    return durations(
        ids_t, segments(merge_states([_stored(rows, breaks, dirty), fresh])), start_ms, end_ms, interval_ms
    )


def _dirty_minutes(con: Conn, lo_ms: int, hi_ms: int) -> set[int]:
    """Minutes in ``[lo, hi)`` whose rollup rows and breaks may miss readings."""
    got = con.execute(
        sql.SQL(
            "SELECT DISTINCT (extract(epoch FROM date_bin(interval '1 minute', bucket, timestamptz 'epoch'))"
            " * 1000)::int8 FROM dirty WHERE width_ms <= %s AND bucket >= {} AND bucket < {}"
        ).format(_ts(lo_ms), _ts(hi_ms)),
        (MINUTE_MS,),
    ).fetchall()
    return {int(r[0]) for r in got}


def _minute_table(
    con: Conn, table: str, columns: tuple[str, str, str], ids: Sequence[int], lo_ms: int, hi_ms: int
) -> _Rows:
    """Columns ``sensor_id, bucket, *columns`` of a per-minute table, times (all but the middle one)
    as Unix ms."""
    a, value, b = columns
    got = con.execute(
        sql.SQL(
            "SELECT sensor_id, {}, {}, {}, {} FROM {} WHERE sensor_id = ANY(%s::int4[])"
            " AND bucket >= {} AND bucket < {}"
        ).format(
            _ms("bucket"),
            _ms(a),
            sql.Identifier(value),
            _ms(b),
            sql.Identifier(table),
            _ts(lo_ms),
            _ts(hi_ms),
        ),
        (list(ids),),
    ).fetchall()
    return _columns(got, 5)


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> _Rows:
    if not rows:
        return [np.empty(0, np.float64) for _ in range(width)]
    return [np.asarray(col, np.float64) for col in zip(*rows, strict=True)]


def _stored(rows: _Rows, breaks: _Rows, dirty: _I) -> StateBuckets:
    """The sensors' rolled-up minutes and their breaks, without the ``dirty`` ones."""
    keep = ~np.isin(rows[1].astype(np.int64), dirty)
    bkeep = ~np.isin(breaks[1].astype(np.int64), dirty)
    return StateBuckets(
        rows[0][keep].astype(np.int64),
        rows[2][keep].astype(np.int64),
        codes_of(rows[3][keep]),
        rows[4][keep].astype(np.int64),
        breaks[0][bkeep].astype(np.int64),
        breaks[2][bkeep].astype(np.int64),
        breaks[3][bkeep],
        breaks[4][bkeep].astype(np.int64),
    )


def _no_readings() -> tuple[_I, _I, _F]:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)


def _read_states(
    con: Conn, sensor_ids: Sequence[int], ranges: Sequence[tuple[int, int]]
) -> tuple[_I, _I, _F]:
    within = sql.SQL(" OR ").join(
        sql.SQL("(ts >= {} AND ts < {})").format(_ts(lo), _ts(hi)) for lo, hi in ranges
    )
    query = sql.SQL(
        "COPY (SELECT sensor_id, ts, value FROM readings WHERE sensor_id = ANY({}::int4[])"
        " AND ({}) ORDER BY sensor_id, ts, value) TO STDOUT (FORMAT binary)"
    ).format(sql.Literal(list(sensor_ids)), within)
    with con.cursor() as cur, cur.copy(query) as cp:
        data = b"".join(bytes(chunk) for chunk in cp)
    return decode_readings(data)
