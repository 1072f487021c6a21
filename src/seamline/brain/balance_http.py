"""``GET /api/v1/lines/{line_id}/balance``: a line's balance today beside the brain's proposal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from seamline.brain.line_balance import line_balance_input, propose_balance
from seamline.production.http_common import engine_of

router = APIRouter(prefix="/api/v1", tags=["brain"])


@router.get(
    "/lines/{line_id}/balance",
    summary="A line's balance today (from its records) and the brain's for the operators at work now",
)
def line_balance(
    request: Request,
    line_id: str,
    time_limit_s: Annotated[float, Query(gt=0, le=30, description="the balancer's time limit")] = 1.5,
    seed: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Skills are measured from the operators' records (efficiency per operation, with a learning
    curve for operations rarely done); the proposal minimises the cycle time (pieces per hour),
    each operator on one machine type, operations split where that helps."""
    engine = engine_of(request)
    factory = request.app.state.factory
    given = engine.read(lambda lg: line_balance_input(factory, lg, line_id, lg.clock_ms or 0))
    return propose_balance(given, time_limit_s=time_limit_s, seed=seed)


__all__ = ["router"]
