"""POST /api/v1/ingest and GET /api/v1/ingest/stats on a minimal app around the ingest router."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from seamline.errors import SeamlineError
from seamline.ingest import HttpPublisher, Ingestor, build_message, router
from seamline.model.factory import Factory
from seamline.store import DuckDBStore

T0 = 1_795_363_200_000
NOW = T0 + 60_000


def msg(seq: int, device: str = "L01-S03") -> dict[str, Any]:
    return build_message(device, seq=seq, sent_ts_ms=T0, channels=[0, 1], ts_ms=[T0, T0], values=[1.0, 2.0])


@pytest.fixture
def app(tmp_path: Path, factory: Factory) -> Iterator[FastAPI]:
    app = FastAPI()
    app.include_router(router)

    @app.exception_handler(SeamlineError)
    async def seamline_error(request: Request, exc: SeamlineError) -> JSONResponse:
        body = {"error": {"reason": exc.reason, "message": exc.message, "details": exc.details()}}
        return JSONResponse(body, status_code=exc.status_code)

    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.02) as ingestor,
    ):
        app.state.store = store
        app.state.ingestor = ingestor
        yield app


class SyncASGITransport(httpx.BaseTransport):
    """Serves a synchronous httpx client from the ASGI app, one event loop per request.

    (Starlette's TestClient warns about httpx, and warnings are errors in this suite.)
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=request.read()
            )
            resp = await httpx.ASGITransport(app=self.app).handle_async_request(inner)
            return httpx.Response(resp.status_code, headers=resp.headers, content=await resp.aread())

        return asyncio.run(send())


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://testserver") as c:
        yield c


def post(client: httpx.Client, body: bytes) -> Any:
    return client.post("/api/v1/ingest", content=body, headers={"Content-Type": "application/json"})


def test_one_message_is_stored_before_the_answer(client: httpx.Client, app: FastAPI) -> None:
    resp = post(client, orjson.dumps(msg(1)))
    assert resp.status_code == 200
    assert resp.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert app.state.store.message_count() == 1  # the answer came after the commit


def test_a_resent_message_is_acknowledged_as_a_duplicate(client: httpx.Client, app: FastAPI) -> None:
    post(client, orjson.dumps(msg(1)))
    resp = post(client, orjson.dumps(msg(1)))
    assert resp.status_code == 200
    assert resp.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert app.state.store.reading_count() == 2


def test_an_array_stores_the_valid_messages_and_lists_the_rest(client: httpx.Client, app: FastAPI) -> None:
    bad = msg(3)
    bad["readings"]["v"][1] = "2.0"
    body = [msg(1), msg(2, device="L99-S99"), bad, msg(4), msg(1), 17]
    resp = post(client, orjson.dumps(body))

    assert resp.status_code == 200
    got = resp.json()
    assert (got["accepted"], got["duplicates"]) == (2, 1)
    assert [(r["index"], r["reason"]) for r in got["rejected"]] == [
        (1, "unknown_device"),
        (2, "invalid_message"),
        (5, "invalid_message"),
    ]
    assert set(got["rejected"][0]) == {"index", "reason", "message"}
    assert "L99-S99" in got["rejected"][0]["message"]
    assert app.state.store.message_count() == 2


def test_an_empty_array_is_fine(client: httpx.Client) -> None:
    assert post(client, b"[]").json() == {"accepted": 0, "duplicates": 0, "rejected": []}


def test_one_rejected_message_is_a_422_in_the_error_shape(client: httpx.Client) -> None:
    resp = post(client, orjson.dumps(msg(1, device="L99-S99")))
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["reason"] == "unknown_device"
    assert "L99-S99" in error["message"]
    assert error["details"] == {"device_id": "L99-S99", "field": "device", "seq": None}


@pytest.mark.parametrize("body", [b'{"device": "L01-S03", "seq": ', b"", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_400(client: httpx.Client, body: bytes) -> None:
    resp = post(client, body)
    assert resp.status_code == 400
    assert resp.json()["error"]["reason"] == "malformed_json"


def test_a_large_array_is_parsed_off_the_event_loop(client: httpx.Client, app: FastAPI) -> None:
    body = orjson.dumps([msg(seq) for seq in range(1500)])
    assert len(body) > 64 * 1024
    assert post(client, body).json()["accepted"] == 1500
    assert app.state.store.reading_count() == 3000


def test_stats_count_what_came_over_http(client: httpx.Client) -> None:
    post(client, orjson.dumps(msg(1)))
    post(client, orjson.dumps(msg(1)))
    post(client, b"nope")
    post(client, orjson.dumps([msg(2), msg(3, device="L99-S99")]))
    resp = client.get("/api/v1/ingest/stats")

    assert resp.status_code == 200
    stats = resp.json()
    assert (stats["messages_accepted"], stats["readings_accepted"], stats["duplicates"]) == (2, 4, 1)
    assert stats["rejected"]["malformed_json"] == 1
    assert stats["rejected"]["unknown_device"] == 1
    assert stats["received"] == {"http": 5}


def test_the_http_publisher_posts_arrays(client: httpx.Client, app: FastAPI) -> None:
    with HttpPublisher("http://testserver", client=client) as publisher:
        receipt = publisher.publish([msg(1), msg(2), msg(2)])
    assert receipt == {"accepted": 2, "duplicates": 1, "rejected": []}
    assert app.state.store.message_count() == 2
