"""Machines without a signal: a device that died or fell silent is not running, in the live line
states and in the state durations. The server clock is the ingestor's, moved by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from seamline.ingest import DeviceBatch, Ingestor, build_message
from seamline.model.factory import NO_SIGNAL_CODE, Factory
from seamline.store import DuckDBStore
from seamline.timeutil import ms_to_iso, now_ms
from seamline.web import create_app

DEVICE = "L01-S03"
S = 1000


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


@dataclass
class Floor:
    factory: Factory
    store: DuckDBStore
    ingestor: Ingestor
    app: FastAPI
    clock: Clock
    seq: int = 0

    def send(self, *readings: tuple[str, int, float], device: str = DEVICE) -> None:
        """One message of ``device`` arriving now (the clock), committed."""
        self.seq += 1
        channels, ts, values = zip(*readings, strict=True)
        msg = build_message(
            device, seq=self.seq, sent_ts_ms=max(ts), channels=channels, ts_ms=ts, values=values
        )
        assert self.ingestor.submit_messages([msg]) == 1
        assert self.ingestor.flush(10)

    def get(self, url: str, **params: Any) -> dict[str, Any]:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
                return await client.get(url, params=params)

        r = asyncio.run(go())
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def seat(self, device: str = DEVICE) -> dict[str, Any]:
        line = self.get("/api/v1/lines/L01")
        found: dict[str, Any] = next(m for m in line["machines"] if m["device"] == device)
        return found

    def seconds(self, start_ms: int, end_ms: int, device: str = DEVICE) -> dict[str, float]:
        """Seconds per state of ``device`` over the range, as one interval."""
        body = self.get(
            f"/api/v1/devices/{device}/states",
            start=ms_to_iso(start_ms),
            end=ms_to_iso(end_ms),
            interval_s=(end_ms - start_ms) // S,
        )
        (interval,) = body["intervals"]
        assert interval["seconds"] == body["total"]["seconds"]
        return {**body["total"]["seconds"], "unknown": body["total"]["unknown_s"]}


@pytest.fixture
def floor(tmp_path: Path, factory: Factory) -> Iterator[Floor]:
    clock = Clock(now_ms())
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.02, clock_ms=clock) as ingestor,
    ):
        yield Floor(factory, store, ingestor, create_app(factory, store, ingestor), clock)


def test_a_silent_machine_has_no_signal_once_its_timeout_has_passed(floor: Floor) -> None:
    t0 = floor.clock.ms
    floor.send(("runtime_state", t0 - 30 * S, 1.0), ("runtime_state", t0 - 10 * S, 2.0))
    floor.send(("motor_speed_spm", t0 - 2 * S, 2400.0))  # last seen 2 s ago, running
    timeout = floor.ingestor.liveness.timeout_ms(DEVICE)
    assert timeout == 15 * S

    floor.clock.ms = t0 + timeout  # the last message arrived at t0: not silent yet
    assert (floor.seat()["state"], floor.seat()["since"]) == ("running", None)
    floor.clock.ms = t0 + timeout + 1
    seat = floor.seat()
    assert (seat["state"], seat["since"]) == ("no_signal", ms_to_iso(t0 - 2 * S))  # since last seen
    assert seat["as_of"] == ms_to_iso(t0 - 10 * S)  # its newest state reading, as before
    line = floor.get("/api/v1/lines/L01")
    assert (line["counts"]["running"], line["counts"]["no_signal"]) == (0, 1)
    assert line["counts"]["unknown"] == len(line["machines"]) - 1  # never heard of: not lost
    assert [ln["counts"]["no_signal"] for ln in floor.get("/api/v1/lines")] == [1, 0, 0, 0, 0, 0]

    # Ten minutes on, still silent: idle 20 s, running until last seen + timeout (13 s after t0),
    # then no signal until now; the store alone would count running for its 300 s hold, then unknown.
    floor.clock.ms = t0 + 600 * S
    got = floor.seconds(t0 - 30 * S, t0 + 600 * S)
    assert (got["idle"], got["running"], got["no_signal"], got["unknown"]) == (20.0, 23.0, 587.0, 0.0)
    # A range reaching past now: no signal until now, unknown after.
    got = floor.seconds(t0 - 30 * S, t0 + 700 * S)
    assert (got["running"], got["no_signal"], got["unknown"]) == (23.0, 587.0, 100.0)

    # Heard again: what it says holds, and what the store says of the silence too.
    floor.send(("runtime_state", t0 + 600 * S, 1.0))
    assert floor.seat()["state"] == "idle"
    got = floor.seconds(t0 - 30 * S, t0 + 600 * S)
    assert (got["running"], got["no_signal"], got["unknown"]) == (300.0, 0.0, 310.0)


def test_after_a_restart_a_machine_not_heard_again_loses_its_signal(floor: Floor, factory: Factory) -> None:
    t0 = floor.clock.ms
    sid = factory.devices_by_id[DEVICE].sensor_id("runtime_state")
    # stored before this ingest started, and nothing since
    ts = np.array([t0 - 60 * S], np.int64)
    floor.store.write_batch(
        [DeviceBatch(DEVICE, 0, 1, t0 - 60 * S, t0 - 60 * S, np.array([sid], np.int32), ts, np.array([2.0]))]
    )
    started = floor.ingestor.liveness.started_ms
    floor.clock.ms = started + 15 * S
    assert floor.seat()["state"] == "running"
    floor.clock.ms = started + 15 * S + 1
    assert (floor.seat()["state"], floor.seat()["since"]) == ("no_signal", ms_to_iso(t0 - 60 * S))


def test_a_death_ends_the_state_at_once_and_counts_as_no_signal_until_now(floor: Floor) -> None:
    t0 = floor.clock.ms
    death = t0 - 600 * S
    floor.send(("runtime_state", t0 - 900 * S, 2.0), ("runtime_state", t0 - 700 * S, 2.0))
    floor.send(("runtime_state", death, float(NO_SIGNAL_CODE)))  # what a death certificate stores
    seat = floor.seat()
    assert (seat["state"], seat["since"]) == ("no_signal", ms_to_iso(death))  # heard just now, yet dead
    counts = floor.get("/api/v1/lines/L01")["counts"]
    assert (counts["running"], counts["no_signal"]) == (0, 1)
    # running until the death; then no signal until now, not for the store's 300 s hold only
    got = floor.seconds(t0 - 900 * S, t0)
    assert (got["running"], got["no_signal"], got["unknown"]) == (300.0, 600.0, 0.0)
    line = floor.get(
        "/api/v1/lines/L01/states", start=ms_to_iso(t0 - 900 * S), end=ms_to_iso(t0), interval_s=900
    )
    assert "no_signal" in line["states"]
    assert line["total"]["seconds"]["no_signal"] == 600.0
    assert line["total"]["seconds"]["running"] == 300.0


def test_a_state_code_no_machine_state_has_is_unknown_not_an_error(floor: Floor) -> None:
    t0 = floor.clock.ms
    floor.send(("runtime_state", t0 - S, 7.0))
    assert floor.seat()["state"] is None
    line = floor.get("/api/v1/lines/L01")
    assert line["counts"]["unknown"] == len(line["machines"])
