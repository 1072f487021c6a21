# ruff: noqa: S608  # SQL assembled from the store's own helpers and test paths
"""Compacted files in the relative format give back every double bit for bit, including those
whose steps or offsets do not fit 64 bits; files of schema 2 (the absolute format) stay readable
after the upgrade, alone and mixed with relative files in one query or one merge; a store of schema
3 (every 1-hour rollup in its table) answers the same before and after maintenance moves them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from seamline.model.factory import Factory
from seamline.store import HOUR_MS, MINUTE_MS, SCHEMA_VERSION, DuckDBStore, Resolution, _coldfiles
from seamline.store._duckdb_schema import raw_scan, rollup_scan, steps
from seamline.store._duckdb_sql import hour_source
from seamline.telemetry import DeviceBatch

T0 = 1_795_363_200_000
DAY = 86_400_000
DEVICE = "L01-S03"
# NaN, infinities and -0.0: see test_duckdb_compaction (rollups of them are the query layer's business)
ODD = np.array([0.1 + 0.2, 1e300, 5e-324, 12.3, -7.1, 2.0**60, 1e17, -1e17, 1 / 3, 9e15 + 1])


def readings(factory: Factory, seed: int, minutes: int, start: int = T0, boot: int = 0) -> list[DeviceBatch]:
    """Per minute one message: noisy step-exact values of every sensor of the device, a few odd
    doubles among them (not steps, or steps far beyond 64 bits once offset)."""
    d = factory.devices_by_id[DEVICE]
    rng = np.random.default_rng(seed)
    res = np.array([factory.sensor(d.sensor_base + k).channel.resolution for k in range(d.sensor_count)])
    gauges = [k for k in range(d.sensor_count) if factory.sensor(d.sensor_base + k).channel.kind == "gauge"]
    out = []
    for m in range(minutes):
        n = 400
        k = rng.integers(0, d.sensor_count, n)
        if m % 7 == 0:  # odd doubles on gauges (counters' increases and states' codes want numbers)
            k[: len(ODD)] = rng.choice(gauges, len(ODD))
        ts = start + m * MINUTE_MS + rng.integers(0, MINUTE_MS, n)
        values = np.round((50 + m + rng.normal(0, 20, n)) / res[k]) * res[k]
        values = np.where(res[k] < 1, np.round(values, 6), values)
        if m % 7 == 0:
            values[: len(ODD)] = ODD
        out.append(
            DeviceBatch(DEVICE, boot, m + 1, start, start, (d.sensor_base + k).astype(np.int32), ts, values)
        )
    return out


def write(store: DuckDBStore, batches: list[DeviceBatch]) -> None:
    for i in range(0, len(batches), 30):
        store.write_batch(batches[i : i + 30])


def contents(store: DuckDBStore, factory: Factory) -> tuple[dict[int, object], np.ndarray]:
    """Every reading (bit patterns) and every 1-minute and 1-hour rollup of the device's sensors,
    and apart the means (sums of doubles: the order of additions may differ in the last bit)."""
    d = factory.devices_by_id[DEVICE]
    exact: dict[int, object] = {}
    means = []
    for sid in range(d.sensor_base, d.sensor_base + d.sensor_count):
        h = store.history(sid, 0, 1 << 62, 1_000_000)
        rollups = []
        for resolution in (Resolution.MINUTE, Resolution.HOUR):
            a = store.aggregates(sid, T0, T0 + DAY, resolution)
            fields = ("bucket_ms", "count", "min", "max", "last", "increase")
            rollups.append([None if getattr(a, f) is None else getattr(a, f).tobytes() for f in fields])
            means.append(a.mean)
        exact[sid] = (h.ts_ms.tolist(), h.values.view(np.int64).tolist(), rollups)
    return exact, np.concatenate(means)


def same(got: tuple[dict[int, object], np.ndarray], want: tuple[dict[int, object], np.ndarray]) -> bool:
    return got[0] == want[0] and np.allclose(got[1], want[1], rtol=1e-12, atol=0, equal_nan=True)


def to_schema_3(path: Path) -> int:
    """Move the 1-hour rollups of the closed store at ``path`` from their files back into
    ``rollup_1h`` (its rows win) and mark the store as schema 3, as a store written before hour
    files looks; returns how many files that were."""
    root = path / "seamline.cold"
    with duckdb.connect(str(path / "seamline.duckdb")) as con:
        files = [r[0] for r in con.execute("SELECT path FROM cold_files WHERE kind = '1h'").fetchall()]
        if files:
            con.execute(f"CREATE TEMP TABLE hours AS {hour_source(root, files, 'true')}")
            con.execute("DELETE FROM rollup_1h")
            con.execute("INSERT INTO rollup_1h SELECT * FROM hours")
            con.execute("DELETE FROM cold_files WHERE kind = '1h'")
        con.execute("UPDATE seamline_schema SET version = 3")
    for name in files:
        (root / name).unlink()
    return len(files)


def to_absolute(path: Path) -> int:
    """Rewrite every compacted file of the closed store at ``path`` in the absolute format of
    schema 2 and mark the store as schema 2, as a store written before the relative format looks."""
    to_schema_3(path)
    root = path / "seamline.cold"
    with duckdb.connect(str(path / "seamline.duckdb")) as con:
        files = con.execute("SELECT path, kind FROM cold_files").fetchall()
        for name, kind in files:
            old = name.removesuffix(_coldfiles.RELATIVE_SUFFIX) + ".parquet"
            assert not _coldfiles.relative(old)
            if kind == "raw":
                scan, value = raw_scan(root, [name])
                src = f"SELECT sensor_id, ts_ms, {value} AS value, mul, div FROM {scan}"
                cols = f"sensor_id, ts_ms, {steps('value')} AS value_st"
                cols += f", CASE WHEN {steps('value')} IS NULL THEN value END AS value_raw, mul, div"
                order = "sensor_id, ts_ms"
            else:
                scan, decoded = rollup_scan(root, [name])
                src = f"SELECT {decoded}, mul, div FROM {scan}"
                doubles = ("min", "max", "sum", "first", "last", "inc")
                cols = "sensor_id, bucket, count, " + ", ".join(
                    f"{steps(c)} AS {c}_st, CASE WHEN {steps(c)} IS NULL THEN {c} END AS {c}_raw"
                    for c in doubles
                )
                cols += ", first_ts, last_ts, mul, div"
                order = "sensor_id, bucket"
            con.execute(
                f"COPY (SELECT {cols} FROM ({src}) ORDER BY {order}) TO '{root / old}' (FORMAT parquet)"
            )
            con.execute("UPDATE cold_files SET path = ? WHERE path = ?", [old, name])
            (root / name).unlink()
        con.execute("UPDATE seamline_schema SET version = 2")
    return len(files)


@pytest.fixture
def batches(factory: Factory) -> list[DeviceBatch]:
    return readings(factory, seed=3, minutes=150)


def test_relative_files_give_back_every_double(
    tmp_path: Path, factory: Factory, batches: list[DeviceBatch]
) -> None:
    with DuckDBStore(":memory:").opened(factory) as hot:  # rolled up, never compacted
        write(hot, batches)
        hot.maintain(now_ms=T0 + DAY, close_all=True)
        want = contents(hot, factory)
    with DuckDBStore(tmp_path).opened(factory) as store:
        write(store, batches)
        store.maintain(now_ms=T0 + DAY, close_all=True)
        with store.snapshot() as cur:
            names = [r[0] for r in cur.execute("SELECT path FROM cold_files").fetchall()]
            hot_rows = cur.execute("SELECT count(*) FROM readings_hot").fetchall()[0][0]
        assert hot_rows == 0
        assert {n.partition("/")[0] for n in names} == {"raw", "1m", "1h"}
        assert all(_coldfiles.relative(n) for n in names)
        assert same(contents(store, factory), want)


def test_a_schema_2_store_reads_the_same_and_merges_both_formats(
    tmp_path: Path, factory: Factory, batches: list[DeviceBatch]
) -> None:
    late = readings(factory, seed=4, minutes=30, start=T0 + HOUR_MS + 10 * MINUTE_MS, boot=1)
    with DuckDBStore(":memory:").opened(factory) as hot:
        write(hot, batches)
        hot.maintain(now_ms=T0 + DAY, close_all=True)
        want = contents(hot, factory)
        write(hot, late)
        hot.maintain(now_ms=T0 + DAY, close_all=True)
        want_late = contents(hot, factory)
    (tmp_path / "cold").mkdir()
    with DuckDBStore(tmp_path / "cold").opened(factory) as store:
        write(store, batches)
        store.maintain(now_ms=T0 + DAY, close_all=True)
    assert to_absolute(tmp_path / "cold") >= 4
    with DuckDBStore(tmp_path / "cold").opened(factory) as store:
        assert same(contents(store, factory), want)
        write(store, late)
        store.maintain(now_ms=T0 + DAY, close_all=True)  # merges absolute files with relative ones
        with store.snapshot() as cur:
            names = [r[0] for r in cur.execute("SELECT path FROM cold_files").fetchall()]
        assert any(_coldfiles.relative(n) for n in names)
        assert same(contents(store, factory), want_late)
    with duckdb.connect(str(tmp_path / "cold" / "seamline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM seamline_schema").fetchone() == (SCHEMA_VERSION,)


def test_a_schema_3_store_answers_the_same_and_moves_its_closed_hours_into_files(
    tmp_path: Path, factory: Factory, batches: list[DeviceBatch]
) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store:
        write(store, batches)
        store.maintain(now_ms=T0 + DAY, close_all=True)
        want = contents(store, factory)
    assert to_schema_3(tmp_path) >= 1
    with DuckDBStore(tmp_path).opened(factory) as store:
        with store.snapshot() as cur:
            kinds = {r[0] for r in cur.execute("SELECT kind FROM cold_files").fetchall()}
            hours_in_table = cur.execute("SELECT count(*) FROM rollup_1h").fetchall()[0][0]
        assert kinds == {"raw", "1m"}
        assert hours_in_table > 0
        assert same(contents(store, factory), want)  # the hours from the table
        store.maintain(now_ms=T0 + DAY)
        with store.snapshot() as cur:
            kinds = {r[0] for r in cur.execute("SELECT kind FROM cold_files").fetchall()}
            hours_in_table = cur.execute("SELECT count(*) FROM rollup_1h").fetchall()[0][0]
        assert kinds == {"raw", "1m", "1h"}
        assert hours_in_table == 0
        assert same(contents(store, factory), want)  # the hours from their files
    with duckdb.connect(str(tmp_path / "seamline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM seamline_schema").fetchone() == (SCHEMA_VERSION,)
