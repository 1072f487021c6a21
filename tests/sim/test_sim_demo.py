"""The demo's calendar: the reference factory is in full swing from its first seconds, at any hour."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sim_helpers import channel_series

from seamline.model.factory import DeviceCategory, Factory
from seamline.model.loader import load_factory
from seamline.run import SimOptions, new_simulation
from seamline.sim import FloorSimulation, FloorTruth, SimConfig

DHAKA = ZoneInfo("Asia/Dhaka")  # the reference factory's site; its own shift runs 08:00-16:00
DEMO = SimConfig(demo_calendar=True, telemetry=False)
# Site times around the clock: before the factory's shift, in it, in its last hours, at night.
HOURS = [dt.time(2, 0), dt.time(9, 0), dt.time(14, 0), dt.time(21, 30)]


@pytest.fixture(scope="module")
def reference() -> Factory:
    return load_factory()


def _site_time(t: dt.time) -> dt.datetime:
    return dt.datetime.combine(dt.date(2026, 11, 2), t, tzinfo=DHAKA)


def _sewing(factory: Factory) -> list[str]:
    return [d.id for d in factory.devices if d.machine_type.category is DeviceCategory.SEWING]


def _at_work(truth: FloorTruth, devices: list[str]) -> float:
    """The share of ``devices`` running or idle (switched on and not in fault) at ``truth.at_s``."""
    states = Counter(truth.state[d] for d in devices)
    return (states["running"] + states["idle"]) / len(devices)


def test_the_demo_builds_its_twin_on_the_demo_calendar(reference: Factory) -> None:
    start = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    assert new_simulation(reference, SimOptions(), start, demo=True).config.demo_calendar
    fleet = new_simulation(reference, SimOptions(), start, demo=False).config
    assert not fleet.demo_calendar
    assert fleet.shift_from_start


@pytest.mark.parametrize("site_time", HOURS, ids=str)
def test_most_sewing_machines_are_at_work_from_the_first_seconds(
    reference: Factory, site_time: dt.time
) -> None:
    sim = FloorSimulation(reference, seed=0, start=_site_time(site_time), config=DEMO)
    sewing = _sewing(reference)
    assert len(sewing) == 120
    shares = []
    for second in range(31):  # the start itself, then every second of the first half minute
        if second:
            sim.advance(float(second))
        shares.append(_at_work(sim.truth, sewing))
    assert min(shares) >= 0.7, shares
    running = Counter(sim.truth.state[d] for d in sewing)["running"]
    assert running > 0  # ... and sews, not only stands by


def test_the_factory_calendar_at_night_is_dark_for_contrast(reference: Factory) -> None:
    """Without the demo calendar the same start at 21:30 site time finds the floor off: the
    demo test above really depends on the calendar."""
    sim = FloorSimulation(
        reference, seed=0, start=_site_time(dt.time(21, 30)), config=SimConfig(telemetry=False)
    )
    sim.advance(30.0)
    assert _at_work(sim.truth, _sewing(reference)) == 0.0


def test_machines_report_their_working_state_on_the_wire_from_the_start(reference: Factory) -> None:
    """What the lines API reads: each sewing machine's ``state`` event on connecting and its
    ``runtime_state`` readings say idle or running (codes 1 and 2) in the first seconds."""
    sim = FloorSimulation(
        reference, seed=0, start=_site_time(dt.time(14, 0)), config=SimConfig(demo_calendar=True)
    )
    messages = sim.advance(10.0)
    sewing = set(_sewing(reference))
    first: dict[str, dict[str, Any]] = {}
    for m in messages:
        for e in m.get("events", ()):
            if e["type"] == "state" and m["device"] in sewing:
                first.setdefault(m["device"], e)
    assert set(first) == sewing
    start_ms = int(sim.start.timestamp() * 1000)
    skew_ms = sim.config.clock_skew_ms
    assert all(abs(e["ts"] - start_ms) <= skew_ms for e in first.values())  # on connecting
    assert Counter(e["state"] for e in first.values()) == {"idle": 120}  # nobody reports "off" first
    series = channel_series(messages, reference, frozenset({"runtime_state"}))
    latest = Counter(int(series[d]["runtime_state"][-1][2]) for d in sewing)
    assert latest[1] + latest[2] >= 0.7 * len(sewing), latest


def test_line_efficiency_over_the_first_hour_is_plausible(reference: Factory) -> None:
    """Line efficiency = earned minutes / attended minutes (apparel-domain.md 2.2): earned is the
    sum over operations of pieces sewn x the operation's SAM, attended the operators present x 60."""
    sim = FloorSimulation(reference, seed=0, start=_site_time(dt.time(14, 0)), config=DEMO)
    sim.advance(3600.0)
    truth = sim.truth
    efficiency = {}
    for line in reference.lines:
        sam = {o.id: o.sam_min for o in reference.styles[line.style_id or ""].bulletin.operations}
        earned_min = sum(n * sam[op] for (ln, op), n in truth.pieces_by_operation.items() if ln == line.id)
        (shift,) = [a for a in truth.attendance if a.line_id == line.id]
        efficiency[line.id] = earned_min / (len(shift.present) * 60.0)
    assert all(0.40 <= e <= 0.85 for e in efficiency.values()), efficiency


def test_a_demo_floor_is_at_work_again_minutes_after_its_shift_change(reference: Factory) -> None:
    """Shifts follow each other around the clock: a demo left running never goes dark for long."""
    sim = FloorSimulation(reference, seed=0, start=_site_time(dt.time(14, 0)), config=DEMO)
    change_s = (reference.shift_minutes - DEMO.demo_shift_elapsed_min) * 60.0
    sim.advance(change_s + 60.0)
    assert _at_work(sim.truth, _sewing(reference)) < 0.7  # the crew changes ...
    sim.advance(change_s + 600.0)
    truth = sim.truth
    assert _at_work(truth, _sewing(reference)) >= 0.7  # ... and the next one is at work
    assert {a.shift for a in truth.attendance} == {0, 1}
    others = [d for d in truth.state if d not in set(_sewing(reference))]
    assert others
    assert all(truth.state[d] != "off" for d in others)  # the cutting room and finishing stay on
