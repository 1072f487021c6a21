"""Machines outside the sewing lines: cutting room, finishing, compressors.

They are switched on for the shift and alternate running and idle spells typical of their work
(a spreader lays plies for minutes, a steam iron presses for seconds, a compressor loads and
unloads), with breakdowns from their type's MTBF / MTTR.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import simpy

from seamline.model.factory import DeviceCategory, MachineType
from seamline.sim.machine import Machine, Steps
from seamline.sim.recorder import IDLE, OFF
from seamline.sim.work import NEEDLE_SHARE

# (running spell, idle spell) ranges in seconds, by machine type id
DUTY: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "spreader": ((120.0, 400.0), (60.0, 600.0)),
    "cutter": ((300.0, 1200.0), (60.0, 300.0)),
    "fusing_press": ((600.0, 3600.0), (30.0, 300.0)),
    "steam_iron": ((20.0, 90.0), (5.0, 60.0)),
    "compressor": ((30.0, 120.0), (20.0, 90.0)),
}
_DEFAULT_DUTY = ((60.0, 600.0), (30.0, 300.0))
# Share of a sewing operator's time on the work itself: personal time, bundle handling and waiting
# for work take the rest (measured on the reference factory's twin: 0.78-0.85).
_SEWING_BUSY_SHARE = 0.82


def usual_run_share(mt: MachineType) -> float:
    """The share of its on-time a machine of type ``mt`` usually runs, over a shift.

    >>> from seamline.model.loader import load_factory
    >>> round(usual_run_share(load_factory().machine_types["fusing_press"]), 2)  # long runs, short gaps
    0.93
    """
    if mt.category is DeviceCategory.SEWING:
        return NEEDLE_SHARE.get(mt.id, 0.35) * _SEWING_BUSY_SHARE
    (run_lo, run_hi), (idle_lo, idle_hi) = DUTY.get(mt.id, _DEFAULT_DUTY)
    return (run_lo + run_hi) / (run_lo + run_hi + idle_lo + idle_hi)


def equipment(
    env: simpy.Environment,
    machine: Machine,
    type_id: str,
    rng: random.Random,
    windows: Iterator[tuple[float, float]],
) -> Steps:
    """Life-long SimPy process of one machine outside the lines."""
    rec = machine.rec
    (run_lo, run_hi), (idle_lo, idle_hi) = DUTY.get(type_id, _DEFAULT_DUTY)
    window = next(windows, None)
    while window is not None:
        begin_s, end_s = window
        on_at = begin_s + rng.uniform(-600.0, 120.0)  # switched on shortly before or after the shift starts
        if on_at > env.now:
            yield env.timeout(on_at - env.now)
        rec.set_state(env.now, IDLE)
        while env.now < end_s:
            yield env.timeout(min(rng.uniform(idle_lo, idle_hi), max(0.0, end_s - env.now)))
            if env.now >= end_s:
                break
            yield from machine.run(rng.uniform(run_lo, run_hi))
        window = next(windows, None)
        if window is None or window[0] > env.now:  # left on when the next shift takes over at once
            rec.set_state(env.now, OFF)
