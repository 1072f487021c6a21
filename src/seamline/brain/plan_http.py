"""HTTP routes of order planning: the plan in force, the brain's proposals, approve and reject.

- ``GET /api/v1/plan``: the plan in force (the latest approved proposal), order by order.
- ``POST /api/v1/plan/proposals``: ask for a proposal now, with what happened (``events``): a
  breakdown, operators absent, output behind, an order changed or a rush order; and with
  ``from_floor``, what the production records say now (:mod:`.plan_floor`). The problem is
  built from the factory file and the production records at that moment; with a plan in force it
  is rescheduled from there (changing as little as pays), else planned from scratch.
- ``GET /api/v1/plan/proposals``, ``GET /api/v1/plan/proposals/{id}``: the decisions, newest first;
  one with its plan, its moves and its explanation in English and Chinese.
- ``POST /api/v1/plan/proposals/{id}/approve`` and ``.../reject``: a planner's or supervisor's
  decision, kept with who and when (:mod:`.plan_records`).
- ``POST /api/v1/plan/proposals/{id}/replay``: solve the decision's inputs again (an audit): is the
  plan the same?
- ``GET`` and ``PUT /api/v1/plan/policy``: the standing approval policy (:mod:`.plan_policy`); a
  proposal it allows is approved as it is made, by ``policy``.

Times in and out are ISO 8601; errors have the API's one shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from seamline.brain.errors import BrainError
from seamline.brain.plan_errors import PlanInputError, UnknownPlanError
from seamline.brain.plan_policy import ApprovalPolicy, read_policy, write_policy
from seamline.brain.plan_records import Decision, DecisionLog
from seamline.brain.plan_result import ProductionPlan
from seamline.brain.plan_service import events_on_floor, make_proposal, problem_at
from seamline.brain.planning import PlanningProblem
from seamline.brain.reschedule import replay
from seamline.brain.reschedule_events import Breakdown, Event, OperatorAbsent, OrderChange, OutputBehind
from seamline.model.factory import MAX_PRIORITY
from seamline.production.http_common import actor
from seamline.production.orders_view import due_end_ms
from seamline.timeutil import now_ms

router = APIRouter(prefix="/api/v1", tags=["planning"])


class PlanningNotRunningError(BrainError):
    status_code = 503
    reason = "planning_not_running"

    def __init__(self) -> None:
        super().__init__(
            "planning keeps its decisions in the data directory: run `seamline serve` or `seamline demo`"
        )


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventIn(_Body):
    """What happened. ``kind`` says which fields count:

    - ``breakdown``: ``line``, ``at``, ``repair_min``, optional ``device``, ``capacity`` (0 stopped)
    - ``operator_absent``: ``line``, ``at``, ``until``, ``absent``, optional ``operators``
    - ``output_behind``: ``line``, ``at``, ``ratio`` (actual / target), ``for_min``
    - ``order_change``: ``order``, then ``quantity`` (pieces still to make), ``due``, ``priority``,
      ``cancel``; or ``new: true`` with ``style``, ``quantity``, ``due``, ``priority`` (a rush order)
    """

    kind: Literal["breakdown", "operator_absent", "output_behind", "order_change"]
    line: str | None = None
    at: dt.datetime | None = Field(None, description="when it happened; absent: now")
    repair_min: int | None = Field(None, ge=1, le=7 * 1440)
    device: str | None = None
    capacity: float = Field(0.0, ge=0.0, le=1.0)
    until: dt.datetime | None = None
    absent: int = Field(1, ge=1)
    operators: list[str] = Field(default_factory=list)
    ratio: float | None = Field(None, ge=0.0, le=1.5)
    for_min: int = Field(2880, ge=1)
    order: str | None = None
    quantity: int | None = Field(None, ge=1)
    due: dt.date | None = None
    priority: int | None = Field(None, ge=0, le=MAX_PRIORITY)
    style: str | None = None
    cancel: bool = False
    new: bool = False


class ProposalIn(_Body):
    events: list[EventIn] = Field(default_factory=list)
    time_limit_s: float = Field(3.0, gt=0, le=60, description="the solver's time limit")
    seed: int = Field(0, ge=0)
    now: dt.datetime | None = Field(None, description="plan from this instant; absent: now")
    from_floor: bool = Field(
        False,
        description="add what the floor says now: machines in fault, roster operators not badged in,"
        " lines below 90 % of their planned efficiency today",
    )
    by: str | None = Field(None, description="who asks")


class DecisionIn(_Body):
    reason: str | None = Field(None, max_length=500)
    by: str | None = None


def decision_log(request: Request) -> DecisionLog:
    """The platform's decision log (the one the brain's watch of the floor writes to as well)."""
    log: DecisionLog | None = getattr(request.app.state, "plan_decisions", None)
    if log is None:
        raise PlanningNotRunningError
    return log


def _problem(request: Request, now: dt.datetime) -> PlanningProblem:
    return problem_at(request.app.state.factory, request.app.state.production, now)


def _minute(problem: PlanningProblem, at: dt.datetime) -> int:
    if at.tzinfo is None:
        raise PlanInputError(
            "give times with their offset, e.g. 2026-12-07T10:00:00+06:00", culprit="", field="at"
        )
    return int((at - dt.datetime.fromisoformat(problem.start)).total_seconds() // 60)


def _event(request: Request, problem: PlanningProblem, e: EventIn, now: dt.datetime) -> Event:
    at = _minute(problem, e.at or now)

    def need(value: Any, field: str) -> Any:
        if value is None:
            raise PlanInputError(
                f"a {e.kind} event needs {field}", culprit=e.line or e.order or "", field=field
            )
        return value

    if e.kind == "breakdown":
        return Breakdown(need(e.line, "line"), at, need(e.repair_min, "repair_min"), e.device, e.capacity)
    if e.kind == "operator_absent":
        until = _minute(problem, need(e.until, "until"))
        return OperatorAbsent(need(e.line, "line"), at, until, e.absent, tuple(e.operators))
    if e.kind == "output_behind":
        return OutputBehind(need(e.line, "line"), at, need(e.ratio, "ratio"), e.for_min)
    due = None
    if e.due is not None:
        start_ms = dt.datetime.fromisoformat(problem.start).timestamp() * 1000
        due = int((due_end_ms(request.app.state.factory, e.due) - start_ms) // 60_000)
    return OrderChange(need(e.order, "order"), at, e.quantity, due, e.priority, e.style, e.cancel, e.new)


@router.get("/plan", summary="The plan in force: each line's orders with start, end, due and lateness")
def plan_in_force(request: Request) -> dict[str, Any]:
    decision = decision_log(request).in_force()
    if decision is None:
        raise UnknownPlanError("plan in force", "none: POST /api/v1/plan/proposals and approve one")
    return {"decision": decision.id, **_plan_out(decision.proposal.problem, decision.proposal.plan)}


@router.post("/plan/proposals", status_code=201, summary="Ask the brain for a proposal after what happened")
def propose(request: Request, body: ProposalIn, response: Response) -> dict[str, Any]:
    log = decision_log(request)
    now = body.now or dt.datetime.now(dt.UTC)
    factory = request.app.state.factory
    engine = request.app.state.production
    problem = _problem(request, now)
    events = tuple(_event(request, problem, e, now) for e in body.events)
    if body.from_floor:
        events = (*events, *events_on_floor(factory, engine, problem, now))
    decision = make_proposal(
        factory,
        engine,
        log,
        problem,
        events,
        now,
        time_limit_s=body.time_limit_s,
        seed=body.seed,
        by=actor(request, body.by),
    )
    response.headers["Location"] = f"/api/v1/plan/proposals/{decision.id}"
    return _decision_out(decision, full=True)


@router.get("/plan/proposals", summary="The brain's proposals and what became of them, newest first")
def list_proposals(
    request: Request,
    status: Annotated[
        Literal["proposed", "approved", "rejected", "superseded"] | None, Query(description="only these")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    decisions = [d for d in decision_log(request).all() if status is None or d.status == status]
    return {"total": len(decisions), "proposals": [_decision_out(d, full=False) for d in decisions[:limit]]}


@router.get("/plan/proposals/{proposal_id}", summary="One proposal: its plan, moves and explanation")
def get_proposal(request: Request, proposal_id: str) -> dict[str, Any]:
    return _decision_out(decision_log(request).get(proposal_id), full=True)


@router.post("/plan/proposals/{proposal_id}/approve", summary="Apply a proposal: its plan comes into force")
def approve(request: Request, proposal_id: str, body: DecisionIn | None = None) -> dict[str, Any]:
    return _decide(request, proposal_id, "approved", body)


@router.post("/plan/proposals/{proposal_id}/reject", summary="Turn a proposal down; the plan in force stays")
def reject(request: Request, proposal_id: str, body: DecisionIn | None = None) -> dict[str, Any]:
    return _decide(request, proposal_id, "rejected", body)


def _decide(
    request: Request, proposal_id: str, status: Literal["approved", "rejected"], body: DecisionIn | None
) -> dict[str, Any]:
    given = body or DecisionIn.model_validate({})
    d = decision_log(request).decide(
        proposal_id, status, by=actor(request, given.by), now_ms=now_ms(), reason=given.reason
    )
    return _decision_out(d, full=False)


@router.post("/plan/proposals/{proposal_id}/replay", summary="Solve a decision's inputs again: same plan?")
def replay_proposal(request: Request, proposal_id: str) -> dict[str, Any]:
    d = decision_log(request).get(proposal_id)
    again, same = replay(d.proposal)
    return {
        "proposal": d.id,
        "same_plan": same,
        "objective": again.plan.objective,
        "recorded_objective": d.proposal.plan.objective,
        "elapsed_s": again.elapsed_s,
    }


class PolicyIn(_Body):
    """When the brain may apply a proposal by itself: ``auto`` on, and the proposal leaves no more
    orders late than keeping the plan, moves at most ``max_moved_orders`` orders to another line
    and shifts starts by at most ``max_start_deviation_h`` hours in all."""

    auto: bool
    max_moved_orders: int = Field(2, ge=0, le=1000)
    max_start_deviation_h: float = Field(8.0, ge=0, le=10_000)
    by: str | None = None


@router.get("/plan/policy", summary="The standing approval policy: which proposals apply by themselves")
def get_policy(request: Request) -> dict[str, Any]:
    return dataclasses.asdict(read_policy(decision_log(request).folder))


@router.put("/plan/policy", summary="Set the standing approval policy")
def put_policy(request: Request, body: PolicyIn) -> dict[str, Any]:
    policy = ApprovalPolicy(
        auto=body.auto,
        max_moved_orders=body.max_moved_orders,
        max_start_deviation_h=body.max_start_deviation_h,
        set_by=actor(request, body.by),
        set_ms=now_ms(),
    )
    write_policy(decision_log(request).folder, policy)
    return dataclasses.asdict(policy)


def _iso(problem: PlanningProblem, minute: int | None) -> str | None:
    if minute is None:
        return None
    return (dt.datetime.fromisoformat(problem.start) + dt.timedelta(minutes=minute)).isoformat()


def _plan_out(problem: PlanningProblem, plan: ProductionPlan) -> dict[str, Any]:
    m = plan.metrics
    styles = {o.id: o.style_id for o in problem.orders}
    return {
        "status": plan.status,
        "objective": plan.objective,
        "lower_bound": plan.lower_bound,
        "late_orders": m.late_orders,
        "tardiness_h": round(m.tardiness_min / 60, 1),
        "weighted_tardiness": m.weighted_tardiness,
        "changeovers": m.changeovers,
        "makespan": _iso(problem, m.makespan_min),
        "moved_orders": m.moved_orders,
        "start_deviation_h": round(m.start_deviation_min / 60, 1),
        "orders": [
            {
                "order": p.order_id,
                "style": styles.get(p.order_id),
                "line": p.line_id,
                "sequence": p.sequence,
                "start": _iso(problem, p.start_min),
                "end": _iso(problem, p.end_min),
                "due": _iso(problem, p.due_min),
                "quantity": p.quantity,
                "priority": p.weight - 1,
                "setup_min": p.setup_min,
                "changeover": p.changeover,
                "tardiness_h": round(p.tardiness_min / 60, 1),
            }
            for p in sorted(plan.orders, key=lambda p: (p.line_id, p.sequence))
        ],
    }


def _ms_iso(ms: int | None) -> str | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat()


def _decision_out(d: Decision, *, full: bool) -> dict[str, Any]:
    p = d.proposal
    out: dict[str, Any] = {
        "id": d.id,
        "status": d.status,
        "created": _ms_iso(d.created_ms),
        "created_by": d.created_by,
        "based_on": d.based_on,
        "decided": _ms_iso(d.decided_ms),
        "decided_by": d.decided_by,
        "reason": d.reason,
        "events": [e.kind for e in p.events],
        "elapsed_s": p.elapsed_s,
        "late_orders": p.plan.metrics.late_orders,
        "late_orders_if_kept": p.keep.metrics.late_orders if p.keep else None,
        "moved_orders": p.plan.metrics.moved_orders,
        "start_deviation_h": round(p.plan.metrics.start_deviation_min / 60, 1),
        "explanation": {lang: p.explanation.text(lang) for lang in ("en", "zh")},
    }
    if full:
        out["plan"] = _plan_out(p.problem, p.plan)
        out["kept"] = _plan_out(p.problem, p.keep) if p.keep is not None else None
        out["moves"] = [
            {
                "order": m.order_id,
                "change": m.change,
                "from_line": m.from_line,
                "to_line": m.to_line,
                "from_start": _iso(p.problem, m.from_start_min),
                "to_start": _iso(p.problem, m.to_start_min),
                "due": _iso(p.problem, m.due_min),
            }
            for m in p.moves
        ]
        out["sentences"] = {part: getattr(p.explanation, part) for part in ("happened", "changes", "effect")}
    return out


def planning_snapshot(request: Request, *, proposals: int = 20) -> dict[str, Any]:
    """What the planning board draws: the plan in force (or None) and the latest proposals."""
    log = decision_log(request)
    in_force = log.in_force()
    return {
        "decision": in_force.id if in_force is not None else None,
        "plan": _plan_out(in_force.proposal.problem, in_force.proposal.plan)
        if in_force is not None
        else None,
        "proposals": [_decision_out(d, full=False) for d in log.all()[:proposals]],
    }


__all__ = ["planning_snapshot", "router"]
