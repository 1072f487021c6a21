"""The floor twin: a deterministic discrete-event simulation of the sewing floor and its devices.

:class:`FloorSimulation` runs the floor (bundles through the operation bulletin, operators with
skills and learning curves, machines with bursts and faults, inspections) in SimPy and produces the
telemetry every device of the factory would publish, in the wire format of docs/telemetry.md.
:func:`run_paced` drives it against the wall clock. :class:`FloorTruth` is what really happened,
for tests and for checking the platform's figures.

>>> from seamline.model.loader import load_factory
>>> sim = FloorSimulation(load_factory(), seed=7)
>>> messages = sim.advance(60.0)  # one simulated minute: 153 devices x 60 messages
>>> sim.messages_emitted
9180
"""

from __future__ import annotations

from seamline.sim.config import SimConfig, SimulationError
from seamline.sim.paced import run_paced
from seamline.sim.quality import DEFECT_TYPES, DefectType
from seamline.sim.simulation import FloorSimulation
from seamline.sim.truth import Attendance, FloorTruth, InspectionTotals, WipBundle

__all__ = [
    "DEFECT_TYPES",
    "Attendance",
    "DefectType",
    "FloorSimulation",
    "FloorTruth",
    "InspectionTotals",
    "SimConfig",
    "SimulationError",
    "WipBundle",
    "run_paced",
]
