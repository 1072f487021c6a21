"""`seamline bench brain` as a smoke run: two days of the disrupted week, brain off and on, in the
twin. Nothing here asserts a speed, nor that the brain wins a week this short."""

from __future__ import annotations

from typing import Any

import orjson
from typer.testing import CliRunner

from seamline.bench.brain_week import WeekScenario, week_factory
from seamline.cli import app
from seamline.model.loader import load_factory


def test_two_disrupted_days_report_both_runs_from_the_twins_truth() -> None:
    result = CliRunner().invoke(
        app, ["bench", "brain", "--days", "2", "--orders", "6", "--plan-time-limit", "0.3", "--json"]
    )
    assert result.exit_code == 0, result.output
    r: dict[str, Any] = orjson.loads(result.stdout.strip().splitlines()[-1])
    off, on = r["brain_off"], r["brain_on"]
    assert (off["brain"], on["brain"]) == (False, True)
    assert off["plans"] == 0
    assert on["plans"] >= 2  # at least each shift's start
    for run in (off, on):
        assert run["output"] > 0
        assert run["orders_due"] >= 6  # the lines' current orders are due on the first day
        assert run["on_time"] + len(run["late_orders"]) == run["orders_due"]
        assert 0 < run["efficiency_pct"] < 150
        assert run["wip_bundles"] > 0
    assert set(r["brain_wins"]) == {"output", "on_time_delivery"}


def test_the_week_is_the_same_for_a_seed_and_differs_between_seeds() -> None:
    factory = load_factory()
    a, rush_a = week_factory(factory, WeekScenario(seed=1))
    b, _ = week_factory(factory, WeekScenario(seed=1))
    c, _ = week_factory(factory, WeekScenario(seed=2))
    assert a.orders == b.orders
    assert a.orders != c.orders
    assert len(a.orders) == len(factory.lines) + WeekScenario().orders
    assert rush_a.priority > max(o.priority for o in a.orders)
    assert all(o.absence_rate == WeekScenario().absence_rate for o in a.operators)
