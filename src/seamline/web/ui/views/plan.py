"""The planning board (`/plan`): the plan in force as bars per line, and the brain's proposals with
their explanations, approved or rejected here by a planner, a supervisor or an admin."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from seamline.auth import Role
from seamline.brain.plan_http import planning_snapshot
from seamline.web.ui.pages import SCRIPT_STRINGS, render

router = APIRouter(include_in_schema=False)

DECIDERS = frozenset({Role.PLANNER, Role.SUPERVISOR, Role.ADMIN})
STRINGS = (
    "No plan in force yet: ask the brain for a proposal and approve it.", "No proposals yet",
    "proposed", "approved", "rejected", "superseded", "Approve", "Reject", "late", "on time",
    "Late orders", "if kept", "Orders moved", "Starts moved (h)", "changeover", "due",
    "Asking the brain…", "Done", "Refused", "What if? (digital twin, 24 h)", "Digital twin, 24 h",
    "Output", "orders finished", "Running the twin…", "pcs",
)  # fmt: skip
SCRIPT_STRINGS["plan"] = STRINGS


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request) -> HTMLResponse:
    """The board, with the plan and the proposals inline."""
    principal = getattr(request.state, "principal", None)
    role = getattr(principal, "role", Role.ADMIN)  # an app without auth: the local admin
    return render(
        request,
        "plan.html",
        title="Planning board",
        data=planning_snapshot(request),
        strings=STRINGS,
        extra={"can_decide": role in DECIDERS},
    )
