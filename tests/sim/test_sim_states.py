"""Machine states: readings agree with events; faults, speeds and presence follow the state."""

from __future__ import annotations

import itertools
from collections import defaultdict

from sim_helpers import Run, channel_series, state_at, state_timeline

from seamline.model.factory import DeviceCategory, Factory


def test_runtime_state_readings_agree_with_state_events(busy_run: Run, small: Factory) -> None:
    timelines = state_timeline(busy_run.events)
    series = channel_series(busy_run.messages, small)
    checked = 0
    for dev_id, chans in series.items():
        for _, ts, v in chans.get("runtime_state", ()):
            assert v == state_at(timelines[dev_id], ts), (dev_id, ts)
            checked += 1
    assert checked > 10_000
    seen = {code for tl in timelines.values() for _, code in tl}
    assert seen == {0, 1, 2, 3}


def test_state_events_report_changes_only(busy_run: Run) -> None:
    for dev_id, tl in state_timeline(busy_run.events).items():
        for (t0, a), (t1, b) in itertools.pairwise(tl):
            assert t1 >= t0
            # a rebooted controller repeats its state once; otherwise each event is a change
            assert a != b or any(
                e["type"] == "counter_reset" and e["ts"] == t1 for d, e in busy_run.events if d == dev_id
            )


def test_fault_code_is_set_exactly_while_in_fault(busy_run: Run, small: Factory) -> None:
    series = channel_series(busy_run.messages, small)
    faults = 0
    for chans in series.values():
        if "fault_code" not in chans:
            continue
        state = {ts: v for _, ts, v in chans["runtime_state"]}
        for _, ts, code in chans["fault_code"]:
            assert (code != 0) == (state[ts] == 3)
            faults += code != 0
        assert {v for _, _, v in chans["warning_code"]} <= {0, 4, 5, 10}
    assert faults > 20


def test_the_motor_follows_the_state(busy_run: Run, small: Factory) -> None:
    timelines = state_timeline(busy_run.events)
    series = channel_series(busy_run.messages, small)
    running = off = 0
    for dev_id, chans in series.items():
        for _, ts, spm in chans.get("motor_speed_spm", ()):
            if state_at(timelines[dev_id], ts) == 2:
                assert 1800 <= spm <= 4800
                running += 1
            else:
                assert spm == 0
        for _, ts, watts in chans.get("power_w", ()):
            state = state_at(timelines[dev_id], ts)
            if state == 0:
                assert watts == 0
                off += 1
            else:
                assert watts > 0
    assert running > 1000
    assert off > 1000


def test_faults_are_cleared_and_breakdowns_are_downtime(busy_run: Run) -> None:
    open_faults: dict[str, tuple[int, int]] = {}
    open_downtime: dict[tuple[str, str], int] = {}
    codes: set[int] = set()
    for dev, e in busy_run.events:
        if e["type"] == "fault":
            assert dev not in open_faults
            open_faults[dev] = (e["code"], e["ts"])
            codes.add(e["code"])
        elif e["type"] == "fault_cleared":
            code, _ = open_faults.pop(dev)
            assert e["code"] == code
        elif e["type"] == "downtime" and e["reason"] in ("machine_breakdown", "needle_break"):
            key = (dev, e["reason"])
            if "duration_s" in e:
                began = open_downtime.pop(key)
                assert abs((e["ts"] - began) / 1000 - e["duration_s"]) < 0.2
                if e["reason"] == "machine_breakdown":
                    assert e["duration_s"] >= 120
            else:
                assert key not in open_downtime
                assert open_faults[dev][0] in range(101, 200) or open_faults[dev][0] == 10
                open_downtime[key] = e["ts"]
    assert {4, 5, 10} & codes == {5, 10}
    assert any(101 <= c <= 199 for c in codes)


def test_operator_present_only_after_a_badge_login(busy_run: Run, small: Factory) -> None:
    logins: dict[str, int] = {}
    for _, e in busy_run.events:
        if e["type"] == "badge" and e["action"] == "login":
            logins.setdefault(e["workstation"], e["ts"])
    series = channel_series(busy_run.messages, small)
    present = defaultdict(int)
    for d in small.devices:
        if d.machine_type.category is not DeviceCategory.SEWING:
            continue
        for _, ts, v in series[d.id]["operator_present"]:
            if v == 1:
                assert d.workstation_id in logins
                assert ts + 400 >= logins[d.workstation_id]  # clocks differ by up to 2 x 150 ms
                present[d.id] += 1
    assert len(present) >= 10
