# ruff: noqa: S608  # SQL is assembled from constants and catalogue paths; values are bound
"""The DuckDB store's maintenance pass: rollups, compaction, retention, in that order.

Each step commits in its own short transactions, so the writer and the readers are never held up
for long, and each is safe to interrupt: a crash leaves either the state before a commit or the
state after it (files written before a commit that never happened are deleted on the next open).

- Rollups: see :mod:`seamline.store._duckdb_rollup`.
- Compaction only moves rows the rollups already hold, of 2-minute slices the data's own clock has
  closed (the newest device time seen, capped at the wall clock + 1 min, minus ``GRACE_MS``), into
  a Parquet file per slice; every ``L0_MERGE_FILES`` of an open hour are merged into one, and a
  closed hour's files into one sorted file (again when late rows for it added a twentieth);
  sparse closed hours of a 6-hour block compacted together share a file (see :func:`_final_runs`).
  Closed hours of 1-minute and of 1-hour rollups become a file of each kind per hour, and per
  6-hour block once it closed (see :func:`_compact_rollups`). Message keys collapse into ranges.
- Retention: per sensor class, hot rows and rollup rows past their horizon are deleted; a file is
  dropped once its whole block is past every class's horizon, or rewritten without the sensors
  whose class is past it.
- The database file itself: DuckDB reuses the blocks compaction frees but never gives them back,
  so a file the hot table once filled stays at its high-water mark. :func:`copy_if_sparse` and
  :func:`replace_file` rewrite it compactly when the store closes (see there).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import duckdb

from seamline.store import _coldfiles
from seamline.store._duckdb_rollup import _FOREVER, SLICE_MS, data_clock, roll_up
from seamline.store._duckdb_schema import encode_raw_sql, encode_rollups_sql, raw_scan, readings_view_sql
from seamline.store._duckdb_sql import ROLLUP_TABLES, bucket, rollback, rollup_source, watermark
from seamline.store.base import HOUR_MS, MINUTE_MS, MaintenanceReport, StoreError

if TYPE_CHECKING:
    from seamline.store.duckdb import DuckDBStore

log = logging.getLogger(__name__)

GRACE_MS: Final = 60_000  # a slice closes when the data's clock is this far past its end
L0_MERGE_FILES: Final = 5  # level-0 files of an open hour merged into one level-1 file
ROLLUP_BLOCK_MS: Final = 6 * HOUR_MS  # rollup files of a closed block are merged into one per kind
PRUNE_EVERY_MS: Final = HOUR_MS  # a file is rewritten by retention at most this often
ROLLUP_MERGE_CHUNK_ROWS: Final = 1_000_000  # rollup rows sorted at once (13 columns each)
MERGE_CHUNK_ROWS: Final = 3_000_000  # raw rows sorted at once when merging an hour's files
SPARSE_ROWS_PER_SENSOR: Final = 2_048  # closed hours this sparse share a raw file (_final_runs)
GARBAGE_AGE_S: Final = 300.0  # replaced files outlive the longest query by this much
# 32 KiB blocks: the small tables (sensors, state breaks, catalogue, ...) cost a few blocks each,
# not a few 256 KiB ones (the standard workload's file: 1.26 MB at 64 KiB, 1.13 MB at 32 KiB),
# while bulk appends to the hot table still get bit-packing, at the same speed (at 16 KiB they
# would fall back to uncompressed). Stores created with other block sizes keep theirs until the
# file is next copied (see copy_if_sparse).
FILE_BLOCK_SIZE: Final = 32_768
SPARSE_MIN_FREE_BYTES: Final = 4 << 20  # the file is rewritten when this much and half of it is free
COMPACT_SUFFIX: Final = ".compact"

# Test seam: called with the compact copy once it is durably written, before it replaces the file.
before_file_swap: Callable[[Path], None] = lambda path: None  # noqa: E731


def run(store: DuckDBStore, now_ms: int, *, close_all: bool) -> MaintenanceReport:
    t0 = time.perf_counter()
    cur = store._writer().cursor()
    try:
        rolled = roll_up(store, cur, now_ms, close_all)
        compacted = 0
        if store.cold_root is not None:
            cutoff = _cutoff(store, now_ms, close_all)
            compacted = _compact_raw(store, cur, cutoff)
            _merge_raw_hours(store, cur, cutoff)
            _compact_rollups(store, cur, cutoff)
        _compact_messages(store, cur)
        readings, buckets = _retain(store, cur, now_ms)
        collect_garbage(store, cur)
        _checkpoint(cur)
    finally:
        cur.close()
    return MaintenanceReport(rolled, compacted, readings, buckets, time.perf_counter() - t0)


# -- compaction ----------------------------------------------------------------------------------


def _cutoff(store: DuckDBStore, now_ms: int, close_all: bool) -> int:
    """Device times below this belong to closed slices."""
    if close_all:
        return _FOREVER
    t = data_clock(store, now_ms) - GRACE_MS
    return t - t % SLICE_MS


def _compact_raw(store: DuckDBStore, cur: duckdb.DuckDBPyConnection, cutoff: int) -> int:
    """Move the closed slices' rows out of the hot table: a small file per hour (merged later), or,
    for an hour that closed before any of it was compacted (after a pause, a backfill, the first
    pass over a full hot table), its final file straight away: on the standard benchmark's single
    pass, 0.513 B/reading instead of 0.552 for a fast small file that no merge would rewrite.
    Sparse closed hours share a final file (see :func:`_final_runs`)."""
    assert store.cold_root is not None
    wm, open_ms = watermark(cur)
    cutoff = min(cutoff, open_ms)  # only rows the rollups already hold leave the hot table
    groups = cur.execute(
        f"SELECT {bucket('ts_ms', HOUR_MS)} AS h, count(*), min(sensor_id), max(sensor_id) FROM readings_hot"
        " WHERE wseq <= ? AND ts_ms < ? GROUP BY h ORDER BY h",
        [wm, cutoff],
    ).fetchall()
    started = {
        int(r[0])
        for r in cur.execute(
            f"SELECT DISTINCT {bucket('t0', HOUR_MS)} FROM cold_files WHERE kind = 'raw'"
        ).fetchall()
    }
    moved = 0
    for lo, hi, final, n, lo_id, hi_id in _final_runs(groups, started, cutoff):
        name = _coldfiles.new_name(_coldfiles.RAW, lo)
        where = "h.wseq <= ? AND h.ts_ms >= ? AND h.ts_ms < ? AND h.sensor_id >= ? AND h.sensor_id < ?"
        sql = encode_raw_sql(
            "SELECT h.sensor_id, h.ts_ms, h.value, COALESCE(s.mul, 1) AS mul, COALESCE(s.div, 1) AS div"
            f" FROM readings_hot h LEFT JOIN sensors s USING (sensor_id) WHERE {where}"
        )
        if final:  # a sensor range at a time, as a merge does
            ranges = _sensor_ranges(int(lo_id), int(hi_id) + 1, int(n), MERGE_CHUNK_ROWS)
            queries = [(sql, [wm, lo, hi, a, b]) for a, b in ranges]
            level, zstd = 2, _coldfiles.ZSTD_LEVEL
        else:
            queries = [(sql, [wm, lo, hi, int(lo_id), int(hi_id) + 1])]
            level, zstd = 0, _coldfiles.FAST_ZSTD_LEVEL
        rows, size = _coldfiles.write_parquet(cur, queries, store.cold_root, name, zstd)
        cur.begin()
        try:
            cur.execute(
                "INSERT INTO cold_files VALUES (?, 'raw', ?, ?, ?, ?, ?, '')",
                [name, lo, hi, level, rows, size],
            )
            deleted = cur.execute(
                "DELETE FROM readings_hot WHERE wseq <= ? AND ts_ms >= ? AND ts_ms < ?", [wm, lo, hi]
            ).fetchall()[0][0]
            if deleted != rows:
                raise StoreError(
                    f"compaction of {lo}..{hi} wrote {rows} readings but would remove {deleted} from the hot"
                    " table; nothing was changed",
                    reason="compaction",
                )
            _refresh_view(store, cur)
            cur.commit()
        except BaseException:
            rollback(cur)
            _coldfiles.remove(store.cold_root, [name])
            raise
        moved += rows
    return moved


def _final_runs(
    groups: list[tuple[Any, ...]], started: set[int], cutoff: int
) -> list[tuple[int, int, bool, int, int, int]]:
    """What :func:`_compact_raw` writes, from the hot rows per hour ``(hour, rows, min id, max id)``:
    ``(lo, hi, final, rows, min id, max id)`` per file. An hour is final when it closed before any
    of it was compacted. Consecutive final hours of one 6-hour block go into one file while they hold
    at most ``SPARSE_ROWS_PER_SENSOR`` rows per sensor id of their range: each file costs every
    sensor in it a restart of its delta-coded timestamps (~40 B zstd-compressed), which matters when
    sensors have few rows in it. A reference-scale hour (~4,250 rows per sensor) stays alone; the
    standard benchmark's 10 M readings (~780 per sensor) that straddle an hour became two files and
    0.679 B/reading instead of 0.619 when they fall in one hour."""
    runs: list[tuple[int, int, bool, int, int, int]] = []
    for h, n, lo_id, hi_id in groups:
        lo, rows, a, b = int(h), int(n), int(lo_id), int(hi_id)
        final = lo + HOUR_MS <= cutoff and lo not in started
        if runs and final:
            p_lo, p_hi, p_final, p_rows, p_a, p_b = runs[-1]
            ids = max(p_b, b) - min(p_a, a) + 1
            joinable = p_final and p_hi == lo and p_lo // ROLLUP_BLOCK_MS == lo // ROLLUP_BLOCK_MS
            if joinable and p_rows + rows <= SPARSE_ROWS_PER_SENSOR * ids:
                runs[-1] = (p_lo, lo + HOUR_MS, True, p_rows + rows, min(p_a, a), max(p_b, b))
                continue
        runs.append((lo, min(lo + HOUR_MS, cutoff), final, rows, a, b))
    return runs


def _merge_raw_hours(store: DuckDBStore, cur: duckdb.DuckDBPyConnection, cutoff: int) -> None:
    """Few files per hour: an open hour's small files are merged every ``L0_MERGE_FILES``, and a
    closed hour's files into one (again when late rows added a twentieth, or a dozen files)."""
    assert store.cold_root is not None
    hours = cur.execute(
        f"SELECT {bucket('t0', HOUR_MS)} AS h, list(path ORDER BY t0), list(level ORDER BY t0),"
        " list(rows ORDER BY t0) FROM cold_files WHERE kind = 'raw' GROUP BY h HAVING count(*) > 1 ORDER BY h"
    ).fetchall()
    for h, paths, levels, rows in hours:
        start = int(h)
        if start + HOUR_MS <= cutoff:
            top = [n for n, lv in zip(rows, levels, strict=True) if lv == 2]
            if top and (sum(rows) - sum(top)) * 20 < sum(top) and len(paths) < 12:
                continue
            _merge(store, cur, start, list(paths), int(sum(rows)), 2)
        else:
            small = [(p, n) for p, lv, n in zip(paths, levels, rows, strict=True) if lv == 0]
            if len(small) >= L0_MERGE_FILES:
                _merge(store, cur, start, [p for p, _ in small], int(sum(n for _, n in small)), 1)


def _merge(
    store: DuckDBStore, cur: duckdb.DuckDBPyConnection, start: int, paths: list[str], rows: int, level: int
) -> None:
    """Merge raw files into one, sorted by (sensor, time), a sensor range at a time (bounded memory)."""
    assert store.cold_root is not None
    scan, value = raw_scan(store.cold_root, paths)
    span = cur.execute(
        "SELECT min(t0), max(t1) FROM cold_files WHERE list_contains(?, path)", [paths]
    ).fetchall()[0]
    ids = cur.execute(f"SELECT min(sensor_id), max(sensor_id) FROM {scan}").fetchall()[0]
    sql = encode_raw_sql(
        f"SELECT sensor_id, ts_ms, {value} AS value, mul, div FROM {scan}"
        " WHERE sensor_id >= ? AND sensor_id < ?"
    )
    queries = [(sql, [a, b]) for a, b in _sensor_ranges(int(ids[0]), int(ids[1]) + 1, rows, MERGE_CHUNK_ROWS)]
    name = _coldfiles.new_name(_coldfiles.RAW, start)
    zstd = _coldfiles.ZSTD_LEVEL if level == 2 else _coldfiles.FAST_ZSTD_LEVEL
    written, size = _coldfiles.write_parquet(cur, queries, store.cold_root, name, zstd)
    _swap(store, cur, paths, [(name, "raw", int(span[0]), int(span[1]), level, written, size, "")], rows)


def _sensor_ranges(lo_id: int, hi_id: int, rows: int, chunk_rows: int) -> list[tuple[int, int]]:
    """Sensors ``[lo_id, hi_id)``, holding ``rows`` rows, cut into ranges of about ``chunk_rows``
    rows each: written a range at a time, each sort stays well inside DuckDB's memory limit."""
    step = max(1, -(-(hi_id - lo_id) // max(1, -(-rows // chunk_rows))))
    return [(a, min(a + step, hi_id)) for a in range(lo_id, hi_id, step)]


def _compact_rollups(store: DuckDBStore, cur: duckdb.DuckDBPyConnection, cutoff: int) -> None:
    """Closed hours of 1-minute and 1-hour rollups into Parquet: per unit (an hour while its 6-hour
    block is open, the block once it closed, so a day is at most a dozen files of each kind) a
    file of each kind, swapped in together. A unit's file is rewritten when late readings
    re-aggregated enough of its buckets (see the skip rule); until then the table's rows for those
    buckets override the file's."""
    assert store.cold_root is not None
    hot, files, units = _rollup_units(cur, cutoff)
    for lo, hi in sorted(units):
        old: list[str] = []
        new: list[tuple[Any, ...]] = []
        deletes: list[tuple[str, list[Any]]] = []
        try:
            for kind, table in ROLLUP_TABLES.items():
                existing = [(p, n) for p, t0, t1, n in files[kind] if t0 >= lo and t1 <= hi]
                hot_rows = sum(n for h, n in hot[kind].items() if lo <= h < hi)
                if not hot_rows and len(existing) < 2:
                    continue  # nothing to move or merge
                if len(existing) == 1 and hot_rows * 20 < existing[0][1] and hi + HOUR_MS > cutoff:
                    continue  # a few late buckets of a recent unit: wait for more before rewriting it
                paths = [p for p, _ in existing]
                name = _coldfiles.new_name(kind, lo)
                total = hot_rows + sum(n for _, n in existing)
                rows, size = _write_rollups(store, cur, kind, (lo, hi), paths, name, total)
                new.append((name, kind, lo, hi, 1, rows, size, ""))
                old += paths
                deletes.append((f"DELETE FROM {table} WHERE bucket >= ? AND bucket < ?", [lo, hi]))
        except BaseException:
            _coldfiles.remove(store.cold_root, [n[0] for n in new])  # the unit's files written so far
            raise
        if new:
            _swap(store, cur, old, new, None, also=deletes)


def _rollup_units(
    cur: duckdb.DuckDBPyConnection, cutoff: int
) -> tuple[dict[str, dict[int, int]], dict[str, list[tuple[str, int, int, int]]], set[tuple[int, int]]]:
    """Per kind of rollup, its table's rows per closed hour and its files (path, t0, t1, rows);
    and the units to look at: those holding such rows, and closed blocks of several files."""
    closed_hours = cutoff - cutoff % HOUR_MS if cutoff < _FOREVER else _FOREVER
    hot: dict[str, dict[int, int]] = {}
    files: dict[str, list[tuple[str, int, int, int]]] = {}
    units: set[tuple[int, int]] = set()
    for kind, table in ROLLUP_TABLES.items():
        got = cur.execute(
            f"SELECT {bucket('bucket', HOUR_MS)} AS h, count(*) FROM {table} WHERE bucket < ? GROUP BY h",
            [closed_hours],
        ).fetchall()
        hot[kind] = {int(h): int(n) for h, n in got}
        got = cur.execute("SELECT path, t0, t1, rows FROM cold_files WHERE kind = ?", [kind]).fetchall()
        files[kind] = [(p, int(t0), int(t1), int(n)) for p, t0, t1, n in got]
        for h in hot[kind]:
            block = h - h % ROLLUP_BLOCK_MS
            closed = block + ROLLUP_BLOCK_MS <= cutoff
            units.add((block, block + ROLLUP_BLOCK_MS) if closed else (h, h + HOUR_MS))
        blocks: dict[int, int] = {}
        for _, t0, _, _ in files[kind]:
            blocks[t0 - t0 % ROLLUP_BLOCK_MS] = blocks.get(t0 - t0 % ROLLUP_BLOCK_MS, 0) + 1
        units |= {
            (b, b + ROLLUP_BLOCK_MS) for b, n in blocks.items() if n > 1 and b + ROLLUP_BLOCK_MS <= cutoff
        }
    return hot, files, units


def _write_rollups(
    store: DuckDBStore,
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    span: tuple[int, int],
    paths: list[str],
    name: str,
    total: int,
) -> tuple[int, int]:
    """Write the ``total`` rollup rows of ``kind`` in ``span``, from its table and the files
    ``paths`` (the table's rows win), to the file ``name``, sorted by (sensor, bucket); returns
    (rows, bytes)."""
    assert store.cold_root is not None
    lo, hi = span
    where = "bucket >= ? AND bucket < ? AND sensor_id >= ? AND sensor_id < ?"
    src = rollup_source(kind, store.cold_root, paths, where)
    sql = (
        encode_rollups_sql(
            "SELECT m.*, COALESCE(s.mul, 1) AS mul, COALESCE(s.div, 1) AS div"
            f" FROM ({src}) m LEFT JOIN sensors s USING (sensor_id)"
        )
        + " ORDER BY sensor_id, bucket"
    )
    twice = 2 if paths else 1
    ids = cur.execute(
        f"SELECT min(sensor_id), max(sensor_id) + 1 FROM ({src})", [lo, hi, -(1 << 31), 1 << 31] * twice
    ).fetchall()[0]
    ranges = _sensor_ranges(int(ids[0] or 0), int(ids[1] or 1), total, ROLLUP_MERGE_CHUNK_ROWS)
    queries = [(sql, [lo, hi, a, b] * twice) for a, b in ranges]
    return _coldfiles.write_parquet(cur, queries, store.cold_root, name)


def _swap(
    store: DuckDBStore,
    cur: duckdb.DuckDBPyConnection,
    old: list[str],
    new: list[tuple[Any, ...]],
    expect_rows: int | None,
    *,
    also: Sequence[tuple[str, list[Any]]] = (),
) -> None:
    """Replace catalogue entries ``old`` by ``new`` in one transaction, together with the statements
    ``also`` (SQL, parameters); old files become garbage."""
    assert store.cold_root is not None
    if expect_rows is not None and sum(int(n[5]) for n in new) != expect_rows:
        _coldfiles.remove(store.cold_root, [n[0] for n in new])
        raise StoreError(
            f"a merge of {old} produced {sum(int(n[5]) for n in new)} rows instead of {expect_rows};"
            " nothing was changed",
            reason="compaction",
        )
    cur.begin()
    try:
        for path in old:
            cur.execute("DELETE FROM cold_files WHERE path = ?", [path])
            cur.execute("INSERT INTO cold_garbage VALUES (?, ?)", [path, int(time.time() * 1000)])
        for row in new:
            cur.execute("INSERT INTO cold_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(row))
        for sql, params in also:
            cur.execute(sql, params)
        _refresh_view(store, cur)
        cur.commit()
    except BaseException:
        rollback(cur)
        _coldfiles.remove(store.cold_root, [n[0] for n in new])
        raise


def _compact_messages(store: DuckDBStore, cur: duckdb.DuckDBPyConnection) -> None:
    """Keys of rolled-up messages collapse into runs of consecutive sequence numbers."""
    wm, _ = watermark(cur)
    with store.write_lock:  # see DuckDBStore.write_lock
        cur.begin()
        try:
            moved = cur.execute("SELECT count(*) FROM messages WHERE wseq <= ?", [wm]).fetchall()[0][0]
            if not moved:
                rollback(cur)
                return
            cur.execute(
                """CREATE OR REPLACE TEMP TABLE _ranges AS
WITH a AS (
    SELECT device_id, boot, seq_lo, seq_hi FROM message_ranges
    UNION ALL SELECT device_id, boot, min(seq), max(seq) FROM (
        SELECT device_id, boot, seq, seq - row_number() OVER (PARTITION BY device_id, boot ORDER BY seq) AS g
        FROM messages WHERE wseq <= ?) GROUP BY device_id, boot, g
), b AS (
    SELECT *, CASE WHEN seq_lo <= max(seq_hi) OVER (PARTITION BY device_id, boot ORDER BY seq_lo, seq_hi
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + 1 THEN 0 ELSE 1 END AS brk FROM a
), c AS (
    SELECT *, sum(brk) OVER (PARTITION BY device_id, boot ORDER BY seq_lo, seq_hi
        ROWS UNBOUNDED PRECEDING) AS grp
    FROM b
)
SELECT device_id, boot, min(seq_lo) AS seq_lo, max(seq_hi) AS seq_hi FROM c GROUP BY device_id, boot, grp""",
                [wm],
            )
            cur.execute("DELETE FROM message_ranges")
            cur.execute("INSERT INTO message_ranges SELECT * FROM _ranges")
            cur.execute("DELETE FROM messages WHERE wseq <= ?", [wm])
            cur.commit()
        except BaseException:
            rollback(cur)
            raise


# -- retention -----------------------------------------------------------------------------------


def _retain(store: DuckDBStore, cur: duckdb.DuckDBPyConnection, now_ms: int) -> tuple[int, int]:
    wm, open_ms = watermark(cur)
    shortest = cur.execute("SELECT min(raw_ms) FROM sensor_retention").fetchall()[0][0]
    oldest = cur.execute("SELECT min(ts_ms) FROM readings_hot").fetchall()[0][0]
    cur.begin()
    try:
        readings = 0
        if shortest is not None and oldest is not None and oldest + MINUTE_MS <= now_ms - shortest:
            readings = cur.execute(
                "DELETE FROM readings_hot h USING sensor_retention c WHERE h.sensor_id = c.sensor_id"
                f" AND c.raw_ms IS NOT NULL AND {bucket('h.ts_ms', MINUTE_MS)} + {MINUTE_MS} <= ? - c.raw_ms"
                " AND h.wseq <= ? AND h.ts_ms < ?",
                [now_ms, wm, open_ms],
            ).fetchall()[0][0]
        buckets = 0
        for table, width, keep in (
            ("rollup_1m", MINUTE_MS, "minute_ms"),
            ("state_breaks", MINUTE_MS, "minute_ms"),
            ("rollup_1h", HOUR_MS, "hour_ms"),
            ("state_breaks_1h", HOUR_MS, "hour_ms"),
        ):
            n = cur.execute(
                f"DELETE FROM {table} r USING sensor_retention c WHERE r.sensor_id = c.sensor_id"
                f" AND c.{keep} IS NOT NULL AND r.bucket + {width} <= ? - c.{keep}",
                [now_ms],
            ).fetchall()[0][0]
            buckets += int(n) if table.startswith("rollup") else 0
        cur.execute(
            "UPDATE seamline_state SET value = greatest(value, ?) WHERE key = 'retention_now_ms'", [now_ms]
        )
        cur.commit()
    except BaseException:
        rollback(cur)
        raise
    readings = int(readings)
    if store.cold_root is not None:
        readings += _retain_files(store, cur, _coldfiles.RAW, "raw_ms", now_ms)
        buckets += _retain_files(store, cur, _coldfiles.MINUTE, "minute_ms", now_ms)
        buckets += _retain_files(store, cur, _coldfiles.HOUR, "hour_ms", now_ms)
    store.adjust_counts(readings=-readings)
    return readings, buckets


def _retain_files(
    store: DuckDBStore, cur: duckdb.DuckDBPyConnection, kind: str, keep: str, now_ms: int
) -> int:
    """Drop files wholly past every sensor's horizon; rewrite a file without the rows past their
    sensor's horizon (at most once per ``PRUNE_EVERY_MS`` of ``now_ms`` per file, so a block
    keeps at most that much data past its horizon)."""
    assert store.cold_root is not None
    keeps = [r[0] for r in cur.execute(f"SELECT DISTINCT {keep} FROM sensor_retention").fetchall()]
    finite = sorted(int(k) for k in keeps if k is not None)
    if not finite:
        return 0
    forever = any(k is None for k in keeps)
    column, width = {
        _coldfiles.RAW: ("ts_ms", 1),
        _coldfiles.MINUTE: ("bucket", MINUTE_MS),
        _coldfiles.HOUR: ("bucket", HOUR_MS),
    }[kind]
    dropped = 0
    files = cur.execute(
        "SELECT path, t0, t1, level, rows, pruned FROM cold_files WHERE kind = ? AND t0 < ? ORDER BY t0",
        [kind, now_ms - finite[0]],
    ).fetchall()
    for path, t0, t1, level, rows, pruned in files:
        if not forever and t1 <= now_ms - finite[-1]:
            _swap(store, cur, [path], [], None)
            dropped += int(rows)
            continue
        if pruned and now_ms - int(pruned) < PRUNE_EVERY_MS:
            continue
        listed = _coldfiles.parquet_list(store.cold_root, [path])
        expired = (
            f"EXISTS (SELECT 1 FROM sensor_retention c WHERE c.sensor_id = f.sensor_id"
            f" AND c.{keep} IS NOT NULL AND f.{column} + {width} <= ? - c.{keep})"
        )
        due = int(
            cur.execute(
                f"SELECT count(*) FROM read_parquet({listed}) f WHERE {expired}", [now_ms]
            ).fetchall()[0][0]
        )
        if not due:
            continue
        sql = f"SELECT * FROM read_parquet({listed}) f WHERE NOT {expired} ORDER BY sensor_id, {column}"
        name = _coldfiles.new_name(kind, int(t0), relative=_coldfiles.relative(path))  # rows kept as they are
        kept, size = _coldfiles.write_parquet(cur, [(sql, [now_ms])], store.cold_root, name)
        if kept:
            _swap(store, cur, [path], [(name, kind, t0, t1, level, kept, size, str(now_ms))], None)
        else:
            _coldfiles.remove(store.cold_root, [name])
            _swap(store, cur, [path], [], None)
        dropped += int(rows) - kept
    return dropped


# -- housekeeping --------------------------------------------------------------------------------


def collect_garbage(
    store: DuckDBStore, cur: duckdb.DuckDBPyConnection, *, age_s: float = GARBAGE_AGE_S
) -> None:
    """Delete the files replaced at least ``age_s`` ago: no query still reads them."""
    if store.cold_root is None:
        return
    before = int((time.time() - age_s) * 1000)
    old = [
        r[0] for r in cur.execute("SELECT path FROM cold_garbage WHERE since_ms <= ?", [before]).fetchall()
    ]
    if old:
        _coldfiles.remove(store.cold_root, old)
        cur.execute("DELETE FROM cold_garbage WHERE since_ms <= ?", [before])


def _checkpoint(cur: duckdb.DuckDBPyConnection) -> None:
    """Fold the write-ahead log into the file, so freed space is reused; skipped while busy."""
    try:
        cur.execute("CHECKPOINT")
    except duckdb.Error as exc:
        log.debug("checkpoint skipped: %s", exc)


def _refresh_view(store: DuckDBStore, cur: duckdb.DuckDBPyConnection) -> None:
    raw = [r[0] for r in cur.execute("SELECT path FROM cold_files WHERE kind = 'raw' ORDER BY t0").fetchall()]
    cur.execute(readings_view_sql(store.cold_root, raw))


# -- the database file ---------------------------------------------------------------------------


def compact_path(path: Path) -> Path:
    """Where :func:`copy_if_sparse` writes the copy of the database file ``path``."""
    return path.with_name(path.name + COMPACT_SUFFIX)


def remove_copies(path: Path) -> None:
    """Delete a copy (and its log) an interrupted rewrite left beside ``path``."""
    for leftover in (compact_path(path), _wal(compact_path(path))):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def copy_if_sparse(con: duckdb.DuckDBPyConnection, path: Path) -> Path | None:
    """When free blocks make up most of the database file, copy the database into a fresh file
    beside it and return that file (durably written), for :func:`replace_file` to put in place once
    ``con`` is closed; otherwise ``None``. ``con`` must be the only user of the file.

    ``COPY FROM DATABASE`` writes only live rows, in ``FILE_BLOCK_SIZE`` blocks. The original
    stays untouched until the rename, so a crash at any point leaves one complete file.
    """
    try:
        con.execute("CHECKPOINT")
        block, total, free = con.execute(
            "SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()"
            " WHERE database_name = current_database()"
        ).fetchall()[0]
    except duckdb.Error as exc:
        log.warning("the database file %s stays as it is: %s", path, exc)
        return None
    if free * block < SPARSE_MIN_FREE_BYTES or free * 2 < total:
        return None
    copy = compact_path(path)
    remove_copies(path)
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    try:
        con.execute("SET preserve_insertion_order = true")  # events keep their order (rowid)
        con.execute(f"ATTACH '{_quote(copy)}' AS seamline_compact (BLOCK_SIZE {FILE_BLOCK_SIZE})")
        try:
            quoted = database.replace('"', '""')
            con.execute(f'COPY FROM DATABASE "{quoted}" TO seamline_compact')
        finally:
            con.execute("DETACH seamline_compact")  # checkpoints the copy and ends its log
        if _wal(copy).exists():
            raise StoreError(f"the copy {copy} kept a write-ahead log", reason="compaction")
        with open(copy, "rb") as f:
            os.fsync(f.fileno())
    except (duckdb.Error, OSError, StoreError) as exc:
        log.warning("the database file %s stays as it is: copying it failed: %s", path, exc)
        remove_copies(path)
        return None
    log.info("copied %s compactly: %d of its %d blocks were free", path, free, total)
    return copy


def replace_file(copy: Path, path: Path) -> None:
    """Put the copy from :func:`copy_if_sparse` in place of ``path`` (closed by now): an atomic
    rename, made durable. A write-ahead log beside ``path`` would belong to the old file, so then
    the copy is dropped instead."""
    if _wal(path).exists():
        log.warning("the database file %s stays as it is: it has a write-ahead log", path)
        remove_copies(path)
        return
    before_file_swap(copy)
    copy.replace(path)
    _coldfiles.fsync_dir(path.parent)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
