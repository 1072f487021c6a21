"""The planning board page (`/plan`): rendered with the plan in force and the proposals inline, in
English and Chinese, with the decision buttons' script for those who may decide."""

from __future__ import annotations

import json
import re
from pathlib import Path

from plan_helpers import NOW, planning_app, request, small_factory


def page_data(html: str) -> dict[str, object]:
    found = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_board_shows_the_plan_in_force_and_the_proposals(tmp_path: Path) -> None:
    small = small_factory()
    with planning_app(tmp_path / "data", small) as app:
        empty = request(app, "GET", "/plan")
        assert empty.status_code == 200
        assert page_data(empty.text) == {"decision": None, "plan": None, "proposals": []}
        assert '<button type="button" id="propose"' in empty.text  # the local admin may decide
        assert '<script src="/static/plan.js"></script>' in empty.text

        made = request(app, "POST", "/api/v1/plan/proposals", json={"now": NOW, "time_limit_s": 1})
        assert made.status_code == 201
        assert request(app, "POST", "/api/v1/plan/proposals/D-0001/approve").status_code == 200
        request(app, "POST", "/api/v1/plan/proposals", json={"now": NOW, "time_limit_s": 1})

        zh = request(app, "GET", "/plan?lang=zh")
        assert "<h1>计划看板</h1>" in zh.text
        assert "执行中的计划" in zh.text
        data = page_data(zh.text)
        assert data["decision"] == "D-0001"
        plan = data["plan"]
        assert isinstance(plan, dict)
        assert {o["order"] for o in plan["orders"]} == {o.id for o in small.orders}
        proposals = data["proposals"]
        assert isinstance(proposals, list)
        assert [(p["id"], p["status"]) for p in proposals] == [("D-0002", "proposed"), ("D-0001", "approved")]
        assert "Keeping the plan in force is best" in proposals[0]["explanation"]["en"]
        assert "保持现有计划最好" in proposals[0]["explanation"]["zh"]
        assert (Path(__file__).parents[2] / "src/seamline/web/ui/static/plan.js").is_file()
