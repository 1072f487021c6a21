"""The root of production's errors: a request that cannot be answered or applied as asked."""

from __future__ import annotations

from seamline.errors import SeamlineError


class ProductionError(SeamlineError):
    """A production request that cannot be answered as asked."""

    reason = "production"

    def __init__(self, message: str, *, reason: str | None = None, field: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.field = field

    def details(self) -> dict[str, object]:
        return {"field": self.field} if self.field else {}


__all__ = ["ProductionError"]
