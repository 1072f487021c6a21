"""The maintenance views: every machine by what fails most (`/machines`), and one machine's page
(`/machines/{device_id}`): its state today, counters, gauges as zoomable history charts, fault
codes, stops, MTBF and MTTR."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from seamline.errors import NotFoundError
from seamline.production.http_common import engine_of
from seamline.production.machine_view import machine_snapshot, machines_snapshot
from seamline.web.ui.live import Producer
from seamline.web.ui.pages import SCRIPT_STRINGS, floor_now, render, stamped, topic

router = APIRouter(include_in_schema=False)

STATES = ("running", "idle", "fault", "off", "no signal", "unknown")
REASONS = (
    "no_feeding", "machine_breakdown", "thread_break", "needle_break", "meeting", "rework", "changeover",
    "power_failure", "waiting_trims", "unassigned",
)  # fmt: skip
LIST_STRINGS = (
    *STATES, "data", "s old", "min old", "no data yet", "fault code", "h", "min", "machines shown",
)  # fmt: skip
MACHINE_STRINGS = (
    *STATES, *REASONS, "data", "s old", "min old", "no data yet", "fault code", "since", "h", "min",
    "No faults", "No stops", "going on", "reported", "from the machine's state", "warning", "error",
    "Needle time", "Needle utilisation", "Pieces", "Utilisation", "Machine OEE", "Breakdowns today",
    "MTBF", "MTTR", "last", "days", "no data in this range", "Loading", "Channel", "spm",
)  # fmt: skip
SCRIPT_STRINGS["machines"] = LIST_STRINGS
SCRIPT_STRINGS["machine"] = MACHINE_STRINGS


def _seat(app: FastAPI, device_id: str) -> bool:
    return any(ws.device_id == device_id for line in app.state.factory.lines for ws in line.workstations)


@topic("machines")
def machines_topic(app: FastAPI, _: str) -> Producer | None:
    if app.state.production is None:
        return None

    def produce() -> bytes:
        state = app.state
        liveness = state.ingestor.liveness if state.ingestor is not None else None
        snapshot = state.production.read(
            lambda lg: machines_snapshot(
                lg, state.factory, state.store, now_ms=floor_now(lg), liveness=liveness
            )
        )
        return stamped(snapshot)

    return produce


@topic("machine")
def machine_topic(app: FastAPI, device_id: str) -> Producer | None:
    if app.state.production is None or not _seat(app, device_id):
        return None

    def produce() -> bytes:
        state = app.state
        liveness = state.ingestor.liveness if state.ingestor is not None else None
        snapshot: dict[str, Any] = state.production.read(
            lambda lg: machine_snapshot(
                lg,
                state.factory,
                state.store,
                device_id,
                now_ms=floor_now(lg),
                liveness=liveness,
            )
        )
        return stamped(snapshot)

    return produce


@router.get("/machines", response_class=HTMLResponse)
def machines_page(request: Request) -> HTMLResponse:
    """Every machine, the ones that break down most first."""
    engine_of(request)  # 503 with its reason when production does not run here
    produce = machines_topic(request.app, "")
    assert produce is not None
    data = orjson.loads(produce())
    return render(request, "machines.html", title="Machines", data=data, strings=LIST_STRINGS)


@router.get("/machines/{device_id}", response_class=HTMLResponse)
def machine_page(request: Request, device_id: str) -> HTMLResponse:
    """One machine, with its first snapshot inline."""
    engine_of(request)
    produce = machine_topic(request.app, device_id)
    if produce is None:
        raise NotFoundError("machine at a workstation", device_id)
    data = orjson.loads(produce())
    return render(request, "machine.html", title="Machine", data=data, strings=MACHINE_STRINGS)
