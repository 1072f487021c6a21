"""Rows of a few sensors out of compacted files of the relative format, read with pyarrow.

DuckDB's ``read_parquet`` parses each file's footer and weighs every row group against the filter
at every query, then decodes every column of the row groups it keeps: ~4 ms per hour file of the
reference factory for one sensor's rows (measured: an 8-hour chart of a 10 Hz sensor reads ten
hour files, ~43 of its 57 ms). Here the footer of each file is parsed once and kept (files never
change: a rewritten block gets a new name), the row groups that may hold the sensors in the time
range are picked from their statistics, and only the columns the rows need are decoded (a row
group whose raw doubles are all NULL, or whose ``mul``/``div`` are one value, skips those), a file
per thread. Most of what remains is decoding the row groups that hold the sensor's hour (raw
files keep a sensor's rows whole, a 10 Hz sensor's hour in row groups of its own, see
:func:`seamline.store._coldfiles._row_groups`): on the 2-core development machine, ~0.7 ms per
hour file for a 10 Hz sensor (no sensor ids read, the window a slice) and ~2 ms for another.

Values decode exactly as the SQL of :mod:`seamline.store._duckdb_schema` does (steps in int64,
then ``* mul / div`` in float64): raw readings as :data:`~seamline.store._duckdb_schema.RAW_VALUE`,
rollup rows as :func:`~seamline.store._duckdb_schema.rollup_scan`.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Parsed footers kept, counted in row groups: ~6.7 KB of memory each, so ~110 MB for ~16 hour
# files of the reference factory (~1,000 row groups each; an 8-hour chart reads 9 or 10).
MAX_CACHED_GROUPS: Final = 16_384

_POOL: Final = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="seamline-cold-read")
# Whole reads started ahead (see ColdReader.soon), each waiting on _POOL for its files.
_AHEAD: Final = ThreadPoolExecutor(8, thread_name_prefix="seamline-cold-ahead")
_STEPS: Final = ("value_b", "value_z")
T = TypeVar("T")
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Ranges = Sequence[tuple[int, int]]
_DOUBLES: Final = frozenset({"min", "max", "sum", "first", "last", "inc"})
# Rollup columns from the relative files' columns (see _duckdb_schema.rollup_scan): what each needs.
_ROLLUP_NEEDS: Final = {
    "sensor_id": ("sensor_id",),
    "bucket": ("bucket",),
    "count": ("count",),
    "min": ("min_st", "min_raw"),
    "max": ("min_st", "max_d", "max_raw"),
    "first": ("min_st", "first_d", "first_raw"),
    "last": ("min_st", "last_d", "last_raw"),
    "sum": ("count", "min_st", "sum_d", "sum_raw"),
    "inc": ("inc_d", "last_d", "first_d", "inc_raw"),
    "first_ts": ("bucket", "first_dt"),
    "last_ts": ("bucket", "first_dt", "span"),
}


@dataclass(frozen=True, slots=True)
class _Footer:
    """A file's parsed footer and, per row group, what picks and decodes it."""

    metadata: pq.FileMetaData
    rows: I64  # per row group
    sensor_lo: I64
    sensor_hi: I64
    t_lo: I64  # of the file's time column: ts_ms (raw) or bucket (rollups)
    t_hi: I64
    has_raw: npt.NDArray[np.bool_]  # raw files: some value_raw is set
    mul: F64  # the group's one mul (NaN: several, or unknown)
    div: F64

    @classmethod
    def read(cls, path: Path) -> _Footer:
        md = pq.ParquetFile(path).metadata
        rows = np.array([md.row_group(g).num_rows for g in range(md.num_row_groups)], np.int64)
        names = [md.schema.column(i).name for i in range(md.num_columns)]
        stats = {
            name: [md.row_group(g).column(i).statistics for g in range(md.num_row_groups)]
            for i, name in enumerate(names)
        }

        def bound(name: str, attr: str) -> I64:  # attr: "min" or "max"
            unknown = np.iinfo(np.int64).min if attr == "min" else np.iinfo(np.int64).max
            known = [getattr(s, attr) if s is not None and s.has_min_max else unknown for s in stats[name]]
            return np.array(known, np.int64)

        def nulls(name: str) -> I64:  # -1: not counted
            return np.array([s.null_count if s is not None and s.has_null_count else -1 for s in stats[name]])

        def constant(name: str) -> F64:
            one = [s is not None and s.has_min_max and s.min == s.max for s in stats[name]]
            return np.where(
                np.array(one) & (nulls(name) == 0),
                np.array([s.min if o else np.nan for s, o in zip(stats[name], one, strict=True)], np.float64),
                np.nan,
            )

        time_column = "ts_ms" if "ts_ms" in stats else "bucket"
        return cls(
            metadata=md,
            rows=rows,
            sensor_lo=bound("sensor_id", "min"),
            sensor_hi=bound("sensor_id", "max"),
            t_lo=bound(time_column, "min"),
            t_hi=bound(time_column, "max"),
            has_raw=nulls("value_raw") != rows if "value_raw" in stats else np.zeros(len(rows), np.bool_),
            mul=constant("mul"),
            div=constant("div"),
        )

    def groups(self, sensor_ids: I64, start: int, end: int) -> list[int]:
        """Row groups that may hold any of ``sensor_ids`` (sorted) with a time in ``[start, end)``."""
        holds = np.searchsorted(sensor_ids, self.sensor_lo) < np.searchsorted(
            sensor_ids, self.sensor_hi, side="right"
        )
        hit = holds & (self.t_lo < end) & (self.t_hi >= start)
        return [int(g) for g in np.flatnonzero(hit)]


class ColdReader:
    """Reads a few sensors' rows out of relative files under ``root``; thread-safe."""

    def __init__(self, root: Path, max_cached_groups: int = MAX_CACHED_GROUPS) -> None:
        self.root = root
        self.max_cached_groups = max_cached_groups
        self._footers: OrderedDict[str, _Footer] = OrderedDict()
        self._cached_groups = 0
        self._lock = threading.Lock()

    def raw(
        self, names: list[str], sensor_ids: Sequence[int], start_ms: int, end_ms: int
    ) -> tuple[I64, I64, F64]:
        """(sensor_id, ts_ms, value) of the sensors' readings with ``start_ms <= ts_ms < end_ms`` in
        these raw files, file by file in the order given, each file's rows in its order."""
        ids = np.unique(np.asarray(sensor_ids, np.int64))
        parts = self._each(
            names,
            ids,
            start_ms,
            end_ms,
            lambda f, groups, path: _raw_rows(f, groups, path, ids, start_ms, end_ms),
        )
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]

    def rollups(
        self, names: list[str], sensor_ids: Sequence[int], ranges: Ranges, columns: Sequence[str]
    ) -> dict[str, Any]:
        """The rollup rows of these relative rollup files for the sensors with a bucket in one of
        ``ranges`` (``[lo, hi)``), as arrays of ``columns`` (names of the rollup tables; a NULL
        ``inc`` is NaN), file by file in the order given."""
        ids = np.unique(np.asarray(sensor_ids, np.int64))
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        needs = {c for name in columns for c in _ROLLUP_NEEDS[name]} | {"sensor_id", "bucket"}
        if _DOUBLES.intersection(columns):
            needs |= {"mul", "div"}
        parts = self._each(
            names,
            ids,
            lo,
            hi,
            lambda f, groups, path: _rollup_rows(f, groups, path, ids, ranges, needs),
        )
        if not parts:
            return {c: np.empty(0, np.float64 if c in _DOUBLES else np.int64) for c in columns}
        # decoded once for all files: a file's rows are few, and each step costs per call
        return _decode_rollups(pa.concat_tables(parts), columns)

    def soon(self, read: Callable[..., T], *args: Any) -> Future[T]:
        """``read(*args)`` (:meth:`raw` or :meth:`rollups`) started in the background, so that the
        caller's DuckDB queries run while the files decode."""
        return _AHEAD.submit(read, *args)

    def _each(
        self,
        names: list[str],
        ids: I64,
        start: int,
        end: int,
        read: Callable[[_Footer, list[int], Path], Any],
    ) -> list[Any]:
        """``read`` of each file holding rows that may be wanted: a file per thread (decoding
        releases the GIL; pyarrow's own threads per column gain less)."""

        def one(name: str) -> Any:
            footer = self._footer(name)
            groups = footer.groups(ids, start, end)
            return read(footer, groups, self.root / name) if groups else None

        if not len(ids):
            return []
        return [p for p in (_POOL.map(one, names) if len(names) > 1 else map(one, names)) if p is not None]

    def _footer(self, name: str) -> _Footer:
        with self._lock:
            footer = self._footers.get(name)
            if footer is not None:
                self._footers.move_to_end(name)
                return footer
        footer = _Footer.read(self.root / name)  # outside the lock: two readers may both parse it
        with self._lock:
            if name not in self._footers:
                self._footers[name] = footer
                self._cached_groups += len(footer.rows)
                while self._cached_groups > self.max_cached_groups and len(self._footers) > 1:
                    _, old = self._footers.popitem(last=False)
                    self._cached_groups -= len(old.rows)
        return footer


def _wanted(sensors: npt.NDArray[Any], ids: I64) -> I64:
    """Indexes of the rows whose sensor is one of ``ids`` (sorted)."""
    if len(ids) == 1:
        return np.flatnonzero(sensors == ids[0])
    return np.flatnonzero(np.isin(sensors, ids))


def _open(path: Path, footer: _Footer) -> pq.ParquetFile:
    """The file with its parsed footer. Not pre-buffered: for the few row groups a read decodes,
    coalescing their byte ranges through pyarrow's I/O threads costs more than it saves (measured:
    a 10 Hz sensor's row group of an hour file 1.24 -> 0.89 ms, two row groups of a 1-hour rollup
    file 2.0 -> 1.2 ms)."""
    return pq.ParquetFile(path, metadata=footer.metadata, pre_buffer=False)


def _raw_rows(
    footer: _Footer, groups: list[int], path: Path, ids: I64, start_ms: int, end_ms: int
) -> tuple[I64, I64, F64]:
    picked = np.array(groups)
    raw = bool(footer.has_raw[picked].any())
    constants = {"mul": footer.mul[picked], "div": footer.div[picked]}
    varying = [c for c, v in constants.items() if not np.isfinite(v).all()]  # read per row
    # a sensor with row groups of its own (a fast one) needs no sensor ids read, nor rows picked
    alone = len(ids) == 1 and bool(
        ((footer.sensor_lo[picked] == ids[0]) & (footer.sensor_hi[picked] == ids[0])).all()
    )
    columns = [*([] if alone else ["sensor_id"]), "ts_ms", *_STEPS, *(["value_raw"] if raw else []), *varying]
    table = _open(path, footer).read_row_groups(groups, columns=columns, use_threads=False)
    # rows: the wanted rows; at: their positions among the groups' rows (None: all of them)
    at: I64 | None = None
    if alone:
        ts = _ints(table.column("ts_ms"))
        inside = (ts >= start_ms) & (ts < end_ms)
        rows = table
        if not inside.all() and (ts[1:] >= ts[:-1]).all():  # in time order: a slice, not a copy
            a, b = (int(x) for x in np.searchsorted(ts, [start_ms, end_ms]))
            rows, ts, at = table.slice(a, b - a), ts[a:b], np.arange(a, b)
        elif not inside.all():
            at = np.flatnonzero(inside)
            rows, ts = table.take(at), ts[at]
    else:  # the sensors' rows first (a few per cent of the groups' rows), then the time range
        at = _wanted(table.column("sensor_id").to_numpy(), ids)
        ts = _ints(table.column("ts_ms").take(at))
        inside = (ts >= start_ms) & (ts < end_ms)
        at, ts = at[inside], ts[inside]
        rows = table.take(at)
    steps = _ints(rows.column("value_b")) + _ints(rows.column("value_z"))
    if len(groups) == 1:  # one group: its constants as they are (x * 1.0 and x / 1.0 are exact)
        mul, div = (rows.column(c).to_numpy() if c in varying else constants[c][0] for c in ("mul", "div"))
    else:
        group = np.searchsorted(
            np.cumsum(footer.rows[picked]), np.arange(len(ts)) if at is None else at, side="right"
        )
        mul, div = (
            rows.column(c).to_numpy() if c in varying else constants[c][group] for c in ("mul", "div")
        )
    values = steps.astype(np.float64)
    if not (np.isscalar(mul) and mul == 1.0):
        values *= mul
    if not (np.isscalar(div) and div == 1.0):
        values /= div
    if raw:
        raw_values = rows.column("value_raw")
        set_ = pc.is_valid(raw_values).to_numpy(zero_copy_only=False)
        values[set_] = pc.fill_null(raw_values, 0.0).to_numpy()[set_]
    sensors = np.full(len(ts), ids[0]) if alone else rows.column("sensor_id").to_numpy().astype(np.int64)
    return sensors, ts, values


def _ints(column: pa.ChunkedArray) -> I64:
    """An integer column as int64, NULL as 0 (value_b and value_z are NULL where value_raw is set)."""
    if column.null_count:
        column = pc.fill_null(column, 0)
    return np.asarray(column.to_numpy(), np.int64)


def _rollup_rows(
    footer: _Footer, groups: list[int], path: Path, ids: I64, ranges: Ranges, needs: set[str]
) -> pa.Table | None:
    """The rows of the sensors with a bucket in ``ranges``, encoded."""
    table = _open(path, footer).read_row_groups(groups, columns=sorted(needs), use_threads=False)
    hit = _wanted(table.column("sensor_id").to_numpy(), ids)
    bucket = table.column("bucket").take(hit).to_numpy()
    inside = np.zeros(len(hit), np.bool_)
    for lo, hi in ranges:
        inside |= (bucket >= lo) & (bucket < hi)
    return table.take(hit[inside]) if inside.any() else None


def _decode_rollups(rows: pa.Table, columns: Sequence[str]) -> dict[str, Any]:
    """``columns`` of relative rollup rows, as exactly as the SQL of ``rollup_scan`` decodes them."""

    def steps(name: str) -> I64:
        return np.asarray(pc.fill_null(rows.column(name), 0).to_numpy(), np.int64)

    def valid(name: str) -> npt.NDArray[np.bool_]:
        return np.asarray(pc.is_valid(rows.column(name)).to_numpy(zero_copy_only=False), np.bool_)

    def value(st: I64, known: npt.NDArray[np.bool_], raw: str) -> F64:
        """``COALESCE(raw, st * mul / div)``; NaN where neither is known."""
        mul, div = (rows.column(c).to_numpy() for c in ("mul", "div"))
        out = np.where(known, st.astype(np.float64) * mul / div, np.nan)
        got = valid(raw)
        out[got] = pc.fill_null(rows.column(raw), 0.0).to_numpy()[got]
        return out

    everywhere = np.ones(rows.num_rows, np.bool_)
    out: dict[str, Any] = {}
    for c in columns:
        if c in ("sensor_id", "bucket", "count"):
            out[c] = rows.column(c).to_numpy().astype(np.int64, copy=False)
        elif c == "min":
            out[c] = value(steps("min_st"), everywhere, "min_raw")
        elif c in ("max", "first", "last"):
            out[c] = value(steps("min_st") + steps(f"{c}_d"), valid(f"{c}_d"), f"{c}_raw")
        elif c == "sum":
            out[c] = value(steps("count") * steps("min_st") + steps("sum_d"), valid("sum_d"), "sum_raw")
        elif c == "inc":
            known = valid("inc_d") & valid("last_d") & valid("first_d")
            out[c] = value(steps("inc_d") + (steps("last_d") - steps("first_d")), known, "inc_raw")
        elif c == "first_ts":
            out[c] = steps("bucket") + steps("first_dt")
        elif c == "last_ts":
            out[c] = steps("bucket") + steps("first_dt") + steps("span")
    return out
