"""GET /api/v1/quality/aql/plan on the assembled app: the CLI's JSON, and the API's one error shape.

Requests go in process through httpx's ASGI transport, as in tests/web (starlette's TestClient
warns about httpx, and warnings are errors here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from seamline.ingest import Ingestor
from seamline.model.factory import Factory
from seamline.quality import single_plan
from seamline.store import DuckDBStore
from seamline.web import create_app

URL = "/api/v1/quality/aql/plan"


class Client:
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as c:
                return await c.get(url, params=params)

        return asyncio.run(go())


@pytest.fixture
def client(tmp_path: Path, factory: Factory) -> Iterator[Client]:
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.02) as ingestor,
    ):
        yield Client(create_app(factory, store, ingestor))


def error(r: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"reason", "message", "details"}
    assert body["error"]["reason"] == reason
    details: dict[str, Any] = body["error"]["details"]
    return details


def test_plan_is_the_same_json_as_the_cli(client: Client) -> None:
    r = client.get(URL, params={"lot_size": 1000, "level": "II", "aql": "2.5"})
    assert r.status_code == 200
    body = r.json()
    assert body == single_plan(1000, "II", "2.5").as_dict()
    assert (body["code_letter"], body["sample_size"], body["accept"], body["reject"]) == ("J", 80, 5, 6)


def test_level_and_inspection_have_defaults_and_are_honoured(client: Client) -> None:
    body = client.get(URL, params={"lot_size": 1000, "aql": "2.5"}).json()
    assert (body["level"], body["inspection"]) == ("II", "normal")
    body = client.get(
        URL, params={"lot_size": 15_000, "aql": "4.0", "level": "S-4", "inspection": "reduced"}
    ).json()
    # 10,001-35,000 at S-4 -> H; Table II-C at 4.0: H is n 20, Ac 2 / Re 5
    assert (body["code_letter"], body["sample_size"], body["accept"], body["reject"]) == ("H", 20, 2, 5)


def test_bad_input_in_the_one_error_shape(client: Client) -> None:
    details = error(client.get(URL, params={"lot_size": 1, "aql": "2.5"}), 400, "invalid_sampling_input")
    assert details == {"field": "lot_size", "value": "1", "allowed": "a whole number of units, 2 or more"}
    details = error(client.get(URL, params={"lot_size": 100, "aql": "3"}), 400, "invalid_sampling_input")
    assert details["field"] == "aql"
    assert details["allowed"].endswith("650, 1000")
    details = error(
        client.get(URL, params={"lot_size": 100, "aql": "1", "level": "4"}), 400, "invalid_sampling_input"
    )
    assert details["field"] == "level"
    details = error(client.get(URL, params={"lot_size": "lots", "aql": "2.5"}), 422, "invalid_request")
    assert details["field"] == "query.lot_size"
    error(client.get(URL, params={"lot_size": 100}), 422, "invalid_request")


def test_the_route_is_in_the_openapi_spec(client: Client) -> None:
    spec = client.get("/openapi.json").json()
    assert "quality" in spec["paths"][URL]["get"]["tags"]
