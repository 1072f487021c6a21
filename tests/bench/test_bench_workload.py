"""The standard synthetic workload: deterministic, shaped like telemetry messages, floor-like values."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt
import pytest

from seamline.bench import Chunk, Workload
from seamline.bench import _sensors as sensors
from seamline.model.factory import ChannelKind, ChannelSpec, Factory

T0 = 1_795_363_200_000  # 2026-11-22T16:00:00Z


@dataclasses.dataclass(frozen=True)
class Columns:
    """A run's readings concatenated and sorted by (sensor, time)."""

    sensor_ids: npt.NDArray[np.int32]
    ts_ms: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]

    def of(self, sensor_id: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        lo, hi = np.searchsorted(self.sensor_ids, [sensor_id, sensor_id + 1])
        return self.ts_ms[lo:hi], self.values[lo:hi]


def columns(chunks: list[Chunk]) -> Columns:
    sid = np.concatenate([c.sensor_ids for c in chunks])
    ts = np.concatenate([c.ts_ms for c in chunks])
    v = np.concatenate([c.values for c in chunks])
    order = np.lexsort((ts, sid))
    return Columns(sid[order], ts[order], v[order])


def small_factory(factory: Factory, n_devices: int = 4) -> Factory:
    """The first devices of the reference factory: an snls seat has 67 channels of every kind."""
    return dataclasses.replace(factory, devices=factory.devices[:n_devices])


def specs_by_sensor(factory: Factory) -> dict[int, ChannelSpec]:
    return {s.id: s.channel for s in factory.sensors()}


def test_the_reference_factory_gives_every_sensor_at_its_rate(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0)
    assert workload.sensor_count == factory.sensor_count == 12_770
    assert workload.readings_per_s == pytest.approx(factory.readings_per_s())
    seen = np.unique(np.concatenate([c.sensor_ids for c in workload.chunks(60.0)]))
    assert seen.size == factory.sensor_count  # the slowest channels sample once a minute


def test_same_seed_same_readings_other_seed_other_values(factory: Factory) -> None:
    a = list(Workload(factory, start_ms=T0, seed=3).chunks(3.0))
    b = list(Workload(factory, start_ms=T0, seed=3).chunks(3.0))
    c = list(Workload(factory, start_ms=T0, seed=4).chunks(3.0))
    assert [x.device_id for x in a] == [x.device_id for x in b]
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.sensor_ids, y.sensor_ids)
        np.testing.assert_array_equal(x.ts_ms, y.ts_ms)
        np.testing.assert_array_equal(x.values, y.values)
    va, vc = columns(a).values, columns(c).values
    assert va.size != vc.size or not np.array_equal(va, vc)


def test_a_shorter_run_is_a_prefix_of_a_longer_one(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0, seed=5)
    short = list(workload.chunks(2.0))
    long = list(workload.chunks(5.0))[: len(short)]
    for x, y in zip(short, long, strict=True):
        assert x.device_id == y.device_id
        np.testing.assert_array_equal(x.ts_ms, y.ts_ms)
        np.testing.assert_array_equal(x.values, y.values)


def test_chunks_are_device_messages_of_typed_read_only_columns(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0)
    chunks = list(workload.chunks(2.0, max_readings_per_message=50))
    assert chunks
    for chunk in chunks:
        device = factory.devices_by_id[chunk.device_id]
        assert chunk.channel_idx.dtype == np.int32
        assert chunk.sensor_ids.dtype == np.int32
        assert chunk.ts_ms.dtype == np.int64
        assert chunk.values.dtype == np.float64
        assert 1 <= len(chunk) <= 50
        assert chunk.channel_idx.size == chunk.sensor_ids.size == chunk.values.size == len(chunk)
        np.testing.assert_array_equal(chunk.sensor_ids, device.sensor_base + chunk.channel_idx)
        assert chunk.channels is device.machine_type.channels
        with pytest.raises(ValueError, match="read-only"):
            chunk.values[0] = 0.0
    # window after window: every message of the first second comes before any of the next
    windows = [(int(c.ts_ms.min()) - T0) // 1000 for c in chunks]
    assert windows == sorted(windows)
    assert windows[0] == 0
    assert windows[-1] == 1


@pytest.mark.parametrize(("seconds", "window_s", "limit"), [(7.3, 1.0, 1000), (12.0, 2.5, 37), (0.4, 1.0, 5)])
def test_the_readings_count_is_total_readings(
    factory: Factory, seconds: float, window_s: float, limit: int
) -> None:
    workload = Workload(factory, start_ms=T0, seed=1)
    chunks = list(workload.chunks(seconds, max_readings_per_message=limit, window_s=window_s))
    assert sum(len(c) for c in chunks) == workload.total_readings(seconds)
    ts = np.concatenate([c.ts_ms for c in chunks])
    assert ts.min() >= T0
    assert ts.max() < workload.end_ms(seconds)


def test_seconds_for_is_the_shortest_run_with_that_many_readings(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0)
    for wanted in (1, 15_000, 1_234_567):
        seconds = workload.seconds_for(wanted)
        assert workload.total_readings(seconds) >= wanted
        assert workload.total_readings(seconds - 0.001) < wanted
    assert workload.seconds_for(0) == 0.0


def per_sensor(factory: Factory, cols: Columns) -> dict[str, npt.NDArray[np.float64]]:
    """Each reading's channel spec fields, aligned with ``cols`` (for vectorised checks)."""
    specs = specs_by_sensor(factory)
    ids = np.arange(max(specs) + 1)
    table = {
        "period_ms": [round(specs[i].period_s * 1000) for i in ids],
        "resolution": [specs[i].resolution for i in ids],
        "low": [specs[i].low for i in ids],
        "high": [specs[i].high for i in ids],
        "counter": [specs[i].kind is ChannelKind.COUNTER for i in ids],
    }
    return {name: np.asarray(values, np.float64)[cols.sensor_ids] for name, values in table.items()}


def test_timestamps_are_at_each_sensors_period_after_a_phase(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0, seed=2)
    cols = columns(list(workload.chunks(65.0)))
    period = per_sensor(factory, cols)["period_ms"]
    first = np.concatenate(([True], cols.sensor_ids[1:] != cols.sensor_ids[:-1]))
    assert np.count_nonzero(first) == factory.sensor_count
    phase = cols.ts_ms[first] - T0
    assert np.all((phase >= 0) & (phase < period[first]))
    assert np.std(phase / period[first]) > 0.2  # phases spread over the period, not all at 0
    step = np.diff(cols.ts_ms)[~first[1:]]
    np.testing.assert_array_equal(step, period[1:][~first[1:]])
    last = np.append(first[1:], True)
    assert np.all(cols.ts_ms[last] + period[last] >= T0 + 65_000)  # none missing at the end


def test_values_are_quantised_shortest_decimals_within_range(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0, seed=7)
    cols = columns(list(workload.chunks(60.0)))
    spec = per_sensor(factory, cols)
    steps = cols.values / spec["resolution"]
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    bounded = spec["counter"] == 0
    assert np.all(cols.values[bounded] >= spec["low"][bounded] - 1e-9)
    assert np.all(cols.values[bounded] <= spec["high"][bounded] + 1e-9)
    for value, resolution in zip(
        cols.values[::997].tolist(), spec["resolution"][::997].tolist(), strict=True
    ):
        decimals = max(1, math.ceil(-math.log10(resolution) - 1e-9))
        assert len(repr(value).split(".")[1]) <= decimals  # 0.3, never 0.30000000000000004


def test_gauges_drift_with_noise_and_a_fifth_step(factory: Factory) -> None:
    workload = Workload(small_factory(factory, 20), start_ms=T0, seed=11)
    cols = columns(list(workload.chunks(600.0)))
    fast = [s.id for s in small_factory(factory, 20).sensors() if s.channel.name == "motor_current_a"]
    moving = 0
    for sensor_id in fast:
        _, v = cols.of(sensor_id)
        moving += int(np.count_nonzero(np.diff(v)) > v.size // 10)
    assert moving == len(fast)  # noise moves them from sample to sample
    table = sensors.build_sensor_table(factory, seed=11)
    gauges = table.kind == sensors.GAUGE
    share = np.count_nonzero(table.step_size[gauges]) / np.count_nonzero(gauges)
    assert share == pytest.approx(sensors.STEP_GAUGE_SHARE, abs=0.02)


def test_counters_only_grow_until_a_controller_restart(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sensors, "COUNTER_RESET_MEAN_S", 1800.0)  # restarts often enough to see some
    small = small_factory(factory, 8)
    workload = Workload(small, start_ms=T0, seed=13)
    cols = columns(list(workload.chunks(1800.0, window_s=7.0)))
    resets = grew = 0
    for sensor_id, spec in specs_by_sensor(small).items():
        if spec.kind is not ChannelKind.COUNTER:
            continue
        _, v = cols.of(sensor_id)
        steps = np.round(v / spec.resolution).astype(np.int64)
        diffs = np.diff(steps)
        drops = np.flatnonzero(diffs < 0)
        resets += drops.size
        grew += int(steps[-1] > steps[0] and drops.size == 0)
        increments = diffs[diffs >= 0]
        for at in drops:  # after a restart the counter holds only what it counted since
            assert steps[at + 1] <= max(10, 20 * int(increments.max(initial=0)))
    assert resets > 0
    assert grew > 0


def test_states_hold_whole_codes_and_rarely_change(factory: Factory) -> None:
    small = small_factory(factory, 20)
    workload = Workload(small, start_ms=T0, seed=17)
    cols = columns(list(workload.chunks(900.0, window_s=3.0)))
    samples = changes = 0
    for sensor_id, spec in specs_by_sensor(small).items():
        if spec.kind is not ChannelKind.STATE:
            continue
        _, v = cols.of(sensor_id)
        np.testing.assert_array_equal(v, np.round(v))
        if spec.high - spec.low == 1:
            assert set(np.unique(v).tolist()) <= {spec.low, spec.high}
        samples += v.size - 1
        changes += int(np.count_nonzero(np.diff(v)))
    assert 0 < changes < 0.01 * samples


def test_bad_arguments_are_refused(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0)
    with pytest.raises(ValueError, match="max_readings_per_message"):
        next(workload.chunks(1.0, max_readings_per_message=0))
    with pytest.raises(ValueError, match="window_s"):
        next(workload.chunks(1.0, window_s=0.0))


# -- the jittered workload -------------------------------------------------------------------------


def jittered(factory: Factory, seconds: float, seed: int = 1) -> Columns:
    return columns(list(Workload(factory, start_ms=T0, seed=seed, kind="jittered").chunks(seconds)))


@pytest.mark.parametrize(("seconds", "window_s", "limit"), [(95.0, 1.0, 1000), (31.7, 7.5, 40)])
def test_the_jittered_readings_count_is_total_readings(
    factory: Factory, seconds: float, window_s: float, limit: int
) -> None:
    workload = Workload(factory, start_ms=T0, seed=3, kind="jittered")
    chunks = list(workload.chunks(seconds, max_readings_per_message=limit, window_s=window_s))
    assert sum(len(c) for c in chunks) == workload.total_readings(seconds)
    regular = Workload(factory, start_ms=T0, seed=3).total_readings(seconds)
    assert 0.9 * regular < workload.total_readings(seconds) < regular  # the gaps, ~2 % of readings
    for chunk in chunks:  # still device messages, channel by channel
        device = factory.devices_by_id[chunk.device_id]
        np.testing.assert_array_equal(chunk.sensor_ids, device.sensor_base + chunk.channel_idx)


def test_jittered_seconds_for_is_the_shortest_run_with_that_many_readings(factory: Factory) -> None:
    workload = Workload(factory, start_ms=T0, kind="jittered")
    for wanted in (15_000, 1_234_567):
        seconds = workload.seconds_for(wanted)
        assert workload.total_readings(seconds) >= wanted
        assert workload.total_readings(seconds - 0.001) < wanted


def test_jittered_timestamps_wander_off_the_period_but_stay_in_order(factory: Factory) -> None:
    cols = jittered(factory, 95.0)
    period = per_sensor(factory, cols)["period_ms"]
    same = cols.sensor_ids[1:] == cols.sensor_ids[:-1]
    step = np.diff(cols.ts_ms)[same]
    assert step.min() > 0  # in order, never two readings of a sensor at one time
    off_period = np.count_nonzero(step % period[1:][same]) / step.size
    assert off_period > 0.5  # most intervals are not whole periods
    # irregular gaps: some sensors miss seconds (and whole devices go quiet), not only a sample
    missed = step > 1.9 * period[1:][same]
    assert np.count_nonzero(missed) > 1000  # ~5 % of (sensor, 30 s slot) pairs have a gap
    assert np.count_nonzero(step > 5 * period[1:][same] + 400) > 500  # seconds, not one sample
    assert np.count_nonzero(cols.ts_ms < T0) > 0  # device clocks run behind as well as ahead


def test_jittered_gauges_are_real_floats_counters_and_states_whole_steps(factory: Factory) -> None:
    cols = jittered(factory, 30.0)
    spec = per_sensor(factory, cols)
    kinds = {s.id: s.channel.kind for s in factory.sensors()}
    gauge = np.array([kinds[int(i)] is ChannelKind.GAUGE for i in cols.sensor_ids])
    steps = cols.values / spec["resolution"]
    on_grid = np.isclose(steps, np.rint(steps), rtol=0.0, atol=1e-6)
    assert np.count_nonzero(on_grid[gauge]) < 0.05 * np.count_nonzero(gauge)
    assert on_grid[~gauge].all()
    g = cols.values[gauge]
    assert np.all((g >= spec["low"][gauge]) & (g <= spec["high"][gauge]))
    # the same drift and noise as the standard workload's gauges, only not rounded
    standard = columns(list(Workload(factory, start_ms=T0, seed=1).chunks(30.0)))
    assert np.std(cols.values[gauge]) == pytest.approx(
        np.std(standard.values[np.isin(standard.sensor_ids, cols.sensor_ids[gauge])]), rel=0.05
    )


def test_jittered_is_deterministic_and_unknown_kinds_are_refused(factory: Factory) -> None:
    a, b = jittered(factory, 31.0, seed=7), jittered(factory, 31.0, seed=7)
    np.testing.assert_array_equal(a.ts_ms, b.ts_ms)
    np.testing.assert_array_equal(a.values, b.values)
    with pytest.raises(ValueError, match="unknown workload 'noisy'"):
        Workload(factory, start_ms=T0, kind="noisy")  # type: ignore[arg-type]  # the point of the test
