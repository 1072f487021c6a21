"""Which orders a line makes next: the twin's lines follow a plan given to them (the workshop
brain's), or take the pool's orders first come; an order's garments and finish time are truth."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from seamline.model.factory import Factory, Order
from seamline.model.loader import load_factory
from seamline.sim import FloorSimulation, SimConfig
from seamline.sim.config import SimulationError

START = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 08:00 at the reference factory
FAST = SimConfig(telemetry=False, shift_from_start=True)


def _order(oid: str, style: str, qty: int) -> Order:
    return Order(oid, style, dt.date(2026, 12, 1), {("navy", "M"): qty})


@pytest.fixture(scope="module")
def factory() -> Factory:
    f = load_factory()
    small = tuple(dataclasses.replace(o, quantities={("navy", "M"): 200}) for o in f.orders)  # an hour or two
    return dataclasses.replace(f, orders=(*small, _order("POOL-1", "SHIRT-03", 100)))


def test_a_line_makes_the_orders_queued_for_it_in_sequence(factory: Factory) -> None:
    sim = FloorSimulation(factory, seed=3, start=START, publish_interval_s=60.0, config=FAST)
    sim.advance(60.0)
    first, second = _order("PLAN-1", "POLO-01", 100), _order("PLAN-2", "POLO-01", 60)
    sim.load_lines({"L01": [first, second], "L02": []})
    view = sim.line_orders()
    # what the line had started stays first; room in its WIP takes the plan's next orders at once
    assert (*view["L01"].taken, *view["L01"].queued) == ("PO-24017", "PLAN-1", "PLAN-2")
    sim.advance(8 * 3600.0)
    truth = sim.truth
    view = sim.line_orders()
    assert view["L01"].taken == ("PO-24017", "PLAN-1", "PLAN-2")
    assert truth.pieces_by_order["PLAN-1"] == 100
    assert truth.pieces_by_order["PLAN-2"] == 60
    assert truth.order_done_s["PO-24017"] < truth.order_done_s["PLAN-1"] < truth.order_done_s["PLAN-2"]
    assert sum(truth.pieces_by_order.values()) == sum(truth.pieces_by_line.values())
    assert "POOL-1" not in view["L02"].taken  # L02 was given nothing: the pool is not a plan's


def test_first_come_lines_take_the_pool_and_change_style(factory: Factory) -> None:
    sim = FloorSimulation(factory, seed=3, start=START, publish_interval_s=60.0, config=FAST)
    sim.advance(8 * 3600.0)
    truth = sim.truth
    takers = [lo.line_id for lo in sim.line_orders().values() if "POOL-1" in lo.taken]
    assert len(takers) == 1
    if takers[0] not in ("L05", "L06"):  # a knit line took a woven shirt: a changeover first
        assert any(c[0] == takers[0] and c[2] == "SHIRT-03" for c in truth.changeovers)
    assert truth.earned_min_by_line[takers[0]] > 0


def test_a_plan_for_a_line_the_floor_lacks_is_refused(factory: Factory) -> None:
    sim = FloorSimulation(factory, seed=3, start=START, publish_interval_s=60.0, config=FAST)
    with pytest.raises(SimulationError, match="no line 'L99'"):
        sim.load_lines({"L99": []})
