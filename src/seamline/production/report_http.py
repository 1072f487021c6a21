"""HTTP routes of the shift report: its figures as JSON, and the files `seamline report shift`
writes (CSV, XLSX, PDF), built from the running service's production records."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from seamline.errors import NotFoundError
from seamline.model.factory import Factory
from seamline.production.http_common import engine_of
from seamline.production.report import WRITERS, ShiftReport, build_shift_report, default_filename
from seamline.production.report.data import report_dict
from seamline.production.shifts import shift_at
from seamline.timeutil import now_ms

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
_DATE = Query(None, description="the shift's local date, YYYY-MM-DD; default: the shift going on")
_SHIFT = Query(
    None,
    ge=1,
    description="1 for the shift starting at the factory's shift_start; default: the shift going on",
)
_LINE = Query(None, description="one line, e.g. L01; default: every line")


def shift_report(request: Request, date: dt.date | None, shift: int | None, line: str | None) -> ShiftReport:
    """The report of shift ``shift`` of ``date`` (default: the shift going on) for ``line`` (or all)."""
    engine = engine_of(request)
    factory: Factory = request.app.state.factory
    lines = factory.lines
    if line is not None:
        chosen = factory.lines_by_id.get(line)
        if chosen is None:
            raise NotFoundError("line", line)
        lines = (chosen,)
    if date is None or shift is None:
        now_date, now_shift = shift_at(factory, engine.read(lambda lg: lg.clock_ms) or now_ms())
        date = date or now_date
        shift = shift or now_shift
    return engine.read(
        lambda lg: build_shift_report(
            lg, date, shift, lines=lines, planned_efficiency=engine.planned_efficiency
        )
    )


@router.get(
    "/shift", summary="The shift report's figures: per line the shift, each hour, operators, downtime"
)
def get_shift_report(
    request: Request,
    date: dt.date | None = _DATE,
    shift: int | None = _SHIFT,
    line: str | None = _LINE,
) -> dict[str, Any]:
    return report_dict(shift_report(request, date, shift, line))


@router.get(
    "/shift/{fmt}",
    summary="The shift report as a file (as `seamline report shift --format csv|xlsx|pdf` writes it)",
    response_class=Response,
)
def download_shift_report(
    request: Request,
    fmt: Literal["csv", "xlsx", "pdf"],
    date: dt.date | None = _DATE,
    shift: int | None = _SHIFT,
    line: str | None = _LINE,
) -> Response:
    report = shift_report(request, date, shift, line)
    name = default_filename(report.date, report.shift, line, fmt)
    with tempfile.TemporaryDirectory(prefix="seamline-report-") as tmp:
        path = Path(tmp) / name
        WRITERS[fmt](report, path)
        content = path.read_bytes()
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


__all__ = ["router", "shift_report"]
