"""``GET /api/v1/ingest/sparkplug/stats``: the Sparkplug host's counters, per Edge Node and device.

The host is the running platform's (``app.state.platform.sparkplug``), or ``app.state.sparkplug``
when an app is assembled around a host alone; ``None`` or absent when none runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from seamline.ingest.sparkplug.codec import SparkplugError
from seamline.ingest.sparkplug.host import SparkplugIngest

router = APIRouter(tags=["ingest"])


class SparkplugNotConfiguredError(SparkplugError):
    """The platform runs without a Sparkplug host."""

    status_code = 404
    reason = "sparkplug_not_configured"


def _host(request: Request) -> SparkplugIngest | None:
    # app.state is untyped; this package may not import the platform (it imports ingest)
    state = request.app.state
    host: SparkplugIngest | None = getattr(state, "sparkplug", None)
    if host is None:
        host = getattr(getattr(state, "platform", None), "sparkplug", None)
    return host


@router.get("/api/v1/ingest/sparkplug/stats")
def sparkplug_stats(request: Request) -> dict[str, Any]:
    """Births, deaths, sequence gaps, rebirth requests (by reason) and data dropped before a birth.

    The totals come first (``seq_gaps``, ``rebirth_requests``, ``dropped_before_birth``, ...),
    then ``nodes``: each Edge Node with its counters, ``rebirth_reasons`` (``seq_gap``,
    ``bad_seq``, ``data_before_birth``, ``device_data_before_birth``) and its ``devices``.
    """
    host = _host(request)
    if host is None:
        raise SparkplugNotConfiguredError(
            "no Sparkplug host runs here; start the platform with an MQTT broker and a Sparkplug group"
            " (seamline serve --mqtt URL --sparkplug-group GROUP)",
            reason="sparkplug_not_configured",
        )
    return host.stats()
