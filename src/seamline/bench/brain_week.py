"""``seamline bench brain``: the disrupted week in the twin, the workshop brain on against off.

The reference factory's six lines start the week each in the middle of an order of its style; a
week's order book (``orders`` new orders of the three styles, due over the week, arriving in no
particular order) waits to be made. The week is disrupted: machines break down ``breakdown_scale``
times as often as their type's MTBF says, operators are absent ``absence_rate`` of their days, and a
rush order arrives on the third morning. The twin runs it twice with the same seed:

- **brain off**: a static plan, first-come line loading. A line that finishes its order takes the
  next one of the book in the order the orders arrived (the rush order last), whatever its style;
- **brain on**: the brain plans the book onto the lines (weighted tardiness, then changeovers, then
  makespan; :func:`~seamline.brain.plan_solver.solve_plan`) and plans again, changing as little
  as it can, at every shift start (who is absent is known then), when the rush order arrives, and
  when machines broke down since the last plan. Each plan is applied as it comes (the policy
  "apply automatically"); an order a line has started stays with it.

Each run reports output (garments finished in the week), on-time delivery (orders due in the week
finished by their due time), line efficiency (earned minutes over attended minutes) and WIP
(bundles in the lines, the mean of hourly samples), all from the twin's truth.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from seamline.brain.balance_line import balance_line
from seamline.brain.generate import sewing_bulletin
from seamline.brain.plan_result import ProductionPlan
from seamline.brain.plan_solver import solve_plan
from seamline.brain.planning import PlanLine, PlanningProblem, PlanOrder, PlanStyle, Shift, ShiftCalendar
from seamline.model.factory import Factory, Order
from seamline.sim.config import SimConfig
from seamline.sim.simulation import FloorSimulation

DAY_S = 86_400.0
START = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # a Monday, 08:00 at the reference factory
PLANNED_EFFICIENCY = 0.55  # until a line has worked an hour of the week
REBALANCE_LIMIT_S = 1.5  # what the balance view asks for by default


@dataclass(frozen=True, slots=True)
class WeekScenario:
    """The disrupted week; the same values give the same week."""

    seed: int = 7
    days: int = 6
    orders: int = 24
    breakdown_scale: float = 4.0
    absence_rate: float = 0.12
    rush_day: int = 2  # the rush order arrives at this day's shift start (days from 0)
    rush_quantity: int = 1200
    plan_time_limit_s: float = 2.0


@dataclass(frozen=True, slots=True)
class WeekResult:
    """One run's figures."""

    brain: bool
    output: int
    orders_due: int
    on_time: int
    late_orders: tuple[str, ...]
    efficiency_pct: float
    wip_bundles: float
    changeovers: int
    breakdowns: int
    plans: int
    plan_s: float
    wall_s: float

    @property
    def on_time_pct(self) -> float:
        return 100.0 * self.on_time / self.orders_due if self.orders_due else 100.0


def week_factory(factory: Factory, scenario: WeekScenario) -> tuple[Factory, Order]:
    """The factory for the week: each line's current order cut to about a day of work, the book of
    new orders (unassigned: the pool), operators absent more often; and the rush order (not yet
    in the factory: it arrives later)."""
    rng = random.Random(scenario.seed)
    styles = sorted(factory.styles)
    day_pieces = {"POLO-01": 560, "TEE-02": 860, "SHIRT-03": 450}  # a line's day at its usual pace
    current = []
    for line in factory.lines:
        base = next(o for o in factory.orders if o.line_id == line.id)
        qty = _round20(day_pieces.get(base.style_id, 500) * rng.uniform(0.5, 1.0))
        current.append(_order(base.id, base.style_id, qty, 1, line.id, 0))
    book = []
    for k in range(scenario.orders):
        style = rng.choice(styles)
        qty = _round20(day_pieces.get(style, 500) * rng.uniform(0.4, 1.3))
        due = rng.randint(2, scenario.days)
        priority = rng.choice((0, 0, 0, 1, 2))
        book.append(_order(f"WK-{k + 1:03d}", style, qty, due, None, priority))
    rng.shuffle(book)  # orders arrive in no particular order
    operators = tuple(dataclasses.replace(o, absence_rate=scenario.absence_rate) for o in factory.operators)
    rush = _order("RUSH-001", "TEE-02", scenario.rush_quantity, scenario.rush_day + 2, None, 5)
    return dataclasses.replace(factory, orders=tuple(current + book), operators=operators), rush


def _round20(x: float) -> int:
    return max(20, round(x / 20.0) * 20)


def _order(oid: str, style: str, qty: int, due_day: int, line: str | None, priority: int) -> Order:
    """``due_day``: the order is due at the end of that day's shift (day 1 is the first)."""
    due = (START + dt.timedelta(days=due_day - 1)).date()
    sizes = ("S", "M", "L", "XL")
    split = [qty // 80 * 20] * 4
    split[1] += qty - sum(split)
    quantities = {("navy", s): n for s, n in zip(sizes, split, strict=True) if n > 0}
    return Order(oid, style, due, quantities, line_id=line, priority=priority)


def run_week(
    scenario: WeekScenario, factory: Factory, *, brain: bool, progress: Callable[[str], None]
) -> WeekResult:
    """One week of the twin, with the brain on or off."""
    week, rush = week_factory(factory, scenario)
    config = SimConfig(telemetry=False, shift_from_start=True, breakdown_scale=scenario.breakdown_scale)
    sim = FloorSimulation(week, seed=scenario.seed, start=START, publish_interval_s=60.0, config=config)
    orders = {o.id: o for o in week.orders}
    shift_s = factory.shift_minutes * 60.0
    began = time.perf_counter()
    plan: ProductionPlan | None = None
    plans = 0
    plan_s = 0.0
    wip_samples: list[int] = []
    breakdowns_seen = 0
    arrived: list[Order] = []  # new orders no line has queued yet

    def replan(at_s: float) -> None:
        nonlocal plan, plans, plan_s
        problem = _problem(sim, week, orders, arrived, at_s)
        if not problem.orders:
            return
        t0 = time.perf_counter()
        plan = solve_plan(problem, scenario.plan_time_limit_s, scenario.seed, 1, reference=plan)
        plan_s += time.perf_counter() - t0
        plans += 1
        arrived.clear()
        taken = {o for lo in sim.line_orders().values() for o in lo.taken}
        sim.load_lines(
            {
                line_id: [orders[p.order_id] for p in seq if p.order_id not in taken]
                for line_id, seq in plan.by_line().items()
            }
            | {line.id: [] for line in week.lines if line.id not in plan.by_line()}
        )

    for day in range(scenario.days):
        t_day = day * DAY_S
        if day == scenario.rush_day:
            sim.advance(t_day)
            orders[rush.id] = rush
            if brain:
                arrived.append(rush)  # the plan below puts it on a line
            else:
                sim.release(rush)  # first come: after every order of the book
        sim.advance(t_day + 120.0)  # the shift has begun: who is absent is known
        if brain:
            replan(sim.now_s)
        t = t_day + 120.0
        while t < t_day + shift_s:
            t = min(t + 3600.0, t_day + shift_s)
            sim.advance(t)
            wip_samples.append(sum(lo.wip_bundles for lo in sim.line_orders().values()))
            truth = sim.truth
            if brain and truth.breakdowns > breakdowns_seen and t < t_day + shift_s:
                replan(sim.now_s)
            breakdowns_seen = truth.breakdowns
        progress(f"brain {'on' if brain else 'off'}: day {day + 1} of {scenario.days} done")
    end_s = (scenario.days - 1) * DAY_S + shift_s
    sim.advance(end_s)
    wall_s = time.perf_counter() - began
    return _result(sim, orders, end_s, brain=brain, plans=(plans, plan_s), wip=wip_samples, wall_s=wall_s)


def _result(
    sim: FloorSimulation,
    orders: dict[str, Order],
    end_s: float,
    *,
    brain: bool,
    plans: tuple[int, float],
    wip: list[int],
    wall_s: float,
) -> WeekResult:
    """The week's figures, from the twin's truth."""
    truth = sim.truth
    due = {oid: _due_s(o) for oid, o in orders.items() if _due_s(o) <= end_s}
    late = tuple(sorted(oid for oid, d in due.items() if truth.order_done_s.get(oid, float("inf")) > d))
    attended_min = sum(len(a.present) for a in truth.attendance) * sim.factory.shift_minutes
    earned = sum(truth.earned_min_by_line.values())
    return WeekResult(
        brain=brain,
        output=sum(truth.pieces_by_line.values()),
        orders_due=len(due),
        on_time=len(due) - len(late),
        late_orders=late,
        efficiency_pct=round(100.0 * earned / attended_min, 1) if attended_min else 0.0,
        wip_bundles=round(sum(wip) / len(wip), 1) if wip else 0.0,
        changeovers=len(truth.changeovers),
        breakdowns=truth.breakdowns,
        plans=plans[0],
        plan_s=round(plans[1], 2),
        wall_s=round(wall_s, 1),
    )


def _due_s(order: Order) -> float:
    """Seconds from the week's start to the end of the due date's shift."""
    day = (order.due_date - START.date()).days
    return day * DAY_S + 480 * 60.0


def _problem(
    sim: FloorSimulation, week: Factory, orders: dict[str, Order], arrived: list[Order], at_s: float
) -> PlanningProblem:
    """The planning problem the floor poses at ``at_s``: what is left of each order (those a line
    has started stay first on it), the lines as they are (style, operators present, efficiency so
    far this week), the calendar."""
    truth = sim.truth
    now_min = int(at_s // 60)
    views = sim.line_orders()
    styles = {
        s.id: PlanStyle(s.id, round(sum(op.sam_min for op in s.bulletin.operations), 3))
        for s in week.styles.values()
    }
    attended_min: dict[str, float] = {}
    for a in truth.attendance:
        minutes = min(float(week.shift_minutes), max(0.0, (at_s - a.begin_s) / 60.0))
        attended_min[a.line_id] = attended_min.get(a.line_id, 0.0) + len(a.present) * minutes
    calendar = ShiftCalendar(shifts=(Shift(0, week.shift_minutes),))
    lines = []
    for line in week.lines:
        view = views[line.id]
        attended = attended_min.get(line.id, 0.0)
        earned = truth.earned_min_by_line.get(line.id, 0.0)
        eff = earned / attended if attended >= 60.0 * max(1, view.staffed) else PLANNED_EFFICIENCY
        lines.append(
            PlanLine(
                line.id,
                frozenset(week.styles),
                operators=max(1, view.staffed),
                efficiency=min(1.2, max(0.2, eff)),
                calendar=calendar,
                current_style=view.style_id,
                free_min=now_min,
            )
        )
    waiting = [(lo.line_id, oid, oid in lo.taken) for lo in views.values() for oid in (*lo.taken, *lo.queued)]
    waiting += [("", o.id, False) for o in arrived]
    plan_orders = []
    for line_id, oid, taken in waiting:
        o = orders[oid]
        left = o.quantity - truth.pieces_by_order.get(oid, 0)
        if left <= 0 or oid in truth.order_done_s:
            continue
        plan_orders.append(
            PlanOrder(
                oid, o.style_id, left, int(_due_s(o) // 60), o.priority, now_min, line_id if taken else None
            )
        )
    return PlanningProblem(
        tuple(plan_orders),
        tuple(lines),
        styles,
        changeover_min=int(SimConfig().changeover_min),
        start=START.isoformat(),
    )


def rebalance_times(runs: int = 5, time_limit_s: float = REBALANCE_LIMIT_S) -> dict[str, Any]:
    """Rebalancing a generated 40-operation line of 25 operators, ``runs`` lines: seconds, and the
    cycle time against the bound of every type's work spread over its operators."""
    took = []
    for seed in range(runs):
        bulletin, operators, machines = sewing_bulletin(seed, n_operations=40, n_operators=25)
        t0 = time.perf_counter()
        balance_line(bulletin, operators, machines, time_limit_s=time_limit_s, seed=seed)
        took.append(time.perf_counter() - t0)
    took.sort()
    return {
        "operations": 40,
        "operators": 25,
        "time_limit_s": time_limit_s,
        "median_s": round(took[len(took) // 2], 2),
        "max_s": round(took[-1], 2),
    }


def run_brain_bench(
    scenario: WeekScenario, factory: Factory, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Both runs and their difference, as ``seamline bench brain --json`` prints them."""
    off = run_week(scenario, factory, brain=False, progress=progress)
    on = run_week(scenario, factory, brain=True, progress=progress)
    progress("rebalancing 40-operation lines")
    return {
        "scenario": dataclasses.asdict(scenario),
        "rebalance": rebalance_times(),
        "brain_off": _json(off),
        "brain_on": _json(on),
        "brain_wins": {
            "output": on.output > off.output,
            "on_time_delivery": on.on_time_pct > off.on_time_pct,
        },
    }


def _json(r: WeekResult) -> dict[str, Any]:
    out = dataclasses.asdict(r)
    out["on_time_pct"] = round(r.on_time_pct, 1)
    out["late_orders"] = list(r.late_orders)
    return out


def brain(
    seed: Annotated[int, typer.Option(help="the week's seed: orders, absences, breakdowns")] = 7,
    days: Annotated[int, typer.Option(help="working days (one shift each)", min=2, max=14)] = 6,
    orders: Annotated[int, typer.Option(help="new orders in the week's book", min=1)] = 24,
    breakdown_scale: Annotated[
        float, typer.Option(help="breakdowns, times the machine types' MTBF rate")
    ] = 4.0,
    absence_rate: Annotated[float, typer.Option(help="share of operator-days absent", min=0, max=0.9)] = 0.12,
    plan_time_limit: Annotated[float, typer.Option(help="seconds per plan", min=0.1)] = 2.0,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """The disrupted week in the twin: output, on-time delivery, efficiency and WIP, brain on and off."""
    from seamline.model import load_factory, reference_factory_path  # noqa: PLC0415

    scenario = WeekScenario(
        seed=seed,
        days=days,
        orders=orders,
        breakdown_scale=breakdown_scale,
        absence_rate=absence_rate,
        rush_day=min(2, days - 1),
        plan_time_limit_s=plan_time_limit,
    )
    err = Console(stderr=True, highlight=False)
    result = run_brain_bench(
        scenario, load_factory(reference_factory_path()), lambda s: err.print(f"bench: {s}")
    )
    if json_out:
        typer.echo(orjson.dumps(result).decode())
        return
    table = Table(title=f"The disrupted week (seed {seed}, {days} days, {orders} new orders + a rush order)")
    table.add_column("")
    table.add_column("brain off", justify="right")
    table.add_column("brain on", justify="right")
    off, on = result["brain_off"], result["brain_on"]
    rows = (
        ("output (garments)", "{:,}", "output"),
        ("orders due in the week", "{}", "orders_due"),
        ("on time", "{:.1f} %", "on_time_pct"),
        ("line efficiency", "{:.1f} %", "efficiency_pct"),
        ("WIP (bundles, hourly mean)", "{:.1f}", "wip_bundles"),
        ("changeovers", "{}", "changeovers"),
        ("breakdowns", "{}", "breakdowns"),
        ("plans made / seconds planning", "{}", "plans"),
    )
    for label, form, key in rows:
        table.add_row(label, form.format(off[key]), form.format(on[key]))
    Console(highlight=False).print(table)
    typer.echo(
        f"planning took {on['plan_s']:.1f} s in all; the twin ran {off['wall_s']} s and {on['wall_s']} s"
    )


__all__ = ["WeekResult", "WeekScenario", "brain", "run_brain_bench", "run_week", "week_factory"]
