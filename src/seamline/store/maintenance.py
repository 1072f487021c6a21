"""The background loop that keeps a store's rollups, compaction and retention up to date.

It calls :meth:`~seamline.store.base.Store.maintain` every ``interval_s`` on its own thread, so the
ingest writer only ever appends. A failed pass is logged and retried after a jittered, growing
pause (the next pass redoes whatever the failed one left: maintenance is crash-safe by design).
The loop reports how far behind it is (:meth:`MaintenanceLoop.health`): readings written after the
start of the newest finished pass may still wait for their rollups and compaction.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from seamline.store.base import MaintenanceReport, Store

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0
# Readiness turns red when no pass has finished for this many intervals (plus the slowest pass
# seen): a stuck or dying loop, not one busy pass.
LAG_INTERVALS_UNHEALTHY = 10
# A producer that can wait (the demo's fast replay) waits while the lag is beyond this.
BEHIND_S = 20.0


class MaintenanceLoop:
    """Runs ``store.maintain()`` every ``interval_s`` seconds on the thread
    ``seamline-store-maintenance`` between :meth:`start` and :meth:`stop`.

    >>> from seamline.model.loader import load_factory
    >>> from seamline.store.duckdb import DuckDBStore
    >>> store = DuckDBStore(":memory:").opened(load_factory())
    >>> loop = MaintenanceLoop(store, interval_s=10.0)
    >>> loop.run_once().compacted_readings, loop.passes
    (0, 1)
    >>> loop.health()["healthy"]
    True
    """

    def __init__(
        self, store: Store, *, interval_s: float = 10.0, clock_ms: Callable[[], int] | None = None
    ) -> None:
        self.store = store
        self.interval_s = interval_s
        self._clock_ms = clock_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_s = time.monotonic()
        self.passes = 0
        self.failures = 0
        self.restarts = 0
        self.last_report: MaintenanceReport | None = None
        self.last_error: BaseException | None = None
        self.last_pass_started_s: float | None = None  # monotonic start of the newest finished pass
        self.longest_pass_s = 0.0
        self.busy_s = 0.0  # wall time spent in passes
        self.compacted_readings = 0
        self.rolled_up_buckets = 0
        self.dropped_readings = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._started_s = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="seamline-store-maintenance", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the pass under way (if any) has finished."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ensure_running(self) -> bool:
        """Restart the loop's thread if it died while it should run; ``True`` when it did."""
        if self._thread is None or self._stop.is_set() or self._thread.is_alive():
            return False
        self.restarts += 1
        log.error(
            "store maintenance thread died (%s); restarting it (restart %d)", self.last_error, self.restarts
        )
        self._thread = None
        self.start()
        return True

    def lag_s(self) -> float:
        """Seconds since the start of the newest finished pass (since start before the first one):
        readings newer than that may not be rolled up or compacted yet."""
        since = self.last_pass_started_s if self.last_pass_started_s is not None else self._started_s
        return time.monotonic() - since

    def behind(self) -> bool:
        """Whether the loop is so far behind that a producer able to wait should: its lag is
        over :data:`BEHIND_S` and several intervals (a live factory never waits on this)."""
        return self.thread_alive and self.lag_s() > max(BEHIND_S, 4 * self.interval_s)

    def health(self) -> dict[str, Any]:
        """For readiness and ``/metrics``: is the loop alive and keeping up?"""
        lag = self.lag_s()
        limit = LAG_INTERVALS_UNHEALTHY * self.interval_s + self.longest_pass_s
        running = self._thread is not None
        alive = self.thread_alive
        report = self.last_report
        return {
            "healthy": (alive or not running) and lag <= limit,
            "thread_alive": alive,
            "interval_s": self.interval_s,
            "lag_s": round(lag, 3),
            "passes": self.passes,
            "failures": self.failures,
            "restarts": self.restarts,
            "last_pass_s": None if report is None else round(report.elapsed_s, 3),
            "longest_pass_s": round(self.longest_pass_s, 3),
            "busy_s": round(self.busy_s, 3),
            "compacted_readings": self.compacted_readings,
            "rolled_up_buckets": self.rolled_up_buckets,
            "dropped_readings": self.dropped_readings,
            "last_error": None if self.last_error is None else repr(self.last_error),
        }

    def run_once(self) -> MaintenanceReport:
        """One pass now, on the caller's thread."""
        started = time.monotonic()
        report = self.store.maintain(self._clock_ms() if self._clock_ms else None)
        took = time.monotonic() - started
        self.passes += 1
        self.last_report = report
        self.last_pass_started_s = started
        self.longest_pass_s = max(self.longest_pass_s, took)
        self.busy_s += took
        self.compacted_readings += report.compacted_readings
        self.rolled_up_buckets += report.rolled_up_buckets
        self.dropped_readings += report.dropped_readings
        if report.compacted_readings or report.dropped_readings or report.dropped_buckets:
            log.debug("store maintenance: %s", report)
        return report

    def _run(self) -> None:
        pause = self.interval_s
        while not self._stop.wait(pause):
            try:
                self.run_once()
                pause = self.interval_s
            except Exception as exc:  # a pass failed; the next one retries (maintenance is idempotent)
                self.failures += 1
                self.last_error = exc
                pause = min(MAX_BACKOFF_S, max(self.interval_s, pause * 2)) * random.uniform(0.8, 1.2)
                log.exception(
                    "store maintenance failed (attempt %d); retrying in %.0f s", self.failures, pause
                )
            except BaseException as exc:
                self.last_error = exc
                raise
