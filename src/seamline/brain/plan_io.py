"""Planning problems, plans, events and proposals to and from JSON, losslessly.

A decision record (a proposal with its inputs) is this JSON: :func:`proposal_from_json` gives back
a :class:`~seamline.brain.reschedule.Proposal` that :func:`~seamline.brain.reschedule.replay`
solves again. Times stay plan minutes; ``problem.start`` says which instant minute 0 is.

>>> from seamline.brain.plan_bench import synthetic_plan_problem
>>> p = synthetic_plan_problem(5, 2, seed=1)
>>> problem_from_json(problem_to_json(p)) == p
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from seamline.brain.explain import Explanation
from seamline.brain.plan_errors import PlanInputError
from seamline.brain.plan_result import PlanMetrics, PlannedOrder, ProductionPlan, Stability
from seamline.brain.planning import (
    CapacityWindow,
    PlanLine,
    PlanningProblem,
    PlanOrder,
    PlanStyle,
    Shift,
    ShiftCalendar,
)
from seamline.brain.reschedule import OrderMove, Proposal
from seamline.brain.reschedule_events import Breakdown, Event, OperatorAbsent, OrderChange, OutputBehind

Json = dict[str, Any]
_PARTS = ("happened", "changes", "effect")
_EVENTS: dict[str, type[Breakdown] | type[OperatorAbsent] | type[OutputBehind] | type[OrderChange]] = {
    "breakdown": Breakdown,
    "operator_absent": OperatorAbsent,
    "output_behind": OutputBehind,
    "order_change": OrderChange,
}


def problem_to_json(problem: PlanningProblem) -> Json:
    """A problem as plain JSON values."""
    return {
        "start": problem.start,
        "timezone": problem.timezone,
        "changeover_min": problem.changeover_min,
        "changeovers": [{"from": a, "to": b, "min": n} for (a, b), n in sorted(problem.changeovers.items())],
        "styles": [dataclasses.asdict(s) for s in problem.styles.values()],
        "lines": [_line_to_json(line) for line in problem.lines],
        "orders": [dataclasses.asdict(o) for o in problem.orders],
    }


def _line_to_json(line: PlanLine) -> Json:
    return {
        "id": line.id,
        "styles": sorted(line.styles),
        "operators": line.operators,
        "efficiency": line.efficiency,
        "style_efficiency": dict(sorted(line.style_efficiency.items())),
        "current_style": line.current_style,
        "free_min": line.free_min,
        "calendar": {
            "workdays": list(line.calendar.workdays),
            "shifts": [
                {"start_min": s.start_min, "length_min": s.length_min, "breaks": [list(b) for b in s.breaks]}
                for s in line.calendar.shifts
            ],
        },
        "windows": [dataclasses.asdict(w) for w in line.windows],
    }


def problem_from_json(data: Mapping[str, Any]) -> PlanningProblem:
    """The problem :func:`problem_to_json` wrote (or a planner's file in the same shape)."""
    try:
        return PlanningProblem(
            orders=tuple(PlanOrder(**o) for o in data["orders"]),
            lines=tuple(_line_from_json(x) for x in data["lines"]),
            styles={s["id"]: PlanStyle(**s) for s in data["styles"]},
            changeover_min=int(data.get("changeover_min", 90)),
            changeovers={(c["from"], c["to"]): int(c["min"]) for c in data.get("changeovers", ())},
            start=str(data.get("start", "1970-01-01T00:00:00+00:00")),
            timezone=str(data.get("timezone", "UTC")),
        )
    except (KeyError, TypeError) as exc:
        raise PlanInputError(
            f"planning problem: {exc!r} is missing or wrong", culprit="", field=str(exc)
        ) from exc


def _line_from_json(x: Mapping[str, Any]) -> PlanLine:
    cal = x["calendar"]
    return PlanLine(
        id=x["id"],
        styles=frozenset(x["styles"]),
        operators=int(x["operators"]),
        efficiency=float(x["efficiency"]),
        calendar=ShiftCalendar(
            shifts=tuple(
                Shift(s["start_min"], s["length_min"], tuple((b[0], b[1]) for b in s.get("breaks", ())))
                for s in cal["shifts"]
            ),
            workdays=tuple(cal.get("workdays", range(7))),
        ),
        current_style=x.get("current_style"),
        free_min=int(x.get("free_min", 0)),
        windows=tuple(CapacityWindow(**w) for w in x.get("windows", ())),
        style_efficiency=dict(x.get("style_efficiency", {})),
    )


def plan_to_json(plan: ProductionPlan) -> Json:
    """A plan, its metrics and how it was found."""
    out = dataclasses.asdict(plan)
    out["orders"] = [dataclasses.asdict(p) for p in plan.orders]
    out["notes"] = list(plan.notes)
    return out


def plan_from_json(data: Mapping[str, Any]) -> ProductionPlan:
    return ProductionPlan(
        orders=tuple(PlannedOrder(**p) for p in data["orders"]),
        metrics=PlanMetrics(**data["metrics"]),
        status=data["status"],
        objective=int(data["objective"]),
        lower_bound=data.get("lower_bound"),
        elapsed_s=float(data["elapsed_s"]),
        solver=str(data["solver"]),
        seed=int(data["seed"]),
        notes=tuple(data.get("notes", ())),
    )


def event_to_json(event: Event) -> Json:
    out = dataclasses.asdict(event)
    if isinstance(event, OperatorAbsent):
        out["operator_ids"] = list(event.operator_ids)
    return out


def event_from_json(data: Mapping[str, Any]) -> Event:
    """An event from its JSON; ``kind`` says which."""
    cls = _EVENTS.get(str(data.get("kind")))
    if cls is None:
        raise PlanInputError(
            f"event kind {data.get('kind')!r}; use one of {', '.join(_EVENTS)}", culprit="", field="kind"
        )
    fields = {k: v for k, v in data.items() if k != "kind"}
    if "operator_ids" in fields:
        fields["operator_ids"] = tuple(fields["operator_ids"])
    try:
        return cls(**fields)
    except TypeError as exc:
        raise PlanInputError(f"{cls.__name__}: {exc}", culprit="", field=str(data.get("kind"))) from exc


def proposal_to_json(proposal: Proposal) -> Json:
    """A proposal with every input :func:`~seamline.brain.reschedule.replay` needs."""
    return {
        "id": proposal.id,
        "now_min": proposal.now_min,
        "events": [event_to_json(e) for e in proposal.events],
        "problem": problem_to_json(proposal.problem),
        "current": plan_to_json(proposal.current) if proposal.current is not None else None,
        "keep": plan_to_json(proposal.keep) if proposal.keep is not None else None,
        "plan": plan_to_json(proposal.plan),
        "moves": [dataclasses.asdict(m) for m in proposal.moves],
        "explanation": dataclasses.asdict(proposal.explanation),
        "time_limit_s": proposal.time_limit_s,
        "seed": proposal.seed,
        "workers": proposal.workers,
        "stability": dataclasses.asdict(proposal.stability),
        "elapsed_s": proposal.elapsed_s,
    }


def proposal_from_json(data: Mapping[str, Any]) -> Proposal:
    ex = data["explanation"]
    return Proposal(
        id=str(data["id"]),
        now_min=int(data["now_min"]),
        events=tuple(event_from_json(e) for e in data["events"]),
        problem=problem_from_json(data["problem"]),
        current=plan_from_json(data["current"]) if data.get("current") else None,
        keep=plan_from_json(data["keep"]) if data.get("keep") else None,
        plan=plan_from_json(data["plan"]),
        moves=tuple(OrderMove(**m) for m in data["moves"]),
        explanation=Explanation(
            **{
                part: {lang: tuple(v) for lang, v in ex[part].items()}
                for part in ("happened", "changes", "effect")
            }
        ),
        time_limit_s=float(data["time_limit_s"]),
        seed=int(data["seed"]),
        workers=int(data["workers"]),
        stability=Stability(**data["stability"]),
        elapsed_s=float(data["elapsed_s"]),
    )


__all__ = [
    "event_from_json",
    "event_to_json",
    "plan_from_json",
    "plan_to_json",
    "problem_from_json",
    "problem_to_json",
    "proposal_from_json",
    "proposal_to_json",
]
