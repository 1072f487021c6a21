"""1-hour rollups of closed hours live in Parquet files, like the 1-minute ones: they answer as the
raw readings do, a late reading re-composes its hour in the table (whose row overrides the file's)
until the next compaction rewrites the file, retention drops and prunes them, a crash between a
file and its commit loses nothing, and lookbacks reach files days back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_duckdb_rollups import Reading, brute_aggregates, brute_durations

from seamline.model.factory import Factory
from seamline.store import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    DuckDBStore,
    Resolution,
    RetentionClass,
    RetentionPolicy,
    _coldfiles,
)
from seamline.telemetry import DeviceBatch

T0 = 1_795_363_200_000  # hour 4 of a 6-hour block: hours T0 and T0 + 1 h close with the block
BLOCK = (T0 - 4 * HOUR_MS, T0 + 2 * HOUR_MS)
DEVICES = ("L01-S03", "L01-S04", "CUT-01")


def readings_of(factory: Factory, seed: int, minutes: int = 150) -> list[Reading]:
    """Every sensor of the test devices, every 20-60 s: counters that count up and restart,
    step-exact gauges, states that change code now and then."""
    rng = np.random.default_rng(seed)
    out: list[Reading] = []
    for dev in DEVICES:
        d = factory.devices_by_id[dev]
        for sid in range(d.sensor_base, d.sensor_base + d.sensor_count):
            channel = factory.sensor(sid).channel
            ts = T0 + np.cumsum(rng.integers(20_000, 60_000, minutes * 3))
            ts = ts[ts < T0 + minutes * MINUTE_MS]
            if channel.kind == "counter":
                values = np.cumsum(rng.integers(0, 4, len(ts))).astype(np.float64)
                values[len(ts) // 2 :] -= values[len(ts) // 2] - 2  # the controller restarted
            elif channel.kind == "state":
                values = np.repeat(rng.integers(0, 4, len(ts) // 10 + 1), 10)[: len(ts)].astype(np.float64)
            else:
                values = np.round(rng.normal(50, 20, len(ts)) / channel.resolution) * channel.resolution
                values = np.where(channel.resolution < 1, np.round(values, 6), values)
            out += [(sid, int(t), float(v)) for t, v in zip(ts, values, strict=True)]
    return out


def write(store: DuckDBStore, readings: list[Reading], factory: Factory, seq0: int = 0) -> None:
    """One message per device and 200 readings, in time order."""
    by_device: dict[str, list[Reading]] = {}
    for r in sorted(readings, key=lambda r: r[1]):
        by_device.setdefault(factory.sensor(r[0]).device_id, []).append(r)
    batches = []
    for dev, rs in by_device.items():
        for k in range(0, len(rs), 200):
            part = rs[k : k + 200]
            batches.append(
                DeviceBatch(
                    dev,
                    0,
                    seq0 + k // 200 + 1,
                    T0,
                    T0,
                    np.array([s for s, _, _ in part], np.int32),
                    np.array([t for _, t, _ in part], np.int64),
                    np.array([v for _, _, v in part], np.float64),
                )
            )
    store.write_batch(batches)


def sample(factory: Factory) -> list[int]:
    """A gauge, a counter and a state sensor of each test device, in that order."""
    return [pick(factory, kind, dev) for dev in DEVICES for kind in ("gauge", "counter", "state")]


def pick(factory: Factory, kind: str, device: str = DEVICES[0]) -> int:
    """The last sensor of this kind of the device."""
    d = factory.devices_by_id[device]
    return max(
        s
        for s in range(d.sensor_base, d.sensor_base + d.sensor_count)
        if factory.sensor(s).channel.kind == kind
    )


def check(store: DuckDBStore, readings: list[Reading], factory: Factory) -> None:
    """Hour rollups and state durations of the sample sensors, as brute force from the readings."""
    for sid in sample(factory):
        counter = factory.sensor(sid).channel.kind == "counter"
        for start, end in ((T0, T0 + 3 * HOUR_MS), (T0 + 7_777, T0 + 2 * HOUR_MS + 123_456)):
            got = store.aggregates(sid, start, end, Resolution.HOUR)
            want = brute_aggregates(readings, sid, start, end, HOUR_MS, counter)
            assert got.bucket_ms.tolist() == [w[0] for w in want]
            assert got.count.tolist() == [w[1] for w in want]
            assert (got.min.tolist(), got.max.tolist()) == ([w[2] for w in want], [w[3] for w in want])
            assert got.last.tolist() == [w[5] for w in want]
            assert got.mean.tolist() == pytest.approx([w[4] for w in want], rel=1e-12)
            if counter:
                assert got.increase is not None
                assert got.increase.tolist() == pytest.approx([w[6] for w in want], rel=1e-12, abs=1e-9)
        if factory.sensor(sid).channel.kind == "state":
            got_d = store.state_durations([sid], T0, T0 + 3 * HOUR_MS, HOUR_MS)
            want_d = brute_durations(readings, sid, T0, T0 + 3 * HOUR_MS, HOUR_MS)
            assert {int(c): got_d.duration_ms[0, :, j].tolist() for j, c in enumerate(got_d.codes)} == want_d


def hour_files(store: DuckDBStore) -> list[tuple[str, int, int]]:
    with store.snapshot() as cur:
        rows = cur.execute("SELECT path, t0, t1 FROM cold_files WHERE kind = '1h' ORDER BY t0").fetchall()
    return [(p, int(a), int(b)) for p, a, b in rows]


def table_hours(store: DuckDBStore) -> list[tuple[int, int]]:
    """(sensor, bucket) of the rows in the rollup_1h table."""
    with store.snapshot() as cur:
        rows = cur.execute("SELECT sensor_id, bucket FROM rollup_1h ORDER BY ALL").fetchall()
    return [(int(s), int(b)) for s, b in rows]


def test_closed_hours_live_in_files_and_answer_as_the_raw_readings_do(
    tmp_path: Path, factory: Factory
) -> None:
    readings = readings_of(factory, seed=1)
    with DuckDBStore(tmp_path).opened(factory) as store:
        write(store, readings, factory)
        check(store, readings, factory)  # nothing rolled up yet
        store.maintain(now_ms=T0 + 3 * HOUR_MS)  # the data's clock closes the block; T0 + 2 h stays open
        assert [(a, b) for _, a, b in hour_files(store)] == [BLOCK]
        assert {b for _, b in table_hours(store)} == {T0 + 2 * HOUR_MS}
        check(store, readings, factory)
        store.maintain(now_ms=T0 + 3 * HOUR_MS, close_all=True)
        assert [(a, b) for _, a, b in hour_files(store)] == [BLOCK, (BLOCK[1], BLOCK[1] + 6 * HOUR_MS)]
        assert table_hours(store) == []
        check(store, readings, factory)
    with DuckDBStore(tmp_path).opened(factory) as store:
        check(store, readings, factory)
        newest = {s: (t, v) for s, t, v in sorted(readings, key=lambda r: (r[1], r[2]))}
        assert {x.sensor_id: (x.ts_ms, x.value) for x in store.latest(list(newest))} == newest
        assert store.max_ts == max(t for _, t, _ in readings)


def test_a_late_reading_overrides_its_hours_file_row_until_the_file_is_rewritten(
    tmp_path: Path, factory: Factory
) -> None:
    readings = readings_of(factory, seed=2)
    gauge = pick(factory, "gauge")
    with DuckDBStore(tmp_path).opened(factory) as store:
        write(store, readings, factory)
        store.maintain(now_ms=T0 + 3 * HOUR_MS)
        [(path, _, _)] = hour_files(store)
        late = [(gauge, T0 + 90 * MINUTE_MS + 17, 1234.5)]
        write(store, late, factory, seq0=10_000)
        readings += late
        check(store, readings, factory)  # the hour from raw readings: the rollups lack the reading
        store.maintain(now_ms=T0 + 3 * HOUR_MS)
        # one late bucket of a recent block: its file waits, the table's row overrides the file's
        assert hour_files(store)[0][0] == path
        assert [h for h in table_hours(store) if h[1] < T0 + 2 * HOUR_MS] == [(gauge, T0 + HOUR_MS)]
        check(store, readings, factory)
        store.max_ts = T0 + 3 * HOUR_MS + 5 * MINUTE_MS  # the data's clock an hour on: the block is old
        store.maintain(now_ms=store.max_ts + MINUTE_MS)
        assert hour_files(store)[0][0] != path
        assert [h for h in table_hours(store) if h[1] < T0 + 2 * HOUR_MS] == []
        check(store, readings, factory)


def test_retention_prunes_hour_files_and_drops_them_when_every_row_is_due(
    tmp_path: Path, factory: Factory
) -> None:
    short = RetentionClass("short", raw_ms=DAY_MS, minute_ms=DAY_MS, hour_ms=2 * DAY_MS)
    states = RetentionClass("states", raw_ms=DAY_MS, minute_ms=DAY_MS, hour_ms=None)
    policy = RetentionPolicy(default=short, by_kind={"state": states})
    readings = readings_of(factory, seed=3)
    gauge, counter, state = (pick(factory, kind) for kind in ("gauge", "counter", "state"))
    with DuckDBStore(tmp_path, retention=policy).opened(factory) as store:
        write(store, readings, factory)
        store.maintain(now_ms=T0 + 3 * HOUR_MS, close_all=True)
        before = [(a, b) for _, a, b in hour_files(store)]

        def hours(sid: int) -> int:
            return int(store.aggregates(sid, T0 - DAY_MS, T0 + DAY_MS, Resolution.HOUR).count.sum())

        counts = (hours(gauge), hours(counter), hours(state))
        assert min(counts) > 0
        # two days after the first block ended: its gauges and counters are due, its states are not
        store.maintain(now_ms=BLOCK[1] + 2 * DAY_MS)
        assert [(a, b) for _, a, b in hour_files(store)] == before  # pruned, not dropped
        assert (hours(gauge), hours(counter), hours(state)) == (
            sum(1 for s, t, _ in readings if s == gauge and t >= BLOCK[1]),
            sum(1 for s, t, _ in readings if s == counter and t >= BLOCK[1]),
            counts[2],
        )
    policy = RetentionPolicy(default=short)  # the states' hours now due as well
    with DuckDBStore(tmp_path, retention=policy).opened(factory) as store:
        store.maintain(now_ms=BLOCK[1] + 6 * HOUR_MS + 2 * DAY_MS)
        assert hour_files(store) == []
        assert (hours(gauge), hours(counter), hours(state)) == (0, 0, 0)


class CrashError(Exception):
    """Stands for the process dying at that point."""


def test_a_crash_before_an_hour_file_is_listed_loses_nothing(
    tmp_path: Path, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings = readings_of(factory, seed=4)
    written: list[Path] = []

    def crash(path: Path) -> None:
        written.append(path)
        if path.parent.name == _coldfiles.HOUR:
            raise CrashError(path)

    with DuckDBStore(tmp_path).opened(factory) as store:
        write(store, readings, factory)
        monkeypatch.setattr(_coldfiles, "after_file_written", crash)
        with pytest.raises(CrashError):
            store.maintain(now_ms=T0 + 3 * HOUR_MS)
        minute_file, hour_file = written[-2:]  # the unit's two files: 1-minute, then 1-hour rows
        assert minute_file.parent.name == _coldfiles.MINUTE
        assert not minute_file.exists()  # removed with the unit
        assert hour_file.exists()  # written, never listed
        assert hour_files(store) == []
        assert {b for _, b in table_hours(store)} == {T0, T0 + HOUR_MS, T0 + 2 * HOUR_MS}
        check(store, readings, factory)
    monkeypatch.undo()
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert not hour_file.exists()  # reopening removed the unlisted file
        check(store, readings, factory)
        store.maintain(now_ms=T0 + 3 * HOUR_MS)
        assert [(a, b) for _, a, b in hour_files(store)] == [BLOCK]
        check(store, readings, factory)


def test_a_counters_step_and_the_latest_values_reach_back_days(tmp_path: Path, factory: Factory) -> None:
    """Nothing in the day before: the reading before a range, and a sensor's newest reading on
    opening, come from hour files days older than the rest."""
    counter, gauge, other = (
        pick(factory, "counter"),
        pick(factory, "gauge"),
        pick(factory, "gauge", DEVICES[1]),
    )
    later = T0 + 3 * DAY_MS
    old = [(counter, T0 + 10_000, 100.0), (counter, T0 + 20_000, 110.0), (gauge, T0 + 30_000, 7.5)]
    new = [(counter, later + HOUR_MS + 5_000, 130.0), (other, later + HOUR_MS + 9_000, 1.0)]
    with DuckDBStore(tmp_path).opened(factory) as store:
        write(store, old, factory)
        store.maintain(now_ms=T0 + 2 * HOUR_MS, close_all=True)
        write(store, new, factory, seq0=100)
        store.maintain(now_ms=later + 3 * HOUR_MS, close_all=True)
        assert len(hour_files(store)) == 2
        for resolution in (Resolution.HOUR, Resolution.MINUTE):
            got = store.aggregates(counter, later, later + 3 * HOUR_MS, resolution)
            assert got.increase is not None
            assert got.increase.tolist() == [20.0]  # 110 -> 130, three days apart
    with DuckDBStore(tmp_path).opened(factory) as store:
        latest = {x.sensor_id: (x.ts_ms, x.value) for x in store.latest([counter, gauge])}
        assert latest == {counter: (later + HOUR_MS + 5_000, 130.0), gauge: (T0 + 30_000, 7.5)}
        assert store.max_ts == later + HOUR_MS + 9_000
