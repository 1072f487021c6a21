"""HTTP routes of production records: KPI totals, hourly output of a line, inspection figures and
the defect Pareto, the records themselves and the exceptions a supervisor resolves or voids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from seamline.errors import NotFoundError, SeamlineError
from seamline.production.downtime import reason_pareto, reliability
from seamline.production.engine import ProductionEngine
from seamline.production.kpi import (
    DIMENSIONS,
    FORMULA_VERSION,
    QUALITY_DIMENSIONS,
    QualityTotals,
    Totals,
    defect_pareto,
    quality_totals,
    totals,
)
from seamline.production.ledger import HOUR_MS, ProductionLedger, ProductionRecord, ScanException
from seamline.store.http import time_range
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["production"])

DAY_S = 86_400


class ResolveBody(BaseModel):
    """Who did the work, when the scan named someone else (optional)."""

    operator: str | None = Field(None, examples=["L01-OP07"])


class ProductionError(SeamlineError):
    """A production request that cannot be answered as asked."""

    reason = "production"

    def __init__(self, message: str, *, reason: str | None = None, field: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.field = field

    def details(self) -> dict[str, object]:
        return {"field": self.field} if self.field else {}


class ProductionNotRunningError(ProductionError):
    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "production records are not running in this process (they run in `seamline serve` and"
            " `seamline demo`)",
            reason="production_not_running",
        )


def _engine(request: Request) -> ProductionEngine:
    engine: ProductionEngine | None = request.app.state.production
    if engine is None:
        raise ProductionNotRunningError
    return engine


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
    dims = _dims(by, DIMENSIONS)
    given = {"line": line, "workstation": workstation, "operator": operator, "style": style}
    where = {k: v for k, v in {**given, "order": order, "operation": operation}.items() if v is not None}
    groups = _engine(request).read(lambda lg: totals(lg, start_ms, end_ms, by=dims, where=where))
    rows = [_totals_json(dict(zip(dims, key, strict=True)), t) for key, t in sorted(groups.items())]
    if set(dims) | set(where) <= {"hour", "line"}:  # OEE where quality is measured: per line and hour
        end_of_line = {**where, "kind": "end_of_line"}
        quality = _engine(request).read(
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
    dims = _dims(by, QUALITY_DIMENSIONS)
    groups = _engine(request).read(lambda lg: quality_totals(lg, start_ms, end_ms, by=dims, where=where))
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
    pareto = _engine(request).read(lambda lg: defect_pareto(lg, start_ms, end_ms, where=where))
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


@router.get(
    "/production/machines",
    summary="Each machine's time per state, utilisation, breakdowns, MTBF and MTTR",
    description=(
        "From the machines' `state` events and the `machine_breakdown` downtime reports over the hours"
        " overlapping [start, end): utilisation % = running / (idle + running + fault) x 100; MTBF ="
        " running hours / breakdowns; MTTR = mean breakdown minutes."
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
        seconds = lg.machines.seconds(start_ms, end_ms, now_ms=now)
        rel = reliability(lg.machines, start_ms, end_ms, now_ms=now)
        rows = []
        for (line_id, device), s in sorted(seconds.items()):
            if line is not None and line_id != line:
                continue
            on = s.get("idle", 0.0) + s.get("running", 0.0) + s.get("fault", 0.0)
            r = rel.get(device)
            rows.append(
                {
                    "device": device,
                    "line": line_id,
                    "seconds": {k: round(v, 1) for k, v in s.items()},
                    "utilisation_pct": round(100.0 * s.get("running", 0.0) / on, 2) if on else None,
                    "breakdowns": r.breakdowns if r else 0,
                    "mtbf_h": round(r.mtbf_h, 3) if r and r.mtbf_h is not None else None,
                    "mttr_min": round(r.mttr_min, 2) if r and r.mttr_min is not None else None,
                }
            )
        return rows

    return {"start": ms_to_iso(start_ms), "end": ms_to_iso(end_ms), "machines": _engine(request).read(pick)}


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

    return {"start": ms_to_iso(start_ms), "end": ms_to_iso(end_ms), **_engine(request).read(pick)}


class ReasonBody(BaseModel):
    """The reason a stop had, and who says so."""

    reason: str = Field(..., examples=["no_feeding"])
    by: str | None = Field(None, examples=["supervisor L01"])


@router.post(
    "/production/downtime/{downtime_id}/reason", summary="Give a stop (an unassigned one) its reason"
)
def assign_downtime_reason(request: Request, downtime_id: int, body: ReasonBody) -> dict[str, Any]:
    """Stored as a ``decision`` event of the machine's device, then applied: a restart keeps it."""
    engine = _engine(request)
    try:
        stop = engine.assign_reason(downtime_id, body.reason, by=body.by)
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


@router.get("/lines/{line_id}/output", summary="A line's output, earned minutes and efficiency per hour")
def get_line_output(
    request: Request,
    line_id: str,
    start: dt.datetime | None = Query(None, description="ISO 8601; default: 12 hours before end"),
    end: dt.datetime | None = Query(None, description="ISO 8601; default: now"),
) -> dict[str, Any]:
    if line_id not in request.app.state.factory.lines_by_id:
        raise NotFoundError("line", line_id)
    start_ms, end_ms = time_range(start, end, default_s=12 * 3600)
    groups = _engine(request).read(
        lambda lg: totals(lg, start_ms, end_ms, by=("hour",), where={"line": line_id})
    )
    hours = []
    hour = start_ms - start_ms % HOUR_MS
    while hour < end_ms:
        t = groups.get((hour,), Totals(0, 0, 0.0, 0.0))
        hours.append(_totals_json({"hour": ms_to_iso(hour)}, t))
        hour += HOUR_MS
    return {"line": line_id, "formula_version": FORMULA_VERSION, "hours": hours}


@router.get("/lines/{line_id}/wip", summary="Bundles and pieces waiting at each operation of a line")
def get_line_wip(request: Request, line_id: str) -> dict[str, Any]:
    """Per operation, the bundles whose every predecessor is done and which wait for it; a bundle is
    in progress from its first scan on the line until its every operation is done."""
    factory = request.app.state.factory
    if line_id not in factory.lines_by_id:
        raise NotFoundError("line", line_id)
    bundles, pieces, waiting = _engine(request).read(lambda lg: lg.wip(line_id))
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

    total, page = _engine(request).read(pick)
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

    total, page = _engine(request).read(pick)
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
    engine = _engine(request)
    try:
        exc = engine.decide(exception_id, action, operator=operator)
    except KeyError:
        raise NotFoundError("exception", exception_id) from None
    factory = request.app.state.factory
    return engine.read(lambda _: _exception_json(factory, exc))


def _dims(by: str, allowed: tuple[str, ...]) -> list[str]:
    dims = [d.strip() for d in by.split(",") if d.strip()]
    if not dims or any(d not in allowed for d in dims):
        raise ProductionError(
            f"by={by!r}: group by one or more of {', '.join(allowed)}", reason="bad_grouping", field="by"
        )
    return dims


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
