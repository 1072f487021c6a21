"""The problems the brain solves, as frozen values checked when they are made.

- :class:`JobShop`: jobs visit machines in a fixed route, one operation at a time (JSSP).
- :class:`FlexibleJobShop`: each operation may run on any of several machines, each with its own
  duration (FJSP).
- :class:`Salbp2`: tasks with times and precedences onto a given number of stations, minimising
  the cycle time (SALBP-2; a sewing line whose operators are interchangeable).
- :class:`Alwabp`: the same with one worker per station, each worker with their own time for
  each task or unable to do it (ALWABP-2; a sewing line of real operators).

Jobs, operations and machines are numbered from 0. Tasks are numbered from 0 inside the problems
(``task_times[0]`` is task 1 of the file) and from 1 in solutions, files and JSON; workers from 0.
A problem with no solution at all is refused when it is made, naming its culprit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from seamline.brain.errors import NoEligibleMachineError, NoEligibleWorkerError, PrecedenceCycleError
from seamline.brain.precedence import find_cycle


@dataclass(frozen=True, slots=True)
class Step:
    """One way to run an operation: on ``machine`` for ``duration`` time units."""

    machine: int
    duration: int


@dataclass(frozen=True, slots=True)
class JobShop:
    """A job shop: ``jobs[j][k]`` is the machine and duration of operation k of job j, in route order.

    >>> shop = JobShop("tiny", 2, ((Step(0, 3), Step(1, 2)), (Step(1, 4), Step(0, 1))))
    >>> shop.n_operations, shop.trivial_lower_bound()
    (4, 6)
    """

    kind: ClassVar[str] = "jobshop"
    name: str
    n_machines: int
    jobs: tuple[tuple[Step, ...], ...]

    def __post_init__(self) -> None:
        for route in self.jobs:
            for step in route:
                if not 0 <= step.machine < self.n_machines or step.duration < 0:
                    raise ValueError(f"{self.name}: bad step {step} for {self.n_machines} machines")

    @property
    def n_operations(self) -> int:
        return sum(len(route) for route in self.jobs)

    def as_flexible(self) -> FlexibleJobShop:
        """The same shop as an FJSP in which every operation has one eligible machine."""
        return FlexibleJobShop(self.name, self.n_machines, tuple(tuple((s,) for s in r) for r in self.jobs))

    def trivial_lower_bound(self) -> int:
        """The longest job and the busiest machine: no schedule is shorter than either."""
        loads = [0] * self.n_machines
        for route in self.jobs:
            for step in route:
                loads[step.machine] += step.duration
        longest = max((sum(s.duration for s in r) for r in self.jobs), default=0)
        return max([longest, *loads])


@dataclass(frozen=True, slots=True)
class FlexibleJobShop:
    """A flexible job shop: ``jobs[j][k]`` holds the eligible :class:`Step` s of operation k of job j."""

    kind: ClassVar[str] = "fjsp"
    name: str
    n_machines: int
    jobs: tuple[tuple[tuple[Step, ...], ...], ...]

    def __post_init__(self) -> None:
        for j, ops in enumerate(self.jobs):
            for k, steps in enumerate(ops):
                if not steps:
                    raise NoEligibleMachineError(j, k, source=self.name)
                for step in steps:
                    if not 0 <= step.machine < self.n_machines or step.duration < 0:
                        raise ValueError(f"{self.name}: bad step {step} for {self.n_machines} machines")

    @property
    def n_operations(self) -> int:
        return sum(len(ops) for ops in self.jobs)

    def trivial_lower_bound(self) -> int:
        """The longest job at its fastest, the total fastest work spread over all machines, and the
        load each machine must carry for operations it alone can run."""
        fastest = [[min(s.duration for s in steps) for steps in ops] for ops in self.jobs]
        longest = max((sum(job) for job in fastest), default=0)
        spread = -(-sum(sum(job) for job in fastest) // max(self.n_machines, 1))
        forced = [0] * self.n_machines
        for ops in self.jobs:
            for steps in ops:
                if len(steps) == 1:
                    forced[steps[0].machine] += steps[0].duration
        return max([longest, spread, *forced])


def _check_arcs(name: str, n: int, arcs: tuple[tuple[int, int], ...]) -> None:
    for i, j in arcs:
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"{name}: precedence {i + 1} -> {j + 1} names a task outside 1..{n}")
    cycle = find_cycle(n, arcs)
    if cycle is not None:
        raise PrecedenceCycleError(tuple(t + 1 for t in cycle), source=name)


@dataclass(frozen=True, slots=True)
class Salbp2:
    """Simple assembly line balancing, type 2: ``task_times`` onto ``stations`` stations.

    ``arcs`` are precedences ``(i, j)``: task i (from 0) at the same or an earlier station than j.

    >>> line = Salbp2("tiny", (3, 4, 2), ((0, 1),), stations=2)
    >>> line.trivial_lower_bound()
    5
    """

    kind: ClassVar[str] = "salbp2"
    name: str
    task_times: tuple[int, ...]
    arcs: tuple[tuple[int, int], ...]
    stations: int

    def __post_init__(self) -> None:
        if self.stations < 1:
            raise ValueError(f"{self.name}: a line needs at least 1 station, not {self.stations}")
        if any(t < 0 for t in self.task_times):
            raise ValueError(f"{self.name}: task times cannot be negative")
        _check_arcs(self.name, len(self.task_times), self.arcs)

    @property
    def n_tasks(self) -> int:
        return len(self.task_times)

    def trivial_lower_bound(self) -> int:
        """ceil(sum t / M) and max t: no balance has a shorter cycle."""
        total = sum(self.task_times)
        return max(-(-total // self.stations), max(self.task_times, default=0))


@dataclass(frozen=True, slots=True)
class Alwabp:
    """Assembly line worker assignment and balancing, type 2: as many stations as workers.

    ``times[i][w]`` is worker w's time for task i (both from 0), or None where w cannot do i
    (``Inf`` in the file). ``arcs`` as in :class:`Salbp2`.
    """

    kind: ClassVar[str] = "alwabp"
    name: str
    times: tuple[tuple[int | None, ...], ...]
    arcs: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        widths = {len(row) for row in self.times}
        if len(widths) > 1 or 0 in widths:
            raise ValueError(f"{self.name}: every task needs one time per worker")
        for i, row in enumerate(self.times):
            if all(t is None for t in row):
                raise NoEligibleWorkerError(i + 1, source=self.name)
            if any(t is not None and t < 0 for t in row):
                raise ValueError(f"{self.name}: task {i + 1} has a negative time")
        _check_arcs(self.name, len(self.times), self.arcs)

    @property
    def n_tasks(self) -> int:
        return len(self.times)

    @property
    def n_workers(self) -> int:
        return len(self.times[0]) if self.times else 0

    def trivial_lower_bound(self) -> int:
        """Each task at its fastest worker, spread over all workers; and the slowest of those."""
        fastest = [min(t for t in row if t is not None) for row in self.times]
        return max(-(-sum(fastest) // max(self.n_workers, 1)), max(fastest, default=0))


Problem = JobShop | FlexibleJobShop | Salbp2 | Alwabp
