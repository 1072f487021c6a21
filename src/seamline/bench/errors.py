"""Errors of the benchmark capability: a missing or failing peer, readings that did not arrive."""

from __future__ import annotations

from seamline.errors import SeamlineError


class BenchError(SeamlineError):
    """A benchmark could not run or could not be trusted."""

    status_code = 500
    reason = "bench"


class PeerUnavailableError(BenchError):
    """The peer database to compare against is not installed or will not start."""

    reason = "peer_unavailable"

    def __init__(self, peer: str, problem: str, hint: str) -> None:
        super().__init__(f"{peer}: {problem}; {hint}")
        self.peer = peer
        self.problem = problem
        self.hint = hint

    def details(self) -> dict[str, object]:
        return {"peer": self.peer, "problem": self.problem, "hint": self.hint}


class PeerError(BenchError):
    """The peer failed during a step of the benchmark (import, flush, query, merge)."""

    reason = "peer_failed"

    def __init__(self, peer: str, step: str, problem: str) -> None:
        super().__init__(f"{peer}: {step} failed: {problem}")
        self.peer = peer
        self.step = step
        self.problem = problem

    def details(self) -> dict[str, object]:
        return {"peer": self.peer, "step": self.step, "problem": self.problem}


class ReadingsLostError(BenchError):
    """The peer acknowledged the load, but reading it back did not give every reading sent."""

    reason = "readings_lost"

    def __init__(self, peer: str, what: str, expected: float, found: float, example: str = "") -> None:
        tail = f" (for example {example})" if example else ""
        super().__init__(f"{peer}: expected {what} {expected:g}, read back {found:g}{tail}")
        self.peer = peer
        self.what = what
        self.expected = expected
        self.found = found
        self.example = example

    def details(self) -> dict[str, object]:
        return {"peer": self.peer, "what": self.what, "expected": self.expected, "found": self.found}
