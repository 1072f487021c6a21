"""HTTP routes of production records: KPI totals, a line's hourly output and WIP, the records
themselves and the exceptions a supervisor resolves or voids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from seamline.errors import NotFoundError
from seamline.production.hours import HOUR_MS
from seamline.production.http_common import DAY_S, actor, engine_of, grouping
from seamline.production.kpi import DIMENSIONS, FORMULA_VERSION, Totals, line_hours, quality_totals, totals
from seamline.production.ledger import ProductionLedger, ProductionRecord, ScanException
from seamline.store.http import time_range
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["production"])


class ResolveBody(BaseModel):
    """Who did the work, when the scan named someone else (optional)."""

    operator: str | None = Field(None, examples=["L01-OP07"])


@router.get(
    "/production/kpi",
    summary="Pieces, output, earned and attended minutes and efficiency, grouped as asked",
    description=(
        "Sums the hourly production facts of the hours overlapping [start, end) per group of `by`"
        f" (comma-separated, of: {', '.join(DIMENSIONS)}), optionally filtered by any dimension."
        " Efficiency % = earned minutes / attended minutes x 100 (formula version"
        f' {FORMULA_VERSION}, README "Production KPIs"); attended minutes exist only for groupings'
        " by hour, line, workstation and operator. Groups add up: a line's figures are the sums of"
        " its operators'. Grouped by line and/or hour, each group also has `rft_pct` (end-of-line"
        " inspections) and `oee_pct` = efficiency x RFT / 100: ISO 22400-2's OEE = A x E x QR with"
        " A x E = earned / attended minutes and QR = the first-pass quality rate."
    ),
)
def get_kpi(
    request: Request,
    start: dt.datetime | None = Query(None, description="ISO 8601, inclusive; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601, exclusive; default: now"),
    by: str = Query("line", description=f"comma-separated, of: {', '.join(DIMENSIONS)}"),
    line: str | None = Query(None),
    workstation: str | None = Query(None),
    operator: str | None = Query(None),
    style: str | None = Query(None),
    order: str | None = Query(None),
    operation: str | None = Query(None),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)
    dims = grouping(by, DIMENSIONS)
    given = {"line": line, "workstation": workstation, "operator": operator, "style": style}
    where = {k: v for k, v in {**given, "order": order, "operation": operation}.items() if v is not None}
    groups = engine_of(request).read(lambda lg: totals(lg, start_ms, end_ms, by=dims, where=where))
    rows = [_totals_json(dict(zip(dims, key, strict=True)), t) for key, t in sorted(groups.items())]
    if set(dims) | set(where) <= {"hour", "line"}:  # OEE where quality is measured: per line and hour
        end_of_line = {**where, "kind": "end_of_line"}
        quality = engine_of(request).read(
            lambda lg: quality_totals(lg, start_ms, end_ms, by=dims, where=end_of_line)
        )
        for (key, _), row in zip(sorted(groups.items()), rows, strict=True):
            q = quality.get(key)
            rft = q.rft_pct if q is not None else None
            eff = row["efficiency_pct"]
            row["rft_pct"] = None if rft is None else round(rft, 2)
            row["oee_pct"] = None if rft is None or eff is None else round(eff * rft / 100.0, 2)
    return {
        "formula_version": FORMULA_VERSION,
        "start": ms_to_iso(start_ms),
        "end": ms_to_iso(end_ms),
        "by": dims,
        "where": where,
        "groups": rows,
    }


@router.get(
    "/lines/{line_id}/output",
    summary="A line's output against its target, earned minutes and efficiency per hour",
)
def get_line_output(
    request: Request,
    line_id: str,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 12 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
) -> dict[str, Any]:
    """Per clock hour: output (garments), target = attended minutes x planned efficiency / garment
    SAM of the style the line worked on, the variance, pieces, earned and attended minutes and
    efficiency; the same figures as the shift report's."""
    if line_id not in request.app.state.factory.lines_by_id:
        raise NotFoundError("line", line_id)
    start_ms, end_ms = time_range(start, end, default_s=12 * 3600)
    engine = engine_of(request)
    hours = engine.read(lambda lg: line_hours(lg, line_id, start_ms, end_ms, engine.planned_efficiency))
    return {
        "line": line_id,
        "formula_version": FORMULA_VERSION,
        "planned_efficiency": engine.planned_efficiency,
        "hours": [
            {
                **_totals_json({"hour": ms_to_iso(h.start_ms - h.start_ms % HOUR_MS)}, h.totals),
                "style": h.style_id,
                "garment_sam_min": h.garment_sam_min,
                "target": None if h.target is None else round(h.target, 2),
                "variance": None if h.variance is None else round(h.variance, 2),
            }
            for h in hours
        ],
    }


@router.get("/lines/{line_id}/wip", summary="Bundles and pieces waiting at each operation of a line")
def get_line_wip(request: Request, line_id: str) -> dict[str, Any]:
    """Per operation, the bundles whose every predecessor is done and which wait for it; a bundle is
    in progress from its first scan on the line until its every operation is done."""
    factory = request.app.state.factory
    if line_id not in factory.lines_by_id:
        raise NotFoundError("line", line_id)
    bundles, pieces, waiting = engine_of(request).read(lambda lg: lg.wip(line_id))
    ops = [
        {"operation": op, "bundles": n, "pieces": p}
        for op, (n, p) in sorted(waiting.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ]
    return {
        "line": line_id,
        "bundles_in_progress": bundles,
        "pieces_in_progress": pieces,
        "operations": ops,
    }


@router.get("/production/records", summary="Production records, newest first")
def get_records(
    request: Request,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 24 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
    line: str | None = Query(None),
    operator: str | None = Query(None),
    bundle: str | None = Query(None),
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    start_ms, end_ms = time_range(start, end, default_s=DAY_S)

    def pick(lg: ProductionLedger) -> tuple[int, list[ProductionRecord]]:
        found = [
            r
            for r in reversed(lg.records)
            if start_ms <= r.ts_ms < end_ms
            and (line is None or r.line_id == line)
            and (operator is None or r.operator_id == operator)
            and (bundle is None or r.bundle_id == bundle)
        ]
        found.sort(key=lambda r: r.ts_ms, reverse=True)
        return len(found), found[offset : offset + limit]

    total, page = engine_of(request).read(pick)
    return {"total": total, "offset": offset, "records": [_record_json(r) for r in page]}


@router.get("/production/exceptions", summary="Scans that were not counted, with why")
def get_exceptions(
    request: Request,
    status: str | None = Query("open", description="open, resolved, auto_resolved, voided, or all"),
    line: str | None = Query(None),
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    factory = request.app.state.factory

    def pick(lg: ProductionLedger) -> tuple[int, list[dict[str, Any]]]:
        found = [
            x
            for x in reversed(lg.exceptions)
            if (status in (None, "all") or x.status == status)
            and (line is None or _exception_line(factory, x) == line)
        ]
        return len(found), [_exception_json(factory, x) for x in found[offset : offset + limit]]

    total, page = engine_of(request).read(pick)
    return {"total": total, "offset": offset, "exceptions": page}


@router.post("/production/exceptions/{exception_id}/resolve", summary="Count an exception's scan after all")
def resolve_exception(
    request: Request,
    exception_id: int,
    body: ResolveBody | None = None,
) -> dict[str, Any]:
    operator = body.operator if body is not None else None
    return _decide(request, exception_id, "resolve", operator)


@router.post("/production/exceptions/{exception_id}/void", summary="Decide an exception's scan is not work")
def void_exception(request: Request, exception_id: int) -> dict[str, Any]:
    return _decide(request, exception_id, "void", None)


def _decide(request: Request, exception_id: int, action: str, operator: str | None) -> dict[str, Any]:
    """Stored as a ``decision`` event through ingest, then applied: a restart keeps it."""
    engine = engine_of(request)
    try:
        exc = engine.decide(exception_id, action, operator=operator, by=actor(request))
    except KeyError:
        raise NotFoundError("exception", exception_id) from None
    factory = request.app.state.factory
    return engine.read(lambda _: _exception_json(factory, exc))


def _totals_json(key: dict[str, Any], t: Totals) -> dict[str, Any]:
    eff = t.efficiency_pct
    return {
        **{k: (ms_to_iso(v) if k == "hour" and isinstance(v, int) else v) for k, v in key.items()},
        "pieces": t.pieces,
        "output": t.output,
        "earned_min": round(t.earned_min, 3),
        "attended_min": None if t.attended_min is None else round(t.attended_min, 3),
        "efficiency_pct": None if eff is None else round(eff, 2),
    }


def _record_json(r: ProductionRecord) -> dict[str, Any]:
    return {
        "ts": ms_to_iso(r.ts_ms),
        "line": r.line_id,
        "workstation": r.workstation_id,
        "operator": r.operator_id,
        "bundle": r.bundle_id,
        "order": r.order_id,
        "style": r.style_id,
        "bulletin_version": r.bulletin_version,
        "operation": r.operation_id,
        "pieces": r.pieces,
        "sam_min": r.sam_min,
        "earned_min": round(r.earned_min, 4),
        "final": r.final,
        "device": r.device_id,
    }


def _exception_line(factory: Any, x: ScanException) -> str | None:
    d = factory.devices_by_id.get(x.device_id)
    return d.line_id if d is not None else None


def _exception_json(factory: Any, x: ScanException) -> dict[str, Any]:
    return {
        "id": x.id,
        "ts": ms_to_iso(x.ts_ms),
        "device": x.device_id,
        "line": _exception_line(factory, x),
        "reason": x.reason,
        "detail": x.detail,
        "scan": x.scan,
        "status": x.status,
        "record": _record_json(x.record) if x.record is not None else None,
    }
