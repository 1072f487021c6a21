"""What a solver returns: the solution and how good it is known to be.

Every solution carries ``status`` (``optimal`` when its objective equals a proven lower bound,
``feasible`` otherwise), ``objective``, ``lower_bound`` (None when none is known), ``elapsed_s`` and
``method`` (which solver produced the returned solution). :meth:`as_dict` gives the JSON interface
of ``seamline solve``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"


@dataclass(frozen=True, slots=True)
class ScheduledOperation:
    """Operation ``op`` of ``job`` (both from 0) on ``machine`` (from 0) during [start, end)."""

    job: int
    op: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """A job-shop or flexible job-shop schedule; ``objective`` is its makespan."""

    status: Status
    objective: int
    lower_bound: int | None
    elapsed_s: float
    operations: tuple[ScheduledOperation, ...]
    method: str

    @property
    def gap(self) -> float | None:
        """(objective - lower bound) / objective, or None without a bound."""
        if self.lower_bound is None or self.objective == 0:
            return None
        return (self.objective - self.lower_bound) / self.objective

    def as_dict(self) -> dict[str, object]:
        ops = sorted(self.operations, key=lambda o: (o.job, o.op))
        return {
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "status": self.status.value,
            "elapsed_s": round(self.elapsed_s, 3),
            "method": self.method,
            "operations": [
                {"job": o.job, "op": o.op, "machine": o.machine, "start": o.start, "end": o.end} for o in ops
            ],
        }


@dataclass(frozen=True, slots=True)
class Station:
    """One station of a balanced line: its ``tasks`` (numbered from 1, as in the file), its
    ``load`` (the time they take its worker) and, for ALWABP, its ``worker`` (from 0)."""

    tasks: tuple[int, ...]
    load: int
    worker: int | None = None


@dataclass(frozen=True, slots=True)
class LineBalance:
    """A SALBP-2 or ALWABP line balance; ``objective`` is its cycle time (the largest station load)."""

    status: Status
    objective: int
    lower_bound: int | None
    elapsed_s: float
    stations: tuple[Station, ...]
    method: str

    @property
    def gap(self) -> float | None:
        if self.lower_bound is None or self.objective == 0:
            return None
        return (self.objective - self.lower_bound) / self.objective

    def as_dict(self) -> dict[str, object]:
        stations: list[object]
        if any(s.worker is not None for s in self.stations):
            stations = [{"worker": s.worker, "tasks": list(s.tasks)} for s in self.stations]
        else:
            stations = [list(s.tasks) for s in self.stations]
        return {
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "status": self.status.value,
            "elapsed_s": round(self.elapsed_s, 3),
            "method": self.method,
            "stations": stations,
            "loads": [s.load for s in self.stations],
        }


Solution = Schedule | LineBalance
