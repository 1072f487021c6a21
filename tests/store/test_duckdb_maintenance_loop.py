"""The background maintenance loop: rolls up and compacts while ingest runs, survives a failing pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from seamline.model.factory import Factory
from seamline.store import DuckDBStore, MaintenanceReport, Resolution
from seamline.store.maintenance import MaintenanceLoop
from seamline.telemetry import DeviceBatch

T0 = 1_795_363_200_000


def wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the maintenance loop did not get there in time")
        time.sleep(0.02)


def compacted_files(store: DuckDBStore) -> int:
    with store.snapshot() as cur:
        return int(cur.execute("SELECT count(*) FROM cold_files").fetchall()[0][0])


def test_the_loop_rolls_up_and_compacts_in_the_background(tmp_path: Path, factory: Factory) -> None:
    sid = factory.devices_by_id["L01-S03"].sensor_id("motor_temp_c")
    n = 3 * 3600
    ts = T0 + np.arange(n, dtype=np.int64) * 1000
    with DuckDBStore(tmp_path).opened(factory) as store:
        loop = MaintenanceLoop(store, interval_s=0.01, clock_ms=lambda: T0 + 4 * 3_600_000)
        with loop:
            for k in range(0, n, 600):
                part = slice(k, k + 600)
                ids = np.full(600, sid, np.int32)
                store.write_batch([DeviceBatch("L01-S03", 0, k, T0, T0, ids, ts[part], np.ones(600))])
            wait_for(lambda: loop.passes >= 3 and compacted_files(store) > 0)
        assert loop.failures == 0
        assert store.aggregates(sid, T0, T0 + 3 * 3_600_000, Resolution.HOUR).count.tolist() == [3600] * 3
        assert store.reading_count() == n


def test_a_failing_pass_is_logged_and_retried(
    tmp_path: Path, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store:
        calls: list[int] = []
        real = store.maintain
        done = threading.Event()

        def flaky(now_ms: int | None = None) -> MaintenanceReport:
            calls.append(1)
            if len(calls) == 1:
                raise OSError("disk full")
            done.set()
            return real(now_ms)

        store.maintain = flaky  # type: ignore[method-assign]
        with MaintenanceLoop(store, interval_s=0.01) as loop:
            assert done.wait(30)
        assert loop.failures == 1
        assert isinstance(loop.last_error, OSError)
        assert "store maintenance failed" in caplog.text
