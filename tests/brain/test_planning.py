"""Order scheduling and live rescheduling: calendars, known small optima, errors, the validator,
determinism, proposals after breakdowns and rush orders, explanations and replay."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import pytest

from seamline.brain.errors import InvalidSolutionError
from seamline.brain.plan_bench import synthetic_plan_problem
from seamline.brain.plan_check import check_plan, working_minutes
from seamline.brain.plan_errors import NoLineForStyleError, PlanInputError
from seamline.brain.plan_factory import planning_problem
from seamline.brain.plan_io import event_from_json, event_to_json, proposal_from_json, proposal_to_json
from seamline.brain.plan_solver import solve_plan
from seamline.brain.planning import (
    CapacityWindow,
    PlanLine,
    PlanningProblem,
    PlanOrder,
    PlanStyle,
    Shift,
    ShiftCalendar,
    WorkClock,
)
from seamline.brain.reschedule import advance, carry_on, plan_orders, replay, reschedule
from seamline.brain.reschedule_events import (
    Breakdown,
    OperatorAbsent,
    OrderChange,
    OutputBehind,
    apply_events,
)
from seamline.model.loader import load_factory

DAY = 1440
# 08:00 to 16:30 with lunch 12:00-12:30: 480 working minutes a day, every day
CAL = ShiftCalendar(shifts=(Shift(480, 510, ((720, 30),)),))


def line(
    line_id: str, styles: set[str], *, operators: int = 20, eff: float = 1.0, current: str | None = None
) -> PlanLine:
    return PlanLine(line_id, frozenset(styles), operators, eff, CAL, current_style=current)


def small() -> PlanningProblem:
    """Two lines, two styles; 20 operators at 100 % on 12 SAM-min garments: 100 pieces an hour.

    Orders of 400 pieces take 240 working minutes. L1 has POLO loaded, L2 TEE. Each line can
    make both; a changeover costs 90 min plus learning (here none: learning_pieces=0).
    """
    styles = {
        "POLO": PlanStyle("POLO", 12.0, learning_pieces=0),
        "TEE": PlanStyle("TEE", 12.0, learning_pieces=0),
    }
    orders = (
        PlanOrder("A", "POLO", 400, due_min=DAY + 480, priority=0),
        PlanOrder("B", "TEE", 400, due_min=DAY + 480, priority=0),
        PlanOrder("C", "POLO", 400, due_min=2 * DAY + 480, priority=0),
        PlanOrder("D", "TEE", 400, due_min=2 * DAY + 480, priority=0),
    )
    lines = (line("L1", {"POLO", "TEE"}, current="POLO"), line("L2", {"POLO", "TEE"}, current="TEE"))
    return PlanningProblem(orders, lines, styles, changeover_min=90, start="2026-12-07T00:00:00+00:00")


def test_work_clock_counts_shifts_and_breaks() -> None:
    clock = WorkClock(line("L1", {"POLO"}))
    # 08:00 + 240 working minutes: 12:00, lunch to 12:30 doesn't count, so 240 min end at 12:00
    assert clock.finish(480, 240) == 720
    # 241 minutes: one more after lunch, 12:31
    assert clock.finish(480, 241) == 751
    # the whole day is 480 working minutes; 500 spill 20 minutes into the next morning 08:20
    assert clock.worked(DAY) == 480
    assert clock.finish(480, 500) == DAY + 480 + 20
    assert clock.start_of_work(17 * 60) == DAY + 480


def test_work_clock_slow_and_stopped_windows() -> None:
    slow = dataclasses.replace(
        line("L1", {"POLO"}),
        windows=(CapacityWindow(480, 600, 0.0, "breakdown"), CapacityWindow(600, 720, 0.5, "absence")),
    )
    clock = WorkClock(slow)
    # 08:00-10:00 stopped, 10:00-12:00 at half pace (60 working minutes), then 12:30 at full pace
    assert clock.worked(720) == 60
    assert clock.finish(480, 60) == 720
    assert clock.finish(480, 90) == 750 + 30
    assert working_minutes(slow, 480, 780) == pytest.approx(90)


def test_learning_loss_follows_wrights_curve() -> None:
    style = PlanStyle("POLO", 12.0, learning_rate=0.85, learning_pieces=400)
    ln = line("L1", {"POLO"})
    b = math.log2(0.85)
    # the excess of x pieces over K=400: K (x/K)^(b+1)/(b+1) - x; at x = K: K/(b+1) - K = 122.5 pieces
    excess = 400 / (b + 1) - 400
    assert excess == pytest.approx(122.5, abs=0.1)
    assert ln.learning_min(style, 1000) == pytest.approx(excess * 12.0 / 20)
    assert ln.learning_min(style, 100) < ln.learning_min(style, 400)
    assert ln.learning_min(dataclasses.replace(style, learning_rate=1.0), 400) == 0


def test_small_problem_reaches_its_optimum() -> None:
    """Each line keeps its own style: no changeover, nothing late; A then C on L1, B then D on L2."""
    plan = solve_plan(small(), time_limit_s=5, seed=1)
    assert plan.sequences() == {"L1": ["A", "C"], "L2": ["B", "D"]}
    assert plan.metrics.weighted_tardiness == 0
    assert plan.metrics.changeovers == 0
    assert plan.objective == plan.lower_bound == 0
    assert plan.status == "optimal"
    a = plan.of("A")
    assert a is not None
    assert (a.start_min, a.end_min) == (480, 720)  # 240 working minutes from 08:00, lunch after


def test_a_line_that_cannot_make_a_style_gets_the_order_elsewhere_with_a_changeover() -> None:
    problem = small()
    problem = dataclasses.replace(
        problem, lines=(problem.lines[0], dataclasses.replace(problem.lines[1], styles=frozenset({"TEE"})))
    )
    late = dataclasses.replace(problem.orders[1], quantity=2000)  # B keeps L2 busy for two days
    problem = dataclasses.replace(problem, orders=(problem.orders[0], late, *problem.orders[2:]))
    plan = solve_plan(problem, time_limit_s=3, seed=0)
    # D would be late behind B's 2000 pieces on L2: it goes to L1 after the POLO orders, changing over
    d = plan.of("D")
    assert d is not None
    assert d.line_id == "L1"
    assert d.changeover
    assert plan.metrics.changeovers == 1


def test_priority_weighs_lateness() -> None:
    """One line, two orders due at once: the priority 9 order goes first."""
    styles = {"POLO": PlanStyle("POLO", 12.0, learning_pieces=0)}
    orders = (
        PlanOrder("LOW", "POLO", 400, due_min=720, priority=0),
        PlanOrder("HIGH", "POLO", 400, due_min=720, priority=9),
    )
    problem = PlanningProblem(orders, (line("L1", {"POLO"}, current="POLO"),), styles)
    plan = solve_plan(problem, time_limit_s=2, seed=0)
    assert plan.sequences()["L1"] == ["HIGH", "LOW"]
    low = plan.of("LOW")
    assert low is not None
    assert plan.metrics.weighted_tardiness == low.tardiness_min * 1


def test_a_style_no_line_can_make_names_order_and_style() -> None:
    problem = small()
    bad = dataclasses.replace(problem, styles={**problem.styles, "JACKET": PlanStyle("JACKET", 40.0)})
    bad = dataclasses.replace(bad, orders=(*bad.orders, PlanOrder("J-1", "JACKET", 100, DAY)))
    with pytest.raises(NoLineForStyleError) as err:
        solve_plan(bad, time_limit_s=1)
    assert err.value.culprit == {"order": "J-1", "style": "JACKET"}
    assert "order J-1: no line can make style JACKET" in str(err.value)
    assert err.value.status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"priority": 12}, "priority"),
        ({"style_id": "NOPE"}, "style"),
        ({"pinned_line": "L9"}, "line"),
    ],
)
def test_bad_orders_name_the_field(change: dict[str, object], field: str) -> None:
    problem = small()
    bad = dataclasses.replace(
        problem, orders=(dataclasses.replace(problem.orders[0], **change), *problem.orders[1:])
    )
    with pytest.raises(PlanInputError) as err:
        solve_plan(bad, time_limit_s=1)
    assert err.value.culprit == "A"
    assert err.value.field == field


def test_validator_refuses_an_overlap_and_a_short_order() -> None:
    problem = small()
    plan = solve_plan(problem, time_limit_s=2, seed=0)
    c = plan.of("C")
    assert c is not None
    overlapping = dataclasses.replace(c, start_min=c.start_min - 60)
    bad = dataclasses.replace(plan, orders=tuple(overlapping if p is c else p for p in plan.orders))
    with pytest.raises(InvalidSolutionError, match="order C on line L1: starts at"):
        check_plan(problem, bad)
    short = dataclasses.replace(c, end_min=c.start_min + 30)
    bad = dataclasses.replace(plan, orders=tuple(short if p is c else p for p in plan.orders))
    with pytest.raises(InvalidSolutionError, match="working minutes, needs"):
        check_plan(problem, bad)
    missing = dataclasses.replace(plan, orders=tuple(p for p in plan.orders if p is not c))
    with pytest.raises(InvalidSolutionError, match="order C is planned 0 times"):
        check_plan(problem, missing)


def test_same_seed_same_plan() -> None:
    problem = synthetic_plan_problem(30, 4, seed=3)
    # the kicks' count ends the search well before this limit: the clock plays no part
    a = solve_plan(problem, time_limit_s=60, seed=2, cpsat=False)
    b = solve_plan(problem, time_limit_s=60, seed=2, cpsat=False)
    assert a.orders == b.orders
    assert a.metrics.weighted_tardiness >= (a.lower_bound or 0)


def test_search_improves_on_first_come_loading() -> None:
    problem = synthetic_plan_problem(60, 5, seed=1)
    first_come = plan_orders(problem, time_limit_s=0.0).plan  # no time: the loading alone
    better = solve_plan(problem, time_limit_s=5, seed=0, cpsat=False)
    assert better.metrics.key <= first_come.metrics.key
    assert better.metrics.key < first_come.metrics.key


def test_breakdown_proposal_moves_work_and_explains_itself() -> None:
    problem = small()
    first = solve_plan(problem, time_limit_s=2, seed=0)
    now = 600  # 10:00 on day 0: A has run two hours on L1
    event = Breakdown("L1", now, 2 * DAY, device_id="L1-M07")  # L1 stops for two days
    proposal = reschedule(problem, first, [event], now, time_limit_s=3, seed=0)
    # A keeps its line (it is running there) with the pieces left: half of its 400
    a = proposal.plan.of("A")
    assert a is not None
    assert a.line_id == "L1"
    assert proposal.problem.orders_by_id["A"].quantity == 200
    assert proposal.problem.orders_by_id["A"].pinned_line == "L1"
    # kept as it is, C waits for the repair and is late; the proposal moves it to L2
    assert proposal.keep is not None
    kept_c = proposal.keep.of("C")
    new_c = proposal.plan.of("C")
    assert kept_c is not None
    assert new_c is not None
    assert kept_c.tardiness_min > 0
    assert new_c.line_id == "L2"
    assert proposal.plan.metrics.weighted_tardiness < proposal.keep.metrics.weighted_tardiness
    assert proposal.moved_orders == 1 == proposal.plan.metrics.moved_orders
    en = proposal.explanation.text("en")
    zh = proposal.explanation.text("zh")
    assert "Line L1 stopped at Mon 7 Dec 10:00 (machine L1-M07 broke down)" in en
    assert "Order C (POLO, 400 pcs) moves from line L1 to line L2" in en
    assert "L1 线于 12月7日周一 10:00 停机（设备 L1-M07 故障）" in zh
    assert "订单 C（POLO, 400 件）由 L1 线改到 L2 线" in zh


def test_nothing_happened_nothing_changes() -> None:
    problem = small()
    first = solve_plan(problem, time_limit_s=2, seed=0)
    proposal = reschedule(problem, first, [], 0, time_limit_s=2, seed=0)
    assert proposal.moves == ()
    assert "Keeping the plan in force is best" in proposal.explanation.text("en")


def test_rush_order_goes_in_on_time() -> None:
    problem = small()
    first = solve_plan(problem, time_limit_s=2, seed=0)
    rush = OrderChange("RUSH", 480, quantity=200, due_min=DAY, priority=9, style_id="TEE", new=True)
    proposal = reschedule(problem, first, [rush], 480, time_limit_s=3, seed=0)
    r = proposal.plan.of("RUSH")
    assert r is not None
    assert r.tardiness_min == 0
    assert "Rush order RUSH arrived: 200 pcs of TEE, priority 9" in proposal.explanation.text("en")
    assert any(m.order_id == "RUSH" and m.change == "new" for m in proposal.moves)


def test_absence_and_slow_output_stretch_the_line() -> None:
    problem = small()
    first = solve_plan(problem, time_limit_s=2, seed=0)
    kept_a = first.of("A")
    assert kept_a is not None
    events = [OperatorAbsent("L1", 480, DAY, absent=10), OutputBehind("L2", 480, 0.5)]
    slowed = carry_on(dataclasses.replace(problem), first)
    assert slowed.of("A") == kept_a
    changed = carry_on(apply_events(problem, events), first)
    a = changed.of("A")
    assert a is not None
    assert a.end_min > kept_a.end_min  # half the operators: A takes twice as long
    proposal = reschedule(problem, first, events, 480, time_limit_s=2)
    text = proposal.explanation.text("en")
    assert "10 of the 20 operators of line L1 are absent" in text
    assert "Line L2 has made 50 % of its target output" in text


def test_advance_drops_finished_orders() -> None:
    problem = small()
    first = solve_plan(problem, time_limit_s=2, seed=0)
    a = first.of("A")
    assert a is not None
    later = advance(problem, first, a.end_min)
    assert "A" not in later.orders_by_id
    assert later.lines_by_id["L1"].free_min == a.end_min


def test_replay_gives_the_same_plan() -> None:
    problem = synthetic_plan_problem(20, 3, seed=5)
    first = solve_plan(problem, time_limit_s=2, seed=0, cpsat=False)
    # a limit the search's own budgets end well before: the clock plays no part
    proposal = reschedule(problem, first, [Breakdown("L01", 600, 480)], 600, time_limit_s=60, seed=4)
    again, same = replay(proposal)
    assert same
    assert again.plan.orders == proposal.plan.orders


def test_an_overdue_order_counts_late_from_its_past_due_date() -> None:
    problem = small()
    overdue = dataclasses.replace(problem.orders[0], due_min=-600)  # due 10 hours before minute 0
    problem = dataclasses.replace(problem, orders=(overdue, *problem.orders[1:]))
    plan = solve_plan(problem, time_limit_s=2, seed=0)
    a = plan.of("A")
    assert a is not None
    assert a.tardiness_min == a.end_min + 600


def test_proposal_json_round_trip_replays() -> None:
    problem = synthetic_plan_problem(12, 3, seed=2)
    first = solve_plan(problem, time_limit_s=2, seed=0, cpsat=False)
    events = [
        Breakdown("L02", 700, 300, device_id="L02-M03"),
        OperatorAbsent("L01", 480, 960, absent=3, operator_ids=("OP-1", "OP-2", "OP-3")),
        OrderChange(
            "R-1",
            700,
            quantity=300,
            due_min=2 * DAY,
            priority=7,
            style_id=problem.orders[0].style_id,
            new=True,
        ),
    ]
    proposal = reschedule(problem, first, events, 700, time_limit_s=60, seed=3)
    data = json.loads(json.dumps(proposal_to_json(proposal)))
    back = proposal_from_json(data)
    assert back == proposal
    again, same = replay(back)
    assert same
    assert again.id == proposal.id


def test_reference_factory_becomes_a_planning_problem() -> None:
    factory = load_factory()
    now = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)  # 11:00 in Dhaka
    problem = planning_problem(factory, now)
    assert problem.start == "2026-12-06T18:00:00+00:00"  # local midnight, in UTC
    assert {line.id for line in problem.lines} == {line.id for line in factory.lines}
    assert all(line.free_min == 11 * 60 for line in problem.lines)
    assert {o.id for o in problem.orders} == {o.id for o in factory.orders}
    order = problem.orders_by_id[factory.orders[0].id]
    assert order.quantity == factory.orders[0].quantity
    plan = plan_orders(problem, time_limit_s=2).plan
    check_plan(problem, plan)
    assert len(plan.orders) == len(factory.orders)


def test_order_changes_cancel_and_refuse_what_does_not_apply() -> None:
    problem = small()
    changed = apply_events(
        problem,
        [
            OrderChange("C", 0, cancel=True),
            OrderChange("D", 0, quantity=100, due_min=DAY, priority=4),
        ],
    )
    assert "C" not in changed.orders_by_id
    d = changed.orders_by_id["D"]
    assert (d.quantity, d.due_min, d.priority) == (100, DAY, 4)
    with pytest.raises(PlanInputError, match="order A exists already") as err:
        apply_events(problem, [OrderChange("A", 0, quantity=5, due_min=DAY, style_id="TEE", new=True)])
    assert err.value.field == "id"
    with pytest.raises(PlanInputError, match="give its style, quantity and due date") as err:
        apply_events(problem, [OrderChange("NEW", 0, quantity=5, new=True)])
    assert err.value.field == "style"
    with pytest.raises(PlanInputError, match="breakdown on line L9, which is not known"):
        apply_events(problem, [Breakdown("L9", 0, 60)])
    with pytest.raises(PlanInputError, match="ends before it starts"):
        apply_events(problem, [OperatorAbsent("L1", 600, 500)])


def test_event_json_names_an_unknown_kind() -> None:
    assert event_from_json(event_to_json(OutputBehind("L1", 60, 0.75))) == OutputBehind("L1", 60, 0.75)
    with pytest.raises(PlanInputError, match="event kind 'flood'") as err:
        event_from_json({"kind": "flood", "line_id": "L1"})
    assert err.value.field == "kind"
    with pytest.raises(PlanInputError, match="Breakdown"):
        event_from_json({"kind": "breakdown", "line_id": "L1"})  # no at_min, no repair_min


def test_a_line_listed_twice_or_without_operators_is_refused() -> None:
    problem = small()
    twice = dataclasses.replace(problem, lines=(problem.lines[0], problem.lines[0]))
    with pytest.raises(PlanInputError, match="line L1 is listed twice"):
        solve_plan(twice, time_limit_s=1)
    empty = dataclasses.replace(
        problem, lines=(dataclasses.replace(problem.lines[0], operators=0), problem.lines[1])
    )
    with pytest.raises(PlanInputError, match="line L1: 0 operators") as err:
        solve_plan(empty, time_limit_s=1)
    assert (err.value.culprit, err.value.field) == ("L1", "operators")
