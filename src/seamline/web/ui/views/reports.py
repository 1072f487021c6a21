"""The reports page (`/reports`): the shift report's figures for a date, shift and line, the same as
`seamline report shift` writes, with its PDF, XLSX and CSV to download; live on the topic
``report:<date>,<shift>,<line>`` (the shift going on keeps counting)."""

from __future__ import annotations

import datetime as dt

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from seamline.production.http_common import engine_of
from seamline.production.report import build_shift_report
from seamline.production.report.data import report_dict
from seamline.production.shifts import shift_at, shifts_per_day
from seamline.timeutil import now_ms
from seamline.web.ui.live import Producer
from seamline.web.ui.pages import SCRIPT_STRINGS, render, stamped, topic

router = APIRouter(include_in_schema=False)

STRINGS = (
    "Output", "Target", "Variance", "Efficiency", "DHU", "RFT", "OEE", "Downtime (min)", "Hour", "Style",
    "Pieces", "Operator", "Reason", "Stops", "Minutes", "No stops", "No production records in this shift",
    "data", "s old", "min old", "no data yet", "Operators", "Hour by hour", "Downtime by reason",
    "no_feeding", "machine_breakdown", "thread_break", "needle_break", "meeting", "rework", "changeover",
    "power_failure", "waiting_trims", "unassigned", "Production records", "Shift",
)  # fmt: skip
SCRIPT_STRINGS["reports"] = STRINGS


def _choice(app: FastAPI, arg: str) -> tuple[dt.date, int, str | None]:
    """The date, shift and line of ``<date>,<shift>,<line>``; what is missing or wrong: the shift now."""
    factory = app.state.factory
    date_s, shift_s, line = [*arg.split(","), "", "", ""][:3]
    engine = app.state.production
    now_date, now_shift = shift_at(
        factory, (engine.read(lambda lg: lg.clock_ms) if engine else 0) or now_ms()
    )
    try:
        date = dt.date.fromisoformat(date_s)
    except ValueError:
        date = now_date
    shift = int(shift_s) if shift_s.isdigit() and 1 <= int(shift_s) <= shifts_per_day(factory) else now_shift
    return date, shift, (line if line in factory.lines_by_id else None)


@topic("report")
def report_topic(app: FastAPI, arg: str) -> Producer | None:
    if app.state.production is None:
        return None
    date, shift, line = _choice(app, arg)
    factory = app.state.factory
    lines = (factory.lines_by_id[line],) if line else factory.lines

    def produce() -> bytes:
        engine = app.state.production
        report = engine.read(
            lambda lg: build_shift_report(
                lg, date, shift, lines=lines, planned_efficiency=engine.planned_efficiency
            )
        )
        snapshot = report_dict(report)
        snapshot["data_ts"] = report.newest_event_ms
        snapshot["topic"] = f"report:{date.isoformat()},{shift},{line or ''}"
        snapshot["line_filter"] = line
        return stamped(snapshot)

    return produce


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, date: str | None = None, shift: str | None = None, line: str | None = None
) -> HTMLResponse:
    """The shift report in the page, with its first snapshot inline and its downloads."""
    engine_of(request)
    app = request.app
    chosen = _choice(app, f"{date or ''},{shift or ''},{line or ''}")
    produce = report_topic(app, f"{chosen[0].isoformat()},{chosen[1]},{chosen[2] or ''}")
    assert produce is not None
    factory = app.state.factory
    return render(
        request,
        "reports.html",
        title="Reports",
        data=orjson.loads(produce()),
        strings=STRINGS,
        extra={
            "lines": factory.lines,
            "date": chosen[0].isoformat(),
            "shift": chosen[1],
            "line": chosen[2],
            "shifts": list(range(1, shifts_per_day(factory) + 1)),
        },
    )
