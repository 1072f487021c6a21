"""What the workshop brain refuses, with the fields a caller needs to put it right.

A problem file that cannot be read names the file, the line and what was expected there; a problem
that can be read but has no solution names its culprit (the tasks of a precedence cycle, the task no
worker can do, the operation no machine can run). A solution that breaks a constraint is refused by
the validators with every violation listed: the solvers never return one.
"""

from __future__ import annotations

from pathlib import Path

from seamline.errors import SeamlineError


class BrainError(SeamlineError):
    """The root of the brain's errors."""

    reason = "brain_error"


class ProblemFileError(BrainError):
    """A problem file does not follow its format: ``path``, 1-based ``line``, ``expected``, ``found``."""

    status_code = 400
    reason = "invalid_problem_file"
    exit_code = 2  # the command line's usage-error code

    def __init__(self, path: Path | str, line: int | None, expected: str, found: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: expected {expected}, found {found}")
        self.path = str(path)
        self.line = line
        self.expected = expected
        self.found = found

    def details(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "expected": self.expected, "found": self.found}


class InfeasibleProblemError(BrainError):
    """A well-formed problem that has no solution at all; ``culprit`` names what makes it so."""

    status_code = 422
    reason = "infeasible_problem"
    exit_code = 1

    def __init__(self, message: str, *, culprit: dict[str, object], reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.culprit = culprit

    def details(self) -> dict[str, object]:
        return {"culprit": self.culprit}


class PrecedenceCycleError(InfeasibleProblemError):
    """The precedence relations go round in a circle: no order of the tasks respects them all."""

    reason = "precedence_cycle"

    def __init__(self, tasks: tuple[int, ...], *, source: str = "") -> None:
        circle = " -> ".join(str(t) for t in (*tasks, tasks[0]))
        where = f"{source}: " if source else ""
        super().__init__(
            f"{where}the precedences form a cycle {circle}; remove one of these relations",
            culprit={"tasks": list(tasks)},
        )
        self.tasks = tasks


class NoEligibleWorkerError(InfeasibleProblemError):
    """A task that no worker can do (every worker's time for it is ``Inf``)."""

    reason = "no_eligible_worker"

    def __init__(self, task: int, *, source: str = "") -> None:
        where = f"{source}: " if source else ""
        super().__init__(
            f"{where}no worker can do task {task} (every time is Inf); train a worker or drop the task",
            culprit={"task": task},
        )
        self.task = task


class NoEligibleMachineError(InfeasibleProblemError):
    """An operation of a job that no machine can run."""

    reason = "no_eligible_machine"

    def __init__(self, job: int, op: int, *, source: str = "") -> None:
        where = f"{source}: " if source else ""
        super().__init__(
            f"{where}operation {op} of job {job} (numbered from 0) has no eligible machine",
            culprit={"job": job, "op": op},
        )
        self.job = job
        self.op = op


class NoSolutionFoundError(BrainError):
    """The solver found no solution within its time, and cannot say that none exists."""

    status_code = 422
    reason = "no_solution_found"
    exit_code = 1

    def __init__(self, kind: str, time_limit_s: float) -> None:
        super().__init__(
            f"no feasible {kind} solution found within {time_limit_s:g} s; allow more time",
        )
        self.kind = kind
        self.time_limit_s = time_limit_s

    def details(self) -> dict[str, object]:
        return {"kind": self.kind, "time_limit_s": self.time_limit_s}


class InvalidSolutionError(BrainError):
    """A solution that breaks the problem's constraints; ``violations`` lists each broken one."""

    status_code = 422
    reason = "invalid_solution"
    exit_code = 1

    def __init__(self, kind: str, violations: tuple[str, ...]) -> None:
        shown = "; ".join(violations[:5]) + (
            f"; and {len(violations) - 5} more" if len(violations) > 5 else ""
        )
        super().__init__(f"invalid {kind} solution: {shown}")
        self.kind = kind
        self.violations = violations

    def details(self) -> dict[str, object]:
        return {"kind": self.kind, "violations": list(self.violations)}


__all__ = [
    "BrainError",
    "InfeasibleProblemError",
    "InvalidSolutionError",
    "NoEligibleMachineError",
    "NoEligibleWorkerError",
    "NoSolutionFoundError",
    "PrecedenceCycleError",
    "ProblemFileError",
]
