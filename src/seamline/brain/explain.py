"""A proposal in plain words, in English and Simplified Chinese: what happened, what changes, and
what that does to output and due dates.

Times are written in the factory's time zone (weekday and clock time); quantities with thousands
separators; lateness in hours. The sentences are built here rather than through the web app's
catalogue because the brain writes them once per proposal and stores them with the decision, so an
audit reads what the planner read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from seamline.brain.plan_result import ProductionPlan
from seamline.brain.planning import PlanningProblem
from seamline.brain.reschedule_events import Breakdown, Event, OperatorAbsent, OrderChange, OutputBehind

if TYPE_CHECKING:
    from seamline.brain.reschedule import OrderMove

LANGS = ("en", "zh")
SHOWN_MOVES = 8  # a proposal lists this many order moves one by one, then counts the rest
OUTPUT_WINDOW_MIN = 1440  # "output in the next 24 hours"
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}


@dataclass(frozen=True, slots=True)
class Explanation:
    """Sentences per language (``en``, ``zh``) in three parts."""

    happened: dict[str, tuple[str, ...]]
    changes: dict[str, tuple[str, ...]]
    effect: dict[str, tuple[str, ...]]

    def text(self, lang: str = "en") -> str:
        """All sentences of one language, one paragraph per part."""
        parts = (self.happened[lang], self.changes[lang], self.effect[lang])
        sep = " " if lang == "en" else ""
        return "\n\n".join(sep.join(p) for p in parts if p)


class _Words:
    """Formats minutes, quantities and hours for one problem's clock and time zone."""

    def __init__(self, problem: PlanningProblem) -> None:
        self.start = dt.datetime.fromisoformat(problem.start)
        self.tz = ZoneInfo(problem.timezone)

    def when(self, minute: int, lang: str) -> str:
        local = (self.start + dt.timedelta(minutes=minute)).astimezone(self.tz)
        day = _WEEKDAYS[lang][local.weekday()]
        if lang == "zh":
            return f"{local.month}月{local.day}日{day} {local:%H:%M}"
        return f"{day} {local.day} {local:%b %H:%M}"

    @staticmethod
    def hours(minutes: int) -> str:
        return f"{minutes / 60:.1f}"


def explain(
    problem: PlanningProblem,
    now_min: int,
    events: Sequence[Event],
    keep: ProductionPlan | None,
    plan: ProductionPlan,
    moves: Sequence[OrderMove],
) -> Explanation:
    """The sentences of a proposal (``keep`` is the plan in force timed again; None for a first plan)."""
    w = _Words(problem)
    happened = {lang: tuple(_event(w, e, problem, lang) for e in events) for lang in LANGS}
    changes = {lang: _changes(w, problem, moves, lang) for lang in LANGS}
    effect = {lang: _effect(w, now_min, keep, plan, lang) for lang in LANGS}
    return Explanation(happened, changes, effect)


def _event(w: _Words, e: Event, problem: PlanningProblem, lang: str) -> str:
    if isinstance(e, Breakdown):
        return _breakdown(w, e, lang)
    if isinstance(e, OperatorAbsent | OutputBehind):
        return _slow(w, e, problem, lang)
    return _order_event(w, e, problem, lang)


def _breakdown(w: _Words, e: Breakdown, lang: str) -> str:
    zh = lang == "zh"
    at, until = w.when(e.at_min, lang), w.when(e.at_min + e.repair_min, lang)
    dev = e.device_id or ""
    if e.capacity <= 0:
        if zh:
            return (
                f"{e.line_id} 线于 {at} 停机"
                + (f"（设备 {dev} 故障）" if dev else "")
                + (f"，预计维修 {e.repair_min} 分钟，至 {until}。")
            )
        return (
            f"Line {e.line_id} stopped at {at}"
            + (f" (machine {dev} broke down)" if dev else "")
            + (f"; the repair is expected to take {e.repair_min} min, until {until}.")
        )
    pct = round(e.capacity * 100)
    if zh:
        return f"{e.line_id} 线于 {at} 因设备 {dev} 故障降至 {pct}% 产能，至 {until}。"
    return f"Line {e.line_id} runs at {pct} % from {at} until {until}: machine {dev} broke down."


def _slow(w: _Words, e: OperatorAbsent | OutputBehind, problem: PlanningProblem, lang: str) -> str:
    zh = lang == "zh"
    if isinstance(e, OperatorAbsent):
        n = problem.lines_by_id[e.line_id].operators
        pct = round(100 * max(0, n - e.absent) / n)
        at, until = w.when(e.at_min, lang), w.when(e.until_min, lang)
        if zh:
            return (
                f"{e.line_id} 线 {n} 名员工中 {e.absent} 名缺勤（{at} 至 {until}），该线按 {pct}% 产能运行。"
            )
        return (
            f"{e.absent} of the {n} operators of line {e.line_id} are absent from {at} to {until}:"
            f" the line runs at {pct} %."
        )
    pct = round(e.ratio * 100)
    at = w.when(e.at_min, lang)
    if zh:
        return f"{e.line_id} 线自 {at} 起产量仅达目标的 {pct}%。"
    return f"Line {e.line_id} has made {pct} % of its target output since {at}."


def _order_event(w: _Words, e: OrderChange, problem: PlanningProblem, lang: str) -> str:
    zh = lang == "zh"
    o = problem.orders_by_id.get(e.order_id)
    if e.cancel or o is None:
        return f"订单 {e.order_id} 已取消。" if zh else f"Order {e.order_id} was cancelled."
    due = w.when(o.due_min, lang)
    if e.new:
        if zh:
            return f"新急单 {o.id}：{o.style_id} {o.quantity:,} 件，优先级 {o.priority}，交期 {due}。"
        return (
            f"Rush order {o.id} arrived: {o.quantity:,} pcs of {o.style_id},"
            f" priority {o.priority}, due {due}."
        )
    if zh:
        return f"订单 {o.id} 已变更：现为 {o.quantity:,} 件，交期 {due}，优先级 {o.priority}。"
    return f"Order {o.id} changed: now {o.quantity:,} pcs, due {due}, priority {o.priority}."


def _changes(w: _Words, problem: PlanningProblem, moves: Sequence[OrderMove], lang: str) -> tuple[str, ...]:
    zh = lang == "zh"
    big = [m for m in moves if m.change in ("moved", "new", "dropped")]
    retimed = [m for m in moves if m.change == "retimed"]
    if not big and not retimed:
        return (
            ("保持现有计划最好：没有订单需要调整。",)
            if zh
            else ("Keeping the plan in force is best: no order changes.",)
        )
    out = [_move(w, problem, m, lang) for m in big[:SHOWN_MOVES]]
    if len(big) > SHOWN_MOVES:
        more = len(big) - SHOWN_MOVES
        out.append(f"另有 {more} 个订单调整。" if zh else f"And {more} more orders change.")
    if retimed:
        later = sum(1 for m in retimed if (m.to_start_min or 0) > (m.from_start_min or 0))
        shift = max(abs((m.to_start_min or 0) - (m.from_start_min or 0)) for m in retimed)
        if zh:
            out.append(
                f"{len(retimed)} 个订单留在原线，开工时间调整（{later} 个推后），"
                f"最大变动 {w.hours(shift)} 小时。"
            )
        else:
            out.append(
                f"{_n(len(retimed), 'order stays', 'orders stay')} on their line with another start"
                f" ({later} later), by at most {w.hours(shift)} h."
            )
    return tuple(out)


def _move(w: _Words, problem: PlanningProblem, m: OrderMove, lang: str) -> str:
    zh = lang == "zh"
    o = problem.orders_by_id.get(m.order_id)
    what = f"{o.style_id}, {o.quantity:,}" if o is not None else ""
    if m.change == "dropped":
        return f"订单 {m.order_id} 移出计划。" if zh else f"Order {m.order_id} leaves the plan."
    start = w.when(m.to_start_min or 0, lang)
    late = max(0, (m.to_end_min or 0) - (m.due_min or 0))
    if zh:
        status = "按期完成" if late == 0 else f"预计延误 {w.hours(late)} 小时"
        if m.change == "new":
            return f"订单 {m.order_id}（{what} 件）排在 {m.to_line} 线，{start} 开工，{status}。"
        return (
            f"订单 {m.order_id}（{what} 件）由 {m.from_line} 线改到 {m.to_line} 线，"
            f"{start} 开工（原为 {w.when(m.from_start_min or 0, lang)}），{status}。"
        )
    status = "on time" if late == 0 else f"{w.hours(late)} h late"
    if m.change == "new":
        return f"Order {m.order_id} ({what} pcs) goes to line {m.to_line}, starting {start}: {status}."
    return (
        f"Order {m.order_id} ({what} pcs) moves from line {m.from_line} to line {m.to_line}, "
        f"starting {start} instead of {w.when(m.from_start_min or 0, lang)}: {status}."
    )


def _n(count: int, one: str, many: str) -> str:
    """``count`` with the English word it takes: ``1 order``, ``2 orders``."""
    return f"{count} {one if count == 1 else many}"


def pieces_by(plan: ProductionPlan, begin: int, end: int) -> int:
    """Pieces the plan finishes between minutes ``begin`` and ``end`` (spread evenly over each order)."""
    total = 0.0
    for p in plan.orders:
        span = max(1, p.end_min - p.start_min)
        a, b = max(p.start_min, begin), min(p.end_min, end)
        if b > a:
            total += p.quantity * (b - a) / span
    return round(total)


def _effect(
    w: _Words, now_min: int, keep: ProductionPlan | None, plan: ProductionPlan, lang: str
) -> tuple[str, ...]:
    zh = lang == "zh"
    m = plan.metrics
    out_after = pieces_by(plan, now_min, now_min + OUTPUT_WINDOW_MIN)
    if keep is None:
        if zh:
            return (
                f"计划共 {len(plan.orders)} 个订单，{m.late_orders} 个预计延误"
                f"（合计 {w.hours(m.tardiness_min)} 小时），"
                f"换款 {m.changeovers} 次，全部完成于 {w.when(m.makespan_min, lang)}。",
            )
        return (
            f"The plan has {_n(len(plan.orders), 'order', 'orders')}; {m.late_orders} will be late "
            f"({w.hours(m.tardiness_min)} h in all), with {_n(m.changeovers, 'changeover', 'changeovers')}; "
            f"all done by {w.when(m.makespan_min, lang)}.",
        )
    k = keep.metrics
    out_before = pieces_by(keep, now_min, now_min + OUTPUT_WINDOW_MIN)
    if zh:
        return (
            f"若不调整：{k.late_orders} 个订单延误，合计 {w.hours(k.tardiness_min)} 小时；"
            f"按此方案：{m.late_orders} 个订单延误，合计 {w.hours(m.tardiness_min)} 小时。",
            f"未来 24 小时产量约 {out_after:,} 件（不调整为 {out_before:,} 件）；"
            f"换款 {m.changeovers} 次（原 {k.changeovers} 次）；"
            f"{m.moved_orders} 个订单换线，开工时间合计变动 {w.hours(m.start_deviation_min)} 小时。",
        )
    return (
        f"Kept as it is, {_n(k.late_orders, 'order', 'orders')} will be late by {w.hours(k.tardiness_min)} h"
        f" in all; with this proposal {_n(m.late_orders, 'order', 'orders')}, {w.hours(m.tardiness_min)} h.",
        f"Output in the next 24 h: about {out_after:,} pcs ({out_before:,} if kept); "
        f"{_n(m.changeovers, 'changeover', 'changeovers')} ({k.changeovers} if kept);"
        f" {_n(m.moved_orders, 'order changes', 'orders change')} line, "
        f"starts move by {w.hours(m.start_deviation_min)} h in all.",
    )


__all__ = ["LANGS", "Explanation", "explain", "pieces_by"]
