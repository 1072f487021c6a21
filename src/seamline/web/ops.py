"""What operators probe: readiness per component (``GET /readyz``) and Prometheus metrics
(``GET /metrics``, the text exposition format of the ``prometheus-client`` package).

``/healthz`` (in :mod:`seamline.web.app`) stays a cheap liveness probe. Readiness answers 503 when
any component is unhealthy: the ingest writer or the store maintenance thread died, maintenance fell
far behind, or a connector (MQTT, Sparkplug B, OPC UA) lost its broker or server. The metrics are
read from the components when scraped (a custom collector), so nothing on the ingest path pays for
them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from seamline.ingest.pipeline import COMMIT_BUCKETS_S, Ingestor
from seamline.store.base import Store

if TYPE_CHECKING:
    from seamline.platform import Platform

log = logging.getLogger(__name__)

router = APIRouter(tags=["ops"])

# Connector counters exported as seamline_<component>_<key>_total when a component reports them.
CONNECTOR_COUNTERS: Final = (
    "reconnects",
    "sessions_lost",
    "oversized_packets",
    "gaps",
    "rebirths_requested",
    "dropped_before_birth",
    "restarts",
    "writer_restarts",
    "failures",
)
STORE_BYTES_TTL_S: Final = 10.0  # a scrape every few seconds does not walk the data directory each time


def health_of(app_state: Any) -> dict[str, Any]:
    """The platform's readiness, or the writer's alone when the app runs without a platform."""
    platform: Platform | None = app_state.platform
    if platform is not None:
        return platform.health()
    ingestor: Ingestor = app_state.ingestor
    writer = ingestor.health()
    return {"ready": writer["healthy"], "fatal": None, "components": {"store_writer": writer}}


@router.get(
    "/readyz",
    summary="Readiness: each component's health; 503 when one is unhealthy",
    responses={503: {"description": "a component is unhealthy"}},
)
def readyz(request: Request) -> JSONResponse:
    report = health_of(request.app.state)
    return JSONResponse(report, status_code=200 if report["ready"] else 503)


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", response_class=Response)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def metrics_registry(app_state: Any) -> CollectorRegistry:
    """A registry of its own per app (tests run many apps in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector(app_state))
    return registry


class PlatformCollector(Collector):
    """Reads ingest, store, maintenance and connector figures at scrape time."""

    def __init__(self, app_state: Any) -> None:
        self._state = app_state
        self._store_bytes: tuple[float, int] | None = None

    def collect(self) -> Iterator[Metric]:
        ingestor: Ingestor = self._state.ingestor
        store: Store = self._state.store
        yield from _ingest_metrics(ingestor)
        yield from self._store_metrics(store)
        report = health_of(self._state)
        yield _gauge("seamline_ready", "1 when every component is healthy", 1.0 if report["ready"] else 0.0)
        yield from _component_metrics(report["components"])

    def _store_metrics(self, store: Store) -> Iterator[Metric]:
        yield _gauge("seamline_store_readings", "readings stored", store.reading_count())
        now = time.monotonic()
        if self._store_bytes is None or now - self._store_bytes[0] > STORE_BYTES_TTL_S:
            try:
                self._store_bytes = (now, store.disk_bytes())
            except Exception:  # a closed or unreachable store: report nothing rather than fail
                log.debug("store size unavailable", exc_info=True)
                return
        yield _gauge("seamline_store_bytes", "bytes the store occupies on disk", self._store_bytes[1])


def _ingest_metrics(ingestor: Ingestor) -> Iterator[Metric]:
    stats = ingestor.stats()
    received = CounterMetricFamily(
        "seamline_ingest_messages_received", "messages received, by transport", labels=["transport"]
    )
    for transport, n in sorted(stats["received"].items()):
        received.add_metric([transport], float(n))
    yield received
    for key, help_text in (
        ("messages_accepted", "messages committed"),
        ("readings_accepted", "readings committed"),
        ("events_accepted", "events committed"),
        ("duplicates", "messages already stored (same device, boot and sequence number)"),
        ("commit_failures", "commits that failed after their retries"),
    ):
        counter = CounterMetricFamily(f"seamline_ingest_{key}", help_text)
        counter.add_metric([], float(stats[key]))
        yield counter
    rejected = CounterMetricFamily(
        "seamline_ingest_rejected", "messages rejected, by reason", labels=["reason"]
    )
    for reason, n in sorted(stats["rejected"].items()):
        rejected.add_metric([reason], float(n))
    yield rejected
    yield _gauge(
        "seamline_ingest_readings_per_second", "readings committed per second (10 s)", stats["readings_per_s"]
    )
    yield _gauge(
        "seamline_ingest_queue_depth", "messages submitted and not yet committed", stats["queue_depth"]
    )
    buckets: list[tuple[str, float]] = []
    cumulative = 0
    for bound, n in zip((*COMMIT_BUCKETS_S, float("inf")), ingestor.commit_buckets, strict=True):
        cumulative += n
        buckets.append(("+Inf" if bound == float("inf") else repr(bound), float(cumulative)))
    commit = HistogramMetricFamily(
        "seamline_ingest_commit_seconds", "duration of the writer's commits", unit=""
    )
    commit.add_metric([], buckets, sum_value=ingestor.commit_seconds_total)
    yield commit


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, help_text)
    gauge.add_metric([], float(value))
    return gauge


def _component_metrics(components: Mapping[str, Mapping[str, Any]]) -> Iterator[Metric]:
    healthy = GaugeMetricFamily(
        "seamline_component_healthy", "1 when the component is healthy", labels=["component"]
    )
    for name, health in components.items():
        healthy.add_metric([name], 1.0 if health.get("healthy") is True else 0.0)
    yield healthy
    maintenance = components.get("maintenance")
    if maintenance is not None:
        yield _gauge(
            "seamline_maintenance_lag_seconds",
            "seconds since the start of the newest finished maintenance pass",
            maintenance["lag_s"],
        )
        for key, name, help_text in (
            ("passes", "passes", "maintenance passes finished"),
            ("busy_s", "busy_seconds", "wall time spent in maintenance"),
            ("compacted_readings", "compacted_readings", "readings moved to compacted files"),
        ):
            counter = CounterMetricFamily(f"seamline_maintenance_{name}", help_text)
            counter.add_metric([], float(maintenance[key]))
            yield counter
    for key in CONNECTOR_COUNTERS:
        family = CounterMetricFamily(
            f"seamline_component_{key}", f"{key.replace('_', ' ')}, by component", labels=["component"]
        )
        found = False
        for name, health in components.items():
            value = health.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                family.add_metric([name], float(value))
                found = True
        if found:
            yield family
