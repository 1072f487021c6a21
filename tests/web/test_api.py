"""The assembled API: one error shape everywhere, docs served without a CDN, the factory routes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from seamline.ingest import Ingestor, build_message
from seamline.model.factory import Factory
from seamline.store import DuckDBStore
from seamline.timeutil import now_ms
from seamline.web import create_app


@pytest.fixture
def app(tmp_path: Path, factory: Factory) -> Iterator[FastAPI]:
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.02) as ingestor,
    ):
        yield create_app(factory, store, ingestor)


def call(app: FastAPI, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def assert_error(r: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"reason", "message", "details"}
    assert body["error"]["reason"] == reason
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    details: dict[str, Any] = body["error"]["details"]
    return details


def test_one_error_shape_for_every_kind_of_error(app: FastAPI) -> None:
    details = assert_error(call(app, "GET", "/api/v1/devices/NOPE"), 404, "not_found")
    assert details == {"kind": "device", "key": "NOPE"}
    assert_error(call(app, "GET", "/api/v1/sensors/99999999"), 404, "not_found")
    assert_error(call(app, "GET", "/api/v1/lines/L99"), 404, "not_found")
    assert_error(call(app, "GET", "/api/v1/no-such-route"), 404, "not_found")
    details = assert_error(call(app, "GET", "/api/v1/sensors/not-a-number"), 422, "invalid_request")
    assert details["field"] == "path.sensor_id"
    assert_error(
        call(
            app,
            "GET",
            "/api/v1/sensors/1/history",
            params={"start": "2026-01-02T00:00:00Z", "end": "2026-01-01"},
        ),
        400,
        "bad_time_range",
    )
    assert_error(call(app, "POST", "/api/v1/ingest", content=b"{not json"), 400, "malformed_json")
    assert_error(call(app, "GET", "/api/v1/devices/L01-S01/channels/nope/history"), 404, "not_found")
    details = assert_error(
        call(app, "GET", "/api/v1/quality/aql/plan", params={"lot_size": 1, "aql": "2.5"}),
        400,
        "invalid_sampling_input",
    )
    assert details["field"] == "lot_size"


def test_health_openapi_and_docs_need_nothing_from_the_network(app: FastAPI) -> None:
    assert call(app, "GET", "/healthz").json()["status"] == "ok"
    spec = call(app, "GET", "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/factory" in spec["paths"]
    html = call(app, "GET", "/docs").text
    assert "https://" not in html  # no CDN
    assert "http://" not in html
    for asset in ("/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css"):
        assert asset in html
        r = call(app, "GET", asset)
        assert r.status_code == 200
        assert len(r.content) > 10_000


def test_factory_tree_counts_and_stored_readings(app: FastAPI, factory: Factory) -> None:
    body = call(app, "GET", "/api/v1/factory").json()
    assert (body["devices"], body["sensors"], body["readings"]) == (153, factory.sensor_count, 0)
    sewing = next(a for a in body["areas"] if a["kind"] == "sewing")
    assert [ln["id"] for ln in sewing["lines"]] == ["L01", "L02", "L03", "L04", "L05", "L06"]
    assert sum(len(ln["workstations"]) for ln in sewing["lines"]) == 120
    utilities = next(a for a in body["areas"] if a["kind"] == "utilities")
    assert "EM-01" in utilities["devices"]

    t = now_ms() - 1000
    device = factory.devices_by_id["L01-S03"]
    state = device.machine_type.channel_index["runtime_state"]
    message = build_message(
        "L01-S03", seq=1, sent_ts_ms=t, channels=[state, state], ts_ms=[t - 500, t], values=[1, 2]
    )
    assert call(app, "POST", "/api/v1/ingest", json=message).status_code == 200
    assert call(app, "GET", "/api/v1/factory").json()["readings"] == 2

    line = call(app, "GET", "/api/v1/lines/L01").json()
    seat = next(m for m in line["machines"] if m["device"] == "L01-S03")
    assert seat["state"] == "running"
    assert line["counts"]["running"] == 1
    assert line["counts"]["unknown"] == len(line["machines"]) - 1

    history = call(app, "GET", "/api/v1/devices/L01-S03/channels/runtime_state/history").json()
    assert history["values"] == [1.0, 2.0]
    assert (
        history["sensor_id"] if "sensor_id" in history else history["id"] == device.sensor_id("runtime_state")
    )


def test_device_registry_filters(app: FastAPI) -> None:
    on_line = call(app, "GET", "/api/v1/devices", params={"line": "L02"}).json()
    assert len(on_line) == 22
    assert {d["line"] for d in on_line} == {"L02"}
    cutters = call(app, "GET", "/api/v1/devices", params={"machine_type": "cutter"}).json()
    assert [d["id"] for d in cutters] == ["CUT-01", "CUT-02"]
