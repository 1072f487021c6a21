"""The planning API as `seamline serve` runs it: a first plan proposed and approved, a breakdown
answered, a proposal rejected, errors in the API's one shape, decisions kept on disk and replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from plan_helpers import NOW, call, planning_app, small_factory


def error(app: FastAPI, method: str, url: str, expect: int, reason: str, **kwargs: Any) -> dict[str, Any]:
    body = call(app, method, url, expect, **kwargs)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"reason", "message", "details"}
    assert body["error"]["reason"] == reason
    got: dict[str, Any] = body["error"]
    return got


def test_propose_approve_reschedule_reject_and_replay(tmp_path: Path) -> None:
    small = small_factory()
    with planning_app(tmp_path / "data", small) as app:
        missing = error(app, "GET", "/api/v1/plan", 404, "not_found")
        assert "POST /api/v1/plan/proposals" in missing["message"]

        first = call(
            app, "POST", "/api/v1/plan/proposals", 201, json={"now": NOW, "time_limit_s": 1, "by": "ana"}
        )
        assert (first["id"], first["status"], first["based_on"]) == ("D-0001", "proposed", None)
        assert {o["order"] for o in first["plan"]["orders"]} == {o.id for o in small.orders}
        assert first["explanation"]["en"].startswith("Order ")
        assert "订单" in first["explanation"]["zh"]
        approved = call(app, "POST", "/api/v1/plan/proposals/D-0001/approve", 200, json={"by": "ana"})
        assert approved["status"] == "approved"
        in_force = call(app, "GET", "/api/v1/plan", 200)
        assert in_force["decision"] == "D-0001"
        assert in_force["orders"] == first["plan"]["orders"]

        breakdown = {"kind": "breakdown", "line": "L1", "at": NOW, "repair_min": 600, "device": "L1-M01"}
        second = call(
            app,
            "POST",
            "/api/v1/plan/proposals",
            201,
            json={"now": NOW, "time_limit_s": 1, "events": [breakdown]},
        )
        assert (second["id"], second["based_on"], second["events"]) == ("D-0002", "D-0001", ["breakdown"])
        assert (
            "Line L1 stopped at Mon 30 Nov 09:00 (machine L1-M01 broke down)" in second["explanation"]["en"]
        )
        assert second["kept"] is not None
        assert second["late_orders_if_kept"] >= second["late_orders"]
        listed = call(app, "GET", "/api/v1/plan/proposals?status=proposed", 200)
        assert [p["id"] for p in listed["proposals"]] == ["D-0002"]

        rejected = call(
            app, "POST", "/api/v1/plan/proposals/D-0002/reject", 200, json={"reason": "repair is quick"}
        )
        assert (rejected["status"], rejected["reason"]) == ("rejected", "repair is quick")
        late = error(app, "POST", "/api/v1/plan/proposals/D-0002/approve", 409, "proposal_decided")
        assert late["details"] == {"proposal": "D-0002", "status": "rejected"}

        no_line = error(
            app, "POST", "/api/v1/plan/proposals", 422, "invalid_plan_input",
            json={"now": NOW, "events": [{"kind": "breakdown", "repair_min": 60}]},
        )  # fmt: skip
        assert no_line["details"] == {"culprit": "", "field": "line"}
        unknown = error(
            app, "POST", "/api/v1/plan/proposals", 422, "invalid_plan_input",
            json={"now": NOW, "events": [{"kind": "order_change", "order": "PO-404", "quantity": 5}]},
        )  # fmt: skip
        assert unknown["details"] == {"culprit": "PO-404", "field": "order"}
        error(app, "GET", "/api/v1/plan/proposals/D-0404", 404, "not_found")

        replayed = call(app, "POST", "/api/v1/plan/proposals/D-0002/replay", 200)
        assert replayed["same_plan"] is True

    folder = tmp_path / "data" / "decisions"
    assert sorted(p.name for p in folder.glob("D-*.json")) == ["D-0001.json", "D-0002.json"]
    trail = [orjson.loads(line) for line in (folder / "decisions.jsonl").read_bytes().splitlines()]
    assert [(t["decision"], t["status"]) for t in trail] == [
        ("D-0001", "proposed"),
        ("D-0001", "approved"),
        ("D-0002", "proposed"),
        ("D-0002", "rejected"),
    ]
    assert trail[1]["by"] == "ana"

    with planning_app(tmp_path / "data", small) as app:  # a restart keeps the decisions and the plan in force
        assert call(app, "GET", "/api/v1/plan", 200)["decision"] == "D-0001"
        assert call(app, "GET", "/api/v1/plan/proposals", 200)["total"] == 2


def test_the_approval_policy_applies_what_it_allows(tmp_path: Path) -> None:
    small = small_factory()
    with planning_app(tmp_path / "data", small) as app:
        assert call(app, "GET", "/api/v1/plan/policy", 200)["auto"] is False
        policy = {"auto": True, "max_moved_orders": 0, "max_start_deviation_h": 1, "by": "li"}
        assert call(app, "PUT", "/api/v1/plan/policy", 200, json=policy)["set_by"] == "li"
        ask = {"now": NOW, "time_limit_s": 1}
        first = call(app, "POST", "/api/v1/plan/proposals", 201, json=ask)
        assert first["status"] == "proposed"  # a first plan waits for someone, whatever the policy
        call(app, "POST", "/api/v1/plan/proposals/D-0001/approve", 200)
        second = call(app, "POST", "/api/v1/plan/proposals", 201, json=ask)
        assert (second["status"], second["decided_by"]) == ("approved", "policy")
        assert "approval policy" in second["reason"]
        assert call(app, "GET", "/api/v1/plan", 200)["decision"] == "D-0002"
        call(app, "PUT", "/api/v1/plan/policy", 200, json={"auto": False})
        third = call(app, "POST", "/api/v1/plan/proposals", 201, json=ask)
        assert third["status"] == "proposed"
        error(
            app,
            "PUT",
            "/api/v1/plan/policy",
            422,
            "invalid_request",
            json={"auto": True, "max_moved_orders": -1},
        )
