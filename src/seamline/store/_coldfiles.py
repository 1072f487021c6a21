"""Compacted blocks: immutable Parquet files next to the DuckDB file, listed in ``cold_files``.

A file is written to ``<name>.tmp``, flushed to disk and renamed before the transaction that lists
it commits; a file that lost its place in the catalogue (replaced by a merge, dropped by
retention) is listed in ``cold_garbage`` by that same transaction and deleted later, once no
reader can still be using it. On opening, every file the catalogue does not list is deleted: it is
either a leftover of a crash before its commit or garbage. So a crash at any point loses nothing
and duplicates nothing: each reading is either still in the hot table or in exactly one listed
file.

Encodings (measured on the standard synthetic workload, see the store's module docstring): rows
sorted by (sensor, time) (in raw files of the relative format, each row group's rows are then
clustered by the spread of their values, see ``_cluster``); timestamps DELTA_BINARY_PACKED, sensor
ids too, or byte-stream-split where clustering leaves them out of order (they cost almost nothing);
doubles as integer steps of the sensor's resolution or, when that would not give back the very
same double, raw; the steps relative to their neighbours and byte-stream-split (files named
``*.r.parquet``; see :mod:`seamline.store._duckdb_schema`); zstd on top, harder for the big columns
of files that stay.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

RAW: Final = "raw"
MINUTE: Final = "1m"
HOUR: Final = "1h"
# Raw files: row groups of up to 122,880 rows (the most DuckDB hands out in one Arrow batch), cut
# where one sensor's rows end, and a sensor of SOLO_ROWS rows or more (a 10 Hz sensor's hour) in
# row groups of its own (see _row_groups), as a one-sensor read decodes every row group holding
# the sensor. Measured on an hour file of the standard workload (42 M readings; B/reading of the
# file, one sensor's hour read with pyarrow): groups of 122,880 rows cut anywhere 0.490
# B/reading, 4.4 ms for a 10 Hz sensor and 2.3 ms for another; these 0.495, 1.3 and 2.0 ms. Shared
# groups of 65,536 rows read another sensor in 1.4 ms, but cost 0.018 B/reading more on the
# standard benchmark's 10 M readings. Each row group costs ~70 B of footer per column on disk
# and ~6.7 KB of memory parsed. Bigger groups would compress better (524,288 rows: 0.022
# B/reading less) but slow one-sensor reads down.
# 1-hour files: smaller groups, as a one-sensor read decodes a row group in each file it reads (a
# day's hourly chart reads four or five): its p50 was ~18 ms instead of ~27 with 32,768-row groups.
ROW_GROUP_ROWS: Final = {RAW: 122_880, MINUTE: 32_768, HOUR: 8_192}
SOLO_ROWS: Final = 16_384
# A data page ends at this many encoded bytes, not at pyarrow's default of 20,000 rows: columns
# that encode small compress far better in a few big pages (B/reading of a raw hour file of the
# standard workload: ts_ms 0.027 -> 0.019, sensor_id 0.0086 -> 0.0056, value_b 0.028 -> 0.027,
# mul and div 0.012 -> 0.003, the whole file 0.534 -> 0.513). value_z (4 B/row) loses a little
# (0.450 -> 0.452) as long as its pages stay under 256 KiB; past that zstd 15 switches to
# parameters for large inputs and it costs 0.459.
DATA_PAGE_BYTES: Final = 192 << 10
ZSTD_LEVEL: Final = 6  # for files that stay; short-lived small files use FAST_ZSTD_LEVEL
FAST_ZSTD_LEVEL: Final = 3
# Files that stay compress these columns harder, where it pays (measured on the standard workload,
# B/reading at level 6 -> 15): a raw file's value_z 0.4765 -> 0.4511 (2.9 times the CPU time of
# level 6 for that column; 19 saves only 0.001 more for twice the time of 15), ts_ms 0.0282 ->
# 0.0270, value_b 0.0291 -> 0.0285; every column of a rollup file a little (0.060 -> 0.057 in all,
# at a sixtieth of the raw rows). A raw file's sensor_id gets worse at 15, so it stays at 6.
STRONG_ZSTD_LEVEL: Final = 15
_STRONG_RAW: Final = frozenset({"value_z", "value_b", "ts_ms"})  # rollup files: every column
RELATIVE_SUFFIX: Final = ".r.parquet"  # files in the relative format end so
# Relative files: columns of small non-negative integers (offsets, zigzagged distances, counts) and
# of integers that repeat (block means; sensor ids, which clustering leaves in runs but out of
# order) compress best byte-stream-split; other integers delta-packed. Measured in B/reading,
# against delta-packing (plain for value_b): a raw file's sensor_id 0.0140 -> 0.0085, value_b
# 0.0305 -> 0.0291; a 1-minute file's first_dt 0.0062 -> 0.0031 and span 0.0024 -> 0.0017.
_ROLLUP_SPLIT: Final = frozenset(
    {"count", "min_st", "first_d", "max_d", "last_d", "sum_d", "inc_d", "first_dt", "span"}
)
_SPLIT: Final = {
    RAW: frozenset({"value_z", "value_b", "sensor_id"}),
    MINUTE: _ROLLUP_SPLIT,
    HOUR: _ROLLUP_SPLIT,
}
RAW_CENTRE: Final = 128  # where a raw reading's value_z sits when it equals its block's mean

# Test seam: called after a file is durably written and before its catalogue transaction commits.
after_file_written: Callable[[Path], None] = lambda path: None  # noqa: E731


def new_name(kind: str, t0: int, *, relative: bool = True) -> str:
    """A fresh relative path for a file of ``kind`` starting at ``t0``, in the relative format
    (see :mod:`seamline.store._duckdb_schema`) unless told otherwise."""
    return f"{kind}/{t0}-{uuid.uuid4().hex[:12]}{RELATIVE_SUFFIX if relative else '.parquet'}"


def relative(name: str) -> bool:
    """Whether the file ``name`` has the relative format (else the absolute one of schema 2)."""
    return name.endswith(RELATIVE_SUFFIX)


def write_parquet(
    cur: duckdb.DuckDBPyConnection,
    queries: list[tuple[str, list[Any]]],
    root: Path,
    name: str,
    zstd_level: int = ZSTD_LEVEL,
    row_group_rows: int | None = None,
) -> tuple[int, int]:
    """Stream the rows of ``queries`` (in turn, same columns) into ``root / name``; returns
    (rows, bytes). Rows arrive in Arrow batches of one row group each, so memory stays bounded
    whatever the block's size."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    group_rows = row_group_rows or ROW_GROUP_ROWS[name.partition("/")[0]]
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for sql, params in queries:
            reader = cur.sql(sql, params=params).to_arrow_reader(group_rows)
            if writer is None:
                writer = _writer(tmp, reader.schema, zstd_level, name)
            cluster = relative(name) and "value_z" in reader.schema.names
            solo = min(SOLO_ROWS, group_rows // 4)
            for batch in _row_groups(reader, group_rows, solo) if cluster else reader:
                if batch.num_rows:
                    writer.write_batch(_cluster(batch) if cluster else batch)
                    rows += batch.num_rows
        if writer is None:
            raise ValueError("no query to write")
        writer.close()
        writer = None
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        tmp.replace(path)
        fsync_dir(path.parent)
    except BaseException:
        if writer is not None:
            writer.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    after_file_written(path)
    return rows, path.stat().st_size


def _row_groups(batches: Iterable[pa.RecordBatch], target: int, solo: int) -> Iterator[pa.RecordBatch]:
    """The rows of ``batches`` (sorted by sensor) regrouped into row groups of whole sensors: a
    sensor of at least ``solo`` rows (a 10 Hz sensor's hour) gets row groups of its own, of about
    ``target`` rows, smaller ones share row groups of up to ``target`` rows. The rows of the last
    row group and of the last sensor seen are held back until the next batch shows where they end
    (a sensor's up to ``8 * target`` rows): a batch's end cuts no row group short."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        if held < 2 * target:
            continue
        rows = pa.concat_batches(pending)
        sensors = rows.column("sensor_id").to_numpy(zero_copy_only=False)
        last = int(np.searchsorted(sensors, sensors[-1]))  # where the last sensor's rows start
        if not last and held < 8 * target:  # one sensor throughout: wait for its end a while
            pending = [rows]
            continue
        done = last if last else held - held % target  # then write whole pieces of it
        cuts = _cuts(sensors[:done], target, solo)
        if last:  # the last row group may still grow with the rows to come: held back too
            cuts.pop()
        yield from (rows.slice(a, b - a) for a, b in itertools.pairwise(cuts))
        pending, held = [rows.slice(cuts[-1])], held - cuts[-1]
    if held:
        rows = pa.concat_batches(pending)
        cuts = _cuts(rows.column("sensor_id").to_numpy(zero_copy_only=False), target, solo)
        yield from (rows.slice(a, b - a) for a, b in itertools.pairwise(cuts))


def _cuts(sensors: npt.NDArray[Any], target: int, solo: int) -> list[int]:
    """Row group boundaries (0 first, ``len(sensors)`` last) for :func:`_row_groups`."""
    n_rows = len(sensors)
    starts = np.flatnonzero(np.concatenate(([n_rows > 0], sensors[1:] != sensors[:-1])))
    ends = np.append(starts[1:], n_rows)
    cuts, shared = [0], 0
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        n = e - s
        if n >= solo:  # a row group or more of its own, of about ``target`` rows each
            pieces = max(1, round(n / target))
            cuts += [s, *(s + i * n // pieces for i in range(1, pieces)), e]
            shared = 0
            continue
        if shared + n > target:
            cuts.append(s)
            shared = 0
        shared += n
    cuts.append(n_rows)
    return sorted(set(cuts))


def _cluster(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The rows of one row group of raw readings (sorted by sensor), sensors of a like spread of
    ``value_z`` together (stably, so each sensor's rows stay in time order). zstd then codes each
    stretch with a table fitted to that spread: 5% fewer bytes for the values on the standard
    workload. The row group keeps its sensor range, so queries skip row groups as before."""
    sensors = batch.column("sensor_id").to_numpy(zero_copy_only=False)
    z = batch.column("value_z").fill_null(RAW_CENTRE).to_numpy(zero_copy_only=False).astype(np.float64)
    starts = np.flatnonzero(np.concatenate(([True], sensors[1:] != sensors[:-1])))
    lengths = np.diff(np.append(starts, len(sensors)))
    spread = np.add.reduceat(np.abs(z - RAW_CENTRE), starts) / lengths
    key = np.repeat(np.round(np.log2(spread + 1.0) * 4.0), lengths)
    return batch.take(pa.array(np.argsort(key, kind="stable")))


def _writer(path: Path, schema: pa.Schema, zstd_level: int, name: str) -> pq.ParquetWriter:
    """A Parquet writer for the file ``name`` (its kind and format say how to encode each column)."""
    kind = name.partition("/")[0]
    split = _SPLIT[kind] if relative(name) else frozenset()
    encoding: dict[str, str] = {}
    levels: dict[str, int] = {}
    for f in schema:
        strong = zstd_level == ZSTD_LEVEL and (kind != RAW or f.name in _STRONG_RAW)
        levels[f.name] = STRONG_ZSTD_LEVEL if strong else zstd_level
        if f.name in ("mul", "div"):
            continue
        if f.name in split:
            encoding[f.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_floating(f.type):
            encoding[f.name] = "PLAIN"
        elif pa.types.is_integer(f.type):
            encoding[f.name] = "DELTA_BINARY_PACKED"
    return pq.ParquetWriter(
        path,
        schema,
        compression="zstd",
        compression_level=levels,
        use_dictionary=["mul", "div"],
        column_encoding=encoding,
        data_page_size=DATA_PAGE_BYTES,
        max_rows_per_page=ROW_GROUP_ROWS[RAW],  # no limit but the bytes within a row group
        # Statistics of every column: besides skipping row groups by sensor and time, DuckDB then
        # knows the ranges of every input of the decoding expression (and that the raw doubles
        # are NULL in most row groups) and decodes a raw file's values 1.7 times as fast, for
        # 0.01 B/reading (measured: a scan of 10 M readings, 215 -> 128 ms on one thread).
        write_statistics=True,
    )


def parquet_list(root: Path, names: list[str]) -> str:
    """A DuckDB list literal of these files' absolute paths (for ``read_parquet([...])``)."""
    return "[" + ", ".join("'" + str(root / n).replace("'", "''") + "'" for n in names) + "]"


def remove_unlisted(root: Path, listed: set[str]) -> int:
    """Delete every file under ``root`` that the catalogue does not list; returns how many."""
    if not root.is_dir():
        return 0
    removed = 0
    for path in root.rglob("*"):
        if path.is_file() and path.relative_to(root).as_posix() not in listed:
            path.unlink()
            removed += 1
    return removed


def remove(root: Path, names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (root / name).unlink()


def du(root: Path) -> int:
    """Bytes of every file under ``root``."""
    if not root.is_dir():
        return 0
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def fsync_dir(path: Path) -> None:
    """Make a rename or a deletion in the directory ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
