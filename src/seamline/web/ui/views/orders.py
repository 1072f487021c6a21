"""The orders page (`/orders`): every order's progress and due-date risk, each line's capacity,
and a link to the planning board (`/plan`); live on the topic ``orders``."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from seamline.production.http_common import engine_of
from seamline.production.orders_view import orders_snapshot
from seamline.web.ui.live import Producer
from seamline.web.ui.pages import SCRIPT_STRINGS, floor_now, render, stamped, topic

router = APIRouter(include_in_schema=False)

STRINGS = (
    "late", "at risk", "tight", "on track", "no line", "planned", "in_progress", "finished", "cancelled",
    "data", "s old", "min old", "no data yet", "logged in", "headcount", "today", "planned efficiency",
    "No orders",
)  # fmt: skip
SCRIPT_STRINGS["orders"] = STRINGS


@topic("orders")
def orders_topic(app: FastAPI, _: str) -> Producer | None:
    if app.state.production is None:
        return None

    def produce() -> bytes:
        state = app.state
        engine = state.production
        snapshot = engine.read(
            lambda lg: orders_snapshot(
                lg,
                state.factory,
                now_ms=floor_now(lg),
                planned_efficiency=engine.planned_efficiency,
            )
        )
        return stamped(snapshot)

    return produce


@router.get("/orders", response_class=HTMLResponse)
def orders_page(request: Request) -> HTMLResponse:
    """The planner's page, with its first snapshot inline."""
    engine_of(request)
    produce = orders_topic(request.app, "")
    assert produce is not None
    return render(
        request, "orders.html", title="Orders and planning", data=orjson.loads(produce()), strings=STRINGS
    )
