"""One sensor's raw readings from compacted files of the relative format, read with pyarrow.

DuckDB's ``read_parquet`` parses each file's footer and weighs every row group against the filter
at every query, then decodes every column of the row groups it keeps: ~4 ms per hour file of the
reference factory for one sensor's rows (measured: an 8-hour chart of a 10 Hz sensor reads ten
hour files, ~43 of its 57 ms). Here the footer of each file is parsed once and kept (files never
change: a rewritten block gets a new name), the row groups that may hold the sensor in the time
range are picked from their statistics, and only the columns the rows need are decoded (a row
group whose raw doubles are all NULL, or whose ``mul``/``div`` are one value, skips those), a file
per thread. Most of what remains is decoding the row groups that hold the sensor's hour (raw
files keep a sensor's rows in as few as they can, see :func:`seamline.store._coldfiles._row_groups`):
~1.4 ms per hour file on the 2-core development machine, for a 10 Hz sensor as for another.

Values decode exactly as the SQL of :data:`seamline.store._duckdb_schema.RAW_VALUE` does:
``value_raw`` where set, else ``(value_b + value_z) * mul / div`` in int64 then float64.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Parsed footers kept, counted in row groups: ~6.7 KB of memory each, so ~110 MB for ~14 hour
# files of the reference factory (~1,100 row groups each; an 8-hour chart reads 9 or 10).
MAX_CACHED_GROUPS: Final = 16_384

_POOL: Final = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="seamline-raw-read")
_STEPS: Final = ("value_b", "value_z")


@dataclass(frozen=True, slots=True)
class _Footer:
    """A file's parsed footer and, per row group, what picks and decodes it."""

    metadata: pq.FileMetaData
    rows: npt.NDArray[np.int64]  # per row group
    sensor_lo: npt.NDArray[np.int64]
    sensor_hi: npt.NDArray[np.int64]
    ts_lo: npt.NDArray[np.int64]
    ts_hi: npt.NDArray[np.int64]
    has_raw: npt.NDArray[np.bool_]  # some value_raw is set
    mul: npt.NDArray[np.float64]  # the group's one mul (NaN: several, or unknown)
    div: npt.NDArray[np.float64]

    @classmethod
    def read(cls, path: Path) -> _Footer:
        md = pq.ParquetFile(path).metadata
        rows = np.array([md.row_group(g).num_rows for g in range(md.num_row_groups)], np.int64)
        names = [md.schema.column(i).name for i in range(md.num_columns)]
        stats = {
            name: [md.row_group(g).column(i).statistics for g in range(md.num_row_groups)]
            for i, name in enumerate(names)
        }

        def bound(name: str, attr: str) -> npt.NDArray[np.int64]:  # attr: "min" or "max"
            unknown = np.iinfo(np.int64).min if attr == "min" else np.iinfo(np.int64).max
            known = [getattr(s, attr) if s is not None and s.has_min_max else unknown for s in stats[name]]
            return np.array(known, np.int64)

        def nulls(name: str) -> npt.NDArray[np.int64]:  # -1: not counted
            return np.array([s.null_count if s is not None and s.has_null_count else -1 for s in stats[name]])

        def constant(name: str) -> npt.NDArray[np.float64]:
            one = [s is not None and s.has_min_max and s.min == s.max for s in stats[name]]
            return np.where(
                np.array(one) & (nulls(name) == 0),
                np.array([s.min if o else np.nan for s, o in zip(stats[name], one, strict=True)], np.float64),
                np.nan,
            )

        return cls(
            metadata=md,
            rows=rows,
            sensor_lo=bound("sensor_id", "min"),
            sensor_hi=bound("sensor_id", "max"),
            ts_lo=bound("ts_ms", "min"),
            ts_hi=bound("ts_ms", "max"),
            has_raw=nulls("value_raw") != rows,
            mul=constant("mul"),
            div=constant("div"),
        )

    def groups(self, sensor_id: int, start_ms: int, end_ms: int) -> list[int]:
        hit = (
            (self.sensor_lo <= sensor_id)
            & (self.sensor_hi >= sensor_id)
            & (self.ts_lo < end_ms)
            & (self.ts_hi >= start_ms)
        )
        return [int(g) for g in np.flatnonzero(hit)]


class RawReader:
    """Reads one sensor's rows out of relative raw files under ``root``; thread-safe."""

    def __init__(self, root: Path, max_cached_groups: int = MAX_CACHED_GROUPS) -> None:
        self.root = root
        self.max_cached_groups = max_cached_groups
        self._footers: OrderedDict[str, _Footer] = OrderedDict()
        self._cached_groups = 0
        self._lock = threading.Lock()

    def read(
        self, names: list[str], sensor_id: int, start_ms: int, end_ms: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(ts_ms, value) of the sensor's rows with ``start_ms <= ts_ms < end_ms`` in these files,
        file by file in the order given, each file's rows in its order."""

        def one(name: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
            footer = self._footer(name)
            groups = footer.groups(sensor_id, start_ms, end_ms)
            if not groups:
                return None
            return _read_groups(self.root / name, footer, groups, sensor_id, start_ms, end_ms)

        # a file per thread: decoding releases the GIL (pyarrow's own threads per column gain less)
        parts = [p for p in (_POOL.map(one, names) if len(names) > 1 else map(one, names)) if p]
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return np.concatenate([ts for ts, _ in parts]), np.concatenate([v for _, v in parts])

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


def _read_groups(
    path: Path, footer: _Footer, groups: list[int], sensor_id: int, start_ms: int, end_ms: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    picked = np.array(groups)
    raw = bool(footer.has_raw[picked].any())
    constants = {"mul": footer.mul[picked], "div": footer.div[picked]}
    varying = [c for c, v in constants.items() if not np.isfinite(v).all()]  # read per row
    columns = ["sensor_id", "ts_ms", *_STEPS, *(["value_raw"] if raw else []), *varying]
    table = pq.ParquetFile(path, metadata=footer.metadata).read_row_groups(
        groups, columns=columns, use_threads=False
    )
    # the sensor's rows first (a few per cent of the groups' rows), then the time range
    hit = np.flatnonzero(table.column("sensor_id").to_numpy() == sensor_id)
    ts = table.column("ts_ms").take(hit).to_numpy().astype(np.int64, copy=False)
    inside = (ts >= start_ms) & (ts < end_ms)
    hit, ts = hit[inside], ts[inside]
    rows = table.take(hit)
    steps = sum(pc.fill_null(rows.column(c), 0).to_numpy().astype(np.int64) for c in _STEPS)
    group = np.searchsorted(np.cumsum(footer.rows[picked]), hit, side="right")
    mul, div = (rows.column(c).to_numpy() if c in varying else constants[c][group] for c in ("mul", "div"))
    values = np.asarray(steps, np.int64).astype(np.float64) * mul / div
    if raw:
        raw_values = rows.column("value_raw")
        set_ = pc.is_valid(raw_values).to_numpy(zero_copy_only=False)
        values[set_] = pc.fill_null(raw_values, 0.0).to_numpy()[set_]
    return ts, values
