"""Every planning decision kept with its inputs, to be replayed and audited.

A :class:`DecisionLog` is a folder (``<data dir>/decisions``): one JSON file per proposal,
``D-0001.json``, ..., holding the proposal with every input its solver had (:mod:`.plan_io`), its
status (``proposed``, ``approved``, ``rejected``, ``superseded``), who decided, when and why; and
``decisions.jsonl``, one line per status change, never rewritten, as the audit trail. A file is
written to a temporary name and renamed, so a crash leaves the old record or the new one, never
half of one. The plan in force is the plan of the latest approved proposal.

>>> import tempfile, pathlib
>>> from seamline.brain.plan_bench import synthetic_plan_problem
>>> from seamline.brain.reschedule import plan_orders
>>> log = DecisionLog(pathlib.Path(tempfile.mkdtemp()))
>>> rec = log.add(plan_orders(synthetic_plan_problem(6, 2), 0.5), by="ana", now_ms=0)
>>> rec.id, rec.status
('D-0001', 'proposed')
>>> log.decide(rec.id, "approved", by="ana", now_ms=1000).status
'approved'
>>> log.in_force().id
'D-0001'
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import orjson

from seamline.brain.plan_errors import StaleProposalError, UnknownPlanError
from seamline.brain.plan_io import proposal_from_json, proposal_to_json
from seamline.brain.reschedule import Proposal

DecisionStatus = Literal["proposed", "approved", "rejected", "superseded"]


@dataclass(frozen=True, slots=True)
class Decision:
    """One proposal and what became of it; ``based_on`` is the decision in force when it was made."""

    id: str
    proposal: Proposal
    status: DecisionStatus
    created_ms: int
    created_by: str | None
    based_on: str | None
    decided_ms: int | None = None
    decided_by: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "created_ms": self.created_ms,
            "created_by": self.created_by,
            "based_on": self.based_on,
            "decided_ms": self.decided_ms,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "proposal": proposal_to_json(self.proposal),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decision:
        return cls(
            id=data["id"],
            proposal=proposal_from_json(data["proposal"]),
            status=data["status"],
            created_ms=int(data["created_ms"]),
            created_by=data.get("created_by"),
            based_on=data.get("based_on"),
            decided_ms=data.get("decided_ms"),
            decided_by=data.get("decided_by"),
            reason=data.get("reason"),
        )


class DecisionLog:
    """The decisions of one factory, in a folder; safe to share between request threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._decisions: dict[str, Decision] = {}
        for path in sorted(folder.glob("D-*.json")):
            d = Decision.from_json(orjson.loads(path.read_bytes()))
            self._decisions[d.id] = d

    def add(self, proposal: Proposal, *, by: str | None, now_ms: int) -> Decision:
        """Keep a new proposal, based on the decision in force now."""
        with self._lock:
            in_force = self._in_force()
            number = len(self._decisions) + 1
            decision = Decision(
                id=f"D-{number:04d}",
                proposal=proposal,
                status="proposed",
                created_ms=now_ms,
                created_by=by,
                based_on=in_force.id if in_force is not None else None,
            )
            self._write(decision, by=by, now_ms=now_ms)
            return decision

    def get(self, decision_id: str) -> Decision:
        found = self._decisions.get(decision_id)
        if found is None:
            raise UnknownPlanError("proposal", decision_id)
        return found

    def all(self) -> list[Decision]:
        """Every decision, newest first."""
        return sorted(self._decisions.values(), key=lambda d: d.id, reverse=True)

    def in_force(self) -> Decision | None:
        """The latest approved decision, if any."""
        with self._lock:
            return self._in_force()

    def _in_force(self) -> Decision | None:
        approved = [d for d in self._decisions.values() if d.status == "approved"]
        return max(approved, key=lambda d: (d.decided_ms or 0, d.id), default=None)

    def decide(
        self,
        decision_id: str,
        status: DecisionStatus,
        *,
        by: str | None,
        now_ms: int,
        reason: str | None = None,
    ) -> Decision:
        """Approve or reject a proposal. An approval supersedes every other open proposal; a proposal
        made on a plan no longer in force cannot be approved (:class:`StaleProposalError`)."""
        with self._lock:
            d = self.get(decision_id)
            if d.status != "proposed":
                raise StaleProposalError(d.id, d.status)
            in_force = self._in_force()
            if status == "approved" and d.based_on != (in_force.id if in_force else None):
                self._write(
                    replace(d, status="superseded", decided_ms=now_ms, reason="plan changed"), by, now_ms
                )
                raise StaleProposalError(d.id, "superseded")
            decided = replace(d, status=status, decided_ms=now_ms, decided_by=by, reason=reason)
            self._write(decided, by=by, now_ms=now_ms)
            if status == "approved":
                for other in list(self._decisions.values()):
                    if other.status == "proposed":
                        gone = replace(
                            other, status="superseded", decided_ms=now_ms, reason=f"{d.id} approved"
                        )
                        self._write(gone, by=by, now_ms=now_ms)
            return decided

    def _write(self, decision: Decision, by: str | None, now_ms: int) -> None:
        path = self.folder / f"{decision.id}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_bytes(orjson.dumps(decision.to_json()))
        os.replace(tmp, path)
        line = {"ts_ms": now_ms, "decision": decision.id, "status": decision.status, "by": by}
        if decision.reason:
            line["reason"] = decision.reason
        with (self.folder / "decisions.jsonl").open("ab") as trail:
            trail.write(orjson.dumps(line) + b"\n")
        self._decisions[decision.id] = decision


__all__ = ["Decision", "DecisionLog", "DecisionStatus"]
