"""Simulation runs shared by the simulator tests (each is computed once per session)."""

from __future__ import annotations

import pytest
from sim_helpers import Run, run, small_factory

from seamline.model.factory import Factory
from seamline.sim import SimConfig

DAY_CHANNELS = frozenset({"piece_count", "stitch_count", "run_time_s", "power_on_s"})

# Rare things made frequent, so that 20 simulated minutes show them all.
BUSY = SimConfig(
    controller_reset_per_h=6.0,
    thread_break_per_run_h=30.0,
    needle_break_per_run_h=8.0,
    breakdown_scale=600.0,
)


@pytest.fixture(scope="session")
def small() -> Factory:
    return small_factory()


@pytest.fixture(scope="session")
def busy_run(small: Factory) -> Run:
    """20 minutes from shift start with frequent resets and faults; every message kept."""
    return run(small, 1200.0, config=BUSY)


@pytest.fixture(scope="session")
def day_run(small: Factory) -> Run:
    """The first 2.5 hours of a shift with the default rates; events and a few channels kept."""
    return run(small, 9000.0, keep_messages=False, keep_channels=DAY_CHANNELS, chunk_s=300.0)
