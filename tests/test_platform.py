"""The platform as `seamline serve` runs it: store maintenance in the background, readiness per
component, Prometheus metrics, and a watchdog that restarts a thread that died."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from seamline.ingest import build_message
from seamline.model.factory import Factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.store.base import DAY_MS, HOUR_MS, MINUTE_MS, Resolution
from seamline.timeutil import now_ms
from seamline.web import create_app

DEVICE = "L01-S03"
CHANNEL = "motor_speed_spm"


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout_s} s waiting for {what}")
        time.sleep(0.02)
    return value


def call(app: FastAPI, url: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
            return await client.get(url)

    return asyncio.run(go())


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", mqtt_url=None, maintenance_interval_s=0.05, **overrides)


def minutes_of_readings(factory: Factory, start_ms: int, minutes: int) -> list[dict[str, Any]]:
    """One message a second of one gauge, value = seconds since start."""
    messages = []
    for s in range(minutes * 60):
        ts = start_ms + s * 1000
        messages.append(
            build_message(DEVICE, seq=s + 1, sent_ts_ms=ts, channels=[CHANNEL], ts_ms=[ts], values=[float(s)])
        )
    return messages


@pytest.fixture
def platform(tmp_path: Path, factory: Factory) -> Iterator[Platform]:
    with Platform(settings_for(tmp_path), factory) as p:
        yield p


def test_the_platform_maintains_its_store_in_the_background(
    tmp_path: Path, factory: Factory, platform: Platform
) -> None:
    start = now_ms() - 30 * MINUTE_MS
    start -= start % MINUTE_MS
    platform.ingestor.submit_messages(minutes_of_readings(factory, start, 20))
    assert platform.ingestor.flush(30)

    # Nobody calls maintain(): the platform's loop compacts closed slices into Parquet files and
    # rolls the minutes up.
    raw_dir = tmp_path / "data" / "seamline.cold" / "raw"
    wait_for(lambda: raw_dir.is_dir() and any(raw_dir.iterdir()), "compacted raw files")
    wait_for(lambda: platform.maintenance.compacted_readings >= 15 * 60, "the closed slices compacted")
    assert platform.maintenance.rolled_up_buckets >= 15
    assert platform.maintenance.failures == 0

    sensor = factory.devices_by_id[DEVICE].sensor_id(CHANNEL)
    minutes = platform.store.aggregates(sensor, start, start + 20 * MINUTE_MS, Resolution.MINUTE)
    assert len(minutes) == 20
    assert list(minutes.count) == [60] * 20
    # minute k holds the values 60k .. 60k+59: mean 60k + 29.5, last 60k + 59
    assert list(minutes.mean) == [60 * k + 29.5 for k in range(20)]
    assert list(minutes.last) == [60 * k + 59.0 for k in range(20)]
    history = platform.store.history(sensor, start, start + 20 * MINUTE_MS)
    assert len(history.ts_ms) == 1200
    assert list(history.values[:3]) == [0.0, 1.0, 2.0]


def test_retention_follows_the_settings_and_the_platform_clock(tmp_path: Path, factory: Factory) -> None:
    """Raw readings kept 1 day: a clock two days on drops them; the hourly rollup stays."""
    start = now_ms() - 30 * MINUTE_MS
    start -= start % HOUR_MS
    clock = {"ms": now_ms()}
    settings = settings_for(tmp_path, retention_raw_days=1, retention_by_kind={"state": {"raw_days": 90}})
    policy = settings.retention_policy()
    assert policy.default.raw_ms == DAY_MS
    assert policy.by_kind["state"].raw_ms == 90 * DAY_MS
    assert policy.by_kind["state"].minute_ms == 365 * DAY_MS  # the default class's, not overridden

    with Platform(settings, factory, clock_ms=lambda: clock["ms"]) as platform:
        platform.ingestor.submit_messages(minutes_of_readings(factory, start, 5))
        assert platform.ingestor.flush(30)
        wait_for(lambda: platform.maintenance.rolled_up_buckets >= 3, "the rollups")
        sensor = factory.devices_by_id[DEVICE].sensor_id(CHANNEL)
        assert len(platform.store.history(sensor, start, start + HOUR_MS).ts_ms) == 300
        clock["ms"] += 2 * DAY_MS
        wait_for(lambda: platform.maintenance.dropped_readings >= 300, "raw retention")
        assert len(platform.store.history(sensor, start, start + HOUR_MS).ts_ms) == 0
        hours = platform.store.aggregates(sensor, start, start + HOUR_MS, Resolution.HOUR)
        assert list(hours.count) == [300]


def test_bad_retention_settings_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown channel kind 'states'"):
        settings_for(tmp_path, retention_by_kind={"states": {"raw_days": 1}})
    with pytest.raises(ValueError, match="unknown keys"):
        settings_for(tmp_path, retention_by_kind={"state": {"raw": 1}})
    assert settings_for(tmp_path, retention_hour_days="forever").retention_hour_days is None


def test_the_device_timeout_is_a_setting_the_ingestors_liveness_follows(
    tmp_path: Path, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEAMLINE_DEVICE_TIMEOUT_S", raising=False)
    assert Settings().device_timeout_s is None  # per device: three snapshot periods of its states
    monkeypatch.setenv("SEAMLINE_DEVICE_TIMEOUT_S", "42.5")
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None)
    assert settings.device_timeout_s == 42.5
    with Platform(settings, factory) as platform:
        assert platform.ingestor.liveness.timeout_ms(DEVICE) == 42_500
    with pytest.raises(ValueError, match="device_timeout_s"):
        Settings(device_timeout_s=0)


def test_readiness_reports_each_component(platform: Platform, factory: Factory) -> None:
    app = create_app(factory, platform.store, platform.ingestor, platform=platform)
    wait_for(lambda: platform.maintenance.passes, "a maintenance pass")
    r = call(app, "/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True
    assert set(body["components"]) == {"store_writer", "maintenance", "production"}
    assert body["components"]["maintenance"]["thread_alive"] is True
    assert body["components"]["maintenance"]["lag_s"] >= 0
    assert body["components"]["store_writer"]["queue_depth"] == 0
    assert call(app, "/healthz").json()["status"] == "ok"


class _Killed(BaseException):
    """Ends a thread the way a bug outside every handler would."""


def test_a_thread_that_dies_turns_readiness_red_and_is_restarted(
    platform: Platform, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(factory, platform.store, platform.ingestor, platform=platform)
    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
    broken = threading.Event()
    maintain = platform.store.maintain

    def maybe_die(now_ms: int | None = None) -> Any:
        if broken.is_set():
            raise _Killed("injected")
        return maintain(now_ms)

    monkeypatch.setattr(platform.store, "maintain", maybe_die)
    wait_for(lambda: call(app, "/readyz").status_code == 200, "readiness")

    broken.set()
    red = wait_for(
        lambda: (r := call(app, "/readyz")).status_code == 503 and r.json(), "readiness to turn red"
    )
    assert red["ready"] is False
    assert red["components"]["maintenance"]["healthy"] is False
    assert red["components"]["maintenance"]["thread_alive"] is False
    assert "injected" in red["components"]["maintenance"]["last_error"]
    assert red["components"]["store_writer"]["healthy"] is True
    metrics = call(app, "/metrics").text
    assert 'seamline_component_healthy{component="maintenance"} 0.0' in metrics

    broken.clear()
    wait_for(lambda: call(app, "/readyz").status_code == 200, "the watchdog to restart maintenance")
    assert platform.maintenance.restarts >= 1
    assert platform.fatal is None
    assert any(isinstance(e, _Killed) for e in died)
    passes = platform.maintenance.passes
    wait_for(lambda: platform.maintenance.passes > passes, "the restarted loop to run passes")


def test_a_dead_ingest_writer_is_restarted_and_commits_what_was_queued(
    platform: Platform, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    ingestor = platform.ingestor
    real_next = ingestor._next
    calls = {"n": 0}

    def die_once(deadline: float, n_readings: int) -> object | None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise _Killed("writer killed")
        return real_next(deadline, n_readings)

    monkeypatch.setattr(ingestor, "_next", die_once)
    start = now_ms() - 10 * MINUTE_MS
    first = minutes_of_readings(factory, start, 1)
    ingestor.submit_messages(first[:30])  # taken by the writer that dies: never acknowledged
    wait_for(lambda: ingestor.writer_restarts == 1, "the watchdog to restart the writer")
    ingestor.submit_messages(first[30:])
    assert ingestor.flush(30)
    assert ingestor.health()["healthy"] is True
    assert platform.store.reading_count() == 30


def test_repeated_deaths_stop_the_service(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    stopped: list[str] = []
    platform.on_fatal = stopped.append

    def die(now_ms: int | None = None) -> Any:
        raise _Killed("always")

    monkeypatch.setattr(platform.store, "maintain", die)
    wait_for(lambda: stopped, "the service to give up", timeout_s=60)
    assert platform.fatal is not None
    assert "maintenance died 5 times" in stopped[0]
    assert platform.health()["ready"] is False


def test_metrics_export_ingest_store_and_maintenance(platform: Platform, factory: Factory) -> None:
    app = create_app(factory, platform.store, platform.ingestor, platform=platform)
    start = now_ms() - 10 * MINUTE_MS
    platform.ingestor.submit_messages(minutes_of_readings(factory, start, 1))
    platform.ingestor.submit_messages([{"device": "NOPE", "seq": 1, "sent_ts": start}])
    assert platform.ingestor.flush(30)
    wait_for(lambda: platform.maintenance.passes, "a maintenance pass")
    r = call(app, "/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    samples = _samples(r.text)
    assert samples["seamline_ingest_readings_accepted_total"] == 60
    assert samples["seamline_ingest_messages_accepted_total"] == 60
    assert samples['seamline_ingest_rejected_total{reason="unknown_device"}'] == 1
    assert samples["seamline_ingest_queue_depth"] == 0
    assert samples["seamline_ingest_commit_seconds_count"] >= 1
    assert (
        samples['seamline_ingest_commit_seconds_bucket{le="+Inf"}']
        == samples["seamline_ingest_commit_seconds_count"]
    )
    assert samples["seamline_store_readings"] == 60
    assert samples["seamline_store_bytes"] > 0
    assert samples["seamline_maintenance_lag_seconds"] >= 0
    assert samples["seamline_maintenance_passes_total"] >= 1
    assert samples["seamline_ready"] == 1
    assert samples['seamline_component_healthy{component="store_writer"}'] == 1


def _samples(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out
