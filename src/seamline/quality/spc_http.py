"""HTTP route of statistical process control on the floor's own inspections: a p chart (fraction
defective) or u chart (defects per piece) of a line, one point per hour, with the Nelson rules."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from seamline.errors import NotFoundError
from seamline.production.engine import ProductionEngine
from seamline.production.kpi import QualityTotals, quality_totals
from seamline.quality.errors import QualityError
from seamline.quality.spc import nelson_violations, p_chart, u_chart
from seamline.store.http import time_range
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])


@router.get(
    "/spc",
    summary="A p or u control chart of a line's inspections, one point per hour, with Nelson rule alerts",
    description=(
        "Each hour with inspections of that kind is a subgroup: the p chart plots defective pieces /"
        " pieces checked, the u chart defects / pieces checked (DHU / 100), with limits per point"
        " from its own size (Montgomery 7.2.2, 7.3.2). The centre is the whole span's rate (phase I)."
        " `violations` lists each Nelson rule that fired, the hours involved and a message."
    ),
)
def get_spc(
    request: Request,
    line: str = Query(..., description="the line, e.g. L01"),
    kind: Literal["inline", "end_of_line"] = Query("end_of_line"),
    chart: Literal["p", "u"] = Query("p", description="p: fraction defective; u: defects per piece"),
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
) -> dict[str, Any]:
    if line not in request.app.state.factory.lines_by_id:
        raise NotFoundError("line", line)
    engine: ProductionEngine | None = request.app.state.production
    if engine is None:
        raise QualityError(
            "SPC reads the production records, which run in `seamline serve`", reason="not_running"
        )
    start_ms, end_ms = time_range(start, end, default_s=86_400)
    where = {"line": line, "kind": kind}
    groups = engine.read(lambda lg: quality_totals(lg, start_ms, end_ms, by=("hour",), where=where))
    hours: list[tuple[int, QualityTotals]] = sorted(
        (int(k[0]), t) for k, t in groups.items() if t.checked > 0
    )
    head = {
        "line": line,
        "kind": kind,
        "chart": chart,
        "start": ms_to_iso(start_ms),
        "end": ms_to_iso(end_ms),
    }
    if len(hours) < 2:
        return {
            **head,
            "centre": None,
            "points": [],
            "violations": [],
            "note": "fewer than 2 hours inspected",
        }
    checked = [t.checked for _, t in hours]
    if chart == "p":
        drawn = p_chart([t.defective for _, t in hours], checked)
    else:
        drawn = u_chart([t.defects for _, t in hours], checked)
    stamps = [ms_to_iso(h) for h, _ in hours]
    return {
        **head,
        "centre": drawn.centre,
        "points": [
            {
                "hour": stamps[i],
                "value": drawn.points[i],
                "lcl": drawn.lcl[i],
                "ucl": drawn.ucl[i],
                "checked": checked[i],
            }
            for i in range(len(hours))
        ],
        "violations": [
            {
                "rule": v.rule,
                "code": v.code,
                "name": v.name,
                "message": v.message,
                "hours": [stamps[i] for i in v.points],
                "detected_at": stamps[v.detected_at],
            }
            for v in nelson_violations(drawn)
        ],
    }
