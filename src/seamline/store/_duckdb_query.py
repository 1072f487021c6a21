# ruff: noqa: S608  # SQL is assembled from constants and catalogue paths; values are bound
"""The DuckDB store's rollup queries: stored rollups where they are current, raw readings elsewhere.

A stored rollup row is current unless the hot table holds rows newer than the rollups
(``wseq`` above the rollup watermark) in its bucket; those buckets, and the partial buckets at
the edges of a range, are aggregated from raw readings inside the same read transaction with the
very SQL maintenance uses (:func:`~seamline.store._duckdb_sql.aggregate_sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import duckdb
import numpy as np
import numpy.typing as npt

from seamline.store import _coldfiles
from seamline.store._coldfiles import HOUR, MINUTE, RAW
from seamline.store._duckdb_schema import ROLLUP_NAMES
from seamline.store._duckdb_sql import (
    PENDING,
    ROLLUP_TABLES,
    bucket,
    raw_source,
    rollup_union,
    watermark,
)
from seamline.store.base import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    ROLLUP_RESOLUTIONS,
    STATE_HOLD_MS,
    Aggregates,
    Resolution,
    StateDurations,
    StoreQueryError,
)
from seamline.store.rollup import (
    NO_SPANS,
    Buckets,
    StateBuckets,
    codes_of,
    compose,
    durations,
    from_readings,
    merge_states,
    segments,
    state_from_readings,
    to_aggregates,
)

if TYPE_CHECKING:
    from seamline.store.duckdb import DuckDBStore

MAX_INTERVALS = 10_000
Ranges = list[tuple[int, int]]
Catalog = dict[str, tuple[str, int, int]]
Raw = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]  # sensor, ts, value
Newest = Raw  # each sensor's newest reading
_FAR = 1 << 62  # beyond any time


def aggregates(
    store: DuckDBStore, sensor_id: int, start_ms: int, end_ms: int, resolution: Resolution
) -> Aggregates:
    if resolution not in ROLLUP_RESOLUTIONS:
        raise StoreQueryError(
            f"resolution {resolution.value!r} is not a rollup; ask history() for raw readings",
            field="resolution",
        )
    counter = store.kinds.get(sensor_id) == "counter"
    if start_ms >= end_ms:
        return to_aggregates(Buckets.concat([], counter=counter), sensor_id, resolution, None)
    with store.snapshot() as cur:
        wm = watermark(cur)
        catalog = _catalog(cur)
        late, tail = _pending(cur, [sensor_id], start_ms, end_ms, wm)
        dirty = _merge_ranges(
            [*_runs(sorted(m for _, m in late), MINUTE_MS), (tail, _ceil(end_ms, MINUTE_MS))]
        )
        if resolution is Resolution.MINUTE:
            fine, coarse = [(start_ms, end_ms)], []
        else:
            a, b = _ceil(start_ms, HOUR_MS), _floor(end_ms, HOUR_MS)
            dirty_hours = _merge_ranges(
                [(_floor(lo, HOUR_MS), _ceil(hi, HOUR_MS)) for lo, hi in _intersect(dirty, a, b)]
            )
            fine = sorted(_outside(start_ms, end_ms, a, b) + dirty_hours)
            coarse = _minus([(a, b)] if a < b else [], dirty_hours)
        # the minute level of ``fine``: stored minutes where whole and current, raw readings elsewhere
        stored_ranges, raw_ranges = [], []
        for lo, hi in fine:
            a, b = _ceil(lo, MINUTE_MS), _floor(hi, MINUTE_MS)
            inner_dirty = _intersect(dirty, a, b)
            raw_ranges += _outside(lo, hi, a, b) + inner_dirty
            stored_ranges += _minus([(a, b)] if a < b else [], inner_dirty)
        # a counter's first bucket adds the step from the reading before it: look a minute back
        back = _floor(start_ms - MINUTE_MS, MINUTE_MS)
        lookback = [(back, start_ms)] if counter else []
        # every file read starts now and decodes while DuckDB answers the tables
        raw_ranges = _merge_ranges(raw_ranges + lookback)
        tables = _Tables(cur)
        raw = _raw_rows_soon(store, tables, _files_in(catalog, RAW, raw_ranges), [sensor_id], raw_ranges)
        minutes = _stored_soon(store, tables, catalog, MINUTE, sensor_id, stored_ranges)
        hours = _stored_soon(
            store, tables, catalog, HOUR, sensor_id, coarse if resolution is Resolution.HOUR else []
        )
        _, ts, values = raw()
        before_start = ts < start_ms
        parts = [from_readings(ts[~before_start], values[~before_start], MINUTE_MS, counter=counter)]
        if minutes:
            parts.append(Buckets.from_columns(minutes(), counter=counter))
        got = Buckets.concat(parts, counter=counter)
        if resolution is Resolution.HOUR:
            hourly = [compose(got, HOUR_MS)]
            if hours:
                hourly.append(Buckets.from_columns(hours(), counter=counter))
            got = Buckets.concat(hourly, counter=counter)
        before = None
        if counter and len(got):
            if before_start.any():
                last = np.lexsort((values[before_start], ts[before_start]))[-1]
                before = float(values[before_start][last])
            else:
                before = _value_before(store, cur, catalog, sensor_id, back, wm)
    return to_aggregates(got, sensor_id, resolution, before)


def raw_rows(
    store: DuckDBStore, cur: duckdb.DuckDBPyConnection, files: list[str], sensor_id: int, ranges: Ranges
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(ts_ms, value) of one sensor's raw readings in these time ranges, unordered."""
    _, ts, values = raw_rows_of(store, cur, files, [sensor_id], ranges)
    return ts, values


def raw_rows_of(
    store: DuckDBStore,
    cur: duckdb.DuckDBPyConnection,
    files: list[str],
    sensor_ids: list[int],
    ranges: Ranges,
) -> Raw:
    """(sensor_id, ts_ms, value) of these sensors' raw readings in these time ranges, unordered:
    the hot rows and files of the absolute format in one DuckDB query (the hot table scanned once,
    whatever the number of ranges), the relative files through :mod:`~seamline.store._coldread`."""
    return _raw_rows_soon(store, _Tables(cur), files, sensor_ids, ranges)()


def _raw_rows_soon(
    store: DuckDBStore, tables: _Tables, files: list[str], sensor_ids: list[int], ranges: Ranges
) -> Callable[[], Raw]:
    """:func:`raw_rows_of` in two steps: the relative files start decoding in the background and
    the DuckDB query joins ``tables`` now; the returned function waits for both (call it inside
    the snapshot, in this thread)."""
    if not ranges:
        return lambda: (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
    reader = store.cold_reader
    fast = [f for f in files if _coldfiles.relative(f)] if reader else []
    slow = [f for f in files if not _coldfiles.relative(f)] if fast else files
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    cold = reader.soon(reader.raw, fast, sensor_ids, lo, hi) if fast and reader else None
    ids_sql, ids_params = _ids(sensor_ids)
    within, p = _within("ts_ms", ranges)
    src = raw_source(store.cold_root, slow, f"{ids_sql} AND ({within})")
    params = [*ids_params, *p] * (2 if slow else 1)
    answer = tables.query(
        f"SELECT sensor_id, ts_ms, value FROM ({src})", params, ("sensor_id", "ts_ms", "value")
    )

    def finish() -> Raw:
        columns = answer()
        hot = (
            np.asarray(columns["sensor_id"], np.int64),
            np.asarray(columns["ts_ms"], np.int64),
            np.asarray(columns["value"], np.float64),
        )
        if len(hot[1]) > 1:  # a parallel scan gives no order: by sensor and time, after the files
            order = np.lexsort((hot[2], hot[1], hot[0]))
            hot = (hot[0][order], hot[1][order], hot[2][order])
        if cold is None:
            return hot
        sid, ts, values = cold.result()  # inside the snapshot: its files outlive it by GARBAGE_AGE_S
        if len(ranges) > 1:
            inside = np.zeros(len(ts), np.bool_)
            for a, b in ranges:
                inside |= (ts >= a) & (ts < b)
            sid, ts, values = sid[inside], ts[inside], values[inside]
        return np.concatenate((sid, hot[0])), np.concatenate((ts, hot[1])), np.concatenate((values, hot[2]))

    return finish


def _stored_soon(
    store: DuckDBStore, tables: _Tables, catalog: Catalog, kind: str, sensor_id: int, ranges: Ranges
) -> Callable[[], dict[str, Any]] | None:
    """One sensor's stored rollups of ``kind`` in these bucket ranges, as :func:`_rollup_rows_soon`
    (``None`` for no ranges)."""
    if not ranges:
        return None
    return _rollup_rows_soon(store, tables, kind, _files_in(catalog, kind, ranges), [sensor_id], ranges)


def _rollup_rows_soon(
    store: DuckDBStore,
    tables: _Tables,
    kind: str,
    files: list[str],
    sensor_ids: list[int],
    ranges: Ranges,
    columns: Sequence[str] = ROLLUP_NAMES,
) -> Callable[[], dict[str, Any]]:
    """``columns`` of the stored rollup rows of ``kind`` for these sensors with a bucket in
    ``ranges``, in two steps like :func:`_raw_rows_soon`; where the table re-aggregated a file's
    bucket, its row wins. Relative files are read through :mod:`~seamline.store._coldread`, the
    table (and files of the absolute format) by DuckDB."""
    ids_sql, ids_params = _ids(sensor_ids)
    within, p = _within("bucket", ranges)
    where, params = f"{ids_sql} AND ({within})", [*ids_params, *p]
    reader = store.cold_reader
    fast = reader is not None and files and all(_coldfiles.relative(f) for f in files)
    cold = reader.soon(reader.rollups, files, sensor_ids, ranges, columns) if fast and reader else None
    if cold is not None:
        table = tables.query(
            f"SELECT {', '.join(columns)} FROM {ROLLUP_TABLES[kind]} WHERE {where}", params, columns
        )
    else:
        sql = rollup_union(kind, store.cold_root, files, where)
        both = tables.query(sql, params * (2 if files else 1), (*ROLLUP_NAMES, "prio"))

    def finish() -> dict[str, Any]:
        if cold is not None:
            rows = table()
            file_rows = cold.result()
            n_cold, n_table = len(file_rows["bucket"]), len(rows["bucket"])
            got = {c: np.concatenate((file_rows[c], _filled(rows[c]))) for c in columns}
            got["prio"] = np.repeat(np.array([0, 1], np.int8), [n_cold, n_table])
        else:
            got = {c: _filled(v) for c, v in both().items()}
        prio = got.pop("prio")
        if not files or prio.all():
            return got
        sid, b = np.asarray(got["sensor_id"], np.int64), np.asarray(got["bucket"], np.int64)
        order = np.lexsort((-prio, b, sid))
        first = np.concatenate(
            ([True], (sid[order][1:] != sid[order][:-1]) | (b[order][1:] != b[order][:-1]))
        )
        keep = order[first]
        return {k: v[keep] for k, v in got.items()}

    return finish


# SQL types of the columns table queries fetch, for the NULLs of other parts in a _Tables batch
_SQL_TYPES: Final = {
    "sensor_id": "INTEGER",
    "bucket": "BIGINT",
    "count": "BIGINT",
    "first_ts": "BIGINT",
    "last_ts": "BIGINT",
    "ts_ms": "BIGINT",
    "prev_ts": "BIGINT",
    "code": "BIGINT",
    "prio": "INTEGER",
    **dict.fromkeys(("min", "max", "sum", "first", "last", "inc", "value"), "DOUBLE"),
}


class _Tables:
    """Queries of one read transaction, run together as one statement (``UNION ALL`` with a part
    number) when the first answer is wanted: besides its scan, each statement costs DuckDB 1-2 ms
    on the 2-core development machine (planning, starting its threads), and the parts of one
    statement are scanned side by side."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur
        self._parts: list[tuple[str, list[Any], tuple[str, ...]]] = []
        self._answers: list[dict[str, Any]] = []

    def query(self, sql: str, params: list[Any], columns: Sequence[str]) -> Callable[[], dict[str, Any]]:
        """Add ``sql`` (selecting exactly ``columns``, of the names in ``_SQL_TYPES``); the returned
        function gives its columns, running every query added so far that has not run yet."""
        k = len(self._parts)
        self._parts.append((sql, params, tuple(columns)))

        def answer() -> dict[str, Any]:
            if k >= len(self._answers):
                self._run()
            return self._answers[k]

        return answer

    def _run(self) -> None:
        new = self._parts[len(self._answers) :]
        params = [x for _, p, _ in new for x in p]
        if len(new) == 1:
            self._answers.append(self._cur.execute(new[0][0], params).fetchnumpy())
            return
        names = list(dict.fromkeys(c for _, _, cols in new for c in cols))
        selects = []
        for i, (sql, _, cols) in enumerate(new):
            items = ", ".join(f'"{c}"' if c in cols else f'NULL::{_SQL_TYPES[c]} AS "{c}"' for c in names)
            selects.append(f"SELECT {i} AS part_, {items} FROM ({sql})")
        got = self._cur.execute(" UNION ALL ".join(selects), params).fetchnumpy()
        part = np.asarray(got["part_"])
        for i, (_, _, cols) in enumerate(new):
            mine = part == i
            self._answers.append({c: got[c][mine] for c in cols})


def _filled(column: Any) -> Any:
    """A fetched column as a plain array: NULLs of a double column as NaN."""
    if isinstance(column, np.ma.MaskedArray):
        return column.filled(np.nan) if column.dtype.kind == "f" else column.filled()
    return np.asarray(column)


def _ids(sensor_ids: list[int]) -> tuple[str, list[Any]]:
    """SQL picking rows of these sensors, and its parameters."""
    if len(sensor_ids) == 1:
        return "sensor_id = ?", [sensor_ids[0]]
    wanted = sorted(set(sensor_ids))
    return "sensor_id BETWEEN ? AND ? AND list_contains(?, sensor_id)", [wanted[0], wanted[-1], wanted]


def _value_before(
    store: DuckDBStore,
    cur: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    sensor_id: int,
    t: int,
    wm: tuple[int, int],
) -> float | None:
    """Value of the sensor's newest reading before ``t``, from the rollups (and the rows they do not
    hold yet): the step into a counter's first bucket."""
    day = t - DAY_MS
    a = _floor(t, MINUTE_MS)
    whole = t - HOUR_MS + 1  # hours starting before this end by t
    columns = ("sensor_id", "bucket", "last_ts", "last")
    # The day before t: stored minutes, hot rows the rollups lack or that fall in t's minute, and
    # whole hours (retention may have dropped their minutes), in one statement besides the files.
    tables = _Tables(cur)
    minutes = _rollup_rows_soon(
        store, tables, MINUTE, _files(catalog, MINUTE, day, a), [sensor_id], [(day, a)], columns
    )
    hot = tables.query(
        f"SELECT ts_ms, value FROM readings_hot WHERE sensor_id = ? AND ts_ms < ?"
        f" AND ({PENDING} OR ts_ms >= ?)",
        [sensor_id, t, *wm, a],
        ("ts_ms", "value"),
    )
    hours = _rollup_rows_soon(
        store, tables, HOUR, _files(catalog, HOUR, day, whole), [sensor_id], [(day, whole)], columns
    )
    m, h, r = minutes(), hours(), hot()
    newest = _newest_of([(m["last_ts"], m["last"]), (h["last_ts"], h["last"]), (r["ts_ms"], r["value"])])
    if newest is None or newest[0] < day:  # nothing that day: the newest hour before it, however old
        older = _files(catalog, HOUR, -_FAR, day)
        o = _rollup_rows_soon(store, _Tables(cur), HOUR, older, [sensor_id], [(-_FAR, day)], columns)()
        found = [(o["last_ts"], o["last"])]
        if newest is not None:
            found.append((np.array([newest[0]]), np.array([newest[1]])))
        newest = _newest_of(found)
    return newest[1] if newest else None


def _newest_of(parts: list[tuple[Any, Any]]) -> tuple[int, float] | None:
    """The newest (time, value) of these columns of times and values (the greatest value of the
    newest time, as ``ORDER BY time DESC, value DESC``), or ``None``."""
    ts = np.concatenate([np.asarray(t, np.int64) for t, _ in parts])
    values = np.concatenate([np.asarray(v, np.float64) for _, v in parts])
    if not len(ts):
        return None
    last = int(np.lexsort((values, ts))[-1])
    return int(ts[last]), float(values[last])


def newest_readings(cur: duckdb.DuckDBPyConnection, root: Path | None) -> Newest:
    """Each sensor's newest reading as (sensor ids, ts_ms, values): from the hot rows and the
    rollups (every other reading is in one once maintenance ran). Hour files are read newest first:
    those of the last day of data, then the older ones only if a registered sensor had no reading
    in that day (a year of them holds ~112 M rows)."""
    catalog = _catalog(cur)
    hours = _files(catalog, HOUR, -_FAR, _FAR)
    since = max((catalog[p][2] for p in hours), default=0) - DAY_MS  # every reading since is seen
    recent = [p for p in hours if catalog[p][2] > since]
    found = _newest(
        cur,
        f"SELECT sensor_id, last_ts, last FROM ({rollup_union(HOUR, root, recent, 'true')})"
        " UNION ALL SELECT sensor_id, last_ts, last FROM rollup_1m"
        " UNION ALL SELECT sensor_id, ts_ms, value FROM readings_hot",
    )
    older = hours[: len(hours) - len(recent)]
    if older:
        sure = found[0][found[1] >= since].tolist()
        missing = cur.execute(
            "SELECT count(*) FROM sensors WHERE NOT list_contains(?, sensor_id)", [sure]
        ).fetchall()[0][0]
        if missing:
            more = _newest(
                cur, f"SELECT sensor_id, last_ts, last FROM ({rollup_union(HOUR, root, older, 'true')})"
            )
            ids, ts, values = (np.concatenate(pair) for pair in zip(found, more, strict=True))
            order = np.lexsort((ts, ids))
            last = order[np.concatenate((ids[order][1:] != ids[order][:-1], [True]))]  # each sensor's newest
            found = (ids[last], ts[last], values[last])
    return found


def _newest(cur: duckdb.DuckDBPyConnection, src: str) -> Newest:
    """Each sensor's newest row of ``src`` (``sensor_id``, time, value)."""
    got = cur.execute(
        f"SELECT sensor_id, max(t) AS t, arg_max(v, t) AS v FROM ({src}) AS r(sensor_id, t, v)"
        " GROUP BY sensor_id"
    ).fetchnumpy()
    return (
        np.asarray(got["sensor_id"], np.int64),
        np.asarray(got["t"], np.int64),
        np.asarray(got["v"], np.float64),
    )


def state_durations(
    store: DuckDBStore, sensor_ids: Sequence[int], start_ms: int, end_ms: int, interval_ms: int
) -> StateDurations:
    ids = tuple(int(s) for s in sensor_ids)
    not_states = [s for s in ids if store.kinds.get(s) != "state"]
    if not_states:
        raise StoreQueryError(
            f"sensors {not_states[:5]} are not state channels; state durations need state channels"
            " (runtime_state, fault_code, ...)",
            field="sensor_ids",
        )
    if interval_ms < 1000:
        raise StoreQueryError(f"interval {interval_ms} ms is below 1 s", field="interval_ms")
    if end_ms <= start_ms or -(-(end_ms - start_ms) // interval_ms) > MAX_INTERVALS:
        raise StoreQueryError(
            f"the range must hold between 1 and {MAX_INTERVALS} intervals of {interval_ms} ms",
            field="interval_ms",
        )
    if not ids:
        return durations(ids, NO_SPANS, start_ms, end_ms, interval_ms)
    # Readings further than the hold outside the range cannot change it. Whole hours come from the
    # hour tables, which describe a timeline exactly (clipping happens in durations()); only hours
    # holding rows the rollups do not have yet are rebuilt from minutes and raw readings.
    lo = _floor(start_ms - STATE_HOLD_MS, HOUR_MS)
    hi = _ceil(end_ms + STATE_HOLD_MS, HOUR_MS)
    wanted = sorted(set(ids))
    ids_sql, ids_params = _ids(wanted)
    with store.snapshot() as cur:
        wm = watermark(cur)
        catalog = _catalog(cur)
        dirty, tail = _pending(cur, wanted, lo, hi, wm)
        tail = max(tail, lo)
        fine = _merge_ranges(
            [*_runs(sorted({_floor(m, HOUR_MS) for _, m in dirty}), HOUR_MS), (_floor(tail, HOUR_MS), hi)]
        )
        coarse = _minus([(lo, hi)], fine)
        # every file read starts now and decodes while DuckDB answers the tables, in one statement
        tables = _Tables(cur)
        hours, hour_breaks = _EMPTY_ROWS, _EMPTY_BREAKS
        minutes, minute_breaks = _EMPTY_ROWS, _EMPTY_BREAKS
        fresh: dict[str, Any] = {"sensor_id": np.empty(0), "ts_ms": np.empty(0), "value": np.empty(0)}
        if coarse:
            files = _files_in(catalog, HOUR, coarse)
            hour_rows = _rollup_rows_soon(store, tables, HOUR, files, wanted, coarse, _STATE_COLUMNS)
            within, p = _within("bucket", coarse)
            hour_breaks_of = tables.query(
                f"SELECT sensor_id, ts_ms, code, prev_ts FROM state_breaks_1h WHERE {ids_sql} AND ({within})",
                [*ids_params, *p],
                ("sensor_id", "ts_ms", "code", "prev_ts"),
            )
        if fine:
            files = _files_in(catalog, MINUTE, fine)
            minute_rows = _rollup_rows_soon(store, tables, MINUTE, files, wanted, fine, _STATE_COLUMNS)
            within, p = _within("bucket", fine)
            minute_breaks_of = tables.query(
                f"SELECT sensor_id, bucket, ts_ms, code, prev_ts FROM state_breaks WHERE {ids_sql}"
                f" AND ({within})",
                [*ids_params, *p],
                ("sensor_id", "bucket", "ts_ms", "code", "prev_ts"),
            )
        fresh_ranges = _merge_ranges([*_runs(sorted({m for _, m in dirty}), MINUTE_MS), (tail, hi)])
        fresh_rows = _raw_rows_soon(
            store, tables, _files_in(catalog, RAW, fresh_ranges), wanted, fresh_ranges
        )
        if coarse:
            hours, hour_breaks = hour_rows(), hour_breaks_of()
        if fine:
            minutes, minute_breaks = minute_rows(), minute_breaks_of()
        if fresh_ranges:  # one scan of the hot table for all of them
            fresh = dict(zip(("sensor_id", "ts_ms", "value"), fresh_rows(), strict=True))
    timelines = _timelines((hours, hour_breaks), (minutes, minute_breaks), fresh, dirty, tail)
    return durations(ids, timelines, start_ms, end_ms, interval_ms)


def _timelines(
    hour_level: tuple[dict[str, Any], dict[str, Any]],
    minute_level: tuple[dict[str, Any], dict[str, Any]],
    fresh: dict[str, Any],
    dirty: set[tuple[int, int]],
    tail: int,
) -> tuple[Any, Any, Any, Any]:
    """The sensors' state segments from their stored hours, stored minutes and raw readings, all
    sensors at once: a line's dozens of machines cost no more numpy calls than one."""
    late = np.asarray(sorted(_minute_key(np.int64(s), np.int64(m)) for s, m in dirty), np.int64)
    parts = [_state_part(*hour_level, None, tail), _state_part(*minute_level, late, tail)]
    sid, ts = np.asarray(fresh["sensor_id"], np.int64), np.asarray(fresh["ts_ms"], np.int64)
    inside = ts >= tail
    if len(late):
        inside |= np.isin(_minute_key(sid, ts - ts % MINUTE_MS), late)
    values = np.asarray(fresh["value"], np.float64)
    parts.append(state_from_readings(sid[inside], ts[inside], values[inside], MINUTE_MS))
    return segments(merge_states(parts))


_STATE_COLUMNS = ("sensor_id", "bucket", "first", "first_ts", "last_ts")  # of rollups, for states
_EMPTY_ROWS: dict[str, Any] = {k: np.empty(0) for k in _STATE_COLUMNS}
_EMPTY_BREAKS: dict[str, Any] = {k: np.empty(0) for k in ("sensor_id", "bucket", "ts_ms", "code", "prev_ts")}


def _minute_key(sensor_id: Any, minute_ms: Any) -> Any:
    """One int64 per (sensor, minute): sensor ids are int32 and minutes since 1970 below 2**31."""
    return (sensor_id << 31) + minute_ms // MINUTE_MS


def _state_part(rows: dict[str, Any], brk: dict[str, Any], late: Any | None, tail: int) -> StateBuckets:
    """Stored buckets (hours or minutes) and their breaks, minus the ``late`` (sensor, minute) keys
    and the minutes from ``tail`` on (hour rows never reach past ``tail``: those hours are fine)."""

    def col(got: dict[str, Any], name: str, dtype: Any) -> Any:
        return np.asarray(got[name], dtype)

    sid, bsid = col(rows, "sensor_id", np.int64), col(brk, "sensor_id", np.int64)
    keep, bkeep = np.ones(len(sid), bool), np.ones(len(bsid), bool)
    if late is not None:  # minute rows: they have buckets
        buckets, break_buckets = col(rows, "bucket", np.int64), col(brk, "bucket", np.int64)
        keep &= buckets < tail
        bkeep &= break_buckets < tail
        if len(late):
            keep &= ~np.isin(_minute_key(sid, buckets), late)
            bkeep &= ~np.isin(_minute_key(bsid, break_buckets), late)
    return StateBuckets(
        sid[keep],
        col(rows, "first_ts", np.int64)[keep],
        codes_of(col(rows, "first", np.float64)[keep]),
        col(rows, "last_ts", np.int64)[keep],
        bsid[bkeep],
        col(brk, "ts_ms", np.int64)[bkeep],
        col(brk, "code", np.float64)[bkeep],
        col(brk, "prev_ts", np.int64)[bkeep],
    )


def _within(column: str, ranges: Ranges) -> tuple[str, list[int]]:
    """``(column >= ? AND column < ?) OR ...`` for these ranges, and its parameters."""
    return (
        " OR ".join(f"({column} >= ? AND {column} < ?)" for _ in ranges),
        [x for r in ranges for x in r],
    )


# -- helpers -------------------------------------------------------------------------------------


def _pending(
    cur: duckdb.DuckDBPyConnection, sensor_ids: list[int], start_ms: int, end_ms: int, wm: tuple[int, int]
) -> tuple[set[tuple[int, int]], int]:
    """Buckets holding readings the stored rollups do not include yet: the (sensor, minute) pairs
    of late rows (written since the last rollup pass, older than its open minute), and the start of
    the open minutes (every minute from there on is pending for every sensor).

    Not looking for which sensors have rows in the open minutes spares a scan of the whole hot
    table: late rows are the newest commits, found from ``wseq`` zone maps alone."""
    wseq, open_ms = wm
    tail = _floor(open_ms, MINUTE_MS)
    if min(end_ms, tail) <= start_ms:
        return set(), tail
    rows = cur.execute(
        f"SELECT DISTINCT sensor_id, {bucket('ts_ms', MINUTE_MS)} FROM readings_hot WHERE wseq > ?"
        " AND ts_ms >= ? AND ts_ms < ? AND sensor_id BETWEEN ? AND ? AND list_contains(?, sensor_id)",
        [wseq, start_ms, min(end_ms, tail), min(sensor_ids), max(sensor_ids), sensor_ids],
    ).fetchall()
    return {(int(s), int(b)) for s, b in rows}, tail


def _catalog(cur: duckdb.DuckDBPyConnection) -> Catalog:
    """The compacted files this transaction sees: path -> (kind, t0, t1)."""
    rows = cur.execute("SELECT path, kind, t0, t1 FROM cold_files").fetchall()
    return {p: (k, int(t0), int(t1)) for p, k, t0, t1 in rows}


def _files(catalog: Catalog, kind: str, lo: int, hi: int) -> list[str]:
    """Files of ``kind`` overlapping ``[lo, hi)``, oldest first (by start, then end: of an hour's
    files, the one a later compaction pass added comes last, so their rows follow in time order)."""
    return sorted(
        (p for p, (k, t0, t1) in catalog.items() if k == kind and t0 < hi and t1 > lo),
        key=lambda p: catalog[p][1:],
    )


def _files_in(catalog: Catalog, kind: str, ranges: Ranges) -> list[str]:
    """Files of ``kind`` overlapping any of ``ranges``, oldest first (as :func:`_files`)."""
    return sorted(
        {f for lo, hi in ranges for f in _files(catalog, kind, lo, hi)}, key=lambda f: catalog[f][1:]
    )


def _intersect(ranges: Ranges, lo: int, hi: int) -> Ranges:
    """The parts of ``ranges`` inside ``[lo, hi)``."""
    return [(max(a, lo), min(b, hi)) for a, b in ranges if max(a, lo) < min(b, hi)]


def _merge_ranges(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for lo, hi in sorted(r for r in ranges if r[0] < r[1]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _minus(ranges: Ranges, holes: Ranges) -> Ranges:
    """``ranges`` without ``holes`` (both lists of disjoint [lo, hi) ranges)."""
    out = []
    for lo, hi in ranges:
        cur = lo
        for a, b in sorted(holes):
            if b <= cur or a >= hi:
                continue
            if a > cur:
                out.append((cur, a))
            cur = max(cur, b)
        if cur < hi:
            out.append((cur, hi))
    return out


def _outside(start_ms: int, end_ms: int, a: int, b: int) -> Ranges:
    """The parts of ``[start_ms, end_ms)`` outside the aligned interior ``[a, b)``."""
    if a >= b:
        return [(start_ms, end_ms)]
    out = []
    if start_ms < a:
        out.append((start_ms, a))
    if b < end_ms:
        out.append((b, end_ms))
    return out


def _runs(starts: list[int], width: int) -> Ranges:
    """Runs of consecutive bucket starts as ``[lo, hi)`` ranges."""
    out: Ranges = []
    for s in starts:
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], s + width)
        else:
            out.append((s, s + width))
    return out


def _floor(t: int, width: int) -> int:
    return t - t % width


def _ceil(t: int, width: int) -> int:
    return -(-t // width) * width
