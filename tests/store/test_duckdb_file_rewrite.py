"""The database file gives back the blocks compaction freed: closing a store whose file is mostly
free blocks rewrites it compactly, keeping every row, and a crash during the rewrite loses nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from seamline.ingest import DeviceBatch, Event
from seamline.model.factory import Factory
from seamline.store import HOUR_MS, DuckDBStore, _duckdb_maintain

T0 = 1_795_363_200_000
DAY = 86_400_000
READINGS = 400_000


def fill(store: DuckDBStore, factory: Factory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Enough readings that the hot table, once compacted away, leaves most of the file free."""
    d = factory.devices_by_id["L01-S03"]
    rng = np.random.default_rng(7)
    ids = (d.sensor_base + rng.integers(0, d.sensor_count, READINGS)).astype(np.int32)
    ts = T0 + rng.integers(0, 2 * HOUR_MS, READINGS)
    values = rng.normal(size=READINGS)  # not steps of any resolution: the worst case for the file
    events = (Event("L01-S03", T0 + 5, "fault", {"code": 1}), Event("L01-S03", T0 + 5, "fault", {"code": 2}))
    for k in range(4):
        part = slice(k * READINGS // 4, (k + 1) * READINGS // 4)
        extra = events if k == 1 else ()
        store.write_batch(
            [DeviceBatch("L01-S03", 0, k + 1, T0, T0, ids[part], ts[part], values[part], extra)]
        )
    return ids, ts, values


def file_blocks(path: Path) -> tuple[int, int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()"
        ).fetchall()[0]
    return int(row[0]), int(row[1]), int(row[2])


def check_contents(store: DuckDBStore, ids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> None:
    assert store.reading_count() == READINGS
    sid = int(ids[0])
    mine = ids == sid
    order = np.lexsort((values[mine], ts[mine]))
    got = store.history(sid, 0, 1 << 62, READINGS)
    assert got.ts_ms.tolist() == ts[mine][order].tolist()
    assert got.values.view(np.int64).tolist() == values[mine][order].view(np.int64).tolist()
    resent = DeviceBatch("L01-S03", 0, 2, T0, T0, ids[:1], ts[:1], values[:1])
    assert store.write_batch([resent]).duplicates == 1
    assert [e.data["code"] for e in store.events()] == [2, 1]  # equal times: newest insert first


def test_closing_rewrites_a_mostly_free_file_and_keeps_every_row(tmp_path: Path, factory: Factory) -> None:
    path = tmp_path / "seamline.duckdb"
    with DuckDBStore(tmp_path).opened(factory) as store:
        ids, ts, values = fill(store, factory)
        store.maintain(now_ms=T0 + DAY, close_all=True)
        before = path.stat().st_size
        with store.snapshot() as cur:
            block, total, free = cur.execute(
                "SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()"
            ).fetchall()[0]
        assert block == _duckdb_maintain.FILE_BLOCK_SIZE
        assert free * block >= _duckdb_maintain.SPARSE_MIN_FREE_BYTES
        assert free * 2 >= total
    after = path.stat().st_size
    assert after <= (total - free + 4) * block < before  # the live blocks, give or take the headers
    assert file_blocks(path)[2] == 0
    assert not _duckdb_maintain.compact_path(path).exists()
    with DuckDBStore(tmp_path).opened(factory) as store:
        check_contents(store, ids, ts, values)
    assert path.stat().st_size <= after + 4 * _duckdb_maintain.FILE_BLOCK_SIZE  # nothing more to give back


def test_a_store_made_with_other_blocks_gets_the_new_size_when_its_file_is_copied(
    tmp_path: Path, factory: Factory
) -> None:
    path = tmp_path / "seamline.duckdb"
    older = 2 * _duckdb_maintain.FILE_BLOCK_SIZE
    duckdb.connect(str(path), config={"default_block_size": str(older)}).close()  # as earlier versions did
    with DuckDBStore(tmp_path).opened(factory) as store:
        ids, ts, values = fill(store, factory)
        store.maintain(now_ms=T0 + DAY, close_all=True)
        with store.snapshot() as cur:
            block = cur.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0]
        assert block == older
    block, _, free = file_blocks(path)  # the copy made on close
    assert (block, free) == (_duckdb_maintain.FILE_BLOCK_SIZE, 0)
    with DuckDBStore(tmp_path).opened(factory) as store:
        check_contents(store, ids, ts, values)


def test_a_file_with_little_free_space_is_left_alone(tmp_path: Path, factory: Factory) -> None:
    path = tmp_path / "seamline.duckdb"
    with DuckDBStore(tmp_path).opened(factory) as store:
        fill(store, factory)  # all rows still in the hot table: nothing is free
        store.maintain(now_ms=T0)
    inode = path.stat().st_ino
    with DuckDBStore(tmp_path).opened(factory):
        pass
    assert path.stat().st_ino == inode


class CrashError(Exception):
    """Stands for the process dying at that point."""


def test_a_crash_before_the_copy_replaces_the_file_loses_nothing(
    tmp_path: Path, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "seamline.duckdb"
    copies: list[Path] = []

    def crash(copy: Path) -> None:
        copies.append(copy)
        raise CrashError(copy)

    monkeypatch.setattr(_duckdb_maintain, "before_file_swap", crash)
    store = DuckDBStore(tmp_path).opened(factory)
    ids, ts, values = fill(store, factory)
    store.maintain(now_ms=T0 + DAY, close_all=True)
    with pytest.raises(CrashError):
        store.close()
    assert copies == [_duckdb_maintain.compact_path(path)]
    assert copies[0].exists()  # written in full, never renamed
    monkeypatch.undo()
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert not copies[0].exists()  # reopening removed the copy
        check_contents(store, ids, ts, values)
    assert file_blocks(path)[2] == 0  # this close did the rewrite


def test_a_half_written_copy_is_never_used(tmp_path: Path, factory: Factory) -> None:
    path = tmp_path / "seamline.duckdb"
    with DuckDBStore(tmp_path).opened(factory) as store:
        ids, ts, values = fill(store, factory)
    _duckdb_maintain.compact_path(path).write_bytes(b"\0" * 4096)  # a crash in the middle of the copy
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert not _duckdb_maintain.compact_path(path).exists()
        store.maintain(now_ms=T0 + DAY, close_all=True)
        check_contents(store, ids, ts, values)
