"""State durations of the PostgreSQL store, computed from raw readings.

A state reading holds its code from its time until the sensor's next reading, for at most
:data:`~seamline.store.base.STATE_HOLD_MS`, so the readings of ``[start - hold, end)`` decide a range:
one binary COPY of them, then numpy. Raw readings only: once raw retention dropped a range's
readings, its time is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
from psycopg import sql

from seamline.store.base import STATE_HOLD_MS, StateDurations, StoreQueryError
from seamline.store.postgres_conn import Conn
from seamline.store.postgres_copy import decode_readings

MAX_INTERVALS: Final = 10_000
MIN_INTERVAL_MS: Final = 1000
_F = npt.NDArray[np.float64]
_I = npt.NDArray[np.int64]


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
    bucket = start_ms + interval_ms * np.arange(n, dtype=np.int64)
    length = np.minimum(bucket + interval_ms, end_ms) - bucket
    sid, ts, values = _read_states(con, ids, start_ms - STATE_HOLD_MS, end_ms) if n else _no_readings()
    row_of = {s: i for i, s in enumerate(ids)}
    # each reading holds its code until the sensor's next reading, at most STATE_HOLD_MS
    same_next = np.zeros(len(sid), bool)
    same_next[:-1] = sid[1:] == sid[:-1]
    hold_end = ts + STATE_HOLD_MS
    hold_end[same_next] = np.minimum(hold_end[same_next], ts[1:][same_next[:-1]])
    a = np.maximum(ts, start_ms)
    b = np.minimum(hold_end, end_ms)
    keep = b > a
    a, b, codes_all = a[keep], b[keep], np.trunc(values[keep]).astype(np.int64)
    rows = np.array([row_of[int(s)] for s in sid[keep]], np.int64)
    codes, col = np.unique(codes_all, return_inverse=True)
    duration = np.zeros((len(ids), n + 1, len(codes)), np.int64)
    k0 = (a - start_ms) // interval_ms
    k1 = (b - 1 - start_ms) // interval_ms
    one = k0 == k1
    np.add.at(duration, (rows[one], k0[one], col[one]), (b - a)[one])
    many = ~one
    r, c, k0m, k1m = rows[many], col[many], k0[many], k1[many]
    np.add.at(duration, (r, k0m, c), start_ms + (k0m + 1) * interval_ms - a[many])
    np.add.at(duration, (r, k1m, c), b[many] - (start_ms + k1m * interval_ms))
    # the whole intervals in between, as a difference array summed along the intervals
    full = np.zeros_like(duration)
    inner = k1m > k0m + 1
    np.add.at(full, (r[inner], k0m[inner] + 1, c[inner]), interval_ms)
    np.add.at(full, (r[inner], k1m[inner], c[inner]), -interval_ms)
    duration = (duration + np.cumsum(full, axis=1))[:, :n, :]
    unknown = length[np.newaxis, :] - duration.sum(axis=2)
    return StateDurations(tuple(ids), start_ms, end_ms, interval_ms, bucket, codes, duration, unknown)


def _no_readings() -> tuple[_I, _I, _F]:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)


def _read_states(con: Conn, sensor_ids: Sequence[int], lo_ms: int, hi_ms: int) -> tuple[_I, _I, _F]:
    if not sensor_ids:
        return _no_readings()
    query = sql.SQL(
        "COPY (SELECT sensor_id, ts, value FROM readings WHERE sensor_id = ANY({}::int4[])"
        " AND ts >= {} AND ts < {} ORDER BY sensor_id, ts, value) TO STDOUT (FORMAT binary)"
    ).format(sql.Literal(list(sensor_ids)), _ts(lo_ms), _ts(hi_ms))
    with con.cursor() as cur, cur.copy(query) as cp:
        data = b"".join(bytes(chunk) for chunk in cp)
    return decode_readings(data)
