"""Rollups and state durations against brute force from the raw readings: late, out of order,
duplicated timestamps, counter restarts, state gaps; before and after maintenance and compaction."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from seamline.model.factory import Factory
from seamline.store import (
    HOUR_MS,
    MINUTE_MS,
    STATE_HOLD_MS,
    DuckDBStore,
    Resolution,
    StoreQueryError,
    counter_delta,
)
from seamline.telemetry import DeviceBatch

T0 = 1_795_363_200_000  # an hour boundary
DEVICE = "L01-S03"
Reading = tuple[int, int, float]  # sensor, ts_ms, value


class Ids:
    def __init__(self, factory: Factory) -> None:
        d = factory.devices_by_id[DEVICE]
        self.counter = d.sensor_id("stitch_count")
        self.gauge = d.sensor_id("motor_temp_c")
        self.state = d.sensor_id("runtime_state")
        self.all = (self.counter, self.gauge, self.state)


def synthetic(ids: Ids, seed: int, hours: float = 2.5) -> list[Reading]:
    """Readings with irregular gaps, equal timestamps, counter restarts and state changes."""
    rng = np.random.default_rng(seed)
    end = T0 + int(hours * HOUR_MS)
    out: list[Reading] = []
    t, total = T0 + 500, 1000.0
    while t < end:
        if rng.random() < 0.003:
            total = float(rng.integers(0, 5))  # the controller restarted
        else:
            total += float(rng.integers(0, 4))
        out.append((ids.counter, t, total))
        if rng.random() < 0.02:
            out.append((ids.counter, t, total + 1.0))  # a second reading at the same millisecond
        t += int(rng.integers(200, 9000))
    t = T0 + 10
    while t < end:
        out.append((ids.gauge, t, round(float(rng.normal(60, 8)), 1)))
        t += int(rng.integers(100, 4000)) if rng.random() > 0.002 else 20 * MINUTE_MS  # some long gaps
    t, code = T0 + 3000, 2.0
    while t < end:
        if rng.random() < 0.05:
            code = float(rng.integers(0, 4))
        out.append((ids.state, t, code))
        t += 5000 if rng.random() > 0.01 else int(rng.integers(STATE_HOLD_MS // 2, 3 * STATE_HOLD_MS))
    return out


def write(store: DuckDBStore, readings: list[Reading], seq0: int, per_message: int = 40) -> int:
    """Write in messages of ``per_message`` readings, in the given order; returns the next seq."""
    seq = seq0
    batches = []
    for i in range(0, len(readings), per_message):
        part = readings[i : i + per_message]
        seq += 1
        batches.append(
            DeviceBatch(
                DEVICE,
                0,
                seq,
                T0,
                T0,
                np.array([s for s, _, _ in part], np.int32),
                np.array([t for _, t, _ in part], np.int64),
                np.array([v for _, _, v in part], np.float64),
            )
        )
    for i in range(0, len(batches), 50):
        store.write_batch(batches[i : i + 50])
    return seq


def ordered(readings: list[Reading], sensor: int) -> list[tuple[int, float]]:
    return sorted((t, v) for s, t, v in readings if s == sensor)


def brute_aggregates(
    readings: list[Reading], sensor: int, start: int, end: int, width: int, counter: bool
) -> list[tuple[int, int, float, float, float, float, float | None]]:
    """(bucket, count, min, max, mean, last, increase) straight from the definition in base.py."""
    rs = ordered(readings, sensor)
    out: dict[int, list[tuple[int, float, float]]] = {}
    for i, (t, v) in enumerate(rs):
        if start <= t < end:
            step = counter_delta(rs[i - 1][1], v) if i else 0.0
            out.setdefault(t - t % width, []).append((t, v, step))
    rows = []
    for b in sorted(out):
        vs = [v for _, v, _ in out[b]]
        inc = math.fsum(s for _, _, s in out[b]) if counter else None
        rows.append((b, len(vs), min(vs), max(vs), math.fsum(vs) / len(vs), vs[-1], inc))
    return rows


def brute_durations(
    readings: list[Reading], sensor: int, start: int, end: int, interval: int
) -> dict[int, list[int]]:
    """Per code, ms per interval: each reading holds until the next, at most STATE_HOLD_MS."""
    rs = ordered(readings, sensor)
    edges = [*range(start, end, interval), end]
    out: dict[int, list[int]] = {}
    for i, (t, v) in enumerate(rs):
        stop = min(rs[i + 1][0], t + STATE_HOLD_MS) if i + 1 < len(rs) else t + STATE_HOLD_MS
        per = out.setdefault(int(v), [0] * (len(edges) - 1))
        for k in range(len(edges) - 1):
            per[k] += max(0, min(stop, edges[k + 1]) - max(t, edges[k]))
    return {c: ms for c, ms in out.items() if any(ms)}


def assert_aggregates_match(
    store: DuckDBStore, readings: list[Reading], ids: Ids, start: int, end: int, resolution: Resolution
) -> None:
    for sensor in ids.all:
        counter = sensor == ids.counter
        got = store.aggregates(sensor, start, end, resolution)
        want = brute_aggregates(readings, sensor, start, end, resolution.bucket_ms, counter)
        assert got.bucket_ms.tolist() == [w[0] for w in want]
        assert got.count.tolist() == [w[1] for w in want]
        assert got.min.tolist() == [w[2] for w in want]
        assert got.max.tolist() == [w[3] for w in want]
        assert got.last.tolist() == [w[5] for w in want]
        assert got.mean.tolist() == pytest.approx([w[4] for w in want], rel=1e-12)
        if counter:
            assert got.increase is not None
            assert got.increase.tolist() == pytest.approx([w[6] for w in want], rel=1e-12, abs=1e-9)
        else:
            assert got.increase is None


RANGES = [
    (T0, T0 + 2 * HOUR_MS + 30 * MINUTE_MS),  # aligned, everything
    (T0 + 7_777, T0 + HOUR_MS + 123_456),  # unaligned: clipped edge buckets
    (T0 + 61 * MINUTE_MS + 5, T0 + 61 * MINUTE_MS + 50_000),  # inside one bucket
]


@pytest.fixture
def store(tmp_path: Path, factory: Factory) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path).opened(factory) as s:
        yield s


@pytest.mark.parametrize("resolution", [Resolution.MINUTE, Resolution.HOUR])
def test_rollups_equal_brute_force_before_and_after_maintenance(
    store: DuckDBStore, factory: Factory, resolution: Resolution
) -> None:
    ids = Ids(factory)
    readings = synthetic(ids, seed=1)
    rng = np.random.default_rng(7)
    shuffled = [readings[i] for i in rng.permutation(len(readings))]  # out of order
    half = len(shuffled) // 2
    seq = write(store, shuffled[:half], 0)
    for start, end in RANGES:  # nothing rolled up yet: answered from raw readings
        assert_aggregates_match(store, shuffled[:half], ids, start, end, resolution)
    store.maintain(now_ms=T0 + 3 * HOUR_MS)
    write(store, shuffled[half:], seq)  # late readings into buckets already rolled up and compacted
    for start, end in RANGES:  # stored rollups for untouched buckets, raw for the touched ones
        assert_aggregates_match(store, readings, ids, start, end, resolution)
    store.maintain(now_ms=T0 + 3 * HOUR_MS, close_all=True)
    for start, end in RANGES:
        assert_aggregates_match(store, readings, ids, start, end, resolution)


def test_rollups_survive_reopening_and_a_second_round_of_late_data(tmp_path: Path, factory: Factory) -> None:
    ids = Ids(factory)
    readings = synthetic(ids, seed=2)
    early = [r for r in readings if r[1] < T0 + 100 * MINUTE_MS]
    late = [r for r in readings if r[1] >= T0 + 100 * MINUTE_MS]
    late_into_old = early[::7]
    kept = [r for i, r in enumerate(early) if i % 7]
    with DuckDBStore(tmp_path).opened(factory) as store:
        seq = write(store, kept, 0)
        store.maintain(now_ms=T0 + 3 * HOUR_MS, close_all=True)
    with DuckDBStore(tmp_path).opened(factory) as store:
        seq = write(store, late + late_into_old, seq)
        store.maintain(now_ms=T0 + 3 * HOUR_MS)
        for resolution in (Resolution.MINUTE, Resolution.HOUR):
            assert_aggregates_match(store, readings, ids, T0, T0 + 3 * HOUR_MS, resolution)
        assert store.reading_count() == len(readings)


def test_hour_rollups_are_the_sum_of_their_minutes(store: DuckDBStore, factory: Factory) -> None:
    ids = Ids(factory)
    write(store, synthetic(ids, seed=3), 0)
    store.maintain(now_ms=T0 + 3 * HOUR_MS, close_all=True)
    minutes = store.aggregates(ids.counter, T0, T0 + 2 * HOUR_MS, Resolution.MINUTE)
    hours = store.aggregates(ids.counter, T0, T0 + 2 * HOUR_MS, Resolution.HOUR)
    assert minutes.increase is not None
    assert hours.increase is not None
    assert hours.count.sum() == minutes.count.sum()
    assert float(hours.increase.sum()) == pytest.approx(float(minutes.increase.sum()), rel=1e-12)
    assert hours.max.max() == minutes.max.max()


def test_a_counter_restart_counts_the_new_value_not_a_negative_step(
    store: DuckDBStore, factory: Factory
) -> None:
    ids = Ids(factory)
    # 100 -> 130 (+30), restart -> 5 (+5), -> 9 (+4); the first reading adds nothing
    write(store, [(ids.counter, T0 + 1000, 100.0), (ids.counter, T0 + 2000, 130.0)], 0)
    write(store, [(ids.counter, T0 + 61_000, 5.0), (ids.counter, T0 + 62_000, 9.0)], 10)
    for _ in range(2):
        got = store.aggregates(ids.counter, T0, T0 + HOUR_MS, Resolution.MINUTE)
        assert got.increase is not None
        assert got.increase.tolist() == [30.0, 9.0]
        hour = store.aggregates(ids.counter, T0, T0 + HOUR_MS, Resolution.HOUR)
        assert hour.increase is not None
        assert hour.increase.tolist() == [39.0]
        # a range starting after the restart still counts the step from the reading before it
        tail = store.aggregates(ids.counter, T0 + 61_500, T0 + HOUR_MS, Resolution.MINUTE)
        assert tail.increase is not None
        assert tail.increase.tolist() == [4.0]
        store.maintain(now_ms=T0 + 2 * HOUR_MS, close_all=True)


def test_state_durations_equal_brute_force_and_add_up_to_each_interval(
    store: DuckDBStore, factory: Factory
) -> None:
    ids = Ids(factory)
    readings = synthetic(ids, seed=4)
    rng = np.random.default_rng(11)
    shuffled = [readings[i] for i in rng.permutation(len(readings))]
    third = len(shuffled) // 3
    seq = write(store, shuffled[: 2 * third], 0)
    store.maintain(now_ms=T0 + 3 * HOUR_MS, close_all=True)
    write(store, shuffled[2 * third :], seq)  # late state readings, not rolled up yet
    for start, end, interval in (
        (T0, T0 + 3 * HOUR_MS, HOUR_MS),
        (T0 + 12_345, T0 + 2 * HOUR_MS + 1, 7 * MINUTE_MS),
        (T0 - HOUR_MS, T0 + 10 * MINUTE_MS, 5 * MINUTE_MS),  # starts before the first reading
    ):
        for round_ in range(2):
            got = store.state_durations([ids.state], start, end, interval)
            want = brute_durations(readings, ids.state, start, end, interval)
            widths = np.diff(np.append(got.bucket_ms, end))
            assert (got.duration_ms[0].sum(axis=1) + got.unknown_ms[0] == widths).all()
            assert {int(c): got.duration_ms[0, :, j].tolist() for j, c in enumerate(got.codes)} == want
            if round_ == 0:
                store.maintain(now_ms=T0 + 3 * HOUR_MS)


def state_walk(sensor: int, seed: int, hours: float = 2.5) -> list[Reading]:
    """One state sensor's readings: runs of a code with irregular steps and gaps past the hold."""
    rng = np.random.default_rng(seed)
    out: list[Reading] = []
    t, code = T0 + int(rng.integers(0, 60_000)), float(rng.integers(0, 4))
    while t < T0 + int(hours * HOUR_MS):
        if rng.random() < 0.08:
            code = float(rng.integers(0, 5))
        out.append((sensor, t, code))
        t += (
            int(rng.integers(500, 20_000)) if rng.random() > 0.01 else int(rng.integers(1, 4) * STATE_HOLD_MS)
        )
    return out


def test_state_durations_of_many_sensors_at_once_equal_each_sensors_brute_force(
    store: DuckDBStore, factory: Factory
) -> None:
    d = factory.devices_by_id[DEVICE]
    states = [
        d.sensor_base + k
        for k in range(d.sensor_count)
        if factory.sensor(d.sensor_base + k).channel.kind == "state"
    ]
    quiet = states.pop()  # no readings at all: unknown throughout
    readings = [r for i, s in enumerate(states) for r in state_walk(s, seed=100 + i)]
    rng = np.random.default_rng(12)
    shuffled = [readings[i] for i in rng.permutation(len(readings))]
    cut = len(shuffled) * 3 // 4
    seq = write(store, shuffled[:cut], 0)
    store.maintain(now_ms=T0 + 3 * HOUR_MS, close_all=True)
    write(store, shuffled[cut:], seq)  # late rows of every sensor: dirty minutes per sensor
    asked = [states[3], quiet, *states[::-1], states[3]]  # any order, a sensor twice, one silent
    for start, end, interval in (
        (T0, T0 + 3 * HOUR_MS, HOUR_MS),
        (T0 + 12_345, T0 + 2 * HOUR_MS + 1, 7 * MINUTE_MS),
    ):
        for round_ in range(2):
            got = store.state_durations(asked, start, end, interval)
            assert got.sensor_ids == tuple(asked)
            widths = np.diff(np.append(got.bucket_ms, end))
            assert (got.duration_ms.sum(axis=2) + got.unknown_ms == widths[None, :]).all()
            seen: set[int] = set()
            for i, sensor in enumerate(asked):
                want = brute_durations(readings, sensor, start, end, interval)
                mine = {
                    int(c): got.duration_ms[i, :, j].tolist()
                    for j, c in enumerate(got.codes)
                    if got.duration_ms[i, :, j].any()
                }
                assert mine == want, (sensor, round_)
                seen |= set(want)
            assert got.codes.tolist() == sorted(seen)
            if round_ == 0:
                store.maintain(now_ms=T0 + 3 * HOUR_MS)


def test_state_durations_refuse_non_state_sensors_and_too_many_intervals(
    store: DuckDBStore, factory: Factory
) -> None:
    ids = Ids(factory)
    with pytest.raises(StoreQueryError) as info:
        store.state_durations([ids.gauge], T0, T0 + HOUR_MS, MINUTE_MS)
    assert info.value.field == "sensor_ids"
    with pytest.raises(StoreQueryError) as info:
        store.state_durations([ids.state], T0, T0 + 30 * 86_400_000, 1000)
    assert info.value.field == "interval_ms"
    with pytest.raises(StoreQueryError):
        store.aggregates(ids.gauge, T0, T0 + HOUR_MS, Resolution.RAW)
