"""Making a proposal, the one way: from the factory file and the production records at a moment,
with what happened; rescheduled from the plan in force (changing as little as pays), or planned
from scratch when none is; kept in the decision log, and approved at once when the standing
approval policy allows it. The planning API (:mod:`.plan_http`) and the floor watch
(:mod:`.plan_watch`) both call :func:`make_proposal`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from seamline.brain.plan_factory import planning_problem
from seamline.brain.plan_floor import floor_events
from seamline.brain.plan_policy import allows, read_policy
from seamline.brain.plan_records import Decision, DecisionLog
from seamline.brain.planning import PlanningProblem
from seamline.brain.reschedule import Proposal, plan_orders, reschedule, shift_plan
from seamline.brain.reschedule_events import Event
from seamline.model.factory import Factory
from seamline.timeutil import now_ms


def problem_at(factory: Factory, engine: Any, now: dt.datetime) -> PlanningProblem:
    """The planning problem at ``now``: the order book, and the lines as the records show them."""
    if engine is None:
        return planning_problem(factory, now)
    problem: PlanningProblem = engine.read(lambda ledger: planning_problem(factory, now, ledger=ledger))
    return problem


def minute_of(problem: PlanningProblem, at: dt.datetime) -> int:
    """Minutes from the problem's minute 0 to ``at`` (timezone-aware)."""
    return int((at - dt.datetime.fromisoformat(problem.start)).total_seconds() // 60)


def events_on_floor(factory: Factory, engine: Any, problem: PlanningProblem, now: dt.datetime) -> list[Event]:
    """Breakdowns, absences and slow lines the production records show at ``now``."""
    if engine is None:
        return []
    found: list[Event] = engine.read(
        lambda lg: floor_events(factory, lg, problem, now, planned_efficiency=engine.planned_efficiency)
    )
    return found


def make_proposal(
    factory: Factory,
    engine: Any,
    log: DecisionLog,
    problem: PlanningProblem,
    events: tuple[Event, ...],
    now: dt.datetime,
    *,
    time_limit_s: float,
    seed: int,
    by: str | None,
) -> Decision:
    """A proposal for ``problem`` after ``events``, kept in ``log``; approved by ``policy`` when the
    standing approval policy allows it."""
    now_min = minute_of(problem, now)
    in_force = log.in_force()
    proposal: Proposal
    if in_force is None:
        proposal = plan_orders(problem, time_limit_s, seed, events=events, now_min=now_min)
    else:
        old = in_force.proposal
        shift = minute_of(problem, dt.datetime.fromisoformat(old.problem.start))
        current = shift_plan(old.plan, shift)
        proposal = reschedule(problem, current, events, now_min, time_limit_s, seed, measured=True)
    decision = log.add(proposal, by=by, now_ms=now_ms())
    policy = read_policy(log.folder)
    if allows(policy, proposal):
        reason = (
            f"approval policy: no more late orders, at most {policy.max_moved_orders} moved,"
            f" starts moved at most {policy.max_start_deviation_h:g} h (set by {policy.set_by or '-'})"
        )
        decision = log.decide(decision.id, "approved", by="policy", now_ms=now_ms(), reason=reason)
    return decision


__all__ = ["events_on_floor", "make_proposal", "minute_of", "problem_at"]
