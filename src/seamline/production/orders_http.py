"""HTTP routes of orders and their cut bundles: list and read them with their progress, make, change
or cancel them, add bundles. Every write is an ``order`` or ``bundle`` event stored through ingest
before it is applied (production/orders.py), so a restart keeps it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from seamline.errors import NotFoundError
from seamline.model.factory import MAX_PRIORITY
from seamline.production.errors import ProductionError
from seamline.production.http_common import actor, engine_of
from seamline.production.ledger import ProductionLedger
from seamline.production.orders import (
    BundleStatus,
    OrderEntry,
    OrderError,
    OrderProgress,
    OrderStatus,
    order_progress,
)
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["orders"])

Quantities = dict[str, dict[str, int]]
_QUANTITIES = 'colour -> size -> pieces, e.g. {"navy": {"M": 120, "L": 80}}'
_Ticket = Annotated[str, Field(min_length=1, max_length=128, examples=["PO-25001-B0001"])]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BundleIn(_Body):
    """A cut bundle and its ticket id (the QR code or RFID tag it carries)."""

    id: _Ticket
    colour: str = Field(min_length=1)
    size: str = Field(min_length=1)
    quantity: int = Field(gt=0, description="pieces")


class OrderCreate(_Body):
    id: str = Field(min_length=1, max_length=64, examples=["PO-25001"])
    style: str = Field(min_length=1, examples=["POLO-01"])
    due: dt.date
    priority: int = Field(0, ge=0, le=MAX_PRIORITY, description="0 normal .. 9 most urgent")
    quantities: Quantities = Field(description=_QUANTITIES)
    bundle_size: int = Field(20, ge=1, le=200, description="pieces a bundle, when Seamline cuts it")
    line: str | None = None
    bundles: list[BundleIn] | None = Field(
        None,
        description="the bundles cut, with their tickets; absent: Seamline cuts the order by colour and"
        " size into bundles of bundle_size, tickets <id>-B0001, ...; [] for none cut yet (add them"
        " with POST /api/v1/orders/{id}/bundles)",
    )
    by: str | None = Field(None, description="who made it")


class OrderChange(_Body):
    """Only the fields given change; ``quantities`` replaces the whole matrix. ``cancel`` alone."""

    due: dt.date | None = None
    priority: int | None = Field(None, ge=0, le=MAX_PRIORITY)
    quantities: Quantities | None = Field(None, description=_QUANTITIES)
    bundle_size: int | None = Field(None, ge=1, le=200)
    line: str | None = None
    cancel: bool = False
    by: str | None = None


class BundlesIn(_Body):
    bundles: list[BundleIn] = Field(min_length=1)
    by: str | None = None


class BundleOut(BaseModel):
    id: str
    colour: str
    size: str
    quantity: int
    status: BundleStatus
    operations_done: int = Field(description="scanned, or taken as done before tracking began")
    operations: int
    finished_pieces: int = Field(description="pieces through the style's final operation")


class OrderOut(BaseModel):
    id: str
    style: str
    due: dt.date
    priority: int
    line: str | None
    status: OrderStatus
    source: Literal["factory", "event"] = Field(description="the factory file, or the API / an import")
    cut: Literal["auto", "tickets"]
    quantities: Quantities
    pieces_ordered: int
    pieces_cut: int
    garments_finished: int = Field(description="pieces through the style's final operation")
    bundles_total: int
    bundles_started: int
    bundles_finished: int
    wip_pieces: int = Field(description="pieces of the bundles started and not finished")
    changed: str | None = Field(description="device time of its latest order event, if any")


class OrderDetail(OrderOut):
    bundles: list[BundleOut]


class OrderList(BaseModel):
    total: int
    offset: int
    orders: list[OrderOut]


@router.get(
    "/orders",
    response_model=OrderList,
    summary="Orders with their progress, by due date (the most urgent first among equals)",
)
def list_orders(
    request: Request,
    status: str | None = Query(None, description="planned, in_progress, finished or cancelled"),
    line: str | None = Query(None),
    style: str | None = Query(None),
    due_from: dt.date | None = Query(None, description="due on or after"),
    due_to: dt.date | None = Query(None, description="due on or before"),
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0),
) -> OrderList:
    if due_from is not None and due_to is not None and due_from > due_to:
        raise ProductionError(
            f"due_from ({due_from}) is after due_to ({due_to})", reason="bad_time_range", field="due_from"
        )

    def pick(lg: ProductionLedger) -> tuple[int, list[OrderOut]]:
        found = [
            _order_out(e, order_progress(e, lg.bundle_progress)[0])
            for e in lg.orders.entries.values()
            if (line is None or e.order.line_id == line)
            and (style is None or e.order.style_id == style)
            and (due_from is None or e.order.due_date >= due_from)
            and (due_to is None or e.order.due_date <= due_to)
        ]
        found = [o for o in found if status is None or o.status == status]
        found.sort(key=lambda o: (o.due, -o.priority, o.id))
        return len(found), found[offset : offset + limit]

    total, page = engine_of(request).read(pick)
    return OrderList(total=total, offset=offset, orders=page)


@router.get("/orders/{order_id}", response_model=OrderDetail, summary="One order with each bundle's progress")
def get_order(request: Request, order_id: str) -> OrderDetail:
    return _detail(request, order_id)


@router.post(
    "/orders",
    response_model=OrderDetail,
    status_code=201,
    summary="Make an order: 409 if its id or a ticket is taken, 422 for an unknown style or bad quantities",
)
def create_order(request: Request, body: OrderCreate, response: Response) -> OrderDetail:
    event = {
        "type": "order",
        "action": "create",
        "order": body.id,
        **body.model_dump(mode="json", exclude={"id"}, exclude_none=True),
    }
    if (by := actor(request, body.by)) is not None:
        event["by"] = by
    engine_of(request).order([event])
    response.headers["Location"] = f"/api/v1/orders/{body.id}"
    return _detail(request, body.id)


@router.patch(
    "/orders/{order_id}",
    response_model=OrderDetail,
    summary="Change an order's due date, priority, quantities, bundle size or line, or cancel it",
)
def change_order(request: Request, order_id: str, body: OrderChange) -> OrderDetail:
    fields = body.model_dump(mode="json", exclude={"cancel"}, exclude_none=True)
    if body.cancel and set(fields) - {"by"}:
        raise OrderError("cancel an order alone, without other changes", field="cancel")
    if (by := actor(request, body.by)) is not None:
        fields["by"] = by
    action = "cancel" if body.cancel else "change"
    engine_of(request).order([{"type": "order", "action": action, "order": order_id, **fields}])
    return _detail(request, order_id)


@router.post(
    "/orders/{order_id}/bundles",
    response_model=OrderDetail,
    status_code=201,
    summary="Add bundles cut for an order, with their tickets (cut later, or re-cut)",
)
def add_bundles(request: Request, order_id: str, body: BundlesIn) -> OrderDetail:
    tickets = [b.id for b in body.bundles]
    twice = next((t for t in tickets if tickets.count(t) > 1), None)
    if twice is not None:
        raise OrderError(f"ticket {twice!r} is listed twice", field="bundles")
    who = actor(request, body.by)
    by = {"by": who} if who else {}
    events = [
        {"type": "bundle", "order": order_id, "bundle": b.id, "colour": b.colour, "size": b.size,
         "quantity": b.quantity, **by}
        for b in body.bundles
    ]  # fmt: skip
    engine_of(request).order(events)
    return _detail(request, order_id)


def _detail(request: Request, order_id: str) -> OrderDetail:
    def pick(lg: ProductionLedger) -> OrderDetail | None:
        entry = lg.orders.entries.get(order_id)
        if entry is None:
            return None
        progress, each = order_progress(entry, lg.bundle_progress)
        bundles = [
            BundleOut(
                id=b.id,
                colour=b.colour,
                size=b.size,
                quantity=b.quantity,
                status=p.status,
                operations_done=p.operations_done,
                operations=p.operations,
                finished_pieces=p.finished_pieces,
            )
            for b, p in zip(entry.bundles, each, strict=True)
        ]
        return OrderDetail(**_order_out(entry, progress).model_dump(), bundles=bundles)

    got = engine_of(request).read(pick)
    if got is None:
        raise NotFoundError("order", order_id)
    return got


def _order_out(entry: OrderEntry, p: OrderProgress) -> OrderOut:
    o = entry.order
    quantities: Quantities = {}
    for (colour, size), n in o.quantities.items():
        quantities.setdefault(colour, {})[size] = n
    return OrderOut(
        id=o.id,
        style=o.style_id,
        due=o.due_date,
        priority=o.priority,
        line=o.line_id,
        status=p.status,
        source=entry.source,
        cut="auto" if entry.auto_cut else "tickets",
        quantities=quantities,
        pieces_ordered=p.pieces_ordered,
        pieces_cut=p.pieces_cut,
        garments_finished=p.garments_finished,
        bundles_total=p.bundles,
        bundles_started=p.bundles_started,
        bundles_finished=p.bundles_finished,
        wip_pieces=p.wip_pieces,
        changed=ms_to_iso(entry.changed_ms) if entry.changed_ms is not None else None,
    )


__all__ = ["router"]
