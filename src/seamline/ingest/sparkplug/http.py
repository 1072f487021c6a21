"""``GET /api/v1/ingest/sparkplug/stats``: the Sparkplug host's counters, per Edge Node and device.

The app holds the running host in ``app.state.sparkplug`` (``None`` or absent when none runs).
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


@router.get("/api/v1/ingest/sparkplug/stats")
def sparkplug_stats(request: Request) -> dict[str, Any]:
    """Births, deaths, sequence gaps, rebirth requests (by reason) and data dropped before a birth.

    The totals come first (``seq_gaps``, ``rebirth_requests``, ``dropped_before_birth``, ...),
    then ``nodes``: each Edge Node with its counters, ``rebirth_reasons`` (``seq_gap``,
    ``bad_seq``, ``data_before_birth``, ``device_data_before_birth``) and its ``devices``.
    """
    host: SparkplugIngest | None = getattr(request.app.state, "sparkplug", None)
    if host is None:
        raise SparkplugNotConfiguredError(
            "no Sparkplug host runs here; start the platform with an MQTT broker and a Sparkplug group"
            " (seamline serve --mqtt URL --sparkplug-group GROUP)",
            reason="sparkplug_not_configured",
        )
    return host.stats()
