"""The background loop that keeps a store's rollups, compaction and retention up to date.

It calls :meth:`~seamline.store.base.Store.maintain` every ``interval_s`` on its own thread, so the
ingest writer only ever appends. A failed pass is logged and retried after a jittered, growing
pause (the next pass redoes whatever the failed one left: maintenance is crash-safe by design).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Self

from seamline.store.base import MaintenanceReport, Store

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0


class MaintenanceLoop:
    """Runs ``store.maintain()`` every ``interval_s`` seconds on the thread
    ``seamline-store-maintenance`` between :meth:`start` and :meth:`stop`.

    >>> loop = MaintenanceLoop(store, interval_s=10.0)  # doctest: +SKIP
    >>> with loop:  # doctest: +SKIP
    ...     ...  # ingest runs; rollups, compaction and retention follow in the background
    """

    def __init__(
        self, store: Store, *, interval_s: float = 10.0, clock_ms: Callable[[], int] | None = None
    ) -> None:
        self.store = store
        self.interval_s = interval_s
        self._clock_ms = clock_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.failures = 0
        self.last_report: MaintenanceReport | None = None
        self.last_error: BaseException | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
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

    def run_once(self) -> MaintenanceReport:
        """One pass now, on the caller's thread."""
        report = self.store.maintain(self._clock_ms() if self._clock_ms else None)
        self.passes += 1
        self.last_report = report
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
