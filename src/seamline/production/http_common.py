"""What the production routes share: their errors, the running engine and the grouping parameter."""

from __future__ import annotations

from fastapi import Request

from seamline.production.engine import ProductionEngine
from seamline.production.errors import ProductionError

DAY_S = 86_400


class ProductionNotRunningError(ProductionError):
    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "production records are not running in this process (they run in `seamline serve` and"
            " `seamline demo`)",
            reason="production_not_running",
        )


def engine_of(request: Request) -> ProductionEngine:
    engine: ProductionEngine | None = request.app.state.production
    if engine is None:
        raise ProductionNotRunningError
    return engine


def actor(request: Request, given: str | None = None) -> str | None:
    """Who does a write: the signed-in user or the token's name (what the auth gate put on the
    request), else what the caller says (``given``) in an app without auth."""
    principal = getattr(request.state, "principal", None)
    if principal is not None and getattr(principal, "kind", "local") != "local":
        return str(principal.name)
    return given


def grouping(by: str, allowed: tuple[str, ...]) -> list[str]:
    dims = [d.strip() for d in by.split(",") if d.strip()]
    if not dims or any(d not in allowed for d in dims):
        raise ProductionError(
            f"by={by!r}: group by one or more of {', '.join(allowed)}", reason="bad_grouping", field="by"
        )
    return dims
