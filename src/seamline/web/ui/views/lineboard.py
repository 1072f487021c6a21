"""The line board (`/lines/{line_id}`): a line supervisor's tablet page. Hourly output against
target, the seats with their operators and machines, WIP between operations and the bottleneck,
today's stops (a reason given to an unassigned one here) and the open scan exceptions (resolved or
voided here), live on topic ``line:<id>``; writes wait in the tablet's outbox while it is offline.
`/lines` picks a line, following the big screen's topic ``floor`` for each line's summary."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from seamline.errors import NotFoundError
from seamline.production.http_common import engine_of
from seamline.production.line_view import line_snapshot
from seamline.production.states import line_states
from seamline.web.ui.live import Producer
from seamline.web.ui.pages import SCRIPT_STRINGS, floor_now, render, stamped, topic
from seamline.web.ui.views.floor import floor_topic

router = APIRouter(include_in_schema=False)

STATE_STRINGS = ("running", "idle", "fault", "off", "no signal", "unknown")
REASON_STRINGS = (
    "no_feeding", "machine_breakdown", "thread_break", "needle_break", "meeting", "rework", "changeover",
    "power_failure", "waiting_trims", "unassigned",
)  # fmt: skip
STRINGS = (
    *STATE_STRINGS, *REASON_STRINGS,
    "Output", "Target", "pieces", "min", "fault code", "data", "s old", "min old", "no data yet",
    "no operator", "Bottleneck", "waiting", "bundles", "done today", "No stops today",
    "No open exceptions", "Assign", "Resolve", "Void", "Choose a reason", "ongoing", "reported",
    "from machine state", "by", "Waiting to send", "All sent", "Offline", "Waiting to be sent",
    "Refused", "bundle", "operation", "operator", "Efficiency", "WIP", "This hour", "Output today",
    "unknown_bundle", "unknown_operation", "operation_done", "predecessor_missing", "operator_not_logged_in",
    "invalid_scan", "invalid_inspection", "Hourly output against target",
)  # fmt: skip
SCRIPT_STRINGS["lineboard"] = STRINGS
PICKER_STRINGS = (*STATE_STRINGS, "Output today", "This hour", "Efficiency", "WIP", "Bottleneck")
SCRIPT_STRINGS["lines"] = PICKER_STRINGS


@topic("line")
def line_topic(app: FastAPI, line_id: str) -> Producer | None:
    state = app.state
    if state.production is None or line_id not in state.factory.lines_by_id:
        return None
    line = state.factory.lines_by_id[line_id]

    def produce() -> bytes:
        engine = state.production
        liveness = state.ingestor.liveness
        states = line_states(state.factory, state.store, line, liveness=liveness)  # outside the lock
        snapshot = engine.read(
            lambda lg: line_snapshot(
                lg,
                state.factory,
                line_id,
                states,
                planned_efficiency=engine.planned_efficiency,
                now_ms=floor_now(lg),
            )
        )
        return stamped(snapshot)

    return produce


@router.get("/lines", response_class=HTMLResponse)
def lines_page(request: Request) -> HTMLResponse:
    """Pick a line: each line's output, efficiency and machines today, from the big screen's topic."""
    engine_of(request)
    produce = floor_topic(request.app, "")
    assert produce is not None
    return render(request, "lines.html", title="Lines", data=orjson.loads(produce()), strings=PICKER_STRINGS)


@router.get("/lines/{line_id}", response_class=HTMLResponse)
def line_page(request: Request, line_id: str) -> HTMLResponse:
    """The line board, with its first snapshot inline."""
    engine_of(request)  # 503 with its reason when production does not run here
    produce = line_topic(request.app, line_id)
    if produce is None:
        raise NotFoundError("line", line_id)
    return render(
        request,
        "lineboard.html",
        title="Line board",
        data=orjson.loads(produce()),
        strings=STRINGS,
        extra={"line_id": line_id},
    )
