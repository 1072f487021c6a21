"""HTTP routes of machine time and downtime: seconds per state, utilisation, MTBF and MTTR, stops
by reason, and giving a stop its reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from seamline.errors import NotFoundError
from seamline.production.downtime import reason_pareto
from seamline.production.http_common import DAY_S, actor, engine_of
from seamline.production.ledger import ProductionLedger
from seamline.production.machine_view import machine_rows
from seamline.store.http import time_range
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["production"])


@router.get(
    "/production/machines",
    summary="Each machine's time per state, utilisation, breakdowns, MTBF and MTTR",
    description=(
        "From the machines' `state` events and the `machine_breakdown` downtime reports over the hours"
        " overlapping [start, end): utilisation % = running / (idle + running + fault) x 100; MTBF ="
        " running hours / breakdowns; MTTR = mean breakdown minutes. A machine at a workstation also"
        " has `kpi`: its needle time (the `run_time_s` counter), needle utilisation % = needle time /"
        ' attended minutes x 100, and machine OEE = A x E x QR (ISO 22400-2; README "Production'
        ' records").'
    ),
)
def get_machines(
    request: Request,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
    line: str | None = Query(None),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)

    def pick(lg: ProductionLedger) -> list[dict[str, Any]]:
        now = min(end_ms, max(lg.machines.newest_ms, start_ms))
        return machine_rows(lg, start_ms, end_ms, line_id=line, now_ms=now)

    return {"start": ms_to_iso(start_ms), "end": ms_to_iso(end_ms), "machines": engine_of(request).read(pick)}


@router.get("/production/downtime", summary="Downtime by reason (a Pareto) and the stops themselves")
def get_downtime(
    request: Request,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
    line: str | None = Query(None),
    limit: int = Query(100, ge=0, le=10_000, description="stops listed, newest first"),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)

    def pick(lg: ProductionLedger) -> dict[str, Any]:
        now = lg.machines.newest_ms
        pareto = reason_pareto(lg.machines, start_ms, end_ms, line_id=line, now_ms=now)
        stops = [
            d
            for d in reversed(lg.machines.downtimes)
            if (line is None or d.line_id == line)
            and d.start_ms < end_ms
            and (d.end_ms is None or d.end_ms >= start_ms)
        ][:limit]
        return {
            "reasons": [{"reason": r, "stops": n, "minutes": round(m, 2)} for r, n, m in pareto],
            "stops": [
                {
                    "id": d.id,
                    "line": d.line_id,
                    "workstation": d.workstation_id,
                    "device": d.device_id,
                    "reason": d.reason,
                    "start": ms_to_iso(d.start_ms),
                    "end": ms_to_iso(d.end_ms) if d.end_ms is not None else None,
                    "duration_s": round(d.duration_s(now), 1),
                    "source": d.source,
                    "assigned_by": d.assigned_by,
                }
                for d in stops
            ],
        }

    return {"start": ms_to_iso(start_ms), "end": ms_to_iso(end_ms), **engine_of(request).read(pick)}


class ReasonBody(BaseModel):
    """The reason a stop had, and who says so."""

    reason: str = Field(..., examples=["no_feeding"])
    by: str | None = Field(None, examples=["supervisor L01"])


@router.post(
    "/production/downtime/{downtime_id}/reason", summary="Give a stop (an unassigned one) its reason"
)
def assign_downtime_reason(request: Request, downtime_id: int, body: ReasonBody) -> dict[str, Any]:
    """Stored as a ``decision`` event of the machine's device, then applied: a restart keeps it."""
    engine = engine_of(request)
    try:
        stop = engine.assign_reason(downtime_id, body.reason, by=actor(request, body.by))
    except KeyError:
        raise NotFoundError("downtime", downtime_id) from None
    return engine.read(
        lambda _: {
            "id": stop.id,
            "device": stop.device_id,
            "line": stop.line_id,
            "reason": stop.reason,
            "source": stop.source,
            "assigned_by": stop.assigned_by,
            "start": ms_to_iso(stop.start_ms),
            "end": ms_to_iso(stop.end_ms) if stop.end_ms is not None else None,
        }
    )
