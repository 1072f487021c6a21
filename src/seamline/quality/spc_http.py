"""HTTP route of statistical process control on the floor's own inspections: a p chart (fraction
defective) or u chart (defects per piece) of a line, one point per hour, with the Nelson rules."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from seamline.errors import NotFoundError
from seamline.production.engine import ProductionEngine
from seamline.quality.errors import QualityError
from seamline.quality.spc_chart import spc_chart
from seamline.store.http import time_range

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
    return engine.read(lambda lg: spc_chart(lg, line, kind, chart, start_ms, end_ms))
