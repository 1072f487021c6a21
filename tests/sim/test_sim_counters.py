"""Controller counters: monotonic within a boot, restarted from 0 with an event, driven by the work."""

from __future__ import annotations

import itertools
from collections import defaultdict

from sim_helpers import Run, channel_series

from seamline.model.factory import ChannelKind, Factory


def test_counters_never_go_down_within_a_boot(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)
    checked = 0
    for dev_id, chans in series.items():
        mt = small.devices_by_id[dev_id].machine_type
        for name, values in chans.items():
            if mt.channels[mt.channel_index[name]].kind is not ChannelKind.COUNTER:
                continue
            for (boot0, _, v0), (boot1, _, v1) in itertools.pairwise(values):
                if boot0 == boot1:
                    assert v1 >= v0, (dev_id, name)
                    checked += 1
    assert checked > 10_000


def test_a_reset_restarts_every_counter_from_zero_and_says_so(busy_run: Run, small: Factory) -> None:
    last_boot: dict[str, int] = {}
    reset_at: dict[str, int] = {}
    resets = 0
    for m in busy_run.messages:
        dev = small.devices_by_id[m["device"]]
        mt = dev.machine_type
        counters = {c.name for c in mt.channels if c.kind is ChannelKind.COUNTER}
        announced = {e["channel"] for e in m.get("events", ()) if e["type"] == "counter_reset"}
        rebooted = m["boot"] != last_boot.get(dev.id, 0)
        last_boot[dev.id] = m["boot"]
        assert announced == (counters if rebooted else set())
        if rebooted:
            resets += 1
            reset_at[dev.id] = min(e["ts"] for e in m["events"] if e["type"] == "counter_reset")
        if dev.id not in reset_at:
            continue
        for c, ts, v in zip(m["readings"]["ch"], m["readings"]["ts"], m["readings"]["v"], strict=True):
            if mt.channels[c].name in ("power_on_s", "run_time_s"):  # seconds since the reboot, at most
                assert v <= (ts - reset_at[dev.id]) / 1000.0 + 1.0
    assert resets > 5


def test_stitches_grow_with_running_time_at_sewing_speed(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)
    ratios = []
    for dev in small.devices:
        chans = series[dev.id]
        if "stitch_count" not in chans:
            continue
        by_boot: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for (boot, ts, stitches), (_, ts2, run_s) in zip(
            chans["stitch_count"], chans["run_time_s"], strict=True
        ):
            assert ts == ts2  # both are snapshotted together
            by_boot[boot].append((stitches, run_s))
        for values in by_boot.values():
            d_stitch = values[-1][0] - values[0][0]
            d_run = values[-1][1] - values[0][1]
            if d_run >= 60:
                ratios.append(d_stitch / d_run)
    assert len(ratios) >= 5
    # stitches per running second = speed / 60, with speeds of 2,000-4,500 spm
    assert all(2000 / 60 * 0.9 <= r <= 4500 / 60 * 1.1 for r in ratios), ratios


def test_piece_counters_add_up_to_the_pieces_sewn(day_run: Run, small: Factory) -> None:
    total = 0.0
    machines = 0
    for dev in small.devices:
        values = day_run.series.get(dev.id, {}).get("piece_count")
        if not values:
            continue
        machines += 1
        by_boot: dict[int, list[float]] = defaultdict(list)
        for boot, _, v in values:
            by_boot[boot].append(v)
        for boot, vs in by_boot.items():
            total += vs[-1] - (0.0 if boot else vs[0])
    assert day_run.truth is not None
    sewn = sum(day_run.truth.pieces_by_operation.values())
    assert sewn > 1000
    # the last snapshot (every 5 s) may miss the pieces of the last seconds, one a machine at most
    assert sewn - machines <= total <= sewn


def test_run_time_is_the_running_state_time(day_run: Run, small: Factory) -> None:
    assert day_run.truth is not None
    checked = 0
    for dev in small.devices:
        values = day_run.series.get(dev.id, {}).get("run_time_s")
        if not values or values[-1][0] != 0:
            continue  # a controller that rebooted lost its count
        checked += 1
        counted = values[-1][2] - values[0][2]
        running = day_run.truth.state_s[dev.id]["running"]
        assert running - 12.0 <= counted <= running + 1.0  # snapshots every 10 s
    assert checked >= 10


def test_energy_meters_follow_the_floor(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)["EM-01"]
    power = [v for name, vs in series.items() if name.endswith("active_power_kw") for _, _, v in vs]
    start_ts = busy_run.messages[0]["sent_ts"]

    def mean_kw(lo_s: float, hi_s: float) -> float:
        vals = [
            v
            for name, vs in series.items()
            if name.endswith("active_power_kw")
            for _, ts, v in vs
            if lo_s <= (ts - start_ts) / 1000 < hi_s
        ]
        return sum(vals) / len(vals)

    assert power
    assert mean_kw(600, 1200) > 1.5 * mean_kw(0, 20)  # before the operators came vs at work
    energy = series["c01_energy_kwh"]
    assert all(b[2] >= a[2] for a, b in itertools.pairwise(energy) if a[0] == b[0])
