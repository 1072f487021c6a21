"""Readings are plausible: in range, on the resolution grid, drifting slowly, following the work."""

from __future__ import annotations

import itertools
import statistics

from sim_helpers import Run, channel_series

from seamline.model.factory import ChannelKind, Factory


def test_values_are_in_range_and_on_the_resolution_grid(busy_run: Run, small: Factory) -> None:
    for m in busy_run.messages:
        chans = small.devices_by_id[m["device"]].machine_type.channels
        for c, v in zip(m["readings"]["ch"], m["readings"]["v"], strict=True):
            spec = chans[c]
            steps = v / spec.resolution
            assert abs(steps - round(steps)) < 1e-6, (spec.name, v)
            if spec.kind is ChannelKind.COUNTER:
                assert v >= 0
            else:
                assert spec.low - 1e-9 <= v <= spec.high + 1e-9, (spec.name, v)
            if spec.kind is ChannelKind.STATE:
                assert v == int(v)


def test_digital_inputs_flip_rarely(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)
    flips = samples = 0
    for chans in series.values():
        for name, values in chans.items():
            if name.startswith("io_input_"):
                vs = [v for _, _, v in values]
                assert set(vs) <= {0, 1}
                flips += sum(a != b for a, b in itertools.pairwise(vs))
                samples += len(vs)
    assert 0 < flips < 0.05 * samples


def test_ambient_gauges_wander_within_their_range(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)
    for dev in small.devices:
        values = series[dev.id].get("supply_voltage_v")
        if values:
            vs = [v for _, _, v in values]
            assert 0 < statistics.pstdev(vs) < 0.25 * (235 - 215)


def test_motors_warm_up_with_work(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)
    t0 = busy_run.messages[0]["sent_ts"]
    early, late = [], []
    for chans in series.values():
        for _, ts, v in chans.get("motor_temp_c", ()):
            (early if ts - t0 < 60_000 else late if ts - t0 > 900_000 else []).append(v)
    assert statistics.mean(late) > statistics.mean(early) + 2.0


def test_box_aggregates_describe_the_sewing(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)
    needle = [v for chans in series.values() for _, _, v in chans.get("needle_time_pct", ())]
    stitches = [v for chans in series.values() for _, _, v in chans.get("stitches_per_piece", ()) if v > 0]
    assert 5 < statistics.mean(needle) < 70
    assert 100 < statistics.median(stitches) < 2000
