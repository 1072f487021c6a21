"""Driving the simulation against the wall clock, for the demo and for ``seamline simulate``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from seamline.sim.config import SimulationError
from seamline.sim.simulation import FloorSimulation


async def run_paced(
    sim: FloorSimulation,
    sink: Callable[[list[dict[str, Any]]], Awaitable[None]],
    *,
    speed: float = 1.0,
    duration_s: float | None = None,
    tick_s: float = 1.0,
) -> None:
    """Advance ``sim`` by ``tick_s`` simulated seconds per tick, paced to the wall clock times ``speed``.

    Tick ``n`` is due ``n * tick_s / speed`` wall seconds after the call (speed 1 = real time,
    60 = a simulated minute per second); each tick calls ``await sink(messages)`` with that tick's
    messages (possibly an empty list when ``tick_s`` is shorter than the publish interval). When
    behind, ticks follow each other without sleeping (only yielding to the event loop). Stops once
    ``duration_s`` wall seconds have passed (no tick due later than that is run), or runs until
    cancelled when it is None.

    >>> async def sink(messages): ...
    >>> # await run_paced(FloorSimulation(load_factory()), sink, speed=60, duration_s=10)
    """
    if not speed > 0:
        raise SimulationError("speed", f"must be > 0, got {speed}")
    if not tick_s > 0:
        raise SimulationError("tick_s", f"must be > 0, got {tick_s}")
    loop = asyncio.get_running_loop()
    wall0 = loop.time()
    sim0 = sim.now_s
    wall_per_tick = tick_s / speed
    n = 0
    while True:
        n += 1
        due = n * wall_per_tick
        if duration_s is not None and due > duration_s + 1e-9:
            return
        delay = wall0 + due - loop.time()
        await asyncio.sleep(delay if delay > 0 else 0)
        await sink(sim.advance(sim0 + n * tick_s))
        if duration_s is not None and loop.time() - wall0 >= duration_s:
            return
