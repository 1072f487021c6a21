"""The pyarrow read path of compacted files (``_coldread``) gives back exactly what DuckDB's SQL
over the same files gives: the same readings, rollups and state durations, bit for bit, for any
time window, also where the rollup tables re-aggregated a bucket of a file; it decodes only the row
groups that may hold the sensor, and keeps a bounded number of parsed footers."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from seamline.model.factory import Factory
from seamline.store import HOUR_MS, MINUTE_MS, DuckDBStore, Resolution, _coldfiles, _coldread
from seamline.telemetry import DeviceBatch

T0 = 1_795_363_200_000
DAY = 86_400_000
DEVICES = ("L01-S03", "L01-S04")
# doubles that are no whole number of steps, or whose steps do not fit 64 bits once offset
ODD = np.array([0.1 + 0.2, 1e300, 5e-324, -0.0, 2.0**60, 1e17, -1e17, 1 / 3, 9e15 + 1, np.inf])


def batches(factory: Factory, minutes: int, seed: int) -> list[DeviceBatch]:
    """Per device and minute one message: step-exact noisy values of every sensor (sensors of many
    resolutions share row groups), repeated timestamps, and odd doubles every fifth minute."""
    rng = np.random.default_rng(seed)
    out = []
    for device in DEVICES:
        d = factory.devices_by_id[device]
        res = np.array([factory.sensor(d.sensor_base + k).channel.resolution for k in range(d.sensor_count)])
        gauges = [
            k for k in range(d.sensor_count) if factory.sensor(d.sensor_base + k).channel.kind == "gauge"
        ]
        for m in range(minutes):
            k = rng.integers(0, d.sensor_count, 300)
            ts = T0 + m * MINUTE_MS + rng.integers(0, MINUTE_MS, 300)
            ts[1::50] = ts[::50][: len(ts[1::50])]  # equal timestamps, maybe of one sensor
            values = np.round((40 + m + rng.normal(0, 15, 300)) / res[k]) * res[k]
            if m % 5 == 0:  # on gauges: counters' increases and states' codes want numbers
                k[: len(ODD)] = rng.choice(gauges, len(ODD))
                values[: len(ODD)] = ODD
            sensors = (d.sensor_base + k).astype(np.int32)
            out.append(DeviceBatch(device, 0, m + 1, T0, T0, sensors, ts, values))
    return out


@pytest.fixture
def store(tmp_path: Path, factory: Factory) -> DuckDBStore:
    s = DuckDBStore(tmp_path).opened(factory)
    got = batches(factory, minutes=90, seed=7)
    for i in range(0, len(got), 20):
        s.write_batch(got[i : i + 20])
    s.maintain(now_ms=T0 + DAY, close_all=True)
    return s


def sensor_ids(factory: Factory) -> list[int]:
    devices = [factory.devices_by_id[device] for device in DEVICES]
    return [sid for d in devices for sid in range(d.sensor_base, d.sensor_base + d.sensor_count)]


def test_history_reads_the_same_as_duckdb_sql(store: DuckDBStore, factory: Factory) -> None:
    with store.snapshot() as cur:
        names = [r[0] for r in cur.execute("SELECT path FROM cold_files WHERE kind = 'raw'").fetchall()]
        hot = cur.execute("SELECT count(*) FROM readings_hot").fetchall()[0][0]
    assert names
    assert all(_coldfiles.relative(n) for n in names)
    assert hot == 0
    reader = store.cold_reader
    assert reader is not None
    windows = [
        (0, 1 << 62),
        (T0 + 17 * MINUTE_MS + 1, T0 + 61 * MINUTE_MS),
        (T0 + 30 * MINUTE_MS, T0 + 30 * MINUTE_MS + 1),
    ]
    odd_seen = 0
    try:
        for sid in sensor_ids(factory):
            for lo, hi in windows:
                store.cold_reader = reader
                fast = store.history(sid, lo, hi, 1_000_000)
                store.cold_reader = None
                sql = store.history(sid, lo, hi, 1_000_000)
                assert fast.ts_ms.tolist() == sql.ts_ms.tolist(), (sid, lo, hi)
                assert fast.values.view(np.int64).tolist() == sql.values.view(np.int64).tolist(), (
                    sid,
                    lo,
                    hi,
                )
                assert ((fast.ts_ms >= lo) & (fast.ts_ms < hi)).all()
                odd_seen += int(np.isin(fast.values.view(np.int64), ODD.view(np.int64)).sum())
    finally:
        store.cold_reader = reader
        store.close()
    assert odd_seen > 0  # the raw fallback was read, not only step-exact values


# of the first hour, three sensors in seven keep a tenth of their rows: they share row groups of 128 rows
SPARSE = "sensor_id % 7 >= 3 OR ts_ms % 10 = 0"


def test_only_row_groups_that_may_hold_the_sensor_are_read(store: DuckDBStore, tmp_path: Path) -> None:
    """A file written in small row groups: the footer picks a strict subset for one sensor, and
    reading through a cache of one footer (evicting at every file) gives the same rows, for
    sensors sharing row groups and for sensors with row groups of their own, whole or cut by the
    time window."""
    with store.snapshot() as cur:
        name = cur.execute("SELECT path FROM cold_files WHERE kind = 'raw'").fetchall()[0][0]
        small = _coldfiles.new_name(_coldfiles.RAW, T0)
        sql = (
            f"SELECT * FROM read_parquet('{store.cold_root / name}') WHERE ({SPARSE})"  # noqa: S608  # a test path
            f" AND ts_ms < {T0 + HOUR_MS} ORDER BY sensor_id, ts_ms"
        )
        # sensors of ~200 rows get two row groups of their own; sparse ones share
        _coldfiles.write_parquet(cur, [(sql, [])], tmp_path, small, row_group_rows=128)
    store.close()
    reader = _coldread.ColdReader(tmp_path, max_cached_groups=1)
    footer = reader._footer(small)
    n_groups = footer.metadata.num_row_groups
    alone = footer.sensor_lo[footer.sensor_lo == footer.sensor_hi]
    shared = footer.sensor_lo[footer.sensor_lo != footer.sensor_hi]
    several = [s for s in np.unique(alone) if (alone == s).sum() > 1]
    assert len(alone)
    assert len(shared)
    assert several
    whole = _coldread.ColdReader(store.cold_root, max_cached_groups=1 << 20)  # type: ignore[arg-type]
    windows = [(0, 1 << 62), (T0 + 20 * MINUTE_MS + 1, T0 + 50 * MINUTE_MS)]
    for sid in [int(shared[len(shared) // 2]), int(alone[0]), int(several[0])]:
        picked = footer.groups(np.array([sid]), 0, 1 << 62)
        assert 0 < len(picked) < n_groups / 4
        for lo, hi in windows:
            sensors, ts, values = reader.raw([small, small], [sid], lo, hi)
            assert (sensors == sid).all()
            _, want_ts, want_values = whole.raw([name], [sid], lo, min(hi, T0 + HOUR_MS))  # the first hour
            if sid % 7 < 3:  # a sparse sensor: a tenth of its rows
                want_ts, want_values = want_ts[want_ts % 10 == 0], want_values[want_ts % 10 == 0]
            order, want_order = np.lexsort((values, ts)), np.lexsort((want_values, want_ts))
            assert len(ts) == 2 * len(want_ts) > 0
            assert np.array_equal(ts[order][::2], want_ts[want_order])
            assert np.array_equal(values[order][::2].view(np.int64), want_values[want_order].view(np.int64))
    assert len(reader._footers) == 1  # the bound held: one footer kept


@pytest.mark.parametrize("batch_rows", [7, 100, 1000])
@pytest.mark.parametrize("mix", [(1, 3, 9, 12, 25, 70, 130), (1, 2, 3, 5, 8, 12)])
def test_raw_row_groups_hold_whole_sensors_and_big_sensors_alone(
    batch_rows: int, mix: tuple[int, ...]
) -> None:
    """Rows sorted by sensor, arriving in batches of any size: the row groups keep every row in
    order; a sensor smaller than a quarter of the target never straddles two row groups and
    shares them up to the target (a batch's end cuts none short); a bigger one has row groups of
    its own, of about the target."""
    target = 40
    rng = np.random.default_rng(3)
    sizes = rng.choice(mix, 60)
    sensors = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    rows = pa.table({"sensor_id": sensors, "n": np.arange(len(sensors))})
    groups = list(_coldfiles._row_groups(rows.to_batches(max_chunksize=batch_rows), target, target // 4))
    assert np.array_equal(np.concatenate([g.column("n").to_numpy() for g in groups]), np.arange(len(sensors)))
    homes: dict[int, set[int]] = {}
    for i, g in enumerate(groups):
        ids = np.unique(g.column("sensor_id").to_numpy())
        for sid in ids.tolist():
            homes.setdefault(sid, set()).add(i)
        big = [s for s in ids.tolist() if sizes[s] >= target // 4]
        if big:
            assert len(ids) == 1, "a big sensor's row group holds it alone"
            assert g.num_rows <= 1.5 * target
        else:
            assert g.num_rows <= target
    assert all(len(homes[s]) == 1 for s in range(len(sizes)) if sizes[s] < target // 4)
    # a shared row group ends only where the next sensor would not fit (or has its own)
    for g, after in itertools.pairwise(groups):
        first_after = int(after.column("sensor_id")[0].as_py())
        if sizes[first_after] < target // 4 and len(np.unique(g.column("sensor_id").to_numpy())) > 1:
            assert g.num_rows + sizes[first_after] > target
    assert all(len(homes[s]) == max(1, round(sizes[s] / target)) for s in range(len(sizes)) if sizes[s] >= 10)


def test_rollups_and_state_durations_read_the_same_as_duckdb_sql(tmp_path: Path, factory: Factory) -> None:
    """Rollups of every sensor (gauges with odd doubles, counters, states) at both resolutions,
    and the state durations of both devices' state channels, through the files' pyarrow path and
    through SQL: bit for bit the same. The data's clock leaves the last half hour in the hot
    table, and a late message re-aggregates buckets of a compacted hour in the tables, whose rows
    must win over the files' rows on both paths."""
    store = DuckDBStore(tmp_path).opened(factory)
    got = batches(factory, minutes=90, seed=7)
    for i in range(0, len(got), 20):
        store.write_batch(got[i : i + 20])
    store.maintain(now_ms=T0 + 2 * HOUR_MS)
    b = batches(factory, minutes=90, seed=8)[37]  # three readings into a compacted hour
    late = dataclasses.replace(
        b, seq=1000, sensor_ids=b.sensor_ids[:3], ts_ms=b.ts_ms[:3], values=b.values[:3]
    )
    store.write_batch([late])
    store.maintain(now_ms=T0 + 2 * HOUR_MS)  # the block is recent: its files wait, the tables override
    with store.snapshot() as cur:
        kinds = {k for (k,) in cur.execute("SELECT DISTINCT kind FROM cold_files").fetchall()}
        overrides = cur.execute("SELECT count(*) FROM rollup_1m WHERE bucket < ?", [T0 + HOUR_MS]).fetchall()
    assert kinds == {"raw", "1m", "1h"}
    assert overrides[0][0] > 0  # re-aggregated minutes the files hold too
    reader = store.cold_reader
    windows = [(T0 - HOUR_MS, T0 + 3 * HOUR_MS), (T0 + 17 * MINUTE_MS + 1, T0 + 61 * MINUTE_MS)]
    ids = sensor_ids(factory)
    states = [s for s in ids if factory.sensor(s).channel.kind == "state"]
    assert states
    odd_seen = 0
    try:
        for lo, hi in windows:
            for sid in ids:
                for resolution in (Resolution.MINUTE, Resolution.HOUR):
                    store.cold_reader = reader
                    fast = store.aggregates(sid, lo, hi, resolution)
                    store.cold_reader = None
                    sql = store.aggregates(sid, lo, hi, resolution)
                    for field in ("bucket_ms", "count", "min", "max", "mean", "last", "increase"):
                        got, want = getattr(fast, field), getattr(sql, field)
                        assert (got is None) == (want is None), (sid, field)
                        if got is not None:
                            assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), (
                                sid,
                                resolution,
                                field,
                            )
                    odd_seen += int(np.isin(fast.max.view(np.int64), ODD.view(np.int64)).sum())
            store.cold_reader = reader
            fast_states = store.state_durations(states, lo, hi, 600_000)
            store.cold_reader = None
            sql_states = store.state_durations(states, lo, hi, 600_000)
            assert fast_states.codes.tolist() == sql_states.codes.tolist()
            assert np.array_equal(fast_states.duration_ms, sql_states.duration_ms)
            assert np.array_equal(fast_states.unknown_ms, sql_states.unknown_ms)
    finally:
        store.cold_reader = reader
        store.close()
    assert odd_seen > 0  # rollups' raw doubles were read, not only step-exact ones
