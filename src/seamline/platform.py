"""The running platform: store, ingest, store maintenance, production records and connectors, with
one owner of their lifecycles, and a watchdog that restarts a background thread that died."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, Protocol, runtime_checkable

from seamline.brain.plan_records import DecisionLog
from seamline.brain.plan_watch import FloorWatch
from seamline.ingest.mqtt import MqttIngest
from seamline.ingest.pipeline import Ingestor
from seamline.ingest.sparkplug import SparkplugIngest
from seamline.model.factory import Factory
from seamline.production.engine import ProductionEngine
from seamline.settings import Settings
from seamline.store.maintenance import MaintenanceLoop
from seamline.store.select import store_for

log = logging.getLogger(__name__)

WATCHDOG_INTERVAL_S: Final = 1.0
# A component whose thread died this many times within RESTART_WINDOW_S is beyond restarting: the
# process stops with EXIT_THREAD_DIED so that its supervisor (systemd, Kubernetes) sees it.
MAX_RESTARTS: Final = 5
RESTART_WINDOW_S: Final = 60.0
EXIT_THREAD_DIED: Final = 70  # EX_SOFTWARE


@runtime_checkable
class Supervised(Protocol):
    """A background component the watchdog looks after and readiness reports."""

    def health(self) -> dict[str, Any]:
        """At least ``{"healthy": bool}``; the rest is shown as it is."""

    def ensure_running(self) -> bool:
        """Restart the component's thread if it died; ``True`` when it did."""


class Platform:
    """Opens the store, starts the single writer, the store maintenance loop, the MQTT connector
    and the watchdog; closes them in reverse.

    >>> with Platform(settings, factory) as p:  # doctest: +SKIP
    ...     p.ingestor.submit_messages(messages)
    """

    def __init__(
        self, settings: Settings, factory: Factory, *, clock_ms: Callable[[], int] | None = None
    ) -> None:
        """``clock_ms`` drives maintenance (retention horizons); the wall clock by default."""
        self.settings = settings
        self.factory = factory
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = store_for(
            settings.store_spec,
            retention=settings.retention_policy(),
            memory_limit=settings.duckdb_memory_limit,
        )
        self.ingestor = Ingestor(
            factory,
            self.store,
            flush_interval_s=settings.flush_interval_s,
            max_queue=settings.ingest_max_queue,
            device_timeout_s=settings.device_timeout_s,
        )
        self.production = ProductionEngine(
            factory,
            self.store,
            submit=lambda message, on_done: self.ingestor.submit(message, transport="api", on_done=on_done),
            downtime_threshold_s=settings.downtime_threshold_s,
            planned_efficiency=settings.planned_efficiency,
            save_interval_s=settings.production_save_interval_s or None,
        )
        self.ingestor.add_commit_listener(self.production.committed)
        self.plan_decisions = DecisionLog(settings.data_dir / "decisions")  # the planning decisions
        self.floor_watch: FloorWatch | None = (
            FloorWatch(
                factory, self.production, self.plan_decisions, interval_s=settings.brain_watch_interval_s
            )
            if settings.brain_watch_interval_s > 0
            else None
        )
        self.maintenance = MaintenanceLoop(
            self.store, interval_s=settings.maintenance_interval_s, clock_ms=clock_ms
        )
        self.mqtt: MqttIngest | None = None
        self.sparkplug: SparkplugIngest | None = None
        self.opcua: object | None = None  # the OPC UA connector, set by whoever runs one
        self.final_reading_count: int | None = None
        self.on_fatal: Callable[[str], None] | None = None  # the service's way to stop itself
        self.fatal: str | None = None
        self._restarts: dict[str, deque[float]] = {}
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def __enter__(self) -> Platform:
        self.store.open(self.factory)
        try:
            self.production.start()  # rebuilt from the stored events before anything new arrives
            self.ingestor.start()
            self.maintenance.start()
            if self.settings.mqtt_url:
                self.mqtt = MqttIngest.from_settings(
                    self.settings, self.ingestor, site_id=self.factory.site_id
                )
                self.mqtt.start()
                if self.settings.sparkplug_group:
                    self.sparkplug = SparkplugIngest(
                        self.settings.mqtt_url,
                        self.ingestor,
                        group_id=self.settings.sparkplug_group,
                        host_id=self.settings.sparkplug_host_id,
                    )
                    self.sparkplug.start()
            if self.floor_watch is not None:
                self.floor_watch.start()
            self._stop.clear()
            self._watchdog = threading.Thread(target=self._watch, name="seamline-watchdog", daemon=True)
            self._watchdog.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop taking data, flush everything accepted, finish maintenance, close the store."""
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join()
            self._watchdog = None
        if self.floor_watch is not None:
            self.floor_watch.stop()
        if self.sparkplug is not None:
            self.sparkplug.stop()
            self.sparkplug = None
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None
        self.ingestor.stop()
        self.production.stop()
        self.maintenance.stop()
        if self.fatal is None:
            try:  # what the last interval wrote: a restart finds the store up to date
                self.maintenance.run_once()
            except Exception:  # crash-safe by design: the next start's first pass finishes it
                log.exception("the final store maintenance pass failed; the next start redoes it")
        self.final_reading_count = self.store.reading_count()
        self.store.close()

    # -- supervision -----------------------------------------------------------------------------

    def components(self) -> dict[str, Supervised]:
        """Every running component readiness reports on, by name."""
        found: dict[str, object] = {
            "store_writer": self.ingestor,
            "maintenance": self.maintenance,
            "production": self.production,
            "mqtt": self.mqtt,
            "sparkplug": self.sparkplug,
            "opcua": self.opcua,
        }
        return {name: c for name, c in found.items() if isinstance(c, Supervised)}

    def health(self) -> dict[str, Any]:
        """Readiness: each component's health; ``ready`` when all are healthy."""
        parts: dict[str, dict[str, Any]] = {}
        for name, component in self.components().items():
            try:
                parts[name] = component.health()
            except Exception as exc:  # a health probe must answer, even about a broken component
                parts[name] = {"healthy": False, "last_error": repr(exc)}
        ready = self.fatal is None and all(p.get("healthy") is True for p in parts.values())
        return {"ready": ready, "fatal": self.fatal, "components": parts}

    def _watch(self) -> None:
        while not self._stop.wait(WATCHDOG_INTERVAL_S):
            self.check_threads()

    def check_threads(self) -> None:
        """Restart any component thread that died; give up (and stop the service) when one keeps
        dying."""
        for name, component in self.components().items():
            try:
                restarted = component.ensure_running()
            except Exception:
                log.exception("could not restart %s", name)
                restarted = False
            if not restarted:
                continue
            now = time.monotonic()
            recent = self._restarts.setdefault(name, deque())
            recent.append(now)
            while recent and now - recent[0] > RESTART_WINDOW_S:
                recent.popleft()
            if len(recent) >= MAX_RESTARTS and self.fatal is None:
                self.fatal = f"{name} died {len(recent)} times within {RESTART_WINDOW_S:.0f} s"
                log.critical("%s; stopping with exit code %d", self.fatal, EXIT_THREAD_DIED)
                if self.on_fatal is not None:
                    self.on_fatal(self.fatal)
