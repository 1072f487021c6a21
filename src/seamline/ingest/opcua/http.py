"""``GET /api/v1/ingest/opcua/stats``: the OPC UA connector's counters, per server.

The app holds the running connector in ``app.state.opcua`` (``None`` when none is configured).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from seamline.ingest.opcua.connector import OpcUaConnector
from seamline.ingest.opcua.errors import OpcUaNotConfiguredError

router = APIRouter(tags=["ingest"])


@router.get("/api/v1/ingest/opcua/stats")
async def opcua_stats(request: Request) -> dict[str, Any]:
    """Connected servers, notifications, readings, reconnects, refused nodes and bad statuses.

    ``servers[].bad_nodes`` maps each node the server refuses now to its reason (for example
    ``BadNodeIdUnknown``); the other nodes keep delivering.
    """
    # async: the counters live on the event loop that runs the connector; read them there
    connector: OpcUaConnector | None = getattr(request.app.state, "opcua", None)
    if connector is None:
        raise OpcUaNotConfiguredError(
            "no OPC UA connector runs here; start the platform with an OPC UA configuration"
            " (seamline serve --opcua FILE)"
        )
    return connector.stats().as_dict()
