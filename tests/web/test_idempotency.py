"""A write sent again with the same Idempotency-Key is answered again, not applied again."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from seamline.web.idempotency import IdempotencyMiddleware


def _app() -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    applied: list[int] = []

    @app.post("/count")
    def count(body: dict[str, int]) -> dict[str, int]:
        applied.append(body["n"])
        return {"applied": len(applied)}

    @app.post("/flaky")
    def flaky() -> JSONResponse:
        applied.append(-1)
        return JSONResponse({"error": "later"}, status_code=503)

    app.add_middleware(IdempotencyMiddleware)
    return app, applied


def _send(app: FastAPI, *requests: tuple[str, dict[str, str]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return list(
                await asyncio.gather(*(client.post(url, json={"n": 1}, headers=h) for url, h in requests))
            )

    return asyncio.run(go())


def test_the_same_key_is_applied_once_and_answered_twice() -> None:
    app, applied = _app()
    first, again = _send(app, ("/count", {"Idempotency-Key": "k1"}), ("/count", {"Idempotency-Key": "k1"}))
    assert applied == [1]  # sent at once, applied once
    assert first.json() == again.json() == {"applied": 1}
    assert "idempotent-replayed" in {*first.headers, *again.headers}
    (other,) = _send(app, ("/count", {"Idempotency-Key": "k2"}))
    assert other.json() == {"applied": 2}
    assert "idempotent-replayed" not in other.headers
    _send(app, ("/count", {}), ("/count", {}))  # without a key every write counts
    assert len(applied) == 4


def test_a_server_error_is_not_kept_so_the_write_can_be_tried_again() -> None:
    app, applied = _app()
    _send(app, ("/flaky", {"Idempotency-Key": "k"}))
    _send(app, ("/flaky", {"Idempotency-Key": "k"}))
    assert applied == [-1, -1]
