"""The telemetry query routes: JSON shapes of latest values, charts and state durations."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from seamline.ingest import DeviceBatch, Ingestor
from seamline.model.factory import Factory
from seamline.store import DuckDBStore
from seamline.timeutil import ms_to_iso
from seamline.web import create_app

T0 = 1_795_363_200_000
HOUR = 3_600_000
DEVICE = "L01-S03"


@pytest.fixture
def app(tmp_path: Path, factory: Factory) -> Iterator[FastAPI]:
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.02) as ingestor,
    ):
        d = factory.devices_by_id[DEVICE]
        n = 2 * 3600  # two hours at 1 Hz
        ts = T0 + np.arange(n, dtype=np.int64) * 1000
        gauge = np.round(60 + 10 * np.sin(np.arange(n) / 300.0), 1)
        gauge[4321] = 999.9  # a spike a chart must show
        state = np.where((np.arange(n) // 600) % 2 == 0, 2.0, 1.0)  # running / idle, 10 min each
        counter = np.cumsum(np.ones(n))
        batches = []
        for k, (channel, values) in enumerate(
            (("motor_temp_c", gauge), ("runtime_state", state), ("stitch_count", counter))
        ):
            ids = np.full(n, d.sensor_id(channel), np.int32)
            batches.append(DeviceBatch(DEVICE, 0, k + 1, T0, T0, ids, ts, values))
        store.write_batch(batches)
        store.maintain(now_ms=T0 + 3 * HOUR)
        yield create_app(factory, store, ingestor)


def call(app: FastAPI, url: str, **params: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
            return await client.get(url, params=params)

    return asyncio.run(go())


def ok(app: FastAPI, url: str, **params: Any) -> dict[str, Any]:
    r = call(app, url, **params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def sid(factory: Factory, channel: str) -> int:
    return factory.devices_by_id[DEVICE].sensor_id(channel)


RANGE = {"start": ms_to_iso(T0), "end": ms_to_iso(T0 + 2 * HOUR)}


def test_raw_history_keeps_its_shape(app: FastAPI, factory: Factory) -> None:
    body = ok(app, f"/api/v1/sensors/{sid(factory, 'motor_temp_c')}/history", limit=5, **RANGE)
    assert set(body) == {
        "id", "device", "channel", "kind", "unit", "start", "end", "resolution", "count", "downsampled",
        "ts", "values",
    }  # fmt: skip
    assert (body["resolution"], body["count"], body["downsampled"]) == ("raw", 5, False)
    assert body["ts"][0] == ms_to_iso(T0)


def test_a_chart_gets_raw_readings_thinned_to_its_pixels_with_the_spike(
    app: FastAPI, factory: Factory
) -> None:
    url = f"/api/v1/sensors/{sid(factory, 'motor_temp_c')}/history"
    body = ok(app, url, resolution="auto", max_points=1000, **RANGE)  # 7.2 s per pixel: raw
    assert body["resolution"] == "raw"
    assert (body["source_count"], body["downsampled"]) == (7200, True)
    assert body["count"] == len(body["ts"]) == len(body["values"]) <= 1000
    assert max(body["values"]) == 999.9
    assert "buckets" not in body


def test_a_wide_chart_gets_minute_rollups_with_their_aggregates(app: FastAPI, factory: Factory) -> None:
    url = f"/api/v1/sensors/{sid(factory, 'stitch_count')}/history"
    body = ok(app, url, resolution="auto", max_points=100, **RANGE)  # 72 s per pixel: minutes
    assert body["resolution"] == "1m"
    assert body["source_count"] == 120
    assert body["count"] <= 100
    b = body["buckets"]
    assert set(b) == {"count", "min", "max", "mean", "last", "increase"}
    assert sum(b["count"]) == 7200
    assert sum(b["increase"]) == 7199  # one per reading after the first
    hourly = ok(app, url, resolution="1h", **RANGE)
    assert hourly["buckets"]["count"] == [3600, 3600]
    assert hourly["buckets"]["last"] == [3600.0, 7200.0]
    gauge = ok(app, f"/api/v1/sensors/{sid(factory, 'motor_temp_c')}/history", resolution="1m", **RANGE)
    assert gauge["buckets"]["increase"] is None
    assert max(gauge["buckets"]["max"]) == 999.9


def test_device_state_durations_add_up_to_each_interval(app: FastAPI) -> None:
    body = ok(app, f"/api/v1/devices/{DEVICE}/states", interval_s=1800, **RANGE)
    assert body["device"] == DEVICE
    assert body["states"][:4] == ["off", "idle", "running", "fault"]
    assert len(body["intervals"]) == 4
    for iv in body["intervals"]:
        assert sum(iv["seconds"].values()) + iv["unknown_s"] == 1800
    # running for the first 10 minutes of each 20, idle for the other 10; the last reading holds
    # past the end of the range (up to STATE_HOLD_MS), so nothing is unknown
    assert body["total"]["seconds"]["running"] == 3600
    assert body["total"]["seconds"]["idle"] == 3600
    assert body["total"]["unknown_s"] == 0
    later = ok(
        app,
        f"/api/v1/devices/{DEVICE}/states",
        interval_s=600,
        start=ms_to_iso(T0 + 2 * HOUR - 600_000),
        end=ms_to_iso(T0 + 2 * HOUR + 600_000),
    )
    assert [iv["unknown_s"] for iv in later["intervals"]] == [
        0,
        600 - (300 - 1),
    ]  # 5 min hold after 2 h - 1 s


def test_line_states_sum_over_the_machines_of_the_line(app: FastAPI, factory: Factory) -> None:
    body = ok(app, "/api/v1/lines/L01/states", interval_s=3600, **RANGE)
    assert DEVICE in body["machines"]
    machines = len(body["machines"])
    for iv in body["intervals"]:
        assert sum(iv["seconds"].values()) + iv["unknown_s"] == 3600 * machines
    assert body["total"]["seconds"]["running"] == 3600  # only L01-S03 reported


def test_latest_for_a_line_and_for_the_whole_factory(app: FastAPI, factory: Factory) -> None:
    line = ok(app, "/api/v1/lines/L01/latest")
    assert line["count"] == 3
    assert set(line) == {"line", "devices", "count", "sensor_id", "ts", "value"}
    i = line["sensor_id"].index(sid(factory, "stitch_count"))
    assert (line["ts"][i], line["value"][i]) == (ms_to_iso(T0 + 7199 * 1000), 7200.0)
    everything = ok(app, "/api/v1/latest")
    assert everything["count"] == 3
    assert everything["site"] == factory.site_id


def test_query_errors_use_the_one_error_shape(app: FastAPI, factory: Factory) -> None:
    r = call(
        app,
        f"/api/v1/devices/{DEVICE}/states",
        interval_s=1,
        start=ms_to_iso(T0),
        end=ms_to_iso(T0 + 86_400_000),
    )
    assert r.status_code == 400
    assert r.json()["error"]["reason"] == "bad_query"
    assert r.json()["error"]["details"] == {"field": "interval_ms"}
    scanner = next(d.id for d in factory.devices if "runtime_state" not in d.machine_type.channel_index)
    assert call(app, f"/api/v1/devices/{scanner}/states").status_code == 404
    assert call(app, "/api/v1/lines/L99/states").status_code == 404
    assert (
        call(app, f"/api/v1/sensors/{sid(factory, 'motor_temp_c')}/history", max_points=3).status_code == 422
    )


def test_the_new_routes_are_in_the_openapi_document(app: FastAPI) -> None:
    paths = ok(app, "/openapi.json")["paths"]
    for path in (
        "/api/v1/sensors/{sensor_id}/history",
        "/api/v1/devices/{device_id}/states",
        "/api/v1/lines/{line_id}/states",
        "/api/v1/lines/{line_id}/latest",
        "/api/v1/latest",
    ):
        assert path in paths
    params = {p["name"] for p in paths["/api/v1/sensors/{sensor_id}/history"]["get"]["parameters"]}
    assert {"resolution", "max_points", "limit", "start", "end"} <= params
