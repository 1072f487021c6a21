"""What-if in the twin: a proposal and the plan kept run forward on the same floor, with the same
seed; a plan that leaves lines idle makes less than one that keeps them all at work."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from plan_helpers import NOW, call, planning_app, small_factory

from seamline.brain.plan_factory import planning_problem
from seamline.brain.plan_result import ProductionPlan
from seamline.brain.reschedule import plan_orders
from seamline.brain.what_if import what_if


def _all_on_one_line(plan: ProductionPlan, line_id: str) -> ProductionPlan:
    orders = tuple(dataclasses.replace(p, line_id=line_id, sequence=i) for i, p in enumerate(plan.orders))
    return dataclasses.replace(plan, orders=orders)


def test_a_plan_that_idles_lines_makes_less_in_the_twin(tmp_path: Path) -> None:
    factory = small_factory()
    with planning_app(tmp_path / "data", factory) as app:
        first = call(app, "POST", "/api/v1/plan/proposals", 201, json={"now": NOW, "time_limit_s": 1})
        result = call(app, "POST", f"/api/v1/plan/proposals/{first['id']}/what-if", 200, json={"hours": 4})
    assert result["proposal"] == first["id"]
    assert set(result["runs"]) == {"proposed"}  # a first plan: nothing kept to compare with
    assert result["runs"]["proposed"]["output"] > 0

    problem = planning_problem(factory, dt.datetime.fromisoformat(NOW))
    spread = plan_orders(problem, 1.0, 0).plan
    lines = sorted({p.line_id for p in spread.orders})
    assert len(lines) > 1  # the brain uses every line it can
    crowded = _all_on_one_line(spread, lines[0])
    got = what_if(factory, problem, {"kept": spread, "crowded": crowded}, hours=4, seed=1)
    assert got["runs"]["kept"]["output"] > got["runs"]["crowded"]["output"]
    assert got["difference"]["output"] == got["runs"]["crowded"]["output"] - got["runs"]["kept"]["output"]
    again = what_if(factory, problem, {"kept": spread, "crowded": crowded}, hours=4, seed=1)
    assert again["runs"] == got["runs"]  # the same seed, the same floor
