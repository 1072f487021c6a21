"""The reference factory at full scale: a message per device per second, at its nominal rate."""

from __future__ import annotations

from collections import Counter

import pytest
from sim_helpers import START, check_message

from seamline.model.loader import load_factory
from seamline.sim import FloorSimulation


def test_a_minute_of_the_reference_factory() -> None:
    factory = load_factory()
    sim = FloorSimulation(factory, seed=1, start=START)
    msgs = sim.advance(60.0)
    assert len(factory.devices) == 153
    assert len(msgs) == sim.messages_emitted == 153 * 60
    assert Counter(m["device"] for m in msgs) == dict.fromkeys((d.id for d in factory.devices), 60)
    readings = sum(len(m["readings"]["v"]) for m in msgs)
    assert readings == sim.readings_emitted
    assert readings == pytest.approx(60 * factory.readings_per_s(), rel=0.01)
    for m in msgs:
        check_message(m, factory, interval_ms=1000)
