"""A standing approval policy: the proposals the brain may apply by itself, set by a planner.

A proposal is applied without waiting for anyone when the policy is on and the proposal

- leaves no more orders late than keeping the plan would, and no more weighted lateness;
- moves at most ``max_moved_orders`` orders to another line;
- shifts starts by at most ``max_start_deviation_h`` hours in all.

A first plan (nothing in force) is never applied by the policy: someone looks at it first. The
policy is kept beside the decisions (``policy.json``), with who set it and when.

>>> from seamline.brain.plan_bench import synthetic_plan_problem
>>> from seamline.brain.plan_solver import solve_plan
>>> from seamline.brain.reschedule import reschedule
>>> p = synthetic_plan_problem(6, 2)
>>> proposal = reschedule(p, solve_plan(p, 1.0), [], 0, 1.0)
>>> allows(ApprovalPolicy(auto=True), proposal), allows(ApprovalPolicy(auto=False), proposal)
(True, False)
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import orjson

from seamline.brain.reschedule import Proposal


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    """When the brain applies a proposal by itself (see the module's text)."""

    auto: bool = False
    max_moved_orders: int = 2
    max_start_deviation_h: float = 8.0
    set_by: str | None = None
    set_ms: int | None = None


def allows(policy: ApprovalPolicy, proposal: Proposal) -> bool:
    """Whether ``policy`` applies ``proposal`` by itself."""
    if not policy.auto or proposal.keep is None:
        return False
    new, kept = proposal.plan.metrics, proposal.keep.metrics
    return (
        new.late_orders <= kept.late_orders
        and new.weighted_tardiness <= kept.weighted_tardiness
        and new.moved_orders <= policy.max_moved_orders
        and new.start_deviation_min <= policy.max_start_deviation_h * 60
    )


def read_policy(folder: Path) -> ApprovalPolicy:
    """The policy kept in ``folder``; off when none was set."""
    path = folder / "policy.json"
    if not path.exists():
        return ApprovalPolicy()
    return ApprovalPolicy(**orjson.loads(path.read_bytes()))


def write_policy(folder: Path, policy: ApprovalPolicy) -> None:
    """Keep ``policy`` in ``folder`` (written whole, then renamed into place)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "policy.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(orjson.dumps(dataclasses.asdict(policy)))
    os.replace(tmp, path)


__all__ = ["ApprovalPolicy", "allows", "read_policy", "write_policy"]
