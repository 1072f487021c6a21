"""The balance view (`/lines/{line_id}/balance`): each operator's load against the cycle time,
today's balance from the line's scans beside the workshop brain's for the operators at work now
(``GET /api/v1/lines/{line_id}/balance``, asked again with a button)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from seamline.errors import NotFoundError
from seamline.production.http_common import engine_of
from seamline.web.ui.pages import SCRIPT_STRINGS, render

router = APIRouter(include_in_schema=False)

STRINGS = (
    "Today", "The brain's balance", "Cycle time", "min", "pieces per hour", "Balance loss", "Bottleneck",
    "Operators", "Pieces per hour today", "Pieces per hour, balanced", "Balancing…", "Refused",
    "Pieces per shift, balanced", "min per garment", "not done today", "seconds",
)  # fmt: skip
SCRIPT_STRINGS["balance"] = STRINGS


@router.get("/lines/{line_id}/balance", response_class=HTMLResponse)
def balance_page(request: Request, line_id: str) -> HTMLResponse:
    """The page; its script asks the API for the balance (a solve takes up to two seconds)."""
    engine_of(request)
    line = request.app.state.factory.lines_by_id.get(line_id)
    if line is None:
        raise NotFoundError("line", line_id)
    return render(
        request,
        "balance.html",
        title="Line balance",
        data={"line": line_id},
        strings=STRINGS,
        extra={"line_id": line_id, "line_name": line.name},
    )
