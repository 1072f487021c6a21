"""Shifts: operators badge in at the start and out at the end; machines are off outside the shift."""

from __future__ import annotations

import datetime as dt

import pytest
from sim_helpers import START, channel_series, run, state_at, state_timeline

from seamline.model.factory import DeviceCategory, Factory
from seamline.sim import FloorSimulation, SimConfig, SimulationError


def test_the_shift_end_logs_everyone_out_and_switches_machines_off(small: Factory) -> None:
    r = run(small, 45 * 60.0, start=START + dt.timedelta(hours=7, minutes=30), seed=3)
    t0 = r.messages[0]["sent_ts"] - 1000
    end = t0 + 30 * 60_000
    badges = [e for _, e in r.events if e["type"] == "badge"]
    logins = {e["operator"] for e in badges if e["action"] == "login"}
    logouts = {e["operator"] for e in badges if e["action"] == "logout"}
    assert r.truth is not None
    at_work = {op for a in r.truth.attendance if a.shift == 0 for op in a.seated}
    assert at_work
    assert logins == at_work  # at work since hours before the run: badged in at its first second
    assert all(e["ts"] < t0 + 2000 for e in badges if e["action"] == "login")
    assert logouts == at_work
    assert all(e["ts"] >= end - 1000 for e in badges if e["action"] == "logout")
    last_logout = max(e["ts"] for e in badges if e["action"] == "logout")
    assert last_logout < end + 10 * 60_000  # the piece in hand is finished, no new bundle started
    assert all(e["ts"] < last_logout for _, e in r.events if e["type"] == "scan")
    series = channel_series(r.messages, small)
    for d in small.devices:
        if d.machine_type.category is DeviceCategory.SEWING:
            late = [v for _, ts, v in series[d.id]["runtime_state"] if ts > last_logout + 1000]
            assert late
            assert set(late) == {0}


def test_the_floor_waits_for_the_shift_to_start(small: Factory) -> None:
    r = run(small, 15 * 60.0, start=START - dt.timedelta(minutes=10), seed=3)
    t0 = r.messages[0]["sent_ts"] - 1000
    shift = t0 + 10 * 60_000
    badges = [e["ts"] for _, e in r.events if e["type"] == "badge"]
    assert badges
    assert min(badges) >= shift - 1000
    timelines = state_timeline(r.events)
    for d in small.devices:
        if d.machine_type.category is DeviceCategory.SEWING:
            assert state_at(timelines[d.id], shift - 1000) == 0


def test_shifts_can_start_with_the_simulation(small: Factory) -> None:
    evening = START + dt.timedelta(hours=12)  # long after the factory's shift
    idle = run(small, 300.0, start=evening)
    assert not [e for _, e in idle.events if e["type"] == "badge"]
    busy = run(small, 300.0, start=evening, config=SimConfig(shift_from_start=True))
    assert [e for _, e in busy.events if e["type"] == "badge"]


def test_a_run_started_in_a_shift_under_way_finds_its_operators_at_work(small: Factory) -> None:
    sim = FloorSimulation(
        small, seed=3, start=START + dt.timedelta(hours=2), config=SimConfig(telemetry=False)
    )
    truth = sim.truth  # at the start itself
    device_of = {w.id: w.device_id for line in small.lines for w in line.workstations}
    seated = [device_of[ws] for a in truth.attendance for ws in a.seated.values()]
    assert seated
    assert {truth.state[d] for d in seated} == {"idle"}  # badged in at 08:00-08:04, before the run


def test_the_shift_calendars_are_one_or_the_other(small: Factory) -> None:
    with pytest.raises(SimulationError) as err:
        FloorSimulation(small, config=SimConfig(shift_from_start=True, demo_calendar=True))
    assert err.value.field == "config.demo_calendar"
    with pytest.raises(SimulationError) as err:
        FloorSimulation(small, config=SimConfig(demo_calendar=True, demo_shift_elapsed_min=480.0))
    assert err.value.field == "config.demo_shift_elapsed_min"  # the small factory's shift is 480 min
