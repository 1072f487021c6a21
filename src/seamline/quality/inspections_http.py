"""HTTP routes of the floor's inspections: DHU, % defective and RFT grouped as asked, and the defect
Pareto, from the production records' inspection facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from seamline.production.http_common import DAY_S, engine_of, grouping
from seamline.production.kpi import QUALITY_DIMENSIONS, QualityTotals, defect_pareto, quality_totals
from seamline.store.http import time_range
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["quality"])


def _quality_where(
    line: str | None = Query(None),
    kind: str | None = Query(None, description="inline or end_of_line"),
    operation: str | None = Query(None),
    operator: str | None = Query(None),
) -> dict[str, str]:
    given = {"line": line, "kind": kind, "operation": operation, "operator": operator}
    return {k: v for k, v in given.items() if v is not None}


@router.get(
    "/quality/inspections",
    summary="Inspections, checked and defective pieces, defects, DHU, % defective and RFT, grouped as asked",
    description=(
        "Sums the inline and end-of-line inspection results of the hours overlapping [start, end) per"
        f" group of `by` (comma-separated, of: {', '.join(QUALITY_DIMENSIONS)}). DHU = defects x 100 /"
        " pieces checked; % defective = defective pieces x 100 / pieces checked; RFT % = 100 - %"
        " defective."
    ),
)
def get_inspections(
    request: Request,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
    by: str = Query("line,kind", description=f"comma-separated, of: {', '.join(QUALITY_DIMENSIONS)}"),
    where: dict[str, str] = Depends(_quality_where),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)
    dims = grouping(by, QUALITY_DIMENSIONS)
    groups = engine_of(request).read(lambda lg: quality_totals(lg, start_ms, end_ms, by=dims, where=where))
    rows = [_quality_json(dict(zip(dims, key, strict=True)), t) for key, t in sorted(groups.items())]
    return {
        "start": ms_to_iso(start_ms),
        "end": ms_to_iso(end_ms),
        "by": dims,
        "where": where,
        "groups": rows,
    }


@router.get("/quality/defects", summary="Defects by code and severity, most frequent first (a Pareto)")
def get_defects(
    request: Request,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
    where: dict[str, str] = Depends(_quality_where),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)
    pareto = engine_of(request).read(lambda lg: defect_pareto(lg, start_ms, end_ms, where=where))
    total = sum(n for _, _, n in pareto)
    rows, running = [], 0
    for code, severity, n in pareto:
        running += n
        rows.append(
            {
                "code": code,
                "severity": severity,
                "defects": n,
                "cumulative_pct": round(100.0 * running / total, 2),
            }
        )
    return {
        "start": ms_to_iso(start_ms),
        "end": ms_to_iso(end_ms),
        "where": where,
        "total": total,
        "defects": rows,
    }


def _quality_json(key: dict[str, Any], t: QualityTotals) -> dict[str, Any]:
    def pct(v: float | None) -> float | None:
        return None if v is None else round(v, 2)

    return {
        **{k: (ms_to_iso(v) if k == "hour" and isinstance(v, int) else v) for k, v in key.items()},
        "inspections": t.inspections,
        "checked": t.checked,
        "defective": t.defective,
        "defects": t.defects,
        "dhu": pct(t.dhu),
        "defective_pct": pct(t.defective_pct),
        "rft_pct": pct(t.rft_pct),
    }
