"""The device registry (`/devices`): every device with its connection (MQTT JSON or binary, HTTP,
Sparkplug B, OPC UA, in process), when it was last heard, its message rate, its rejected messages
and their reasons; devices with no signal first."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from seamline.ingest import REJECTION_REASONS
from seamline.production.devices_view import devices_snapshot
from seamline.web.ui.live import Producer
from seamline.web.ui.pages import SCRIPT_STRINGS, render, stamped, topic

router = APIRouter(include_in_schema=False)

STRINGS = (
    "live", "no signal", "not heard yet", "died", "data", "s old", "min old", "no data yet", "MQTT JSON",
    "MQTT binary", "HTTP JSON", "HTTP binary", "Sparkplug B", "OPC UA", "in process (simulator)", "HTTP API",
    "import", *REJECTION_REASONS, "devices shown", "msg/s", "ago", "s", "min", "h", "sewing", "cutting",
    "finishing", "utility", "scanner", "badge", "none",
)  # fmt: skip
SCRIPT_STRINGS["devices"] = STRINGS


@topic("devices")
def devices_topic(app: FastAPI, _: str) -> Producer | None:
    if app.state.ingestor is None:
        return None

    def produce() -> bytes:
        state = app.state
        snapshot = devices_snapshot(state.factory, state.store, state.ingestor)
        return stamped(snapshot)

    return produce


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request) -> HTMLResponse:
    """The registry with each device's connection, with its first snapshot inline."""
    produce = devices_topic(request.app, "")
    if produce is None:
        return render(request, "devices.html", title="Devices", data=None, strings=STRINGS)
    return render(request, "devices.html", title="Devices", data=orjson.loads(produce()), strings=STRINGS)
