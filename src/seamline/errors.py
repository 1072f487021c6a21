"""The root of every error Seamline raises on purpose.

Each capability subclasses :class:`SeamlineError` with structured fields, and the web layer
translates them once into one JSON error shape.
"""

from __future__ import annotations


class SeamlineError(Exception):
    """An expected failure that a user or integrator can act on.

    ``reason`` is a short machine-readable slug; the message says what was wrong, where, and what
    to do about it.
    """

    status_code: int = 400
    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason

    def details(self) -> dict[str, object]:
        """Structured fields for the JSON error body; subclasses add theirs."""
        return {}


class NotFoundError(SeamlineError):
    """A named thing (device, sensor, line) does not exist."""

    status_code = 404
    reason = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r}", reason="not_found")
        self.kind = kind
        self.key = key

    def details(self) -> dict[str, object]:
        return {"kind": self.kind, "key": str(self.key)}


def error_body(reason: str, message: str, details: dict[str, object] | None = None) -> dict[str, object]:
    """The one JSON error shape: ``{"error": {"reason": <slug>, "message": <text>, "details": {...}}}``."""
    return {"error": {"reason": reason, "message": message, "details": details or {}}}
