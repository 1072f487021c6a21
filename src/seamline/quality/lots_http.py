"""HTTP routes of the final inspection: judge a lot on its stream's plan (ISO 2859-1 single
sampling, with the switching rules), list the lots, and see where each stream stands.

Lots are stored as ``aql_lot`` events of ``_orders`` (see :mod:`seamline.quality.lots`); this
module keeps the book they make in memory, read from the store on first use and updated on each
lot it stores, under one lock so that two lots of a stream are never judged on the same state.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from seamline.errors import NotFoundError
from seamline.production.engine import REBUILD_LIMIT
from seamline.production.http_common import actor, engine_of
from seamline.quality.aql import parse_aql, parse_level
from seamline.quality.errors import SamplingInputError, SwitchingError
from seamline.quality.lots import AQL_LOT, LotBook, lot_json, stream_json
from seamline.store.base import Store

router = APIRouter(prefix="/api/v1/quality/aql", tags=["quality"])


class LotBody(BaseModel):
    """One lot presented for final inspection and what its sample showed."""

    lot: str = Field(..., min_length=1, max_length=64, examples=["PO-1042-L3"], description="the lot's id")
    lot_size: int = Field(..., ge=2, examples=[1200], description="units in the lot")
    aql: str = Field(..., examples=["2.5"], description="acceptance quality limit, as the standard prints it")
    level: str = Field("II", examples=["II"], description="inspection level: I, II, III, S-1 ... S-4")
    nonconforming: int = Field(..., ge=0, examples=[3], description="nonconforming units found in the sample")
    stream: str | None = Field(
        None, max_length=128, description="the series of lots the switching rules follow; default: line/style"
    )
    line: str | None = Field(None, examples=["L01"])
    style: str | None = Field(None, examples=["TS-01"])
    order: str | None = Field(None, examples=["PO-1042"])
    by: str | None = Field(None, max_length=64, examples=["QA Li"])


class ResumeBody(BaseModel):
    """Sampling of a discontinued stream restarts, on tightened inspection (ISO 2859-1 9.4)."""

    stream: str = Field(..., min_length=1, max_length=128)
    by: str | None = Field(None, max_length=64)


class _Lots:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._book: LotBook | None = None

    def book(self, store: Store) -> LotBook:
        """The book, read from the store the first time (call with ``lock`` held)."""
        if self._book is None:
            stored = store.events(types=(AQL_LOT,), limit=REBUILD_LIMIT)[::-1]
            self._book = LotBook.replay((e.ts_ms, e.data) for e in stored)
        return self._book


def _lots(request: Request) -> _Lots:
    return lots_of(request.app.state)


def lots_of(state: Any) -> _Lots:
    """The app's book of lots (``app.state``), made on first use; read it with its ``lock`` held."""
    with _INIT:
        if getattr(state, "aql_lots", None) is None:
            state.aql_lots = _Lots()
    lots: _Lots = state.aql_lots
    return lots


_INIT = threading.Lock()


def _stream(request: Request, body: LotBody) -> str:
    factory = request.app.state.factory
    if body.line is not None and body.line not in factory.lines_by_id:
        raise NotFoundError("line", body.line)
    if body.style is not None and body.style not in factory.styles:
        raise NotFoundError("style", body.style)
    if body.stream:
        return body.stream
    if body.line and body.style:
        return f"{body.line}/{body.style}"
    raise SamplingInputError(
        "stream", None, "a stream, or a line and a style (the stream is then line/style)"
    )


@router.post(
    "/lots",
    status_code=201,
    summary="Judge a lot on its stream's plan and record the verdict (the same lot sent again: 200)",
)
def judge_lot(request: Request, body: LotBody, response: Response) -> dict[str, Any]:
    """The plan comes from the stream's inspection (normal, tightened or reduced); the verdict moves
    the stream on by the switching rules. A lot already judged with the same figures is answered
    again (a tablet's outbox may send it twice); with other figures it is a 409."""
    stream = _stream(request, body)
    engine = engine_of(request)
    lots = _lots(request)
    with lots.lock:
        book = lots.book(request.app.state.store)
        data: dict[str, Any] = {
            "stream": stream,
            "lot": body.lot,
            "lot_size": body.lot_size,
            "level": parse_level(body.level).value,
            "aql": parse_aql(body.aql),
            "nonconforming": body.nonconforming,
        }
        known = book.get(body.lot)
        if known is not None:
            if not known.same_lot(data):
                raise SwitchingError(
                    stream, f"lot {body.lot!r} is already judged, with other figures", reason="lot_judged"
                )
            response.status_code = 200
            return lot_json(known)
        plan = book.plan(stream, body.lot_size, body.level, body.aql)
        if body.nonconforming > plan.units_to_inspect:
            raise SamplingInputError(
                "nonconforming",
                body.nonconforming,
                f"0 to the {plan.units_to_inspect} units the plan inspects",
            )
        data.update(level=plan.level.value, aql=plan.aql, inspection=plan.inspection.value)
        for key in ("line", "style", "order"):
            if getattr(body, key) is not None:
                data[key] = getattr(body, key)
        by = actor(request, body.by)
        if by is not None:
            data["by"] = by
        book.check(data)  # a discontinued stream refuses the lot before anything is stored
        ts_ms = engine.office([{"type": AQL_LOT, **data}], what="final inspection lot")
        record = book.apply(ts_ms, data)
    response.headers["Location"] = f"/api/v1/quality/aql/lots/{body.lot}"
    assert record is not None  # a judged lot, not a resume
    return lot_json(record)


@router.get("/lots", summary="Final inspection lots, newest first")
def list_lots(
    request: Request,
    stream: str | None = Query(None),
    line: str | None = Query(None),
    limit: int = Query(100, ge=0, le=10_000),
) -> dict[str, Any]:
    lots = _lots(request)
    with lots.lock:
        records = [
            r
            for r in reversed(lots.book(request.app.state.store).lots)
            if (stream is None or r.stream == stream) and (line is None or r.line == line)
        ]
    return {
        "total": len(records),
        "accepted": sum(1 for r in records if r.verdict.accepted),
        "lots": [lot_json(r) for r in records[:limit]],
    }


@router.get("/lots/{lot}", summary="One final inspection lot")
def get_lot(request: Request, lot: str) -> dict[str, Any]:
    lots = _lots(request)
    with lots.lock:
        record = lots.book(request.app.state.store).get(lot)
    if record is None:
        raise NotFoundError("lot", lot)
    return lot_json(record)


@router.get("/streams", summary="Where each stream of lots stands in the switching scheme")
def list_streams(request: Request) -> dict[str, Any]:
    lots = _lots(request)
    with lots.lock:
        streams = lots.book(request.app.state.store).streams
    return {"streams": [stream_json(s) for s in streams]}


@router.get("/next-plan", summary="The plan the next lot of a stream is judged on")
def next_plan(
    request: Request,
    stream: str = Query(..., description="a stream, e.g. L01/TS-01 (a new one starts on normal inspection)"),
    lot_size: int = Query(..., description="units in the lot, 2 or more"),
    aql: str = Query(..., description="acceptance quality limit"),
    level: str = Query("II", description="inspection level"),
) -> dict[str, Any]:
    lots = _lots(request)
    with lots.lock:
        book = lots.book(request.app.state.store)
        state = book.state(stream)
        plan = book.plan(stream, lot_size, level, aql)
    return {"stream": stream_json(state), "plan": plan.as_dict()}


@router.post(
    "/streams/resume", summary="Resume a discontinued stream on tightened inspection (ISO 2859-1 9.4)"
)
def resume_stream(request: Request, body: ResumeBody) -> dict[str, Any]:
    engine = engine_of(request)
    lots = _lots(request)
    with lots.lock:
        book = lots.book(request.app.state.store)
        book.state(body.stream).resume()  # refuses a stream that is not discontinued
        data: dict[str, Any] = {"stream": body.stream, "action": "resume"}
        by = actor(request, body.by)
        if by:
            data["by"] = by
        ts_ms = engine.office([{"type": AQL_LOT, **data}], what="resumption")
        book.apply(ts_ms, data)
        return stream_json(book.state(body.stream))


__all__ = ["lots_of", "router"]
