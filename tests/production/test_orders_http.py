"""The orders API as `seamline serve` runs it: every write goes through ingest into the store before
the ledger applies it, the floor's scans count against the new bundles, and a restart keeps it all."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.timeutil import now_ms
from seamline.web import create_app

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
SCANNER = "L2-BUNDLESCANNER01"
VEST = {  # TEST-B: B010 -> B020 -> B030
    "id": "PO-77",
    "style": "TEST-B",
    "due": "2026-12-20",
    "priority": 3,
    "line": "L2",
    "bundle_size": 10,
    "quantities": {"olive": {"M": 12, "L": 8}},
}


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def call(app: FastAPI, method: str, url: str, expect: int, **kwargs: Any) -> Any:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
            return await client.request(method, url, **kwargs)

    response = asyncio.run(go())
    assert response.status_code == expect, response.text
    return response.json()


def error(app: FastAPI, method: str, url: str, expect: int, reason: str, **kwargs: Any) -> dict[str, Any]:
    body = call(app, method, url, expect, **kwargs)
    assert set(body) == {"error"}
    assert body["error"]["reason"] == reason
    got: dict[str, Any] = body["error"]
    return got


def floor(platform: Platform, *events: dict[str, Any]) -> None:
    """The line's scanner sends ``events`` (stamped a second apart, from now) and production applies them."""
    t = now_ms()
    stamped = [{"ts": t + i * 1000, **e} for i, e in enumerate(events)]
    platform.ingestor.submit_messages([{"device": SCANNER, "seq": t, "sent_ts": t, "events": stamped}])
    platform.ingestor.flush()
    assert platform.production.drain()


def scan(bundle: str, op: str, pieces: int) -> dict[str, Any]:
    return {"type": "scan", "bundle": bundle, "operation": op, "operator": "L2-OP01",
            "workstation": "L2-S01", "pieces": pieces}  # fmt: skip


def test_orders_made_and_changed_over_http_count_scans_and_survive_a_restart(
    tmp_path: Path, small: Factory
) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        made = call(app, "POST", "/api/v1/orders", 201, json=VEST)
        assert (made["status"], made["source"], made["cut"], made["pieces_ordered"]) == (
            "planned",
            "event",
            "auto",
            20,
        )
        assert [(b["id"], b["size"], b["quantity"], b["status"]) for b in made["bundles"]] == [
            ("PO-77-B0001", "M", 10, "not_started"),
            ("PO-77-B0002", "M", 2, "not_started"),
            ("PO-77-B0003", "L", 8, "not_started"),
        ]
        login = {"type": "badge", "operator": "L2-OP01", "action": "login", "workstation": "L2-S01"}
        floor(platform, login, *(scan("PO-77-B0001", op, 10) for op in ("B010", "B020", "B030")),
              scan("PO-77-B0003", "B010", 8), scan("QR-9", "B010", 6))  # fmt: skip
        waiting = call(app, "GET", "/api/v1/production/exceptions", 200)["exceptions"]
        assert [(x["reason"], x["scan"]["bundle"]) for x in waiting] == [("unknown_bundle", "QR-9")]
        # the ticket QR-9 is cut afterwards: its waiting scan becomes a record by itself
        cut = {"bundles": [{"id": "QR-9", "colour": "olive", "size": "M", "quantity": 6}], "by": "cutting"}
        added = call(app, "POST", "/api/v1/orders/PO-77/bundles", 201, json=cut)
        assert [b["id"] for b in added["bundles"]][-1] == "QR-9"
        assert call(app, "GET", "/api/v1/production/exceptions", 200)["total"] == 0
        order = call(app, "GET", "/api/v1/orders/PO-77", 200)
        assert {k: order[k] for k in ("status", "pieces_cut", "garments_finished", "wip_pieces")} == {
            "status": "in_progress",
            "pieces_cut": 26,
            "garments_finished": 10,  # bundle 1 through B030, the final operation
            "wip_pieces": 14,  # bundle 3 (8) and QR-9 (6): started, not finished
        }
        assert (order["bundles_total"], order["bundles_started"], order["bundles_finished"]) == (4, 3, 1)
        assert [(b["status"], b["operations_done"], b["finished_pieces"]) for b in order["bundles"]] == [
            ("finished", 3, 10),
            ("not_started", 0, 0),
            ("in_progress", 1, 0),
            ("in_progress", 1, 0),
        ]
        changed = call(app, "PATCH", "/api/v1/orders/PO-77", 200, json={"priority": 9, "due": "2026-12-18"})
        assert (changed["priority"], changed["due"]) == (9, "2026-12-18")
        listed = call(app, "GET", "/api/v1/orders", 200, params={"line": "L2"})
        # by due date: PO-2 and PO-3 (2026-12-01, -03) before PO-77
        assert [o["id"] for o in listed["orders"]] == ["PO-2", "PO-3", "PO-77"]
        assert listed["orders"][0]["source"] == "factory"
        kept = call(app, "GET", "/api/v1/orders/PO-77", 200)
    with Platform(settings, small) as again:  # everything was stored: a restart rebuilds it
        app = create_app(small, again.store, again.ingestor, platform=again)
        assert call(app, "GET", "/api/v1/orders/PO-77", 200) == kept
        assert call(app, "GET", "/api/v1/production/exceptions", 200)["total"] == 0
        cancelled = call(app, "PATCH", "/api/v1/orders/PO-77", 200, json={"cancel": True})
        assert cancelled["status"] == "cancelled"
    with Platform(settings, small) as third:
        app = create_app(small, third.store, third.ingestor, platform=third)
        assert (
            call(app, "GET", "/api/v1/orders", 200, params={"status": "cancelled"})["orders"][0]["id"]
            == "PO-77"
        )


def test_what_the_orders_api_refuses_and_why(tmp_path: Path, small: Factory) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        listed = {"bundles": [{"id": "T-1", "colour": "olive", "size": "M", "quantity": 5}]}
        made = call(app, "POST", "/api/v1/orders", 201, json={**VEST, **listed})
        assert (made["cut"], [b["id"] for b in made["bundles"]]) == ("tickets", ["T-1"])
        e = error(app, "POST", "/api/v1/orders", 409, "order_conflict", json=VEST)
        assert e["message"] == "order 'PO-77' exists already; change it (PATCH /api/v1/orders/PO-77)"
        e = error(app, "POST", "/api/v1/orders", 409, "order_conflict", json={**VEST, "id": "PO-1"})
        assert "order 'PO-1' exists already" in e["message"]  # the factory file's
        e = error(
            app, "POST", "/api/v1/orders", 422, "order_refused", json={**VEST, "id": "N", "style": "NOPE"}
        )
        assert e["message"].startswith("'NOPE' is not a style of the factory file; known: TEST-A, TEST-B")
        assert e["details"] == {"field": "style"}
        bad = {**VEST, "id": "N", "quantities": {"olive": {"M": 0}}}
        e = error(app, "POST", "/api/v1/orders", 422, "order_refused", json=bad)
        assert "pieces > 0" in e["message"]
        assert e["details"] == {"field": "quantities"}
        e = error(app, "POST", "/api/v1/orders", 422, "order_refused", json={**VEST, "id": "N", "line": "L9"})
        assert e["message"] == "'L9' is not a line of the factory file"
        e = error(app, "POST", "/api/v1/orders", 422, "invalid_request", json={**VEST, "colour": "red"})
        assert e["details"] == {"field": "body.colour"}
        e = error(app, "POST", "/api/v1/orders", 422, "invalid_request", json={**VEST, "priority": 10})
        assert e["details"] == {"field": "body.priority"}

        e = error(app, "PATCH", "/api/v1/orders/NOPE", 404, "not_found", json={"priority": 1})
        assert e["details"] == {"kind": "order", "key": "NOPE"}
        e = error(app, "GET", "/api/v1/orders/NOPE", 404, "not_found")
        e = error(app, "PATCH", "/api/v1/orders/PO-77", 422, "order_refused", json={})
        assert "a change of an order changes one of ['due', 'priority'" in e["message"]
        e = error(
            app, "PATCH", "/api/v1/orders/PO-77", 422, "order_refused", json={"cancel": True, "priority": 1}
        )
        assert e["message"] == "cancel an order alone, without other changes"

        url = "/api/v1/orders/PO-77/bundles"
        taken = {"bundles": [{"id": "PO-1-B0001", "colour": "olive", "size": "M", "quantity": 5}]}
        e = error(app, "POST", url, 409, "order_conflict", json=taken)
        assert e["message"] == "ticket 'PO-1-B0001' is a bundle of order 'PO-1' already"
        twice = {"bundles": [{"id": "T-2", "colour": "olive", "size": "M", "quantity": 5}] * 2}
        assert (
            error(app, "POST", url, 422, "order_refused", json=twice)["message"]
            == "ticket 'T-2' is listed twice"
        )
        red = {"bundles": [{"id": "T-3", "colour": "red", "size": "M", "quantity": 5}]}
        e = error(app, "POST", url, 422, "order_refused", json=red)
        assert e["message"] == "order 'PO-77' has no colour 'red' size 'M'"
        e = error(app, "POST", "/api/v1/orders/NOPE/bundles", 404, "not_found", json=red)

        call(app, "PATCH", "/api/v1/orders/PO-77", 200, json={"cancel": True})
        e = error(app, "PATCH", "/api/v1/orders/PO-77", 422, "order_cancelled", json={"priority": 1})
        assert e["message"] == "order 'PO-77' is cancelled"
        assert [b["id"] for b in call(app, "GET", "/api/v1/orders/PO-77", 200)["bundles"]] == ["T-1"]

        e = error(app, "GET", "/api/v1/orders", 400, "bad_time_range",
                  params={"due_from": "2026-12-05", "due_to": "2026-12-01"})  # fmt: skip
        page = call(app, "GET", "/api/v1/orders", 200, params={"limit": 2, "offset": 1})
        assert (page["total"], [o["id"] for o in page["orders"]]) == (4, ["PO-2", "PO-3"])
        due = call(
            app, "GET", "/api/v1/orders", 200, params={"due_from": "2026-12-02", "due_to": "2026-12-31"}
        )
        assert [o["id"] for o in due["orders"]] == ["PO-3", "PO-77"]
        assert platform.production.read(lambda lg: lg.orders.refused) == 0  # the API stored none it refused


def test_the_orders_routes_are_in_the_openapi_with_their_models(tmp_path: Path, small: Factory) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        spec = call(
            create_app(small, platform.store, platform.ingestor, platform=platform),
            "GET",
            "/openapi.json",
            200,
        )
    paths = spec["paths"]
    assert set(paths["/api/v1/orders"]) == {"get", "post"}
    assert set(paths["/api/v1/orders/{order_id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/orders/{order_id}/bundles"]) == {"post"}
    created = paths["/api/v1/orders"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/OrderDetail"}
    detail = spec["components"]["schemas"]["OrderDetail"]["properties"]
    assert {"garments_finished", "wip_pieces", "bundles", "priority", "status"} <= set(detail)
