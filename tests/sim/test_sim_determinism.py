"""Same seed, same bytes: the simulation is a pure function of factory, seed, start and config."""

from __future__ import annotations

from typing import Any

import orjson
from sim_helpers import START

from seamline.model.factory import Factory
from seamline.model.loader import load_factory
from seamline.sim import FloorSimulation


def _bytes(msgs: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(m) for m in msgs)


def test_same_seed_gives_identical_bytes(small: Factory) -> None:
    a = FloorSimulation(small, seed=5, start=START).advance(600.0)
    b = FloorSimulation(small, seed=5, start=START).advance(600.0)
    assert len(a) == len(small.devices) * 600
    assert _bytes(a) == _bytes(b)


def test_a_different_seed_gives_different_messages(small: Factory) -> None:
    a = FloorSimulation(small, seed=5, start=START).advance(120.0)
    b = FloorSimulation(small, seed=6, start=START).advance(120.0)
    assert _bytes(a) != _bytes(b)


def test_advancing_in_odd_steps_changes_nothing(small: Factory) -> None:
    whole = FloorSimulation(small, seed=2, start=START).advance(300.0)
    sim = FloorSimulation(small, seed=2, start=START)
    parts: list[dict[str, Any]] = []
    t = 0.0
    while t < 300.0:
        t = min(300.0, t + 7.3)
        parts += sim.advance(t)
    assert sim.now_s == 300.0
    assert _bytes(parts) == _bytes(whole)


def test_advance_returns_only_completed_intervals(small: Factory) -> None:
    sim = FloorSimulation(small, seed=2, start=START)
    assert sim.advance(0.999) == []
    assert len(sim.advance(1.0)) == len(small.devices)
    assert sim.advance(0.5) == []  # the past is not produced again
    assert sim.now == START.replace(second=1)


def test_the_reference_factory_is_deterministic() -> None:
    factory = load_factory()
    a = FloorSimulation(factory, seed=11, start=START).advance(5.0)
    b = FloorSimulation(factory, seed=11, start=START).advance(5.0)
    assert _bytes(a) == _bytes(b)
