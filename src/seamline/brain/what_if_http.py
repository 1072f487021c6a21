"""``POST /api/v1/plan/proposals/{proposal_id}/what-if``: the twin runs the floor forward under the
plan in force and under the proposal, from the proposal's moment, and shows the difference."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from seamline.brain.plan_http import decision_log
from seamline.brain.what_if import what_if

router = APIRouter(prefix="/api/v1", tags=["planning"])


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: float = Field(8.0, gt=0, le=72, description="floor hours to run forward (a shift by default)")
    seed: int = Field(0, ge=0, description="the twin's seed: the same for both plans")


@router.post(
    "/plan/proposals/{proposal_id}/what-if",
    summary="Run the twin forward under the plan kept and under the proposal: output, lateness, changeovers",
)
def proposal_what_if(request: Request, proposal_id: str, body: WhatIfIn | None = None) -> dict[str, Any]:
    """Takes a few seconds per plan and floor shift: the twin simulates every operator and bundle."""
    body = body or WhatIfIn.model_validate({})
    proposal = decision_log(request).get(proposal_id).proposal
    plans = (
        {"proposed": proposal.plan}
        if proposal.keep is None
        else {"kept": proposal.keep, "proposed": proposal.plan}
    )
    result = what_if(
        request.app.state.factory,
        proposal.problem,
        plans,
        now_min=proposal.now_min,
        hours=body.hours,
        seed=body.seed,
    )
    return {"proposal": proposal_id, **result}


__all__ = ["router"]
