"""The quality page (`/quality`): DHU and RFT trends, the defect Paretos, the control chart with its
rule violations, inspection entry (inline and end of line) and the AQL final-inspection form, for
one line or all over today, 7 or 30 days; live on the topic ``quality:<line>,<span>``."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from seamline.production.http_common import engine_of
from seamline.quality.lots_http import lots_of
from seamline.quality.spc.rules import RULE_NAMES
from seamline.quality.views import SPANS, entry_form, quality_snapshot
from seamline.web.ui.live import Producer
from seamline.web.ui.pages import SCRIPT_STRINGS, floor_now, render, stamped, topic

router = APIRouter(include_in_schema=False)

STRINGS = (
    "DHU", "RFT", "defects", "Cumulative", "inspections", "checked", "defective", "No data in this span",
    "Centre", "UCL", "LCL", "fraction defective", "Rule", "normal", "tightened", "reduced", "accepted",
    "rejected", "discontinued", "Sample size", "Accept", "Reject", "Inspection", "Sending…", "Saved",
    "Waiting in the outbox: it is sent when the connection returns", "Refused", "Code letter",
    "100 % inspection", "critical", "major", "minor", "Remove", "fewer than 2 hours inspected",
    "Stream after", "data", "s old", "min old", "no data yet", "Code", "Severity", "Count",
    "Checked at end of line", "Inline DHU", "Resume on tightened inspection", "Resume",
    "Sampling stopped after 5 lots not accepted on tightened inspection (ISO 2859-1 9.4). Resume once"
    " the supplier has acted on quality.", *RULE_NAMES.values(),
)  # fmt: skip
SCRIPT_STRINGS["quality"] = STRINGS


def _filters(app: FastAPI, arg: str) -> tuple[str | None, str]:
    line, _, span = arg.partition(",")
    return (line if line in app.state.factory.lines_by_id else None), (span if span in SPANS else "today")


@topic("quality")
def quality_topic(app: FastAPI, arg: str) -> Producer | None:
    if app.state.production is None:
        return None
    line, span = _filters(app, arg)

    def produce() -> bytes:
        state = app.state
        book = lots_of(state)
        with book.lock:
            lots = list(book.book(state.store).lots)
        engine = state.production
        snapshot = engine.read(
            lambda lg: quality_snapshot(
                lg, state.factory, now_ms=floor_now(lg), span=span, line=line, lots=lots
            )
        )
        snapshot["topic"] = f"quality:{line or 'all'},{span}"
        return stamped(snapshot)

    return produce


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request, line: str | None = None, span: str = "today") -> HTMLResponse:
    """The quality manager's page, with its first snapshot and the entry forms' choices inline."""
    engine = engine_of(request)
    app = request.app
    chosen, span = _filters(app, f"{line or ''},{span}")
    produce = quality_topic(app, f"{chosen or ''},{span}")
    assert produce is not None
    data = orjson.loads(produce())
    data["form"] = engine.read(lambda lg: entry_form(lg, app.state.factory, now_ms=floor_now(lg)))
    return render(
        request,
        "quality.html",
        title="Quality",
        data=data,
        strings=STRINGS,
        extra={"lines": app.state.factory.lines, "line": chosen, "span": span, "spans": tuple(SPANS)},
    )
