"""The factory big screen (`/floor`): every line's output against target, efficiency, OEE, DHU and
WIP, every machine's state, and the stops going on; designed at 1920x1080 and scaled to the screen."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from seamline.production.http_common import engine_of
from seamline.production.views import floor_snapshot
from seamline.web.ui.live import Producer
from seamline.web.ui.pages import SCRIPT_STRINGS, floor_now, render, stamped, topic

router = APIRouter(include_in_schema=False)

STRINGS = (
    "running", "idle", "fault", "off", "no signal", "unknown", "Output today", "This hour", "Efficiency",
    "OEE", "DHU", "WIP", "pieces", "target", "Stops now", "Alarms", "No stops", "No alarms", "data",
    "s old", "min old", "no data yet", "Style", "Bottleneck", "fault code", "since", "min",
    "no_feeding", "machine_breakdown", "thread_break", "needle_break", "meeting", "rework", "changeover",
    "power_failure", "waiting_trims", "unassigned", "Factory", "RFT",
)  # fmt: skip
SCRIPT_STRINGS["floor"] = STRINGS


@topic("floor")
def floor_topic(app: FastAPI, _: str) -> Producer | None:
    if app.state.production is None:
        return None

    def produce() -> bytes:
        state = app.state
        engine = state.production
        snapshot = engine.read(
            lambda lg: floor_snapshot(
                lg,
                state.factory,
                state.store,
                planned_efficiency=engine.planned_efficiency,
                now_ms=floor_now(lg),
                liveness=state.ingestor.liveness,
            )
        )
        return stamped(snapshot)

    return produce


@router.get("/floor", response_class=HTMLResponse)
def floor_page(request: Request) -> HTMLResponse:
    """The big screen, with its first snapshot inline."""
    engine_of(request)  # 503 with its reason when production does not run here
    produce = floor_topic(request.app, "")
    assert produce is not None
    return render(request, "floor.html", title="Factory floor", data=orjson.loads(produce()), strings=STRINGS)
